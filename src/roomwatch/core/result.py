"""What the pipeline hands its outputs: a verdict, or a marker where none came.

A :data:`Result` is a :class:`~roomwatch.core.verdict.Verdict` or, when the
pipeline keeps skips (``replay --out``, ``report``), a :class:`Skipped`
standing where a rejected, duplicate or shed record was, so an output can
account for every input line. Shared by the runner, the stages, moderation
and the offline report, so it lives in ``core`` rather than in the runner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from roomwatch.core.record import Comment
from roomwatch.core.verdict import Verdict

__all__ = ["Result", "Skipped"]


@dataclass(frozen=True, slots=True)
class Skipped:
    """Where a record that produced no verdict stood in the input."""

    reason: str  # "duplicate", "flood" or a RecordError reason
    error: str
    source: str
    where: str = ""
    comment: Comment | None = None

    @classmethod
    def failed(cls, comment: Comment, source: str) -> Skipped:
        """The mark of a record whose batch the analysis failed on (logged)."""
        return cls("stage_error", "the analysis of this record's batch failed", source, "", comment)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"skipped": self.reason, "error": self.error}
        if self.where:
            out["where"] = self.where
        if self.comment is not None:
            out["id"] = self.comment.id
            out["room"] = self.comment.room
            out["ts"] = self.comment.ts
        return out


Result = Verdict | Skipped
