"""The question queue's parts on their own: the fold index, the top list and the decay.

``test_queue.py`` drives them through :class:`QuestionQueue`; these pin each
part's contract directly, with hand-made entries and no tokenizer.
"""

from __future__ import annotations

import math

from roomwatch.core.queue.config import QueueConfig
from roomwatch.core.queue.entry import Entry
from roomwatch.core.queue.events import QueueEvent
from roomwatch.core.queue.fold import FoldIndex, accepts, jaccard
from roomwatch.core.queue.rank import MAX_EXPONENT, Decay, TopList, rank
from roomwatch.core.slots import QuestionFeatures, extract

CFG = QueueConfig()


def _entry(
    seq: int, text: str = "苹果多少钱", tokens: tuple[str, ...] = ("苹果", "多少钱")
) -> Entry:
    return Entry(seq, extract(text, tokens), 0.0, CFG)


def test_jaccard_edges() -> None:
    assert jaccard(frozenset(), frozenset()) == 1.0  # empty matches only empty
    assert jaccard(frozenset({"苹果"}), frozenset()) == 0.0
    assert jaccard(frozenset({"a", "b"}), frozenset({"b", "c"})) == 1 / 3


def test_accepts_live_within_window_and_closed_within_grace() -> None:
    entry = _entry(1)
    entry.last_seen = 100.0
    assert accepts(entry, 100.0 + CFG.window_s, CFG)
    assert not accepts(entry, 100.0 + CFG.window_s + 1, CFG)
    entry.state, entry.closed_at = "answered", 200.0
    assert accepts(entry, 200.0 + CFG.grace_s, CFG)
    assert not accepts(entry, 200.0 + CFG.grace_s + 1, CFG)


def test_fold_index_matches_then_forgets() -> None:
    items: dict[str, Entry] = {}
    fold = FoldIndex(CFG, items)
    feats = fold.features("苹果多少钱", ("苹果", "多少钱"))
    assert fold.features("苹果多少钱", ()) is feats  # cached by text
    entry = Entry(1, feats, 0.0, CFG)
    items[entry.id] = entry
    fold.index_entry(entry, feats.words)
    fold.add_wording(entry, "苹果多少钱", "苹果多少钱")
    assert fold.match(feats, 1.0) is entry
    assert fold.exact == {"苹果多少钱": entry.id}
    other: QuestionFeatures = extract("橙子多少钱", ("橙子", "多少钱"))
    assert fold.match(other, 1.0) is None  # same signature, no shared topic word
    fold.forget(entry)
    del items[entry.id]
    assert fold.match(feats, 1.0) is None
    assert fold.exact == {}


def test_add_wording_space_saving_evicts_the_rarest() -> None:
    cfg = QueueConfig(max_wordings=2)
    items: dict[str, Entry] = {}
    fold = FoldIndex(cfg, items)
    entry = _entry(1)
    for text in ("a", "a", "b", "c"):
        fold.add_wording(entry, text, text)
    # "b" (count 1) made room for "c", which inherits its count + 1.
    assert {k: v[0] for k, v in entry.wordings.items()} == {"a": 2, "c": 2}
    assert "b" not in fold.exact


def test_top_list_orders_pins_first_and_keeps_only_top_n() -> None:
    top = TopList(top_n=2, reorder_interval_s=0.0)
    a, b, c = _entry(1), _entry(2), _entry(3)
    a.mass, b.mass, c.mass = 3.0, 2.0, 1.0
    for e in (c, b, a):
        top.bump(e)
    assert top.ids() == (a.id, b.id)
    assert not c.in_top
    c.pinned, c.pin_seq = True, 1
    assert top.bump(c)
    assert top.ids() == (c.id, a.id)
    assert not b.in_top
    assert rank(c) > rank(a)


def test_top_list_holds_back_order_changes_until_due() -> None:
    top = TopList(top_n=3, reorder_interval_s=1.0)
    a, b = _entry(1), _entry(2)
    a.mass = 1.0
    top.bump(a)
    events: list[QueueEvent] = []
    top.send_order("r", 10.0, events)
    assert [e.order for e in events] == [(a.id,)]
    b.mass = 2.0
    top.bump(b)
    top.send_order("r", 10.5, events)  # too soon: held back
    assert len(events) == 1 and top.pending
    assert not top.due(10.9) and top.due(11.0)
    top.send_order("r", 11.0, events, force=True)
    assert events[-1].order == (b.id, a.id) and not top.pending


def test_decay_rebases_without_changing_scores() -> None:
    decay = Decay(half_life_s=1.0)
    entry = _entry(1)
    decay.advance(0.0, [entry])
    entry.mass = 1.0 * decay.scale(0.0)
    assert decay.score(entry.mass, 1.0) == 0.5  # one half-life later
    later = (MAX_EXPONENT + 1) / decay.lam
    before = decay.score(entry.mass, later)
    decay.advance(later, [entry])
    assert decay.t0 == later
    assert math.isclose(decay.score(entry.mass, later), before, rel_tol=1e-12)
