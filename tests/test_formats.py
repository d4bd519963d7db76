"""HTML, PDF and .docx documents, made at test time by real tools, read into passages."""

from __future__ import annotations

from pathlib import Path

import pytest
from documents import (
    PAGE_THREE_CONTINUATION,
    RUNNING_HEAD,
    make_docx,
    make_encrypted_pdf,
    make_guideline_pdf,
    make_saved_page,
    make_scanned_pdf,
)

from index.ingest import read_corpus


def _by_source(result) -> dict[str, list]:
    found: dict[str, list] = {}
    for passage in result.passages:
        found.setdefault(passage.source, []).append(passage)
    return found


def test_pdf_pages_go_into_the_source_without_running_heads_or_page_numbers(tmp_path: Path) -> None:
    make_guideline_pdf(tmp_path / "ng59.pdf")
    result = read_corpus(tmp_path)
    sources = [p.source for p in result.passages]
    assert sources == ["NICE NG59, page 1", "NICE NG59, page 1", "NICE NG59, page 2"]
    text = " ".join(p.text for p in result.passages)
    assert RUNNING_HEAD not in text and "Page 1 of 3" not in text
    assert "Referral for physiotherapy is an option" in text  # hyphenation undone
    assert "flare-up" in text  # a real hyphen stays
    # The paragraph cut by the page break is one passage, ending with its last words.
    assert result.passages[-1].text.endswith(PAGE_THREE_CONTINUATION)
    assert [p.id for p in result.passages] == ["ng59:1", "ng59:2", "ng59:3"]
    assert not result.skipped


def test_pdf_without_a_title_is_named_by_its_file(tmp_path: Path) -> None:
    make_guideline_pdf(tmp_path / "leaflet.pdf", title="")
    assert read_corpus(tmp_path).passages[0].source == "leaflet.pdf, page 1"


def test_scanned_pdf_is_reported_as_skipped_not_indexed_empty(tmp_path: Path) -> None:
    make_scanned_pdf(tmp_path / "scan.pdf")
    (tmp_path / "notes.txt").write_text(
        "Walking every day keeps the spine moving and the back muscles strong.\n"
    )
    result = read_corpus(tmp_path)
    assert [p.id for p in result.passages] == ["notes:1"]
    [skipped] = result.skipped
    assert skipped.file == "scan.pdf"
    assert "no text layer" in skipped.reason and "OCR" in skipped.reason


def test_password_protected_pdf_is_skipped_with_the_reason(tmp_path: Path) -> None:
    make_encrypted_pdf(tmp_path / "locked.pdf", user_password="secret")
    (tmp_path / "notes.txt").write_text(
        "Walking every day keeps the spine moving and the back muscles strong.\n"
    )
    result = read_corpus(tmp_path)
    assert [s.file for s in result.skipped] == ["locked.pdf"]
    assert "password" in result.skipped[0].reason


def test_pdf_encrypted_only_against_copying_is_still_read(tmp_path: Path) -> None:
    make_encrypted_pdf(tmp_path / "restricted.pdf", user_password="")
    result = read_corpus(tmp_path)
    assert not result.skipped
    assert result.passages[0].source == "NICE NG59, page 1"


def test_damaged_pdf_is_skipped_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<")
    (tmp_path / "notes.txt").write_text(
        "Walking every day keeps the spine moving and the back muscles strong.\n"
    )
    [skipped] = read_corpus(tmp_path).skipped
    assert skipped.file == "broken.pdf"


def test_saved_web_page_keeps_the_article_its_headings_and_canonical_url(tmp_path: Path) -> None:
    make_saved_page(tmp_path)
    result = read_corpus(tmp_path)  # the page's _files/ folder (css, js, png) is not an error
    titles = [p.title for p in result.passages]
    assert titles == [
        "Sciatica self-care",
        "Stretches that help",
        "Stretches that help",
        "When to see a doctor",
    ]
    assert {p.url for p in result.passages} == {"https://www.example.org/conditions/sciatica/care"}
    assert result.passages[1].source == "Sciatica self-care, Stretches that help"
    text = " ".join(p.text for p in result.passages)
    for furniture in (
        "cookies",
        "newsletter",
        "All rights reserved",
        "Log in",
        "Conditions A to Z",
        "Slipped disc",
    ):
        assert furniture not in text
    assert [f.name for f in result.files] == ["sciatica-care.html"]


def test_saved_page_without_canonical_link_uses_the_address_it_was_saved_from(tmp_path: Path) -> None:
    make_saved_page(tmp_path, canonical=False)
    urls = {p.url for p in read_corpus(tmp_path).passages}
    assert urls == {"https://www.example.org/conditions/sciatica/care"}


def test_a_stray_files_folder_without_its_page_is_still_refused(tmp_path: Path) -> None:
    from limber.errors import CorpusError

    (tmp_path / "orphan_files").mkdir()
    (tmp_path / "orphan_files" / "style.css").write_text("body {}\n")
    with pytest.raises(CorpusError, match=r"unknown format: orphan_files/style\.css"):
        read_corpus(tmp_path)


def test_docx_headings_become_titles_and_tables_are_read(tmp_path: Path) -> None:
    make_docx(tmp_path / "si-joint.docx")
    result = read_corpus(tmp_path)
    found = _by_source(result)
    assert [p.title for p in found["Clinic handout: the SI joint, What the SI joint is"]] == [
        "What the SI joint is"
    ]
    assert "Clinic handout: the SI joint, Exercises" in found
    rows = found["Clinic handout: the SI joint, table"]
    assert rows[0].text.startswith("Bridge exercise for the SI joint | Ten slow repetitions")
    assert all("Heading" not in p.text for p in result.passages)


def test_every_format_together_builds_and_the_summary_names_what_was_skipped(tmp_path: Path, capsys) -> None:
    import build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_guideline_pdf(corpus / "ng59.pdf")
    make_scanned_pdf(corpus / "scan.pdf")
    make_encrypted_pdf(corpus / "locked.pdf", user_password="secret")
    make_docx(corpus / "si-joint.docx")
    make_saved_page(corpus)
    from conftest import CACHE

    code = build_index.main(
        ["--corpus", str(corpus), "--out", str(tmp_path / "index"), "--cache", str(CACHE), "--quiet"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "files read:       5" in out
    assert "no passages from scan.pdf: no text layer" in out
    assert "no passages from locked.pdf: encrypted with a password" in out


def test_page_as_chromium_serialises_it_after_its_scripts_ran_is_read(tmp_path: Path) -> None:
    from browser import dump_dom

    # A page whose article is put in place by a script, as many health sites do: only what
    # the browser saves (its DOM after the scripts ran) holds the text.
    source = tmp_path / "source.html"
    source.write_text(
        "<!DOCTYPE html><html><head><title>Hip flexor stretches | Clinic</title>"
        '<link rel="canonical" href="https://clinic.example/hip-flexors"></head><body>'
        "<nav><a href='/'>Home</a> <a href='/book'>Book an appointment</a></nav>"
        "<main id='app'></main><script>document.getElementById('app').innerHTML = "
        "'<article><h1>Hip flexor stretches</h1><h2>The kneeling lunge</h2><p>Kneel on one "
        "knee, tuck your pelvis under and shift your weight forward until you feel a stretch "
        "at the front of the hip. Hold it for thirty seconds on each side.</p></article>';"
        "</script></body></html>",
        encoding="utf-8",
    )
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "hip-flexors.html").write_text(dump_dom(source, tmp_path), encoding="utf-8")
    [passage] = read_corpus(corpus).passages
    assert passage.text.startswith("Kneel on one knee, tuck your pelvis under")
    assert (passage.title, passage.url) == ("The kneeling lunge", "https://clinic.example/hip-flexors")
    assert passage.source == "Hip flexor stretches, The kneeling lunge"


def test_faq_answers_are_found_by_their_question(tmp_path: Path) -> None:
    (tmp_path / "faq.html").write_text(
        "<html><head><title>FAQ - Riverside Physio</title></head><body>"
        "<div class='menu'><a href='/'>Home</a> | <a href='/team'>Our team</a></div><div>"
        "<h2>Do I need a referral for physiotherapy?</h2><p>No, you can book directly with us.</p>"
        "<p>Your GP can still refer you if your insurance asks for a referral letter.</p>"
        "<h2>Opening hours</h2><p>We are open from eight in the morning until six in the evening, "
        "Monday to Friday.</p></div></body></html>",
        encoding="utf-8",
    )
    texts = [p.text for p in read_corpus(tmp_path).passages]
    # The short answer, on its own a fragment, is kept with its question; the rest stays verbatim.
    assert texts == [
        "Do I need a referral for physiotherapy? No, you can book directly with us.",
        "Your GP can still refer you if your insurance asks for a referral letter.",
        "We are open from eight in the morning until six in the evening, Monday to Friday.",
    ]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("handout.docx", b"PK\x03\x04 not really a zip"),
        ("notes.docx", b"plain text saved with the wrong name"),
        ("page.html", bytes(range(256)) * 4),
    ],
)
def test_damaged_documents_are_skipped_with_a_reason_not_a_traceback(
    tmp_path: Path, name: str, content: bytes
) -> None:
    (tmp_path / name).write_bytes(content)
    (tmp_path / "notes.txt").write_text(
        "Walking every day keeps the spine moving and the back muscles strong.\n"
    )
    result = read_corpus(tmp_path)
    assert [p.id for p in result.passages] == ["notes:1"]
    assert [s.file for s in result.skipped] == [name] and result.skipped[0].reason
