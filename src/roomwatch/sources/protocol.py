"""What every source is given: a :class:`CommentSink` (the pipeline) to hand comments to."""

from __future__ import annotations

from typing import Protocol

from roomwatch.core.errors import RecordError
from roomwatch.core.record import Comment

__all__ = ["CommentSink"]


class CommentSink(Protocol):
    async def put(self, comment: Comment, source: str) -> bool: ...

    async def reject(self, error: RecordError, source: str, where: str = "") -> None: ...
