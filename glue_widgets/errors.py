"""The package's own error hierarchy.

Every failure a user can cause or meet (bad input, missing data, a dropped connection) surfaces as a
subclass of :class:`GlueError`, with a message that names the offending value and says what to do.
Each class also derives from the closest builtin so ``except ValueError`` and friends keep working.
"""

from __future__ import annotations

__all__ = [
    "GlueError",
    "InvalidInputError",
    "NotFoundError",
    "StreamNotFoundError",
    "BadDataError",
    "CorruptFileError",
    "WindowError",
    "NetworkError",
    "AccessDeniedError",
    "UnsupportedError",
    "ConflictError",
    "StorageError",
]


class GlueError(Exception):
    """Root of every error raised on purpose by glue_widgets."""


class InvalidInputError(GlueError, ValueError):
    """An argument has the wrong type, shape, range or value (fix the call)."""


class NotFoundError(GlueError, LookupError):
    """Something asked for does not exist: a file, dataset, asset, stream or demo session."""


class StreamNotFoundError(NotFoundError, KeyError):
    """A stream name that the session does not have."""

    def __str__(self) -> str:  # KeyError would repr() the message; keep it readable
        return str(self.args[0]) if self.args else ""


class BadDataError(GlueError, ValueError):
    """The data themselves are wrong: NaNs where none may be, non-monotonic timestamps, bad shapes."""


class CorruptFileError(BadDataError):
    """A file is truncated, not of the format it claims, or internally inconsistent."""


class WindowError(BadDataError, IndexError):
    """A requested time window lies outside the recording or is empty."""


class NetworkError(GlueError, ConnectionError):
    """A remote read failed (timeout, refused, dropped, bad status) after the allowed retries."""


class AccessDeniedError(NotFoundError, PermissionError):
    """A resource exists but needs credentials (e.g. an embargoed dandiset without ``DANDI_API_KEY``)."""


class UnsupportedError(GlueError, NotImplementedError):
    """A format, scheme or feature that glue_widgets recognises but does not handle."""


class ConflictError(InvalidInputError):
    """A name is already taken, e.g. a catalog id that another call or process added first."""


class StorageError(GlueError, OSError):
    """A local path cannot hold what glue_widgets must write there (it lies under a regular file,
    is not writable, or the disk is full)."""
