"""Settings → analyzer → pipeline → stages: the graph every command runs.

:func:`build_pipeline` is the one function that assembles a
:class:`~roomwatch.pipeline.Pipeline` and the stages behind it. Options say
what to attach:

======================  ===================================================
command                 options
======================  ===================================================
``serve`` / ``demo``    ``stages=STAGES`` (triage, flag, alerts,
                        moderation), ``gate``, ``guard=True``,
                        ``alert_listeners=[webhooks.enqueue]`` (then
                        :mod:`roomwatch.compose.serve` adds the store's)
``replay``              ``keep_skips=True``, ``outputs=[writer]``, and
                        ``stages=("alerts",)`` with a listener for ``--alerts``
``replay --compare``    two graphs (one per analyzer), ``dedupe=False,
                        flood=False``
``report``              ``keep_skips=True``, ``outputs=[builder]``,
                        ``stages=("alerts",)`` with ``builder.add_alert``
                        as listener (``live_alerts``, which the CLI sets)
``classify --jsonl``    ``keep_skips=True, dedupe=False, flood=False``
                        (one line out per line in)
======================  ===================================================

Stages are pure: they return :class:`~roomwatch.stages.events.Publish`
events. :meth:`Graph.forward` sends them on (to the hub when serving,
nowhere offline), so the pipeline's outputs here are thin wrappers that
call a stage and forward what it returns. All stages share one per-room
record clock (:class:`~roomwatch.stages.clock.RoomClocks`), owned here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from roomwatch.analysis_pool import AnalysisPool, AnalyzerSpec
from roomwatch.assets import asset_dir
from roomwatch.config import Settings
from roomwatch.config.rooms import RoomBook
from roomwatch.core.analyze import Analyzer
from roomwatch.core.flood import FloodControl
from roomwatch.core.lexicon import RoomTerms
from roomwatch.core.result import Result
from roomwatch.core.shed import ShedCount
from roomwatch.core.verdict import Verdict
from roomwatch.inline import InlinePipeline
from roomwatch.metrics import OTHER_ROOM, Metrics, Unexported
from roomwatch.pipeline import Output, Pipeline
from roomwatch.sources.supervise import SourceHealth
from roomwatch.sources.timebound import TimeGuard
from roomwatch.stages.clock import Pace, RoomClocks

if TYPE_CHECKING:
    from roomwatch.authz import Gate
    from roomwatch.moderation.runtime import Moderation
    from roomwatch.stages.alert import AlertListener, AlertStage
    from roomwatch.stages.events import Publish
    from roomwatch.stages.flag import FlagStage
    from roomwatch.stages.triage import TriageStage

__all__ = ["STAGES", "Graph", "analyzer_for", "analyzer_spec", "build_pipeline"]

#: Every stage, in the order the pipeline feeds them.
STAGES: Final = ("triage", "flag", "alerts", "moderation")
#: The record kinds roomwatch_room_comments_total counts (typed comments).
_COMMENT_KINDS: Final = frozenset({"comment", "superchat"})


def analyzer_spec(settings: Settings) -> AnalyzerSpec:
    """The model and lexicons the settings name (or the bundled ones), the
    per-room terms from ``[rooms]`` and the config hash: what
    :func:`analyzer_for` loads, and each analysis process too."""
    room_terms = {
        room: RoomTerms.of(r.block_abuse, r.block_spam, r.allow, r.question_terms)
        for room, r in settings.rooms.items()
        if r.block_abuse or r.block_spam or r.allow or r.question_terms
    }
    return AnalyzerSpec(
        asset_dir("models", settings.model.models_dir or None),
        asset_dir("lexicons", settings.model.lexicons_dir or None),
        room_terms,
        settings.digest(),
        settings.pipeline.overload_cue_weight,
        settings.pipeline.overload_sample_every,
    )


def analyzer_for(settings: Settings) -> Analyzer:
    """Load the analyser :func:`analyzer_spec` names."""
    return analyzer_spec(settings).load()


def _nowhere(events: Iterable[Publish]) -> None:
    for _ in events:
        pass


@dataclass(eq=False)
class Graph:
    """A built pipeline and the stages behind it."""

    pipeline: Pipeline
    metrics: Metrics
    #: How fast record time runs per room between records (a replay sets it).
    pace: Pace
    #: The one per-room record clock every stage reads.
    clocks: RoomClocks
    #: Every room's own settings (``[rooms]``), as the stages read them.
    rooms: RoomBook
    time_guard: TimeGuard | None = None
    triage: TriageStage | None = None
    flag: FlagStage | None = None
    alerts: AlertStage | None = None
    moderation: Moderation | None = None
    #: Where stage events go: the hub's publish when serving (see
    #: :func:`roomwatch.compose.serve.attach_hub`), nowhere offline.
    sink: Callable[[Iterable[Publish]], None] = field(default=_nowhere)
    #: What each source is doing, for ``/healthz`` (see :mod:`roomwatch.compose.sources`).
    source_health: SourceHealth = field(default_factory=SourceHealth)

    def forward(self, events: Iterable[Publish]) -> None:
        self.sink(events)

    def tick(self) -> None:
        """Move quiet rooms' time on (the one ticker calls this every 0.1 s)."""
        if self.triage is not None:
            self.forward(self.triage.tick_wall())
        if self.alerts is not None:
            self.forward(self.alerts.tick_wall())

    def publish_stats(self) -> None:
        """Each active room's moderation stats (the ticker calls this once a second)."""
        if self.moderation is not None:
            self.forward(self.moderation.publish_stats())


class _CountRooms:
    """A pipeline output: one batch's verdicts by room and label, counted once
    per batch (``roomwatch_room_comments_total``)."""

    __slots__ = ("_metrics",)
    stage = "publish"
    #: Skipped while the pipeline isn't counting (a worker's shard rebuild).
    counts_only = True

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def __call__(self, results: Sequence[Result]) -> None:
        named = self._metrics.named_rooms
        counts: dict[tuple[str, str], int] = {}
        for r in results:
            # Comments only: a gift, an entry or a like is no chatter.
            if isinstance(r, Verdict) and r.comment.kind in _COMMENT_KINDS:
                room = r.comment.room
                key = (room if room in named else OTHER_ROOM, r.label)
                counts[key] = counts.get(key, 0) + 1
        if counts:
            self._metrics.count_rooms(counts)

    def count_shed(self, shed: Sequence[ShedCount]) -> None:
        """Comments shed in degrade mode count as their room's chatter."""
        named = self._metrics.named_rooms
        counts: dict[tuple[str, str], int] = {}
        for s in shed:
            key = (s.room if s.room in named else OTHER_ROOM, "chatter")
            counts[key] = counts.get(key, 0) + s.n
        self._metrics.count_rooms(counts)


class _Forwarding:
    """A pipeline output that runs a pure stage and forwards its events."""

    __slots__ = ("_graph", "_stage", "stage")

    def __init__(
        self, graph: Graph, stage: Callable[[Sequence[Result]], Iterable[Publish]]
    ) -> None:
        self._graph = graph
        self._stage = stage
        #: The stage label of roomwatch_stage_duration_seconds.
        self.stage: str = getattr(stage, "stage", "publish")

    def __call__(self, results: Sequence[Result]) -> None:
        self._graph.forward(self._stage(results))

    def count_shed(self, shed: Sequence[ShedCount]) -> None:
        """Pass degrade mode's shed counts to a stage that counts them."""
        count = getattr(self._stage, "count_shed", None)
        if count is not None:
            self._graph.forward(count(shed))


def _pool_for(settings: Settings, analyzer: Analyzer) -> AnalysisPool | None:
    """Analysis processes when ``pipeline.analysis_processes`` > 0 (they load
    what the settings name; ``analyzer`` is the parent's, whose room terms
    they follow)."""
    workers = settings.pipeline.analysis_processes
    if workers <= 0:
        return None
    return AnalysisPool(workers, analyzer_spec(settings), memo_size=analyzer.memo_size)


def build_pipeline(
    settings: Settings,
    analyzer: Analyzer,
    *,
    metrics: Metrics | None = None,
    stages: Collection[str] = (),
    gate: Gate | None = None,
    outputs: Sequence[Output] = (),
    alert_listeners: Sequence[AlertListener] = (),
    keep_skips: bool = False,
    guard: bool = False,
    dedupe: bool = True,
    flood: bool = True,
    monotonic: Callable[[], float] = time.monotonic,
    inline: bool = False,
) -> Graph:
    """Build the pipeline and the named ``stages`` (see :data:`STAGES`) behind it.

    ``outputs`` see each batch before the stages, in order. ``alert_listeners`` get
    every alert event (needs ``"alerts"``). ``gate`` admits hub actions
    (serve). ``guard`` checks and stamps each record's ts at the source
    boundary (:class:`~roomwatch.sources.timebound.TimeGuard`; serve), and
    stamps each live verdict with its end-to-end lag (``Verdict.lag_s``).
    ``dedupe`` and ``flood`` turn off the recent-id and per-user-rate
    filters (``classify`` and ``--compare`` answer every record). ``inline``:
    an offline command reading flat out runs the pipeline in the caller's
    thread, its event loop's (:class:`~roomwatch.inline.InlinePipeline`; not
    with analysis processes, and never with ``guard``: live input needs the
    consumer task).
    """
    if inline and guard:
        raise ValueError("live input (guard) needs the consumer task, not an inline pipeline")
    unknown = set(stages) - set(STAGES)
    if unknown:
        raise ValueError(f"unknown stage(s) {sorted(unknown)}; expected some of {STAGES}")
    if metrics is None:  # (nothing exports them: see roomwatch.metrics.unexported)
        metrics = Metrics(Unexported())  # type: ignore[arg-type]
    limits = settings.limits
    pool = _pool_for(settings, analyzer)
    pipeline = (InlinePipeline if inline and pool is None else Pipeline)(
        analyzer,
        settings.pipeline,
        metrics,
        keep_skips=keep_skips,
        flood=FloodControl(limits.user_comments_per_s, limits.user_comments_burst)
        if flood
        else None,
        dedupe=dedupe,
        # Live only: a verdict's lag is wall time minus its record's ts.
        wall=time.time if guard else None,
        pool=pool,
    )
    metrics.lag_room_limit = settings.pipeline.lag_metric_rooms
    # Time is per room; a replay source sets its rooms' pace (see stages/clock.py).
    pace = Pace()
    clocks = RoomClocks(monotonic, pace)
    rooms = RoomBook(settings.queue, settings.alerts, settings.rooms)
    metrics.name_rooms(rooms.rooms)
    graph = Graph(pipeline=pipeline, metrics=metrics, pace=pace, clocks=clocks, rooms=rooms)
    # What the command attaches sees each batch first, as it always has
    # (replay's writer and report's builder before the alert stage).
    for output in outputs:
        pipeline.add_output(output)
    if guard:
        graph.time_guard = TimeGuard(settings.pipeline, pace=pace)
        pipeline.guard = graph.time_guard.admit
        pipeline.enable_overload()  # live only: shed cue-less chatter when behind
    # (Each stage's code is imported when it is built: classify builds none.)
    if "triage" in stages:
        from roomwatch.stages.triage import TriageStage

        graph.triage = TriageStage(
            settings.queue, clocks=clocks, gate=gate, config_for=rooms.queue_config
        )
        pipeline.add_output(_Forwarding(graph, graph.triage))
    if "flag" in stages:
        from roomwatch.stages.flag import FlagStage

        graph.flag = FlagStage(
            backlog=settings.hub.moderator_backlog,
            total=settings.limits.max_moderator_backlog,
            on_discard=metrics.components.component("transform", "flag")
            .discarded("backlog_total_cap")
            .inc,
        )
        pipeline.add_output(_Forwarding(graph, graph.flag))
    if "alerts" in stages:
        from roomwatch.stages.alert import AlertStage

        graph.alerts = AlertStage(
            settings.alerts,
            clocks=clocks,
            gate=gate,
            lag_alert_s=settings.pipeline.lag_alert_s,
            own=rooms.own_alerts(),
        )
        for listener in alert_listeners:
            graph.alerts.add_listener(listener)
        pipeline.add_output(_Forwarding(graph, graph.alerts))
    elif alert_listeners:
        raise ValueError("alert_listeners need the 'alerts' stage")
    if "moderation" in stages:
        from roomwatch.moderation.runtime import Moderation

        if gate is None:
            raise ValueError("the moderation stage needs a gate")
        graph.moderation = Moderation(
            settings.moderation,
            gate=gate,
            registry=metrics.registry,
            clocks=clocks,
            max_review_items=settings.limits.max_review_items,
            max_stats_rooms=settings.limits.max_stats_rooms,
        )
        for room, own in rooms.rooms.items():  # review labels and caps of its own
            graph.moderation.queue.set_room(room, own.review_labels, own.review_max)
        pipeline.add_output(_Forwarding(graph, graph.moderation))
    # Last: verdicts by room and label, counted once per batch.
    pipeline.add_output(_CountRooms(metrics))
    return graph
