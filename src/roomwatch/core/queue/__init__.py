"""The host's question queue: fold, rank and track what viewers ask.

One :class:`QuestionQueue` per room. The pipeline feeds it each question
comment with its normalised text, jieba tokens, question probability and the
clock value taken from the records' ``ts``; the queue answers with
:class:`QueueEvent` values (``added``, ``updated``, ``removed``,
``reordered``) for the hub's ``host`` channel. It never reads the wall clock
and does no I/O.

Folding
    Each question becomes :class:`~roomwatch.core.slots.QuestionFeatures`
    (intent + aspect, slots such as ``link=3`` or ``region=新疆``, topic words).
    A question folds into an item whose signature (intent, aspect and *all*
    slots) is equal and whose topic words are similar (Jaccard ≥
    ``fold_threshold``; an empty topic matches only an empty topic). Candidates
    come from an inverted index keyed by (signature, topic word), and at most
    ``max_candidates`` of them are compared, so the cost of an add does not grow
    with the number of open items. Identical normalised texts skip feature
    extraction. A comment whose features say it asks nothing
    (:attr:`~roomwatch.core.slots.QuestionFeatures.ask`: "路过看看", "在吗")
    makes no item and is only counted in ``not_asks``. Item ids are ``q1``,
    ``q2`` … in order of creation, unique within one queue (one room in one
    process).

Ranking
    Every distinct asker adds ``confidence ** weight_confidence × level factor ×
    paid factor`` to the item's mass, and the mass decays with half-life
    ``half_life_s``. Because every item decays at the same rate, the order only
    changes when an item gains an ask, so the top ``top_n`` list is maintained
    incrementally; the mass is stored scaled by ``exp(λ (t - t0))`` and shown as
    ``score`` (the decayed mass at the current clock). One viewer asking fifty
    times counts once; a repeated ask only adds its paid part. Asks without a
    user id or name count as distinct askers. Pinned items rank first, newest
    pin on top.

Lifecycle
    ``open`` → ``claimed`` → ``answered`` / ``dismissed``; ``pin`` / ``unpin``.
    A closed item keeps absorbing the same question for ``grace_s`` seconds
    (counted as ``asked_again``) and is then removed; a later ask opens a new
    item. Open items that nobody asks for ``idle_expire_s`` are removed by
    :meth:`QuestionQueue.tick`; claimed and pinned items do not age out.

Bounded memory
    At most ``max_items`` items (on overflow the oldest closed item goes first,
    then the lowest-ranked among the ``eviction_sample`` least recently asked
    open items). Per item: at most ``max_wordings`` distinct wordings (a
    space-saving top-k count, so the most common ones survive), at most
    ``max_askers`` asker keys held exactly, and past that a
    ``asker_bitmap_bits``-bit linear-counting bitmap that estimates further
    distinct askers (measured within 2% up to 20,000 askers per item).

Event volume
    ``added`` is sent at once. ``updated`` for an item is sent at most once per
    ``update_interval_s``; later changes are held and sent by :meth:`tick`.
    :meth:`QuestionQueue.add_batch` feeds a pipeline batch: an item asked
    several times in it gets one event at the batch's end (its ``added``, or
    one ``updated``), so no ask is held behind another of the same batch.
    ``reordered`` is sent only when the ids of the top ``top_n`` change order,
    at most once per ``reorder_interval_s`` for changes caused by asks (actions
    by the host send it at once). Call :meth:`QuestionQueue.tick` every batch
    or every second.

Modules
    :mod:`~roomwatch.core.queue.config` the settings;
    :mod:`~roomwatch.core.queue.events` what the queue hands out (items,
    events, action results, audit records); :mod:`~roomwatch.core.queue.fold`
    which item a question joins; :mod:`~roomwatch.core.queue.rank` decay, the
    top list and the "why"; :mod:`~roomwatch.core.queue.actions` the host's
    actions; :mod:`~roomwatch.core.queue.queue` :class:`QuestionQueue` (feed,
    tick, reads); :mod:`~roomwatch.core.queue.entry` and
    :mod:`~roomwatch.core.queue.state` the internal per-item and per-queue
    state.
"""

from typing import TYPE_CHECKING

from roomwatch.core.lazy import lazy_names

if TYPE_CHECKING:
    from roomwatch.core.queue.config import QueueConfig, QueueError
    from roomwatch.core.queue.events import (
        ACTIONS,
        EVENT_TYPES,
        STATES,
        ActionResult,
        AuditRecord,
        Item,
        QueueEvent,
    )
    from roomwatch.core.queue.queue import QuestionQueue

# Each name is imported from its module when first asked for (PEP 562), so that
# importing QueueConfig (the config schema, every command) does not import the
# queue itself; only a command that builds a triage stage or a report does.
_HOMES = {
    "ACTIONS": ".events",
    "ActionResult": ".events",
    "AuditRecord": ".events",
    "EVENT_TYPES": ".events",
    "Item": ".events",
    "QuestionQueue": ".queue",
    "QueueConfig": ".config",
    "QueueError": ".config",
    "QueueEvent": ".events",
    "STATES": ".events",
}


__getattr__ = lazy_names(__name__, _HOMES)


__all__ = [
    "ACTIONS",
    "EVENT_TYPES",
    "STATES",
    "ActionResult",
    "AuditRecord",
    "Item",
    "QuestionQueue",
    "QueueConfig",
    "QueueError",
    "QueueEvent",
]
