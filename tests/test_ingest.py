"""Ingest: what becomes a passage, what is dropped and why, and where each passage came from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.ingest import junk_reason, normalise, read_corpus, split_sentences
from limber.errors import CorpusError

ROOT = Path(__file__).resolve().parent.parent
SEED = "000_eb9de0a5e431290b"
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="module")
def seed():
    return read_corpus(ROOT / "corpus")


def test_seed_junk_is_dropped_with_its_reason(seed) -> None:
    reasons = {d.id.split(":")[1]: d.reason for d in seed.dropped}
    assert reasons == {
        "8": "comment",
        "10": "site disclaimer",
        "28": "site disclaimer",
        "32": "personal anecdote",
        "33": "duplicate",
        "35": "link list",
        "38": "account notice",
        "41": "author bio",
        "43": "duplicate",
        "46": "duplicate",
        "49": "fragment",
    }
    assert len(seed.passages) == 38


def test_duplicates_point_to_the_copy_that_was_kept(seed) -> None:
    duplicates = {d.id: d.duplicate_of for d in seed.dropped if d.reason == "duplicate"}
    assert duplicates == {f"{SEED}:33": f"{SEED}:25", f"{SEED}:43": f"{SEED}:31", f"{SEED}:46": f"{SEED}:9"}


def test_back_to_text_tails_are_cut_but_the_paragraph_kept(seed) -> None:
    numbness = next(p for p in seed.passages if p.id == f"{SEED}:4")
    assert numbness.text.endswith("at the dentist.")
    assert all("BACK TO TEXT" not in p.text for p in seed.passages)


def test_passages_keep_file_and_paragraph_number_under_the_documents_title(seed) -> None:
    first = seed.passages[0]
    assert first.id == f"{SEED}:1"
    title = json.loads((CORPUS / f"{SEED}.txt.meta.json").read_text(encoding="utf-8"))["title"]
    assert first.source == f"{title}, paragraph 1"  # a title a reader can read, not a file name
    # Paragraph 3 is the file's 4th line: blank lines do not count.
    third = next(p for p in seed.passages if p.id == f"{SEED}:3")
    assert third.text.startswith("Back pain can suck the joy")


def test_passage_text_is_the_whole_source_paragraph(seed) -> None:
    lines = [
        " ".join(ln.split())
        for ln in (ROOT / "corpus" / f"{SEED}.txt").read_text().splitlines()
        if ln.strip()
    ]
    for passage in seed.passages:
        number = int(passage.id.split(":")[1])
        assert lines[number - 1].startswith(passage.text)


def test_sentences_are_exact_pieces_of_the_paragraph(seed) -> None:
    for passage in seed.passages:
        assert passage.sentences
        assert " ".join(passage.sentences) == passage.text


def test_sentence_split_keeps_abbreviations_together() -> None:
    text = "Mobility (e.g. walking) helps. Dr. Smith agrees! Does it? Yes."
    assert split_sentences(text) == (
        "Mobility (e.g. walking) helps.",
        "Dr. Smith agrees!",
        "Does it?",
        "Yes.",
    )


def test_normalise_removes_invisible_characters_and_extra_space() -> None:
    assert normalise("hip\u200b  flexor\u00ad \t stretch\x07") == "hip flexor stretch"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "This content is for informational purposes only and is not a substitute for advice "
            "from your physician.",
            "site disclaimer",
        ),
        ("Please log in to your account to continue reading this article and see more.", "account notice"),
        (
            "Hi Sarah, thanks so much for this! Would you recommend these stretches after a knee operation?",
            "comment",
        ),
        ("Maria is a certified strength coach who lives in Denver with two dogs and a cat.", "author bio"),
        ("×", "fragment"),
    ],
)
def test_new_kinds_of_junk_are_recognised_by_their_shape(text: str, reason: str) -> None:
    assert junk_reason(text) == reason


def test_ordinary_advice_is_not_mistaken_for_junk() -> None:
    advice = (
        "Lie on your back with both knees bent. Pull one knee to your chest and hold for "
        "thirty seconds, then switch sides. Repeat three times."
    )
    assert junk_reason(advice) is None


def test_near_duplicates_are_removed(tmp_path: Path) -> None:
    base = (
        "Stretch your hamstrings every morning by folding forward from the hips while keeping "
        "your back long and your knees soft, then hold for ten slow breaths."
    )
    (tmp_path / "a.txt").write_text(base + "\n" + base.replace("ten", "10") + "\n")
    result = read_corpus(tmp_path)
    assert [d.reason for d in result.dropped] == ["near duplicate"]
    assert result.dropped[0].duplicate_of == "a:1"


def test_markdown_and_jsonl_are_read_with_titles_and_urls(tmp_path: Path) -> None:
    (tmp_path / "guide.md").write_text(
        "# Piriformis\n\nThe piriformis muscle sits deep in the buttock and can press on the "
        "sciatic nerve.\nIt rotates the hip outward.\n\nStretch it gently every day for relief.\n"
    )
    (tmp_path / "faq.jsonl").write_text(
        json.dumps(
            {
                "id": "faq-1",
                "text": "Walking every day keeps the spine moving and the back muscles strong.",
                "title": "Walking",
                "url": "https://example.org/w",
            }
        )
        + "\n"
    )
    result = read_corpus(tmp_path)
    by_id = {p.id: p for p in result.passages}
    assert by_id["guide:1"].title == "Piriformis"
    assert by_id["guide:1"].text.endswith("It rotates the hip outward.")
    assert by_id["faq-1"].url == "https://example.org/w"
    assert by_id["faq-1"].source == "Walking"
    assert "guide:2" not in by_id  # under 40 characters: a fragment


def test_corpus_readme_is_not_indexed(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(
        "# Corpus\n\nThis folder documents the accepted formats of corpus files in great detail.\n"
    )
    (tmp_path / "a.txt").write_text("Gentle walking is one of the best things for a sore back.\n")
    assert [p.id for p in read_corpus(tmp_path).passages] == ["a:1"]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: None, "empty corpus"),
        (lambda d: (d / "notes.odt").write_bytes(b"PK"), "unknown format: notes.odt"),
        (
            lambda d: (d / "latin1.txt").write_bytes("caf\xe9 au lait\n".encode("latin-1")),
            "cannot decode latin1.txt",
        ),
        (lambda d: (d / "bad.jsonl").write_text('{"text": "ok"}\nnot json\n'), "bad.jsonl:2"),
    ],
)
def test_unreadable_corpora_get_one_clear_error(tmp_path: Path, setup, message: str) -> None:
    setup(tmp_path)
    with pytest.raises(CorpusError, match=message):
        read_corpus(tmp_path)


def test_missing_corpus_directory_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"corpus directory not found.*--corpus"):
        read_corpus(tmp_path / "nowhere")


def test_a_metadata_file_gives_a_document_its_title_and_link(tmp_path: Path) -> None:
    text = "Lie on your back and pull one knee to your chest; hold it for thirty seconds."
    (tmp_path / "leaflet.txt").write_text(text + "\n", encoding="utf-8")
    (tmp_path / "leaflet.txt.meta.json").write_text(
        json.dumps({"title": "Knee hugs", "url": "https://example.org/knee"}), encoding="utf-8"
    )
    [passage] = read_corpus(tmp_path).passages
    assert passage.source == "Knee hugs, paragraph 1" and passage.url == "https://example.org/knee"


def test_a_metadata_file_without_its_document_or_broken_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "leaflet.txt").write_text("Lie on your back and hug both knees gently for a while.\n")
    (tmp_path / "gone.txt.meta.json").write_text('{"title": "Gone"}')
    with pytest.raises(CorpusError, match="describes no document"):
        read_corpus(tmp_path)
    (tmp_path / "gone.txt.meta.json").unlink()
    (tmp_path / "leaflet.txt.meta.json").write_text("{not json")
    with pytest.raises(CorpusError, match="not a metadata file"):
        read_corpus(tmp_path)


# -- hostile and oversized input (issue 17) ----------------------------------------------------

_GOOD = "The hip flexors are muscles at the front of the hip that lift your knee toward you.\n"


@pytest.mark.parametrize(
    "line",
    ['{"text": "x", "n": ' + "9" * 5000 + "}", '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}"],
    ids=["5000-digit-number", "deep-nesting"],
)
def test_a_jsonl_line_python_cannot_parse_is_a_corpus_error(tmp_path: Path, line: str) -> None:
    # Before: ValueError / RecursionError tracebacks.
    (tmp_path / "a.jsonl").write_text(line + "\n")
    with pytest.raises(CorpusError, match=r"a\.jsonl:1"):
        read_corpus(tmp_path)


def test_folders_nested_too_deep_are_a_corpus_error_not_a_recursion_error(tmp_path: Path) -> None:
    import os

    folder = tmp_path / "corpus"
    folder.mkdir()
    here = os.getcwd()
    try:
        os.chdir(folder)
        for _ in range(1100):  # deeper than any path the OS would let us name in one piece
            os.mkdir("d")
            os.chdir("d")
        Path("a.txt").write_text(_GOOD)
    finally:
        os.chdir(here)
    try:
        with pytest.raises(CorpusError, match="nested more than"):
            read_corpus(folder)
    finally:
        _remove_deep(folder)


def _remove_deep(folder: Path) -> None:
    """Delete a folder nested deeper than shutil.rmtree (recursive) can go."""
    import os
    import shutil

    here = os.getcwd()
    try:
        os.chdir(folder)
        depth = 0
        while os.path.isdir("d"):
            os.chdir("d")
            depth += 1
        for _ in range(depth):
            for name in os.listdir("."):
                if not os.path.isdir(name):
                    os.unlink(name)
            os.chdir("..")
            shutil.rmtree("d")
    finally:
        os.chdir(here)


def test_a_link_out_of_the_corpus_is_not_followed_and_is_reported(tmp_path: Path) -> None:
    # Before: a symlink to a file outside the corpus was indexed and served to users.
    secret = tmp_path / "private.txt"
    secret.write_text("My private notes about the hip flexors, which are nobody else's business.\n")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(_GOOD)
    (corpus / "leak.txt").symlink_to(secret)
    (corpus / "outside").symlink_to(tmp_path, target_is_directory=True)
    (corpus / "inside.txt").symlink_to(corpus / "a.txt")  # a link within the corpus is fine
    result = read_corpus(corpus)
    assert [p.name for p in result.files] == ["a.txt", "inside.txt"]
    assert result.skipped_links == ["leak.txt", "outside"]
    assert not any("private" in p.text for p in result.passages)


def test_a_paragraph_over_the_size_cap_is_a_clear_corpus_error(tmp_path: Path) -> None:
    from index.ingest import MAX_PARAGRAPH_CHARS

    (tmp_path / "a.txt").write_text("word " * (MAX_PARAGRAPH_CHARS // 5 + 10) + "\n")
    with pytest.raises(CorpusError, match="a paragraph may be at most"):
        read_corpus(tmp_path)


def test_a_file_over_the_size_cap_is_a_clear_corpus_error(tmp_path: Path, monkeypatch) -> None:
    import index.ingest as ingest

    monkeypatch.setattr(ingest, "MAX_FILE_BYTES", 1000)
    (tmp_path / "a.txt").write_text(_GOOD * 20)
    with pytest.raises(CorpusError, match="a document may be at most"):
        read_corpus(tmp_path)


def test_a_very_long_word_costs_the_spelling_index_nothing() -> None:
    # Before: every one-letter deletion of every word was stored: 60,000 characters, 3.8 GB.
    from collections import Counter

    from index.lexical import Analyzer

    analyzer = Analyzer(Counter({"hamstrings": 3, "x" * 60_000: 1}))
    assert max(len(k) for k in analyzer._deletes) <= 40
    assert analyzer.repair("hamstings").text == "hamstrings"
    assert analyzer.repair("y" * 50_000).corrections == {}
