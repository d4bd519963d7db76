"""Titles, headings and FAQ questions are embedded and matched, and fused with the body."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.build import build_index
from index.search import Retriever

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "cache"

FAQ = """\
# Do I need a doctor's referral to see a physiotherapist?

No. You can book an appointment directly with most clinics, and many insurers pay without one.

# How long does a first appointment last?

A first appointment usually takes 45 to 60 minutes; follow-up sessions are shorter.

# Letters from your doctor

A referral letter from your doctor is needed before a hospital will book an MRI scan for you.
"""


@pytest.fixture(scope="module")
def faq(tmp_path_factory: pytest.TempPathFactory) -> Retriever:
    root = tmp_path_factory.mktemp("faq")
    (root / "corpus").mkdir()
    (root / "corpus" / "faq.md").write_text(FAQ, encoding="utf-8")
    lines = [
        {
            "id": "q1",
            "title": "What is plantar fasciitis?",
            "text": "An irritation of the thick band of "
            "tissue along the sole, felt as a stabbing heel pain with the first steps of the day.",
        },
        {"id": "q2", "text": "Ice, calf stretches and cushioned shoes ease most heel pain in some months."},
    ]
    (root / "corpus" / "feet.jsonl").write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    build_index(root / "corpus", root / "index", cache_dir=CACHE, show_progress=False)
    return Retriever.open(root / "index")


def test_a_question_matching_a_stored_question_finds_its_answer(faq: Retriever) -> None:
    found = faq.search("do I need a referral from my GP for physio?", k=3)
    assert found.passages[0].passage.id == "faq:1"


def test_without_the_title_signal_the_answer_alone_is_not_found_first(faq: Retriever) -> None:
    body_only = faq.with_params(title_dense=0.0, title_lexical=0.0)
    found = body_only.search("do I need a referral from my GP for physio?", k=3)
    assert found.passages[0].passage.id != "faq:1"  # what the titles are there for


def test_each_distinct_title_is_embedded_once_and_untitled_passages_have_none(faq: Retriever) -> None:
    index = faq.index
    assert index.title_vectors is not None and index.title_of is not None
    titles = {index.passages[i].title for i in range(len(index.passages)) if index.title_of[i] >= 0}
    assert len(index.title_vectors) == len(titles) == 4
    assert index.title_of[index.positions["q2"]] == -1
    row = index.title_of[index.positions["q1"]]
    vector = index.encoder.encode_one("What is plantar fasciitis?")
    assert float(np.asarray(index.title_vectors[row]) @ vector) > 0.99


def test_a_corpus_without_titles_builds_no_title_vectors(seed_index: Path) -> None:
    assert not (seed_index / "titles.npy").exists()
    assert Retriever.open(seed_index).index.title_vectors is None
