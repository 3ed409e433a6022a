"""Sources: where comment records come from.

Each source only turns bytes into :class:`~roomwatch.core.record.Comment`
values and hands them to a :class:`CommentSink` (the pipeline,
:mod:`roomwatch.sources.protocol`), reporting malformed records through
``reject`` so they are counted and skipped. The composition root builds
them from settings (:mod:`roomwatch.compose.sources`).
"""

from __future__ import annotations

from roomwatch.sources.protocol import CommentSink

__all__ = ["CommentSink"]
