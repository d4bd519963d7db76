"""Wiring shared by every front end: settings -> a checked index -> a pipeline."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from bot.config import Settings
from bot.pipeline import Pipeline
from index.search import Retriever
from index.store import Freshness, check_fresh, load_index
from limber.errors import IndexStaleError

logger = logging.getLogger(__name__)

__all__ = ["open_pipeline", "open_retriever"]

logger = logging.getLogger(__name__)


def open_retriever(settings: Settings) -> Retriever:
    """Load the index named by the settings, refusing a missing, damaged or stale one.

    A stale index is served when the check refused the rebuild of the corpus as it is now
    (``scripts/build_index.py --check``): the previous index keeps serving, as promised.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    index = load_index(settings.index_dir, threads=settings.encoder_threads)
    try:
        freshness = check_fresh(index.manifest, settings.corpus_dir)
    except IndexStaleError:
        from bot.check import refusal_covers

        corpus = settings.corpus_dir or Path(str(index.manifest.data.get("corpus_dir", "")))
        if not refusal_covers(settings.index_dir, corpus):
            raise
        logger.warning(
            "the corpus changed, but the check refused its rebuild: serving the "
            "previous index (see %s/check-refused.json)",
            settings.index_dir,
        )
        freshness = None
    if freshness is Freshness.NO_CORPUS:
        where = settings.corpus_dir or index.manifest.data.get("corpus_dir") or "(not recorded)"
        logger.warning(
            "not checking whether the index is up to date: the corpus folder %s does "
            "not exist (set LIMBER_CORPUS_DIR to check against another one)",
            where,
        )
    return Retriever(index, threads=settings.encoder_threads)


def open_pipeline(settings: Settings) -> Pipeline:
    """The answer pipeline over the index named by the settings."""
    return Pipeline(open_retriever(settings), top_k=settings.top_k)
