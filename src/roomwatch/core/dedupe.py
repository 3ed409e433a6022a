"""The window of recent (room, id) pairs that makes a re-sent comment a duplicate.

``serve``'s pipeline and the gateway's producer (gateway mode) use the same
window, so ``/ingest`` answers the same ``duplicates`` in both.
"""

from __future__ import annotations

__all__ = ["IdWindow"]


class IdWindow:
    """Remembers at least the last ``size`` (room, id) pairs, and at most twice that.

    Two generations of sets of 64-bit hashes: when the young one holds
    ``size`` keys it becomes the old one and the oldest is forgotten. About
    70 bytes a key instead of a few hundred for an ordered dict of tuples;
    a false "duplicate" needs a 64-bit hash collision between recent ids.
    (Dicts of ints would escape the garbage collector's walks, but cost
    30 MB more at the default window; full collections are rare in
    ``serve``, see :func:`roomwatch.heap.settle_heap`.)
    """

    __slots__ = ("_old", "_size", "_young")

    def __init__(self, size: int) -> None:
        self._size = max(1, size)
        self._young: set[int] = set()
        self._old: set[int] = set()

    def seen(self, room: str, msg_id: str) -> bool:
        # Python's own 64-bit hash (SipHash for the strings): no encoding or
        # digest object per comment. It is salted per process, which an
        # in-memory window doesn't mind.
        key = hash((room, msg_id))
        if key in self._young or key in self._old:
            return True
        self._young.add(key)
        if len(self._young) >= self._size:
            self._old = self._young
            self._young = set()
        return False
