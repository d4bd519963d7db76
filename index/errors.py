"""The error family now lives in ``limber.errors``; this name stays for modules not yet moved."""

from limber.errors import (
    BUILD_COMMAND,
    BuiltIndexError,
    CorpusError,
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    IndexStaleError,
    LimberError,
    UsageError,
)

__all__ = [
    "BUILD_COMMAND",
    "BuiltIndexError",
    "CorpusError",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexMissingError",
    "IndexStaleError",
    "LimberError",
    "UsageError",
]
