"""roomwatch: real-time comment moderation and sentiment monitor for live-stream rooms."""

from __future__ import annotations

from roomwatch.version import __version__

__all__ = ["__version__"]
