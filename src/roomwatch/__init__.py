"""roomwatch: real-time comment moderation and sentiment monitor for live-stream rooms."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
