"""Near-duplicate grouping shared by the abuse_raid detector and the report."""

from __future__ import annotations

from roomwatch.core.alerts.grouping import (
    BurstGrouper,
    Message,
    best_match,
    compact,
    group_raids,
    jaccard,
    raid_key,
    shingles,
)


def msg(
    ts: float, key: str, account: str | None, *, room: str = "r", label: str = "abuse"
) -> Message:
    return Message(room=room, ts=ts, key=key, account=account, label=label, sample=key)


def test_text_pieces() -> None:
    assert compact("Ｓｂ 主播，滚!") == "sb主播滚"
    assert shingles("") == frozenset()
    assert shingles("滚") == {"滚"} and shingles("滚吧") == {"滚吧"}
    assert shingles("滚吧你") == {"滚吧", "吧你"}
    assert jaccard(frozenset({"a", "b"}), frozenset({"b", "c"})) == 1 / 3
    assert jaccard(frozenset(), frozenset({"a"})) == 0.0
    # Emoji placeholders are noise; a text that is only noise falls back on the raw text.
    assert raid_key("主播emoneg垃圾", "主播😡垃圾") == "主播垃圾"
    assert raid_key("emoneg", "😡!") == ""
    assert raid_key("x" * 100, "") == "x" * 80


def test_best_match_takes_the_most_similar_and_the_first_of_ties() -> None:
    class G:
        def __init__(self, text: str) -> None:
            self.shingles = shingles(text)

    a, b, c = G("滚出去啊"), G("滚出去呀"), G("加微信")
    grams = shingles("滚出去吧")
    assert best_match([a, b, c], grams, 0.5) is a
    assert best_match(reversed([a, b, c]), grams, 0.5) is b
    d = G("滚出去吧哦")  # 3 of 4 bigrams shared: beats the earlier, less similar a
    assert best_match([c, a, d], grams, 0.5) is d
    assert best_match([a, b], grams, 0.6) is None


def test_burst_grouper_closes_quiet_groups_and_prefers_its_own_text() -> None:
    grouper = BurstGrouper(similarity=0.6, gap_seconds=10.0, max_groups=2, max_samples=2)
    assert grouper.add(msg(0, "", "a")) == []  # nothing to compare
    for i, key in enumerate(("哈哈", "哈哈哈", "哈哈")):
        assert grouper.add(msg(i, key, f"u{i}")) == []
    # 哈哈 and 哈哈哈 have the same bigram set ({哈哈}): one group, by its key.
    [(room, group)] = list(grouper.open_groups())
    assert room == "r" and group.key == "哈哈" and group.messages == 3
    assert list(group.accounts) == ["u0", "u1", "u2"] and group.samples == ["哈哈", "哈哈哈"]
    grouper.add(msg(3, "加微信领福利", "s", label="spam"))
    # A third group does not fit: the least recent one closes.
    closed = grouper.add(msg(4, "私信我有惊喜", "t", label="spam"))
    assert [g.key for g in closed] == ["哈哈"]
    # More than ten quiet seconds close a group at the room's next message.
    closed = grouper.add(msg(14, "私信我有惊喜", "t2", label="spam"))
    assert [g.key for g in closed] == ["加微信领福利"]  # 11 s quiet; the other 10 s
    [(_, group)] = list(grouper.open_groups())
    assert (group.start, group.end, group.spam, group.abuse) == (4, 14, 2, 0)
    # Rooms never share a group.
    grouper.add(msg(21, "私信我有惊喜", "x", room="other"))
    assert [room for room, _ in grouper.open_groups()] == ["r", "other"]


def test_group_raids_keeps_bursts_with_enough_accounts() -> None:
    messages = [msg(i, "主播是骗子", f"u{i % 4}") for i in range(8)]
    messages += [msg(100 + i, "加微信", "spammer", label="spam") for i in range(8)]
    messages += [msg(200 + i, "主播是骗子啊", f"v{i}") for i in range(3)]
    raids = group_raids(
        messages, similarity=0.6, gap_seconds=10.0, max_groups=64, max_samples=3, min_accounts=3
    )
    assert [(room, g.key, g.messages, len(g.accounts)) for room, g in raids] == [
        ("r", "主播是骗子", 8, 4),
        ("r", "主播是骗子啊", 3, 3),
    ]
