"""``sorted_members`` (the normaliser's screen for evasion pairs) is ``np.isin``."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from roomwatch.core.normalize import sorted_members

_VALUES = st.lists(st.integers(min_value=0, max_value=2**42), max_size=60)


@settings(max_examples=300, deadline=None)
@given(values=_VALUES, table=_VALUES, shared=st.integers(min_value=0, max_value=20))
def test_same_as_isin(values: list[int], table: list[int], shared: int) -> None:
    values = values + table[:shared]  # some values that are in the table
    want_table = np.array(sorted(set(table)), dtype=np.int64)
    got_values = np.array(values, dtype=np.int64)
    got = sorted_members(got_values, want_table)
    assert got.dtype == np.bool_
    assert got.tolist() == np.isin(got_values, want_table).tolist()


def test_edges() -> None:
    table = np.array([3, 7, 2**42], dtype=np.int64)
    values = np.array([0, 3, 4, 7, 8, 2**42, 2**42 + 1], dtype=np.int64)
    assert sorted_members(values, table).tolist() == [False, True, False, True, False, True, False]
    assert sorted_members(values, table[:0]).tolist() == [False] * len(values)
    assert sorted_members(values[:0], table).tolist() == []
