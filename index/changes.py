"""What a rebuild changes: documents and passages added, removed and changed since the last build."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from index.passage import Passage

__all__ = ["IndexChanges", "compare_builds", "file_hashes", "previous_build"]


def file_hashes(files: list[Path], corpus_dir: Path) -> dict[str, str]:
    """SHA-256 of every document, by its path relative to the corpus."""
    return {
        path.relative_to(corpus_dir).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in files
    }


@dataclass(frozen=True)
class PreviousBuild:
    """What the index being replaced held: its documents' hashes and its passages' texts."""

    documents: dict[str, str | None]  # path -> sha256 (None for an index built before hashes)
    passages: dict[str, str]  # passage id -> text


def previous_build(index_dir: Path) -> PreviousBuild | None:
    """The documents and passages of the index in ``index_dir``; None when there is none."""
    try:
        manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
        passages = {}
        with (index_dir / "passages.jsonl").open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    data = json.loads(line)
                    passages[str(data["id"])] = str(data["text"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    hashes = manifest.get("corpus_file_hashes") or {}
    documents = {str(name): hashes.get(name) for name in manifest.get("corpus_files") or []}
    return PreviousBuild(documents, passages)


@dataclass(frozen=True)
class IndexChanges:
    """Counts of what changed, for the build summary and the manifest."""

    documents_added: int
    documents_removed: int
    documents_changed: int
    documents_renamed: int
    passages_added: int
    passages_removed: int
    passages_changed: int  # same id, new text
    passages_moved: int  # the same text under a new id (a renamed document, an inserted line)
    passages_unchanged: int

    def to_json(self) -> dict[str, int]:
        return dict(self.__dict__)


def compare_builds(
    previous: PreviousBuild, documents: dict[str, str], passages: list[Passage]
) -> IndexChanges:
    """What ``documents`` (path -> sha256) and ``passages`` change against ``previous``."""
    old_docs, new_docs = previous.documents, documents
    added_docs = {d for d in new_docs if d not in old_docs}
    removed_docs = {d for d in old_docs if d not in new_docs}
    old_hashes_removed = {old_docs[d] for d in removed_docs if old_docs[d]}
    renamed = {d for d in added_docs if new_docs[d] in old_hashes_removed}
    changed_docs = {
        d for d in new_docs.keys() & old_docs.keys() if old_docs[d] is not None and old_docs[d] != new_docs[d]
    }
    old, new = previous.passages, {p.id: p.text for p in passages}
    old_texts, new_texts = set(old.values()), set(new.values())
    fresh_ids = [i for i in new if i not in old]
    gone_ids = [i for i in old if i not in new]
    common = new.keys() & old.keys()
    return IndexChanges(
        documents_added=len(added_docs - renamed),
        documents_removed=len(removed_docs) - len(renamed),
        documents_changed=len(changed_docs),
        documents_renamed=len(renamed),
        passages_added=sum(new[i] not in old_texts for i in fresh_ids),
        passages_removed=sum(old[i] not in new_texts for i in gone_ids),
        passages_changed=sum(new[i] != old[i] for i in common),
        passages_moved=sum(new[i] in old_texts for i in fresh_ids),
        passages_unchanged=sum(new[i] == old[i] for i in common),
    )
