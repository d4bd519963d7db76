"""One exception family for Limber; every message names the command that fixes the problem.

Anything a user or an operator caused (a missing index, a bad setting, a wrong
path on the command line) is a ``LimberError``: the CLI and the scripts print
its message on one line, exit with ``exit_code`` and show no traceback. Modules
add subclasses of their own where callers tell them apart (``ConfigError``,
``InboxError``, ``FeedbackError``...).
"""

from __future__ import annotations

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

BUILD_COMMAND = "python scripts/build_index.py"


class LimberError(Exception):
    """Base class for every error Limber reports to a person."""

    exit_code = 2


class UsageError(LimberError):
    """A problem with a command line: a path that does not exist, options that clash."""


class CorpusError(LimberError):
    """The corpus cannot be read: missing, empty, undecodable or of an unknown format."""


class BuiltIndexError(LimberError):
    """Base class for problems with a built index."""


class IndexMissingError(BuiltIndexError):
    """No index has been built at the expected place."""


class IndexMismatchError(BuiltIndexError):
    """The index was built with another model or dimension than this code uses."""


class IndexCorruptError(BuiltIndexError):
    """An index file is missing, truncated or does not agree with the manifest."""


class IndexStaleError(BuiltIndexError):
    """The corpus has changed since the index was built."""
