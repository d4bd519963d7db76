"""Building and loading an index: atomic replacement, integrity checks, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import build_index as build_script  # scripts/build_index.py (pytest's pythonpath)
import numpy as np
import pytest

from index.build import build_index
from index.search import IndexReloadError, RetrievalParams, Retriever
from index.store import check_fresh, load_index
from limber.errors import (
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    IndexStaleError,
)

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "cache"
BUILD = [sys.executable, str(ROOT / "scripts" / "build_index.py"), "--quiet", "--cache", str(CACHE)]


def _small_corpus(directory: Path, text: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "doc.txt").write_text(
        text
        or "Walking every day keeps the lower back moving and strong.\n"
        "A kneeling lunge stretches the hip flexors at the front of the hip.\n",
        encoding="utf-8",
    )
    return directory


def test_seed_index_manifest_describes_the_build(seed_index: Path) -> None:
    manifest = json.loads((seed_index / "manifest.json").read_text())
    assert manifest["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert manifest["dimension"] == 384
    assert manifest["passage_count"] == 38
    assert len(manifest["corpus_hash"]) == 64
    assert {"faiss-cpu", "onnxruntime", "bm25s"} <= set(manifest["versions"])
    assert {d["reason"] for d in manifest["dropped"]} >= {"duplicate", "link list", "author bio"}


def test_a_build_that_fails_midway_leaves_the_old_index_serving(tmp_path: Path) -> None:
    out = tmp_path / "index"
    build_index(_small_corpus(tmp_path / "c1"), out, cache_dir=CACHE, show_progress=False)
    before = (out / "manifest.json").read_text()

    def crash(_staging: Path) -> None:
        raise RuntimeError("disk full")

    corpus2 = _small_corpus(
        tmp_path / "c2", "Sciatica is pain along the sciatic nerve, often from the lower back down one leg.\n"
    )
    with pytest.raises(RuntimeError, match="disk full"):
        build_index(corpus2, out, cache_dir=CACHE, show_progress=False, before_commit=crash)
    assert (out / "manifest.json").read_text() == before
    assert load_index(out).manifest.passage_count == 2
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".index")]
    assert leftovers == [".index.lock"]  # the builds' lock file stays (removing it would race)


def test_a_rebuild_reembeds_only_new_passages(tmp_path: Path, fresh_cache: Path) -> None:
    corpus = _small_corpus(tmp_path / "c")
    out = tmp_path / "index"
    build_index(corpus, out, cache_dir=fresh_cache, show_progress=False)
    with (corpus / "doc.txt").open("a", encoding="utf-8") as handle:
        handle.write("Tight hamstrings pull on the pelvis and can make the lower back ache.\n")
    report = build_index(corpus, out, cache_dir=fresh_cache, show_progress=False)
    assert report.embedded == 1  # the new one-sentence paragraph (its sentence is the same text)
    assert report.manifest.passage_count == 3


def test_running_bot_switches_to_a_rebuilt_index_without_restart(tmp_path: Path) -> None:
    corpus = _small_corpus(tmp_path / "c")
    out = tmp_path / "index"
    build_index(corpus, out, cache_dir=CACHE, show_progress=False)
    retriever = Retriever.open(out)
    assert not retriever.reload_if_changed()
    (corpus / "extra.txt").write_text(
        "The SI joint links the sacrum to the pelvis and can hurt when you sit on one side.\n"
    )
    build_index(corpus, out, cache_dir=CACHE, show_progress=False)
    assert retriever.search("SI joint", k=1).passages[0].passage.id != "extra:1"
    assert retriever.reload_if_changed()
    assert retriever.search("SI joint", k=1).passages[0].passage.id == "extra:1"


def test_missing_index_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match=r"python scripts/build_index.py"):
        load_index(tmp_path / "none")


@pytest.mark.parametrize(
    "victim",
    ["dense.faiss", "vectors.npy", "passages.jsonl", "lexical/vocabulary.json", "model/onnx/model.onnx"],
)
def test_truncated_index_files_are_refused(index_copy: Path, victim: str) -> None:
    path = index_copy / victim
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(IndexCorruptError, match=rf"{victim}.*truncated or corrupted.*build_index"):
        load_index(index_copy)


def test_same_size_corruption_is_caught_by_the_hash(index_copy: Path) -> None:
    path = index_copy / "vectors.npy"
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match=r"vectors.npy"):
        load_index(index_copy)


def test_deleted_index_file_is_named(index_copy: Path) -> None:
    (index_copy / "sentences.npy").unlink()
    with pytest.raises(IndexCorruptError, match=r"sentences.npy is missing"):
        load_index(index_copy)


def test_garbled_manifest_is_refused(index_copy: Path) -> None:
    (index_copy / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorruptError, match="manifest"):
        load_index(index_copy)


def test_index_from_another_model_is_refused(index_copy: Path) -> None:
    manifest = json.loads((index_copy / "manifest.json").read_text())
    manifest["model"] = "sentence-transformers/all-mpnet-base-v2"
    (index_copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="all-mpnet-base-v2"):
        load_index(index_copy)


def test_index_of_another_dimension_is_refused(index_copy: Path) -> None:
    manifest = json.loads((index_copy / "manifest.json").read_text())
    manifest["dimension"] = 768
    (index_copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="dimension 768"):
        load_index(index_copy)


def test_changed_corpus_is_detected(tmp_path: Path) -> None:
    corpus = _small_corpus(tmp_path / "c")
    out = tmp_path / "index"
    build_index(corpus, out, cache_dir=CACHE, show_progress=False)
    manifest = load_index(out).manifest
    check_fresh(manifest)
    (corpus / "doc.txt").write_text("Something else entirely about the lumbar spine and posture.\n")
    with pytest.raises(IndexStaleError, match=r"changed since the index was built.*build_index"):
        check_fresh(manifest)


def test_query_vectors_match_the_stored_passage_vectors(seed_index: Path) -> None:
    index = load_index(seed_index)
    again = index.encoder.encode([index.passages[0].text])[0]
    assert float(again @ index.vectors[0]) > 0.9999


def test_long_paragraphs_are_embedded_in_windows_and_scored_by_the_best(tmp_path: Path) -> None:
    walking = "Walking every day keeps the lower back moving and the muscles around it strong. "
    injection = (
        "A diagnostic SI joint injection with a local anaesthetic can confirm that the "
        "sacroiliac joint is the source of the pain. "
    )
    text = walking * 30 + injection * 3  # the injection part lies beyond the first 256 tokens
    report = build_index(
        _small_corpus(tmp_path / "c", text + "\n"), tmp_path / "i", cache_dir=CACHE, show_progress=False
    )
    assert report.windowed == 1
    index = load_index(tmp_path / "i")
    assert index.passages[0].text.count("Walking every day") == 30
    start, end = index.vector_spans[0]
    assert end - start >= 2  # overlapping windows, each a unit vector
    assert np.allclose(np.linalg.norm(index.vectors[start:end], axis=1), 1.0, atol=1e-5)
    query = index.encoder.encode_one("SI joint injection to confirm sacroiliac pain")
    truncated = index.encoder.encode([text])[0]  # what a single 256-token window would see
    best = max(float(row @ query) for row in index.vectors[start:end])
    assert best > float(truncated @ query) + 0.05
    retriever = Retriever(index, RetrievalParams(mode="dense", sentence_weight=0.0))
    assert retriever.search("SI joint injection", k=1).passages[0].score == pytest.approx(
        max(float(row @ index.encoder.encode_one("SI joint injection")) for row in index.vectors[start:end]),
        abs=1e-5,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--corpus", "{tmp}/nowhere"], "corpus directory not found"),
        (["--corpus", "{tmp}/empty"], "empty corpus"),
        (["--corpus", "{tmp}/latin"], "cannot decode bad.txt"),
        (["--corpus", "{tmp}/pdf"], "paper.pdf: not a readable PDF"),
        (["--corpus", "{tmp}/odt"], "unknown format: paper.odt"),
    ],
)
def test_build_script_errors_are_one_line_with_exit_code_2(tmp_path: Path, args, message, capsys) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "latin").mkdir()
    (tmp_path / "latin" / "bad.txt").write_bytes("d\xe9j\xe0 vu\n".encode("latin-1"))
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "paper.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "odt").mkdir()
    (tmp_path / "odt" / "paper.odt").write_bytes(b"PK\x03\x04")
    argv = [a.format(tmp=tmp_path) for a in args] + ["--out", str(tmp_path / "out")]
    # In this process (scripts/build_index.py's main); the summary test below runs the script.
    code = build_script.main(["--quiet", "--cache", str(CACHE), *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().count("\n") == 0
    assert message in err
    assert "Traceback" not in err


def test_build_script_prints_a_summary(tmp_path: Path) -> None:
    corpus = _small_corpus(tmp_path / "c")
    (corpus / "doc.txt").write_text((corpus / "doc.txt").read_text() + "×\n")
    done = subprocess.run(
        [*BUILD, "--corpus", str(corpus), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "files read:       1" in done.stdout
    assert "passages kept:    2" in done.stdout
    assert "fragment:" in done.stdout
    assert "seconds:" in done.stdout


def _rehash(directory: Path, *names: str) -> None:
    """Recompute the manifest's sizes and hashes, as someone editing an index would."""
    import hashlib

    manifest = directory / "manifest.json"
    data = json.loads(manifest.read_text())
    for name in names:
        content = (directory / name).read_bytes()
        data["files"][name] = {"bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()}
    manifest.write_text(json.dumps(data))


@pytest.mark.parametrize("owner", ["vector_owner.npy", "sentence_owner.npy"])
@pytest.mark.parametrize("edit", ["out of range", "negative", "out of order"])
def test_edited_owners_with_recomputed_hashes_are_refused(index_copy: Path, owner: str, edit: str) -> None:
    # Before: sentence_owner was never checked (and vector_owner only for its maximum): the
    # index passed every check, was hot-swapped in, and then every question failed.
    rows = np.load(index_copy / owner)
    if edit == "out of range":
        rows[-1] = 10**6
    elif edit == "negative":
        rows[0] = -5
    else:
        rows[[0, -1]] = rows[[-1, 0]]
    np.save(index_copy / owner, rows)
    _rehash(index_copy, owner)
    with pytest.raises(IndexCorruptError, match="inconsistent"):
        load_index(index_copy)


@pytest.mark.parametrize(
    "manifest_text",
    [
        '{"files": "x", "format_version": 2}',
        '{"files": {}, "dimension": 1e999}',
        '{"files": {"../../etc/passwd": {"bytes": 1, "sha256": "0"}}}',
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=["files-not-an-object", "dimension-infinite", "file-outside", "deep-nesting"],
)
def test_hostile_manifests_are_one_clear_error(index_copy: Path, manifest_text: str) -> None:
    # Before: AttributeError, OverflowError and RecursionError tracebacks.
    (index_copy / "manifest.json").write_text(manifest_text)
    with pytest.raises(IndexCorruptError, match="rebuild with"):
        load_index(index_copy)


def test_a_reload_that_fails_its_probe_search_keeps_the_old_index(index_copy: Path, monkeypatch) -> None:
    retriever = Retriever.open(index_copy)
    serving = retriever.index
    data = json.loads((index_copy / "manifest.json").read_text())
    data["build_id"] = "rebuilt-but-broken"
    (index_copy / "manifest.json").write_text(json.dumps(data))
    original = Retriever._search

    def broken(self, index, query, k, *rest):
        if index is not serving:
            raise ValueError("a damaged index that passed every file check")
        return original(self, index, query, k, *rest)

    monkeypatch.setattr(Retriever, "_search", broken)
    with pytest.raises(IndexReloadError, match="probe search"):
        retriever.reload_if_changed()
    assert retriever.index is serving
    assert retriever.search("hip flexor stretch").passages


def test_a_broken_rebuild_is_tried_again_only_after_a_pause_and_reported_once(
    index_copy: Path, monkeypatch
) -> None:
    # Before: every reload interval re-hashed the whole index (the 90 MB model too) and logged
    # a full traceback, forever.
    import index.search as search

    retriever = Retriever.open(index_copy)
    data = json.loads((index_copy / "manifest.json").read_text())
    data["build_id"] = "broken-1"
    (index_copy / "manifest.json").write_text(json.dumps(data))
    (index_copy / "passages.jsonl").write_text("damaged")
    loads = []
    real_load = search.load_index
    monkeypatch.setattr(search, "load_index", lambda *a, **k: loads.append(1) or real_load(*a, **k))
    with pytest.raises(IndexReloadError) as first:
        retriever.reload_if_changed()
    assert first.value.attempt == 1 and first.value.build_id == "broken-1"
    for _ in range(5):
        assert retriever.reload_if_changed() is False  # within the pause: not even read
    assert len(loads) == 1
    monkeypatch.setattr(search.time, "monotonic", lambda: 1e12)  # the pause is over
    with pytest.raises(IndexReloadError) as again:
        retriever.reload_if_changed()
    assert again.value.attempt == 2 and again.value.pause > first.value.pause
    data["build_id"] = "broken-2"  # a new build is tried at once, and reported as new
    (index_copy / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(IndexReloadError) as new:
        retriever.reload_if_changed()
    assert new.value.attempt == 1


def test_a_full_disk_during_a_build_is_one_clear_error_and_keeps_the_old_index(
    tmp_path: Path, monkeypatch
) -> None:
    # Before: shutil.Error (copying the model) and sqlite3.OperationalError (the embedding
    # cache) escaped as tracebacks.
    import shutil
    import sqlite3

    import index.build as build
    import index.store as store
    from index.build import BuildError

    corpus = _small_corpus(tmp_path / "corpus")
    out = tmp_path / "index"
    build_index(corpus, out, cache_dir=CACHE, show_progress=False)
    before = json.loads((out / "manifest.json").read_text())["build_id"]
    import uuid

    fresh = uuid.uuid4().hex  # a text the shared embedding cache cannot know yet
    (corpus / "more.txt").write_text(
        "Gentle walking every day keeps a stiff lower back moving "
        f"and is a good start after a flare-up ({fresh}).\n"
    )

    def full_cache(self, items):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(build.EmbeddingCache, "put_many", full_cache)
    with pytest.raises(BuildError, match="disk is full"):
        build_index(corpus, out, cache_dir=CACHE, show_progress=False)
    monkeypatch.undo()

    def full_copy(*args, **kwargs):
        raise shutil.Error([("model/onnx/model.onnx", "x", "[Errno 28] No space left on device")])

    monkeypatch.setattr(store.shutil, "copytree", full_copy)
    with pytest.raises(BuildError, match="No space left on device"):
        build_index(corpus, out, cache_dir=CACHE, show_progress=False)
    assert json.loads((out / "manifest.json").read_text())["build_id"] == before
    assert not list(tmp_path.glob(".index.building-*"))


def test_a_build_removes_what_a_killed_build_left_behind(tmp_path: Path) -> None:
    # Before: SIGKILL during a build left .index.building-* (64 MB) that no later build removed.
    corpus = _small_corpus(tmp_path / "corpus")
    out = tmp_path / "index"
    leftover = tmp_path / ".index.building-abc123"
    (leftover / "model").mkdir(parents=True)
    (leftover / "model" / "weights").write_bytes(b"0" * 1000)
    old = tmp_path / ".index.old-xyz"
    old.mkdir()
    other = tmp_path / ".other.building-keep"  # another index's: not ours to touch
    other.mkdir()
    build_index(corpus, out, cache_dir=CACHE, show_progress=False)
    assert not leftover.exists() and not old.exists()
    assert other.exists()


@pytest.mark.slow  # four builds race to export the model through torch on an empty cache
def test_concurrent_builds_on_an_empty_cache_all_succeed(tmp_path: Path) -> None:
    # Before: 1-3 of 4 failed with FileNotFoundError on the shared .model-export folder.
    from concurrent.futures import ThreadPoolExecutor

    from index.build import prepare_model

    cache = tmp_path / "cache"
    with ThreadPoolExecutor(4) as pool:
        models = list(pool.map(lambda _: prepare_model(cache), range(4)))
    assert models == [cache / "model"] * 4
    assert (cache / "model" / "onnx" / "model.onnx").is_file()
    assert not list(cache.glob(".model-export-*"))


def test_the_stale_check_uses_limber_corpus_dir_over_the_manifest_path(tmp_path: Path) -> None:
    # Before: the path stored in the manifest was used; once it was gone, nothing was checked.
    from bot.config import Settings
    from bot.service import open_retriever

    built_from = _small_corpus(tmp_path / "built-from")
    out = tmp_path / "index"
    build_index(built_from, out, cache_dir=CACHE, show_progress=False)
    deployed = tmp_path / "deployed"
    built_from.rename(deployed)
    open_retriever(Settings(index_dir=out, corpus_dir=deployed))  # the same documents: fresh
    (deployed / "doc.txt").write_text("Something else entirely about the lumbar spine.\n")
    with pytest.raises(IndexStaleError, match="deployed"):
        open_retriever(Settings(index_dir=out, corpus_dir=deployed))


def test_a_missing_corpus_is_said_and_a_root_corpus_path_is_no_traceback(tmp_path: Path, caplog) -> None:
    from bot.config import Settings
    from bot.service import open_retriever

    corpus = _small_corpus(tmp_path / "c")
    out = tmp_path / "index"
    build_index(corpus, out, cache_dir=CACHE, show_progress=False)
    manifest = out / "manifest.json"
    data = json.loads(manifest.read_text())
    data["corpus_dir"] = str(tmp_path / "gone")
    manifest.write_text(json.dumps(data))
    open_retriever(Settings(index_dir=out))
    assert "not checking whether the index is up to date" in caplog.text  # not silently
    data["corpus_dir"] = "/"  # before: a PermissionError traceback from walking the disk
    manifest.write_text(json.dumps(data))
    with pytest.raises(IndexStaleError, match="LIMBER_CORPUS_DIR"):
        open_retriever(Settings(index_dir=out))


def test_every_error_a_person_can_cause_is_one_family_at_the_top_of_the_project() -> None:
    import limber.errors
    from bot.config import ConfigError
    from bot.feedback import FeedbackError
    from bot.telegram.inbox import InboxError

    for error in (
        ConfigError,
        FeedbackError,
        InboxError,
        limber.errors.UsageError,
        limber.errors.IndexMissingError,
        limber.errors.CorpusError,
    ):
        assert issubclass(error, limber.errors.LimberError)
