"""The one exception tree of roomwatch.

Every error roomwatch raises on purpose derives from :class:`RoomwatchError`,
so callers can catch the whole family with one ``except``.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ModelError",
    "RecordError",
    "RoomwatchError",
]


class RoomwatchError(Exception):
    """Base class of every error roomwatch raises on purpose."""


class ConfigError(RoomwatchError):
    """The configuration is invalid: an unknown key, a wrong type or a bad value."""


class RecordError(RoomwatchError):
    """A comment record is malformed.

    ``reason`` is a short, bounded identifier (used as a metric label), and
    ``field`` names the offending field when there is one.
    """

    def __init__(self, reason: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.field = field

    def to_dict(self) -> dict[str, str]:
        out = {"reason": self.reason, "error": str(self)}
        if self.field is not None:
            out["field"] = self.field
        return out


class ModelError(RoomwatchError):
    """A model artifact is missing, corrupt or incompatible."""
