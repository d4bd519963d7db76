"""Labelled data files: one JSON object a line, each turned into a typed record."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["read_jsonl"]

T = TypeVar("T")


def read_jsonl(
    path: Path,
    parse: Callable[[dict[str, Any]], T],
    what: str,
    error: Callable[[str], Exception] = ValueError,
) -> list[T]:
    """``parse`` of every non-blank line of ``path``; a bad line raises ``error`` naming it."""
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise TypeError("not a JSON object")
            records.append(parse(data))
        except (ValueError, KeyError, TypeError) as problem:
            raise error(f"{path}:{number}: not {what} ({problem})") from None
    return records
