"""Bounded types for config fields: ``batch_max: PositiveInt = 512``.

msgspec checks the bounds when the file loads; :func:`.schema.describe`
turns them into words for error messages and docs/config.md.
"""

from __future__ import annotations

from typing import Annotated, TypeAlias

from msgspec import Meta

__all__ = [
    "NonBlank",
    "NonNegativeFloat",
    "NonNegativeInt",
    "PositiveFloat",
    "PositiveInt",
    "Share",
]

#: 1, 2, 3 ...
PositiveInt: TypeAlias = Annotated[int, Meta(ge=1)]
#: 0, 1, 2 ...
NonNegativeInt: TypeAlias = Annotated[int, Meta(ge=0)]
#: More than 0 (a duration or a rate that must pass).
PositiveFloat: TypeAlias = Annotated[float, Meta(gt=0)]
#: 0 or more (0 usually means "off" or "none").
NonNegativeFloat: TypeAlias = Annotated[float, Meta(ge=0)]
#: A fraction from 0 to 1.
Share: TypeAlias = Annotated[float, Meta(ge=0, le=1)]
#: A string with something other than white space in it.
NonBlank: TypeAlias = Annotated[str, Meta(pattern=r"\S")]
