"""A corpus's synonyms and glossary are data next to it, not code; the retriever stands without."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import index.lexical
from index.build import build_index
from index.ingest import corpus_files, corpus_hash
from index.lexical import Analyzer
from index.lexicon import LEXICON_FILE, Lexicon
from index.search import Retriever
from limber.errors import CorpusError

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "cache"
SEED = ROOT / "corpus"

DOCUMENT = (
    "On hands and knees, raise the opposite arm and leg in line with your body and hold for a breath.\n"
    "Walking every day keeps the spine moving and is the simplest exercise for an aching back.\n"
)


def test_the_general_code_holds_no_vocabulary_of_one_corpus() -> None:
    assert not hasattr(index.lexical, "SYNONYMS")
    assert not hasattr(index.lexical, "GLOSSARY")
    plain = Analyzer()
    assert plain.expansion("how do I do a bird dog") == ""
    assert plain.query_terms("butt pain") == plain.terms("butt pain")


def test_the_seed_vocabulary_lives_next_to_the_seed_corpus() -> None:
    lexicon = Lexicon.of_corpus(SEED)
    assert "bird dog" in lexicon.glossary
    assert lexicon.synonyms["butt"].startswith("buttocks")
    assert (SEED / LEXICON_FILE) not in corpus_files(SEED)  # data for the build, not a document


def test_a_corpus_without_a_lexicon_has_an_empty_one(tmp_path: Path) -> None:
    assert Lexicon.of_corpus(tmp_path).empty


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"synonyms": {"a": 1}}', '{"synonym": {}}'])
def test_a_malformed_lexicon_is_one_clear_error_naming_the_file(tmp_path: Path, content: str) -> None:
    (tmp_path / LEXICON_FILE).write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError, match=LEXICON_FILE):
        Lexicon.of_corpus(tmp_path)


def test_changing_the_lexicon_makes_the_index_stale(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(DOCUMENT, encoding="utf-8")
    before = corpus_hash(corpus_files(tmp_path), tmp_path)
    (tmp_path / LEXICON_FILE).write_text('{"glossary": {"bird dog": "opposite arm and leg"}}', "utf-8")
    assert corpus_hash(corpus_files(tmp_path), tmp_path) != before


def test_the_built_index_carries_the_lexicon_and_uses_it(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(DOCUMENT, encoding="utf-8")
    lexicon = {"glossary": {"bird dog": "on hands and knees raise the opposite arm and leg"}}
    (corpus / LEXICON_FILE).write_text(json.dumps(lexicon), encoding="utf-8")
    build_index(corpus, tmp_path / "index", cache_dir=CACHE, show_progress=False)
    shutil.rmtree(corpus)  # the index searches the same way without its corpus
    found = Retriever.open(tmp_path / "index").search("bird dog", k=1)
    assert "opposite arm and leg" in found.understood_as
    assert found.passages[0].passage.id == "a:1"


def test_without_a_lexicon_a_named_exercise_is_searched_as_typed(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(DOCUMENT, encoding="utf-8")
    build_index(corpus, tmp_path / "index", cache_dir=CACHE, show_progress=False)
    found = Retriever.open(tmp_path / "index").search("bird dog", k=1)
    assert found.understood_as == "bird dog"
