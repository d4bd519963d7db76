"""Rebuilds: removed and renamed documents, the embedding cache, the change summary and --check."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import build_index as build_script  # scripts/build_index.py (pytest's pythonpath)
import pytest
from conftest import CACHE, CORPUS
from documents import make_docx

from bot.check import CheckRefused, MetricCheck, judge
from index.build import build_index
from index.store import load_index, read_manifest

ROOT = Path(__file__).resolve().parents[1]

EXTRA = (
    "Swimming is gentle on the back: the water carries most of the body's weight, so the "
    "muscles around the spine can work without being jarred.\n"
)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "swimming.txt").write_text(EXTRA)
    make_docx(folder / "si-joint.docx")
    return folder


def _build(corpus: Path, out: Path):
    return build_index(corpus, out, cache_dir=CACHE, show_progress=False)


def _build_args(corpus: Path, out: Path, *extra: str) -> list[str]:
    """scripts/build_index.py's arguments: ``corpus`` into ``out``, the shared cache, quiet."""
    return ["--corpus", str(corpus), "--out", str(out), "--cache", str(CACHE), "--quiet", *extra]


def test_removing_a_document_removes_its_passages(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "index"
    first = _build(corpus, out)
    assert any(p.id.startswith("si-joint:") for p in first.ingest.passages)
    (corpus / "si-joint.docx").unlink()
    report = _build(corpus, out)
    ids = [p.id for p in load_index(out).passages]
    assert ids == ["swimming:1"]
    gone = len(first.ingest.passages) - 1
    assert (report.changes.documents_removed, report.changes.passages_removed) == (1, gone)
    assert report.changes.passages_unchanged == 1 and report.changes.passages_added == 0


def test_renaming_a_document_keeps_its_passages_and_embeds_nothing(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "index"
    first = _build(corpus, out)
    texts = sorted(p.text for p in first.ingest.passages)
    (corpus / "si-joint.docx").rename(corpus / "sacroiliac.docx")
    report = _build(corpus, out)
    index = load_index(out)
    assert sorted(p.text for p in index.passages) == texts
    assert not any(p.id.startswith("si-joint:") for p in index.passages)
    assert report.embedded == 0  # every text came from the embedding cache
    changes = report.changes
    assert (changes.documents_renamed, changes.documents_added, changes.documents_removed) == (1, 0, 0)
    assert changes.passages_moved == len(texts) - 1
    assert changes.passages_added == changes.passages_removed == 0


def test_a_rebuild_with_every_text_cached_never_loads_the_model(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: every build opened an ONNX session (0.2-0.4 s) even when it had nothing to embed.
    import index.build

    out = tmp_path / "index"
    first = _build(corpus, out)

    def no_model(*args, **kwargs):
        raise AssertionError("the model was loaded for a build with nothing to embed")

    monkeypatch.setattr(index.build, "Encoder", no_model)
    again = _build(corpus, tmp_path / "again")
    assert again.embedded == 0 and again.cached > 0
    for name in ("vectors.npy", "sentences.npy"):  # the same vectors, from the cache
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes()
    assert len(again.ingest.passages) == len(first.ingest.passages)


def test_changing_one_paragraph_embeds_only_that_paragraph(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "index"
    _build(corpus, out)
    # A word never seen before, so that the shared cache cannot know the new text already.
    (corpus / "swimming.txt").write_text(EXTRA.replace("gentle", f"kind (note {uuid.uuid4().hex})"))
    report = _build(corpus, out)
    assert report.changes.documents_changed == 1
    assert report.changes.passages_changed == 1
    assert 0 < report.embedded <= 3  # the paragraph and its changed sentence(s)
    manifest = read_manifest(out)
    assert manifest.data["changes"]["passages_changed"] == 1


def test_build_summary_says_what_changed(corpus: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "index"
    args = _build_args(corpus, out)
    assert build_script.main(args) == 0
    assert "first build here" in capsys.readouterr().out
    (corpus / "walking.txt").write_text(
        "Walking every day keeps the spine moving and the back "
        "muscles strong, and it needs no equipment at all.\n"
    )
    (corpus / "si-joint.docx").unlink()
    assert build_script.main(args) == 0
    out_text = capsys.readouterr().out
    assert "documents:        1 added, 1 removed, 0 changed, 0 renamed" in out_text
    assert "passages:         1 added, 4 removed, 0 changed" in out_text


# -- the check --------------------------------------------------------------------------------


def test_judge_fails_a_metric_below_its_floor_or_below_the_serving_index() -> None:
    result = judge(
        Path("x.jsonl"),
        [],
        {"recall@1": 0.93, "answered": 0.96, "triage recall": 1.0},
        {"recall@1": 0.96, "answered": 0.97, "triage recall": 1.0},
        floors={"recall@1": 0.90, "answered": 0.97, "triage recall": 1.0},
        margin=0.02,
    )
    failed = {m.name: m.verdict() for m in result.failed}
    assert set(failed) == {"recall@1", "answered"}
    assert failed["recall@1"] == ("recall@1 0.930 is 0.030 below the serving index's 0.960 (margin 0.020)")
    assert failed["answered"] == "answered 0.960 is below the floor 0.970"
    assert not MetricCheck("x", 0.95, 0.96, 0.9, 0.02).failed  # within the margin


# Each test below builds an index of the seed corpus and answers the check set on it and on the
# serving index: `make test-all` and CI run them; the verdict itself (judge) is tested above.
SLOW = pytest.mark.slow


@pytest.fixture(scope="module")
def check_set(tmp_path_factory) -> Path:
    """Every fourth case of the default check set: the same kinds of questions, four times faster."""
    lines = (ROOT / "tests" / "data" / "eval.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path_factory.mktemp("check") / "check.jsonl"
    path.write_text("\n".join(lines[::4]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def serving(tmp_path_factory, check_set: Path) -> Path:
    """An index of the seed corpus built with --check, as an operator would publish it."""
    out = tmp_path_factory.mktemp("serving") / "index"
    args = _build_args(CORPUS, out, "--check", str(check_set))
    assert build_script.main(args) == 0
    return out


def _degraded_corpus(tmp_path: Path) -> Path:
    """The seed corpus with its first 25 paragraphs gone: the check's answers are missing."""
    corpus = tmp_path / "worse"
    corpus.mkdir()
    [seed] = [p for p in CORPUS.iterdir() if p.suffix == ".txt"]
    lines = [line for line in seed.read_text(encoding="utf-8").splitlines() if line.strip()]
    (corpus / seed.name).write_text("\n".join(lines[25:]) + "\n", encoding="utf-8")
    return corpus


@SLOW
def test_a_worse_rebuild_is_refused_and_the_old_index_keeps_serving(
    serving: Path, check_set: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "index"
    shutil.copytree(serving, out)
    before = read_manifest(out).build_id
    code = build_script.main(_build_args(_degraded_corpus(tmp_path), out, "--check", str(check_set)))
    captured = capsys.readouterr()
    assert code == CheckRefused.exit_code == 3
    assert read_manifest(out).build_id == before  # not replaced
    load_index(out)  # and still whole
    assert not [p for p in out.parent.iterdir() if ".building-" in p.name]  # no staging left
    lines = captured.err.splitlines()
    assert lines[0].startswith("refused: the new index fails the check")
    metric_lines = [line.strip() for line in lines[1:]]
    assert metric_lines and all(
        line.split()[0] in ("recall@1", "answered", "triage") for line in metric_lines
    )
    assert any(line.startswith("recall@1 ") for line in metric_lines)
    assert "previous" in captured.out  # the numbers, beside the serving index's


@SLOW
def test_force_publishes_a_failing_rebuild_and_says_so(
    serving: Path, check_set: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "index"
    shutil.copytree(serving, out)
    before = read_manifest(out).build_id
    code = build_script.main(
        _build_args(_degraded_corpus(tmp_path), out, "--check", str(check_set), "--force")
    )
    out_text = capsys.readouterr().out
    assert code == 0
    assert read_manifest(out).build_id != before
    assert "published anyway (--force)" in out_text
    check = json.loads((out / "check.json").read_text())
    assert check["metrics"]["recall@1"]["new"] < check["metrics"]["recall@1"]["serving"]


@SLOW
def test_an_unchanged_rebuild_passes_with_the_previous_numbers_beside(
    serving: Path, check_set: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "index"
    shutil.copytree(serving, out)
    code = build_script.main(_build_args(CORPUS, out, "--check", str(check_set)))
    out_text = capsys.readouterr().out
    assert code == 0
    [row] = [line for line in out_text.splitlines() if line.strip().startswith("recall@1")]
    new, previous = row.split()[1:3]
    assert new == previous and "FAILED" not in row


def test_check_with_an_unreadable_set_is_one_clear_error(tmp_path: Path, capsys) -> None:
    code = build_script.main(_build_args(CORPUS, tmp_path / "i", "--check", str(tmp_path / "missing.jsonl")))
    assert code == 2
    assert "pass an existing file to --check" in capsys.readouterr().err
    assert not (tmp_path / "i").exists()


@SLOW
def test_after_a_refusal_the_old_index_still_serves_across_restarts(
    serving: Path, check_set: Path, tmp_path: Path, capsys
) -> None:
    from bot.config import Settings
    from bot.service import open_retriever
    from limber.errors import IndexStaleError

    out = tmp_path / "index"
    shutil.copytree(serving, out)
    worse = _degraded_corpus(tmp_path)
    args = _build_args(worse, out, "--check", str(check_set))
    assert build_script.main(args) == 3
    # The refused corpus is now where the serving index was built from: a restart would call
    # the index stale and refuse to start, were the refusal not noted beside it.
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["corpus_dir"] = str(worse)
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert open_retriever(Settings(index_dir=out)).index.manifest.build_id == manifest["build_id"]
    capsys.readouterr()
    assert build_script.main([*args[:6], "--if-stale", "--check", str(check_set)]) == 0
    assert "keeps serving" in capsys.readouterr().out  # make run does not retry it every time
    (worse / "new.txt").write_text(EXTRA)  # the corpus changes again: stale again
    with pytest.raises(IndexStaleError):
        open_retriever(Settings(index_dir=out))
