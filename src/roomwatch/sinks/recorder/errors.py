"""Why the recorder failed or dropped records: the reasons its metrics are labelled with.

The metrics themselves are declared in :mod:`roomwatch.metrics` (``RecorderMetrics``).
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from typing import Final

__all__ = ["DROP_REASONS", "ERROR_REASONS", "Problem", "error_reason"]

#: The recorder's ``error_type`` values in ``roomwatch_component_errors_total``.
ERROR_REASONS: Final = ("disk_full", "permission", "io")
#: The recorder's ``reason`` values in ``roomwatch_component_discarded_events_total``.
DROP_REASONS: Final = ("write_failed", "buffer_full", "closed")


def error_reason(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "disk_full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission"
    return "io"


@dataclass(frozen=True, slots=True)
class Problem:
    """One error to report through ``on_error``: its reason and a message."""

    reason: str
    message: str
