"""``ReplayBound.check``'s in-bounds shortcut decides as ``check_ts`` did (issue #14)."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from roomwatch.config import PipelineSettings
from roomwatch.core.errors import RecordError
from roomwatch.sources.timebound import MAX_TS, ReplayBound, check_ts


class _Reference:
    """``ReplayBound.check`` before the shortcut: every ts through ``check_ts``."""

    def __init__(self, max_gap: float) -> None:
        self.max_gap = max_gap
        self.newest: float | None = None
        self.previous: float | None = None

    def check(self, ts: float) -> RecordError | None:
        error = check_ts(ts, self.newest, max_ahead=self.max_gap, max_behind=None)
        agrees = self.previous is not None and abs(ts - self.previous) <= self.max_gap
        if error is not None and agrees and 0.0 <= ts <= MAX_TS:
            self.newest = None
            error = None
        if error is None:
            self.previous = None
            if self.newest is None or ts > self.newest:
                self.newest = ts
        elif 0.0 <= ts <= MAX_TS:
            self.previous = ts
        return error


_STEPS = st.floats(-50, 5000) | st.sampled_from(
    [0.0, 3600.0, 3600.5, 1e9, -1.0, math.nan, math.inf]
)


@settings(max_examples=300, deadline=None)
@given(st.floats(0, MAX_TS - 1e6), st.lists(_STEPS, max_size=40), st.booleans())
def test_the_shortcut_decides_as_check_ts(start: float, steps: list[float], absolute: bool) -> None:
    settings_ = PipelineSettings(replay_max_gap_s=100.0)  # (steps go past it)
    bound, reference = ReplayBound(settings_), _Reference(settings_.replay_max_gap_s)
    ts = start
    for step in steps:
        ts = step if absolute and step > 1e6 else ts + step
        got, want = bound.check(ts), reference.check(ts)
        assert (got is None) == (want is None)
        if got is not None and want is not None:
            assert (got.reason, str(got)) == (want.reason, str(want))
        assert (bound.newest, bound.previous) == (reference.newest, reference.previous)
