"""The viewer who sent a comment (``Comment.user``), and its checks.

Split out of :mod:`roomwatch.core.record` (which keeps the record and its
parser under the 600-line rule) and exported from there as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from roomwatch.core.errors import RecordError
from roomwatch.core.fieldcheck import check_utf8, json_type

__all__ = ["NO_USER", "User", "parse_user"]

#: Largest ``user.level`` magnitude accepted (platform levels are under 1,000).
_MAX_LEVEL: Final = 1_000_000_000


@dataclass(frozen=True, slots=True)
class User:
    """The viewer who sent a comment. Every field is optional."""

    id: str | None = None
    name: str | None = None
    level: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.id is not None:
            out["id"] = self.id
        if self.name is not None:
            out["name"] = self.name
        if self.level is not None:
            out["level"] = self.level
        return out


#: No user known (every field None).
NO_USER: Final = User()


def parse_user(raw: object) -> User:
    if raw is None:
        return NO_USER
    if not isinstance(raw, Mapping):
        raise RecordError(
            "wrong_type", f"field 'user' must be an object, not {json_type(raw)}", field="user"
        )
    uid = raw.get("id")
    if uid is not None:
        if isinstance(uid, bool) or not isinstance(uid, str | int):
            raise RecordError(
                "wrong_type",
                f"field 'user.id' must be a string or an integer, not {json_type(uid)}",
                field="user.id",
            )
        uid = str(uid)
        check_utf8(uid, "user.id")
    name = raw.get("name")
    if name is not None:
        if not isinstance(name, str):
            raise RecordError(
                "wrong_type",
                f"field 'user.name' must be a string, not {json_type(name)}",
                field="user.name",
            )
        check_utf8(name, "user.name")
    level = raw.get("level")
    if level is not None:
        if isinstance(level, bool) or not isinstance(level, int | float):
            raise RecordError(
                "wrong_type",
                f"field 'user.level' must be an integer, not {json_type(level)}",
                field="user.level",
            )
        # int(inf) and int(nan) raise; a level beyond any real platform's
        # is a bad value, not a reason to crash the parser.
        if not -_MAX_LEVEL <= level <= _MAX_LEVEL:
            raise RecordError(
                "bad_value",
                f"field 'user.level' must be between {-_MAX_LEVEL} and {_MAX_LEVEL}",
                field="user.level",
            )
        if level != int(level):
            raise RecordError(
                "wrong_type",
                "field 'user.level' must be an integer, not a fraction",
                field="user.level",
            )
        level = int(level)
    if uid is None and name is None and level is None:
        return NO_USER
    return User(id=uid, name=name, level=level)
