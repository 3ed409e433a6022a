from roomwatch.core.log_throttle import LogThrottle


def test_first_is_due_then_one_per_interval_with_the_held_back_count() -> None:
    t = LogThrottle(60.0)
    assert [t.due("io", now) for now in (0.0, 1.0, 59.0, 60.0, 61.0, 130.0)] == [
        0,
        None,
        None,
        2,
        None,
        1,
    ]


def test_keys_are_throttled_apart() -> None:
    t = LogThrottle(60.0)
    assert t.due("io", 0.0) == 0
    assert t.due("locked", 1.0) == 0
    assert t.due("io", 2.0) is None
