"""A corpus's own query vocabulary: lay-word synonyms and a glossary of names, kept as data.

Nothing about one corpus lives in code. A corpus may carry ``lexicon.json`` at its
root::

    {"synonyms": {"butt": "buttocks glutes"}, "glossary": {"bird dog": "on hands and knees ..."}}

* ``synonyms``: a word people type -> words the documents use. At query time each
  expansion word is added to the BM25 terms, only where the documents use it.
* ``glossary``: a name people ask for (an exercise, an abbreviation) -> a description
  in the documents' words, added to the query for BM25 and the dense model alike.

The build copies the file into the index (``lexical/lexicon.json``), so an index
searches the same way on a machine without its corpus. Without the file the
retriever runs with no synonyms and no glossary. Keys starting with ``_`` (a
``"_comment"``) are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from limber.errors import CorpusError

__all__ = ["LEXICON_FILE", "Lexicon"]

LEXICON_FILE = "lexicon.json"


@dataclass(frozen=True)
class Lexicon:
    """Synonyms and glossary of one corpus (both empty when it has none)."""

    synonyms: Mapping[str, str] = field(default_factory=dict)
    glossary: Mapping[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.synonyms and not self.glossary

    def to_json(self) -> dict[str, dict[str, str]]:
        return {"synonyms": dict(self.synonyms), "glossary": dict(self.glossary)}

    @classmethod
    def from_json(cls, data: object, where: str) -> Lexicon:
        """Check and read a parsed lexicon; ``where`` names the file in errors."""
        fix = f'fix {where} (see corpus/README.md, "Query vocabulary") or delete it'
        if not isinstance(data, dict):
            raise CorpusError(f"{where} must hold a JSON object; {fix}")
        unknown = sorted(k for k in data if not k.startswith("_") and k not in ("synonyms", "glossary"))
        if unknown:
            raise CorpusError(f"{where}: unknown section {unknown[0]!r} (known: synonyms, glossary); {fix}")
        sections: dict[str, dict[str, str]] = {}
        for name in ("synonyms", "glossary"):
            section = data.get(name, {})
            if not isinstance(section, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in section.items()
            ):
                raise CorpusError(f"{where}: {name!r} must map words to text; {fix}")
            sections[name] = {k.casefold().strip(): v for k, v in section.items() if k.strip()}
        return cls(sections["synonyms"], sections["glossary"])

    @classmethod
    def read(cls, path: Path) -> Lexicon:
        """The lexicon in ``path``; an empty one when the file does not exist."""
        if not path.is_file():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except UnicodeDecodeError:
            raise CorpusError(f"cannot decode {path} as UTF-8; re-save it as UTF-8") from None
        except json.JSONDecodeError as error:
            raise CorpusError(
                f"{path}: not valid JSON ({error.msg}, line {error.lineno}); fix it "
                '(see corpus/README.md, "Query vocabulary")'
            ) from None
        return cls.from_json(data, str(path))

    @classmethod
    def of_corpus(cls, corpus_dir: Path) -> Lexicon:
        return cls.read(corpus_dir / LEXICON_FILE)
