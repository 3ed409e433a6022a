"""Sources: where comment records come from.

Each source only turns bytes into :class:`~roomwatch.core.record.Comment`
values and hands them to a :class:`CommentSink` (the pipeline), reporting
malformed records through ``reject`` so they are counted and skipped.
"""

from __future__ import annotations

from typing import Protocol

from roomwatch.core.errors import RecordError
from roomwatch.core.record import Comment

__all__ = ["CommentSink"]


class CommentSink(Protocol):
    async def put(self, comment: Comment, source: str) -> bool: ...

    async def reject(self, error: RecordError, source: str, where: str = "") -> None: ...
