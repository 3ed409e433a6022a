"""The ``bilibili`` source: Bilibili's live danmaku WebSocket protocol.

* :mod:`.codec` — the binary framing, sans-I/O (bytes in, packets out);
* :mod:`.commands` — command packets → comment records, pure;
* :mod:`.gap` — the time without data, pure;
* :mod:`.client` — the asyncio client that drives them (:class:`BilibiliSource`).

See ``docs/sources.md``.
"""

from __future__ import annotations

from roomwatch.sources.bilibili.client import BilibiliSource

__all__ = ["BilibiliSource"]
