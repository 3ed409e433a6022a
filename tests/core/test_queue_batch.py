"""A batch's asks go to the host as one event per item (issue #14, live latency).

:meth:`QuestionQueue.add_batch` folds a pipeline batch's questions as
:meth:`QuestionQueue.add` does one by one, but an item asked several times in
the batch sends one event at the batch's end instead of its first ask's
update and a hold of ``update_interval_s`` for the rest. The hold still
applies between batches. A parity test feeds one random stream one by one
and in random batches: the same items, counts, scores and order.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from typing import Any

import pytest

from roomwatch.core.queue import QuestionQueue, QueueConfig, QueueEvent
from roomwatch.core.queue.queue import Ask
from roomwatch.core.record import Comment, User

ROOM = "batch-room"
T0 = 1_764_115_200.0


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    for word in ("多少钱", "包邮", "几号链接"):
        tk.add_word(word)
    return tk


def ask(tokenizer: Any, text: str, user: str, now: float) -> Ask:
    comment = Comment(room=ROOM, text=text, ts=now, user=User(id=user))
    tokens = tuple(t for t in tokenizer.lcut(text) if t.strip())
    return (comment, text, tokens, 0.9, now)


def of_type(events: Sequence[QueueEvent], kind: str) -> list[QueueEvent]:
    return [e for e in events if e.type == kind]


def test_a_new_item_asked_again_in_its_batch_goes_out_once_with_every_ask(
    tokenizer: Any,
) -> None:
    q = QuestionQueue(ROOM, QueueConfig(update_interval_s=0.05))
    batch = [ask(tokenizer, "3号链接多少钱", f"u{k}", T0 + k * 0.001) for k in range(3)]
    events = q.add_batch(batch)
    added = of_type(events, "added")
    assert len(added) == 1 and added[0].item is not None
    assert added[0].item.count == 3 and added[0].item.askers == 3
    # Nothing is left held (one by one, the second and third ask would be,
    # and a later tick would send them as an update).
    assert of_type(events, "updated") == []
    assert of_type(q.tick(T0 + 1.0), "updated") == []


def test_an_item_asked_in_a_batch_sends_one_update_and_the_hold_spans_batches(
    tokenizer: Any,
) -> None:
    q = QuestionQueue(ROOM, QueueConfig(update_interval_s=0.05))
    q.add_batch([ask(tokenizer, "3号链接多少钱", "u0", T0)])
    # A batch well after the hold: its three asks in one update.
    t1 = T0 + 1.0
    events = q.add_batch(
        [ask(tokenizer, "3号链接多少钱", f"u{k}", t1 + k * 0.001) for k in (1, 2, 3)]
    )
    updated = of_type(events, "updated")
    assert [e.item.count for e in updated if e.item is not None] == [4]
    # The next batch 10 ms on is inside the hold: held, not sent...
    t2 = t1 + 0.012
    assert of_type(q.add_batch([ask(tokenizer, "3号链接多少钱", "u4", t2)]), "updated") == []
    end = t1 + 0.003 + 0.05  # the hold of the update sent at t1 + 0.003
    assert q.next_due() == pytest.approx(end)
    assert of_type(q.tick(end - 0.001), "updated") == []
    # ... and sent by the tick at the hold's end, with every ask counted.
    sent = of_type(q.tick(end + 1e-6), "updated")
    assert [e.item.count for e in sent if e.item is not None] == [5]


def test_batches_leave_the_queue_as_asks_one_by_one_do(tokenizer: Any) -> None:
    rng = random.Random(14)
    texts = [f"{n}号链接多少钱" for n in range(1, 9)] + ["包邮吗", "几号链接有优惠", "发货到新疆吗"]
    asks = []
    t = T0
    for _ in range(600):
        t += rng.expovariate(40.0)
        asks.append(ask(tokenizer, rng.choice(texts), f"u{rng.randrange(60)}", t))
    config = QueueConfig(update_interval_s=0.05, max_items=6, idle_expire_s=2.0)
    single, batched = QuestionQueue(ROOM, config), QuestionQueue(ROOM, config)
    one_events: list[QueueEvent] = []
    batch_events: list[QueueEvent] = []
    i = 0
    while i < len(asks):
        n = rng.randrange(1, 12)
        part = asks[i : i + n]
        i += n
        for a in part:
            one_events.extend(single.add(*a))
        batch_events.extend(batched.add_batch(part))
        now = part[-1][4]
        one_events.extend(single.tick(now))
        batch_events.extend(batched.tick(now))
    end = t + 1.0
    one_events.extend(single.tick(end))
    batch_events.extend(batched.tick(end))

    def snap(q: QuestionQueue) -> list[tuple[Any, ...]]:
        return [
            (it.id, it.count, it.askers, it.score, it.state, it.text, it.wordings)
            for it in q.snapshot(include_closed=True)
        ]

    assert snap(batched) == snap(single) != []
    assert batched.top_ids() == single.top_ids()
    # The same items came and went...
    for kind in ("added", "removed"):
        ids = [e.item.id if e.item else e.item_id for e in of_type(batch_events, kind)]
        assert ids == [e.item.id if e.item else e.item_id for e in of_type(one_events, kind)]
    # ...with fewer updates, and the last word on every item still there the same.
    assert len(of_type(batch_events, "updated")) < len(of_type(one_events, "updated"))

    def last(events: list[QueueEvent]) -> dict[str, Any]:
        out = {}
        for e in events:
            if e.item is not None:
                out[e.item.id] = (e.item.count, e.item.askers, e.item.state)
        return {item.id: out[item.id] for item in batched.snapshot(include_closed=True)}

    assert last(batch_events) == last(one_events)


def test_a_tick_at_next_due_always_sends_the_held_update(tokenizer: Any) -> None:
    # next_due() and tick() must test the same sum: at real timestamps
    # (~1.76e9) "now - last_emit >= interval" is false at now = last_emit +
    # interval for most values, so a timer set for next_due() (compose/
    # host_flush.py) fired and sent nothing, again and again.
    missed = []
    for ms in range(0, 5000, 7):
        q = QuestionQueue(ROOM, QueueConfig(update_interval_s=0.02))
        first = T0 + 600_000 + ms / 1000
        q.add_batch([ask(tokenizer, "3号链接多少钱", "u1", first)])
        # Asked again right away: held for the interval.
        assert of_type(q.add_batch([ask(tokenizer, "3号链接多少钱", "u2", first)]), "updated") == []
        due = q.next_due()
        assert due is not None
        if not of_type(q.tick(due), "updated"):
            missed.append(ms)
    assert missed == []
