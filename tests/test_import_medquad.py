"""scripts/import_medquad.py on a tiny MedQuAD fixture (tests/data/medquad_sample, see its README).

The fixture: 2_GARD_QA/0002080.xml (two pairs, one with an empty answer),
4_MPlus_Health_Topics_QA/0000007.xml and 6_NINDS_QA/0000007.xml (both use qid
0000007-1; the NINDS file is the older doc/pair schema with four pairs), and
9_CDC_QA/9999999_malformed.xml (hand-written, broken XML).
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
from script_loader import load_script

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "import_medquad.py"
SAMPLE = ROOT / "tests" / "data" / "medquad_sample"
FIELDS = {"id", "text", "title", "url", "question", "collection", "qtype", "focus"}
EXPECTED_PASSAGES = 6  # GARD 1 (+1 empty skipped), MPlus 1, NINDS 4, malformed file 0


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def read_jsonl(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out_dir = tmp_path_factory.mktemp("medquad")
    out, questions = out_dir / "corpus" / "medquad.jsonl", out_dir / "questions.jsonl"
    result = run(SAMPLE, "--out", out, "--questions-out", questions)
    assert result.returncode == 0, result.stderr
    return {
        "result": result,
        "out": out,
        "passages": read_jsonl(out),
        "questions": read_jsonl(questions),
    }


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script("import_medquad")


def test_every_line_is_a_passage_with_all_fields_so_the_loader_never_meets_a_stray_line(
    imported: dict[str, object],
) -> None:
    passages = imported["passages"]
    assert len(passages) == EXPECTED_PASSAGES
    for passage in passages:
        assert passage.keys() >= FIELDS
        assert passage["text"] and passage["title"] == passage["question"]
        assert passage["url"].startswith("http")
    acupuncture = next(p for p in passages if p["focus"] == "Acupuncture")
    assert acupuncture["collection"] == "4_MPlus_Health_Topics_QA"
    assert acupuncture["qtype"] == "information"
    assert acupuncture["url"] == "https://www.nlm.nih.gov/medlineplus/acupuncture.html"


def test_empty_answers_are_skipped_and_counted_by_collection_not_written_as_blank_passages(
    imported: dict[str, object],
) -> None:
    gard = [p for p in imported["passages"] if p["collection"] == "2_GARD_QA"]
    assert [p["qtype"] for p in gard] == ["symptoms"]  # the empty "information" pair is gone
    assert "skipped (empty answer): 1 (2_GARD_QA: 1)" in imported["result"].stdout


def test_ids_stay_unique_when_two_collections_reuse_a_qid(imported: dict[str, object]) -> None:
    ids = [p["id"] for p in imported["passages"]]
    assert len(ids) == len(set(ids))
    reused = sorted(p["id"] for p in imported["passages"] if p["qid"] == "0000007-1")
    assert reused == ["4_MPlus_Health_Topics_QA:0000007-1", "6_NINDS_QA:0000007-1"]


def test_qid_repeated_inside_one_collection_gets_a_suffix_instead_of_overwriting(
    script: ModuleType,
) -> None:
    seen: Counter[str] = Counter()
    assert [script.unique_id("c:1-1", seen) for _ in range(3)] == ["c:1-1", "c:1-1~2", "c:1-1~3"]


def test_old_doc_pair_schema_is_read_rather_than_silently_yielding_nothing(
    imported: dict[str, object],
) -> None:
    ninds = [p for p in imported["passages"] if p["collection"] == "6_NINDS_QA"]
    assert len(ninds) == 4
    assert {p["focus"] for p in ninds} == {"Holmes-Adie"}


def test_malformed_xml_is_reported_by_name_and_the_rest_still_imports(
    imported: dict[str, object],
) -> None:
    result = imported["result"]
    assert "9999999_malformed.xml" in result.stderr
    assert "files read: 3  malformed/unreadable (skipped): 1" in result.stdout
    assert not any(p["collection"] == "9_CDC_QA" for p in imported["passages"])


def test_each_benchmark_question_points_at_the_passage_that_answers_it(
    imported: dict[str, object],
) -> None:
    by_id = {p["id"]: p for p in imported["passages"]}
    questions = imported["questions"]
    assert len(questions) == len(by_id)
    for row in questions:
        assert set(row) == {"question", "id"}
        assert by_id[row["id"]]["question"] == row["question"]


def test_attribution_is_written_next_to_the_output_for_cc_by(imported: dict[str, object]) -> None:
    text = (imported["out"].parent / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "Ben Abacha" in text and "CC BY 4.0" in text and "abachaa/MedQuAD" in text


def test_text_is_nfkc_and_whitespace_normalised_so_equal_answers_compare_equal(
    script: ModuleType,
) -> None:
    element = ET.fromstring("<Answer>  ﬁbro\u00a0my<b>algia</b>\n\n\t- pain  </Answer>")
    assert script.element_text(element) == "fibro myalgia - pain"
    assert script.element_text(None) == ""


def test_limit_caps_the_number_of_passages(tmp_path: Path) -> None:
    out = tmp_path / "limited.jsonl"
    result = run(SAMPLE, "--out", out, "--limit", "2")
    assert result.returncode == 0, result.stderr
    assert len(read_jsonl(out)) == 2


def test_missing_path_exits_2_with_one_line_message_not_a_traceback(tmp_path: Path) -> None:
    result = run(tmp_path / "nope", "--out", tmp_path / "out.jsonl")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "not found" in result.stderr and "Traceback" not in result.stderr
    assert "git clone https://github.com/abachaa/MedQuAD" in result.stderr  # the command that fixes it
    assert not (tmp_path / "out.jsonl").exists()


def test_folder_without_xml_exits_2_instead_of_writing_an_empty_corpus(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not xml", encoding="utf-8")
    result = run(tmp_path, "--out", tmp_path / "out.jsonl")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "no .xml files" in result.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_questions_file_inside_the_corpus_folder_is_refused_as_the_index_build_would_read_it(
    tmp_path: Path,
) -> None:
    out = tmp_path / "corpus" / "medquad.jsonl"
    result = run(SAMPLE, "--out", out, "--questions-out", tmp_path / "corpus" / "questions.jsonl")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "--questions-out" in result.stderr
    assert not out.exists()
