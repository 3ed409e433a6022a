"""Building and measuring models: ``roomwatch train`` and ``roomwatch eval``.

Never imported on the hot path.
"""

from __future__ import annotations

__all__: list[str] = []
