"""Closed sets of the retrieval side."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["RetrievalMode"]


class RetrievalMode(StrEnum):
    """Which evidence ranks passages: both fused (the default), or one of them alone.

    ``RetrievalParams.mode`` takes one of these (a StrEnum, so equal to its string).
    """

    HYBRID = "hybrid"
    DENSE = "dense"
    LEXICAL = "lexical"
