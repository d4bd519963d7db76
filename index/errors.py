"""One exception family for Limber; every message names the command that fixes the problem."""

from __future__ import annotations

__all__ = [
    "BUILD_COMMAND",
    "CorpusError",
    "IndexCorruptError",
    "IndexError_",
    "IndexMismatchError",
    "IndexMissingError",
    "IndexStaleError",
    "LimberError",
]

BUILD_COMMAND = "python scripts/build_index.py"


class LimberError(Exception):
    """Base class for every error Limber reports to a person."""

    exit_code = 2


class CorpusError(LimberError):
    """The corpus cannot be read: missing, empty, undecodable or of an unknown format."""


class IndexError_(LimberError):
    """Base class for problems with a built index."""


class IndexMissingError(IndexError_):
    """No index has been built at the expected place."""


class IndexMismatchError(IndexError_):
    """The index was built with another model or dimension than this code uses."""


class IndexCorruptError(IndexError_):
    """An index file is missing, truncated or does not agree with the manifest."""


class IndexStaleError(IndexError_):
    """The corpus has changed since the index was built."""
