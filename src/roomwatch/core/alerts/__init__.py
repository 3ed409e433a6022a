"""Public-opinion alerts: per-room detectors and the alert lifecycle (sans-I/O).

The runner feeds every analysed comment, in ``ts`` order, to
:meth:`AlertManager.observe` as an :class:`Observation`, and calls
:meth:`AlertManager.tick` once per second of *record* time (never the wall
clock). Both return :class:`AlertEvent` values (``open``, ``update``,
``resolve``; :meth:`AlertManager.acknowledge` returns ``ack``) that the hub
sends on the ``alerts`` channel and the webhook sink delivers.

Detectors, each per room:

``negative_spike``
    The share of negative comments (``sentiment <= negative_sentiment``) in the
    last ``window_seconds`` (or its last three quarters or half) is far above
    the room's own learned share.
``grievance_topic``
    Grievances on one topic (seed lexicon such as 发霉/退款/过敏, or an
    incremental token cluster for topics the lexicon does not know) rise well
    above the topic's baseline share. One alert per topic, naming it with its
    top terms and sample comments.
``abuse_raid``
    Many distinct accounts post near-identical (character-bigram Jaccard)
    abusive or spam text within ``raid_window_seconds``. One alert per room
    per raid, listing the accounts and message count.
``watchlist``
    Terms from the room's watch list (12315, 曝光, 维权 ...) are mentioned at a
    rate above ``watch_min_count`` per window and above their baseline.
``volume_drop``
    The feed goes silent (detected by :meth:`AlertManager.tick`) in a room
    that normally has traffic.
``volume_surge``
    Comment volume explodes to ``surge_ratio`` times the baseline. A flash
    sale that multiplies volume by five is normal business, so this detector
    fires only at a much higher multiple and only ever at ``info`` severity;
    whether a surge is *bad* is decided by the share-based detectors above,
    which are unaffected by volume.

The window is ``window_seconds`` long in a busy room; a quiet room's
stretches to hold about ``window_min_comments`` comments at its baseline
pace, up to ``max_window_seconds`` (:func:`~roomwatch.core.alerts.state.stretch`:
a 25-a-minute 助农 stream has 8 comments in 20 seconds, too few for any
wave to show). Evidence and summaries give the window used.

Baselines are exponentially weighted means of per-second counts (half-life
``baseline_half_life_seconds``) that learn online from the seconds leaving the
window, so a baseline never contains the window it is compared with. Shares
are ratios of two such means, so a room that is simply getting busier keeps
the same baseline share. While an alert is open its baseline learns at
``active_learning_rate`` of the normal speed, so the incident does not become
the new normal at once. Baseline detectors stay quiet for ``warmup_seconds``
of comments and until ``warmup_min_comments`` comments have been seen.

Firing needs both practical and statistical significance: a share well above
the baseline share, and a count the baseline would reach by chance with
probability below ``surprise_alpha`` (Poisson tail), using the larger of the
share- and rate-based expectations (a happy flash sale dilutes the share
baseline; the rate-based one keeps the bar up), each taken at an upper bound
that allows for the baseline's own uncertainty (``baseline_margin_sigmas``;
wide while the baseline is young). The share-based expectation of negatives
scales the window's *other* comments by the baseline odds, so a mood turn
does not raise its own bar. The negative spike also looks at the last three
quarters and half of the window, so a sudden turn is seen within seconds.

One incident, one alert: comments that belong to an open (or just resolved,
still cooling down) ``grievance_topic`` or ``abuse_raid`` alert are not
counted again by ``negative_spike`` and ``watchlist`` (while a complaint wave
is on or seed-topic complaints are gathering, every grievance-labelled comment
and every unhappy watch-list mention is the wave's); watch-list mentions in
a topic that is forming are left to the topic detector; an incremental
cluster that forms while a negative spike is on is part of that mood turn
(seed topics still open); and a raid must open as a burst (its accounts
within half the raid window), so a phrase many viewers of a souring room
repeat is not one. While the feed is down every baseline learns slowly.

Alert hygiene: an ongoing incident keeps its id and is *updated* (at most every
``update_min_interval_seconds``, unless severity escalates); severity never
drops while open; it resolves exactly once after staying below the resolve
level for ``resolve_hold_seconds``; the same detector, room and topic cannot
open again for ``cooldown_seconds`` after resolving.

Where things are (one module per detector, the rest by what it holds):

``values``
    severities, detector names, :class:`Observation` (in) and
    :class:`Alert`, :class:`AlertEvent`, :class:`Evidence`, :class:`Sample`,
    :class:`AuditRecord` (out).
``config``
    :class:`AlertConfig`, the ``[alerts]`` table (checked by the config schema).
``seeds``
    the default topic seeds, watch list and stopwords, read from
    ``lexicons/alerts/``.
``manager``
    :class:`AlertManager`: rooms, record time, windows, pruning; calls the
    detectors.
``baseline``
    the EWMA baselines and the Poisson bar.
``state``
    per-room state and the cross-detector rules (which incident claims a
    comment).
``lifecycle``
    open / update / resolve with the hygiene rules above.
``negative_spike``, ``grievance_topic``, ``abuse_raid``, ``watchlist``,
``volume_drop``, ``volume_surge``
    one detector each.
``grouping``
    near-duplicate text grouping, shared by ``abuse_raid`` and the report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from roomwatch.core.lazy import lazy_names

if TYPE_CHECKING:
    from roomwatch.core.alerts.config import AlertConfig
    from roomwatch.core.alerts.manager import AlertManager
    from roomwatch.core.alerts.seeds import DEFAULT_TOPIC_SEEDS, DEFAULT_WATCH_TERMS
    from roomwatch.core.alerts.values import (
        DETECTORS,
        EVENT_KINDS,
        SEVERITIES,
        SEVERITY_RANK,
        SYSTEM_ROOM,
        Alert,
        AlertError,
        AlertEvent,
        AuditRecord,
        Evidence,
        Observation,
        Sample,
        severity_at_least,
    )

# Each name is imported from its module when first asked for (PEP 562), so that
# importing AlertConfig (the config schema, every command) does not import the
# manager and the detectors (~12 ms of a start); only a command that builds an
# alert stage does.
_HOMES = {
    "Alert": ".values",
    "AlertConfig": ".config",
    "AlertError": ".values",
    "AlertEvent": ".values",
    "AlertManager": ".manager",
    "AuditRecord": ".values",
    "DEFAULT_TOPIC_SEEDS": ".seeds",
    "DEFAULT_WATCH_TERMS": ".seeds",
    "DETECTORS": ".values",
    "EVENT_KINDS": ".values",
    "Evidence": ".values",
    "Observation": ".values",
    "SEVERITIES": ".values",
    "SEVERITY_RANK": ".values",
    "SYSTEM_ROOM": ".values",
    "Sample": ".values",
    "severity_at_least": ".values",
}


__getattr__ = lazy_names(__name__, _HOMES)


__all__ = [
    "DEFAULT_TOPIC_SEEDS",
    "DEFAULT_WATCH_TERMS",
    "DETECTORS",
    "EVENT_KINDS",
    "SEVERITIES",
    "SEVERITY_RANK",
    "SYSTEM_ROOM",
    "Alert",
    "AlertConfig",
    "AlertError",
    "AlertEvent",
    "AlertManager",
    "AuditRecord",
    "Evidence",
    "Observation",
    "Sample",
    "severity_at_least",
]
