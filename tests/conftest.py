"""Shared fixtures: one real index of the seed corpus, built once per test session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
# The exported model and embedding cache are reused across runs (gitignored); a fresh
# clone pays for the ONNX export once.
CACHE = ROOT / "var" / "cache"


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real index of the repository's corpus, built with the real model."""
    from index.build import build_index

    out = tmp_path_factory.mktemp("index") / "seed"
    build_index(CORPUS, out, cache_dir=CACHE, show_progress=False)
    return out


@pytest.fixture
def index_copy(seed_index: Path, tmp_path: Path) -> Path:
    """A private copy of the seed index that a test may damage or rebuild."""
    target = tmp_path / "index"
    shutil.copytree(seed_index, target)
    return target


@pytest.fixture(scope="session")
def retriever(seed_index: Path):
    from index.search import Retriever

    return Retriever.open(seed_index)


@pytest.fixture(scope="session")
def pipeline(retriever):
    from bot.pipeline import Pipeline

    return Pipeline(retriever)
