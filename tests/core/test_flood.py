from roomwatch.core.flood import FloodControl


def test_a_user_over_their_rate_in_a_room_is_shed_by_record_time():
    flood = FloodControl(1.0, 3)
    # A burst of 3 passes, the 4th and 5th in the same second are shed.
    assert [flood.allow("r", "u", 10.0) for _ in range(5)] == [True, True, True, False, False]
    # Another user, and the same user in another room, have their own buckets.
    assert flood.allow("r", "v", 10.0)
    assert flood.allow("r2", "u", 10.0)
    # One second of record time refills one comment.
    assert flood.allow("r", "u", 11.0)
    assert not flood.allow("r", "u", 11.0)
    # Time going backwards refills nothing.
    assert not flood.allow("r", "u", 5.0)
    # No user: nothing to hold it against.
    assert all(flood.allow("r", None, 10.0) for _ in range(10))


def test_off_when_the_rate_is_zero_and_bounded_in_keys():
    assert not FloodControl(0.0, 3).enabled
    flood = FloodControl(1.0, 1, max_keys=100)
    for i in range(1000):
        flood.allow("r", f"u{i}", 0.0)
    assert len(flood) == 100
