"""Running sums of a room's per-second counts over the last part of its window.

The negative spike looks at the last 3/4 and 1/2 of the window as well as
the whole of it (kept summed in ``Room.window``) on every negative comment.
Summing those parts' buckets each time cost a walk of up to 45 buckets per
count asked, several counts per negative comment. A :class:`RecentSums`
keeps the sums of the *closed* buckets (every bucket but the newest, which
comments still go into) of one part: a bucket is added once when it is
first found closed and inside the part, and subtracted once when it falls
out of it, so a query costs O(1) amortised. The newest bucket is read as it
is. The totals are integers, so the answer is exactly the walk's.

Closed buckets never change (comments only go to the newest one), the
buckets' seconds only grow, and a room's record second never goes back,
which is all this relies on.
"""

from __future__ import annotations

from collections import Counter, deque

__all__ = ["RecentSums"]

_Bucket = tuple[int, Counter[str]]


class RecentSums:
    """The counts of the closed buckets from ``first`` on, for a part of a fixed length."""

    __slots__ = ("_held", "_last", "sums")

    def __init__(self) -> None:
        #: The closed buckets summed, oldest first.
        self._held: deque[_Bucket] = deque()
        #: The second of the newest closed bucket looked at so far.
        self._last = -(2**62)
        self.sums: Counter[str] = Counter()

    def sync(self, buckets: deque[_Bucket], first: int) -> Counter[str]:
        """The sums of the closed ``buckets`` whose second is ``first`` or later.

        ``first`` must not go back between calls on the same buckets.
        """
        held = self._held
        sums = self.sums
        while held and held[0][0] < first:
            sums.subtract(held.popleft()[1])
        if not held and sums:
            sums.clear()  # (drop the zeros keys leave behind)
        n = len(buckets)
        if n >= 2 and buckets[n - 2][0] > self._last:
            # Closed buckets not seen yet: walk back from the newest closed one.
            last = self._last
            fresh = []
            i = n - 2
            while i >= 0:
                sec, counts = buckets[i]
                if sec <= last or sec < first:
                    break
                fresh.append((sec, counts))
                i -= 1
            self._last = buckets[n - 2][0]
            for bucket in reversed(fresh):
                held.append(bucket)
                if bucket[1]:
                    sums.update(bucket[1])
        return sums
