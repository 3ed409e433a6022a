"""Webhook sink: deliver alert events to chat bots and HTTP endpoints.

Each :class:`WebhookTarget` gets its own bounded queue and one worker task.
:meth:`WebhookSink.enqueue` is synchronous and never blocks the pipeline: when
a target's queue is full its oldest item is dropped and counted. Workers
retry under the shared :class:`roomwatch.retry.RetryPolicy` (jittered exponential
backoff, a bounded number of attempts).

Body formats (``WebhookTarget.format``; ``style="text"`` sends plain text
instead of the rich variant):

``json``
    ``{"source": "roomwatch", "text": ..., **event.to_dict()}``. With a
    secret, ``X-Roomwatch-Timestamp`` and ``X-Roomwatch-Signature:
    sha256=<hex hmac_sha256(secret, f"{timestamp}.{body}")>`` headers.
``feishu``
    Feishu/Lark custom bot: ``{"msg_type": "interactive", "card": ...}`` or
    ``{"msg_type": "text", "content": {"text": ...}}``. With a secret, the
    body also carries ``timestamp`` (seconds) and ``sign =
    base64(hmac_sha256(key=f"{timestamp}\\n{secret}", msg=b""))``. Success
    is ``code == 0`` in the JSON reply.
``dingtalk``
    DingTalk robot: ``{"msgtype": "markdown", "markdown": {"title", "text"}}``
    or ``{"msgtype": "text", "text": {"content"}}``. With a secret,
    ``timestamp`` (milliseconds) and ``sign = urlencode(base64(
    hmac_sha256(secret, f"{timestamp}\\n{secret}")))`` are appended to the
    URL's query. Success is ``errcode == 0``.
``wecom``
    WeCom group robot: ``{"msgtype": "markdown", "markdown": {"content"}}`` or
    ``{"msgtype": "text", "text": {"content"}}``; success is ``errcode == 0``.
``slack``
    Slack incoming webhook: ``{"text": fallback, "blocks": [...]}``; success
    is HTTP 200.

The messages themselves are built in :mod:`roomwatch.sinks.webhook_body`:
viewer text is neutralised for each format's markup and every body is held to
the vendor's documented size limit.

A delivery that finally fails (retries exhausted) or is rejected is logged
once at WARNING with the target's name, never its URL or secret.

Each target is the component ``sink``/``webhook/<target>`` (see
:mod:`roomwatch.metrics`): an alert event counts as sent once ``delivered``,
or as discarded with the reason ``failed`` (retries exhausted), ``rejected``
(a permanent error such as HTTP 400 or a bad signature, not retried) or
``dropped`` (queue full or sink closed). Target names come from config, so
labels are bounded.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import random
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Final
from urllib.parse import quote_plus

import aiohttp
from prometheus_client import CollectorRegistry
from yarl import URL

from roomwatch.config.rules import LINK_RULE, valid_link
from roomwatch.core.alerts import DETECTORS, SEVERITIES, AlertEvent, severity_at_least
from roomwatch.core.errors import ConfigError
from roomwatch.metrics import WebhookMetrics
from roomwatch.retry import RetryPolicy
from roomwatch.sinks.webhook_body import json_bytes, render

__all__ = [
    "FORMATS",
    "OUTCOMES",
    "Delivery",
    "WebhookSink",
    "WebhookTarget",
    "build_request",
    "dingtalk_sign",
    "feishu_sign",
    "retry_after",
    "retryable",
]

logger = logging.getLogger(__name__)

FORMATS: Final = ("json", "feishu", "dingtalk", "wecom", "slack")
STYLES: Final = ("rich", "text")
OUTCOMES: Final = ("delivered", "failed", "rejected", "dropped")
_KINDS: Final = frozenset({"open", "update", "resolve", "ack"})
#: Alert ids a target remembers being told of (its oldest forgotten first).
_TOLD_MAX: Final = 4096

#: Vendor error codes that mean "slow down", so worth retrying.
_VENDOR_RETRY: Final = {
    "feishu": frozenset({11232, 9499}),
    "dingtalk": frozenset({130101, -1}),
    "wecom": frozenset({45009, -1}),
}


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """One destination. ``name`` is a metric label, so it must come from config."""

    #: A unique name; it labels this target's delivery metrics.
    name: str
    #: The bot's webhook URL (http or https); may be "env:VAR".
    url: str
    #: Body format: json, feishu, dingtalk, wecom or slack.
    format: str = "json"
    #: "rich" (cards, markdown) or "text" (plain text).
    style: str = "rich"
    #: Least severity delivered: info, warning or critical.
    min_severity: str = "warning"
    #: Only these rooms (``None``: every room).
    rooms: frozenset[str] | None = None
    #: Only these detectors (``None``: every one).
    detectors: frozenset[str] | None = None
    #: Signing secret (Feishu, DingTalk signed mode, or an HMAC header for json); may be "env:VAR".
    secret: str | None = None
    #: Event kinds delivered. ``update`` events are sent only when they
    #: escalate severity, unless ``all_updates`` is set.
    kinds: frozenset[str] = frozenset({"open", "update", "resolve"})
    all_updates: bool = False
    #: Seconds before one delivery attempt gives up.
    timeout_seconds: float = 10.0
    #: Events held for this target; when full the oldest is dropped and counted.
    queue_size: int = 256
    #: A page the message links to (the comms view's address); empty: none.
    link: str = ""

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ConfigError("webhook target name must not be blank")
        if self.format not in FORMATS:
            raise ConfigError(
                f"webhook {self.name!r}: format {self.format!r} is not one of {', '.join(FORMATS)}"
            )
        if self.style not in STYLES:
            raise ConfigError(f"webhook {self.name!r}: style must be 'rich' or 'text'")
        if self.min_severity not in SEVERITIES:
            raise ConfigError(
                f"webhook {self.name!r}: min_severity must be one of {', '.join(SEVERITIES)}"
            )
        url = URL(self.url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ConfigError(f"webhook {self.name!r}: url must be an http(s) URL")
        if not set(self.kinds) <= _KINDS:
            raise ConfigError(f"webhook {self.name!r}: kinds must be among {sorted(_KINDS)}")
        if self.link and not valid_link(self.link):
            raise ConfigError(f"webhook {self.name!r}: link {LINK_RULE}")
        if self.timeout_seconds <= 0 or self.queue_size < 1:
            raise ConfigError(f"webhook {self.name!r}: timeout and queue_size must be positive")
        if self.rooms is not None:
            object.__setattr__(self, "rooms", frozenset(self.rooms))
        if self.detectors is not None:
            if not set(self.detectors) <= set(DETECTORS):
                raise ConfigError(
                    f"webhook {self.name!r}: detectors must be among {', '.join(DETECTORS)}"
                )
            object.__setattr__(self, "detectors", frozenset(self.detectors))
        object.__setattr__(self, "kinds", frozenset(self.kinds))

    def wants(self, event: AlertEvent) -> bool:
        alert = event.alert
        if event.kind not in self.kinds:
            return False
        if event.kind == "update" and not (event.escalated or self.all_updates):
            return False
        if not severity_at_least(alert.severity, self.min_severity):
            return False
        if self.detectors is not None and alert.detector not in self.detectors:
            return False
        return self.rooms is None or alert.room in self.rooms


@dataclass(frozen=True, slots=True)
class Delivery:
    """One HTTP request ready to send."""

    url: URL
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- signing


def feishu_sign(secret: str, timestamp: int) -> str:
    """Feishu/Lark: ``base64(hmac_sha256(key=f"{timestamp}\\n{secret}", msg=b""))``."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk: ``base64(hmac_sha256(secret, f"{timestamp}\\n{secret}"))``, before URL-encoding."""
    msg = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), msg, hashlib.sha256).digest()).decode()


# --------------------------------------------------------------------------- requests


def _no_title(room: str) -> str:
    return ""


def build_request(
    target: WebhookTarget, event: AlertEvent, now: float, room_title: str = ""
) -> Delivery:
    """The HTTP request for ``event`` in ``target``'s format; ``now`` is wall time (s);
    ``room_title`` is the room's configured title, shown beside its name.

    The message itself (viewer text neutralised, sizes capped) comes from
    :func:`roomwatch.sinks.webhook_body.render`; this adds signatures.
    """
    headers = {"Content-Type": "application/json; charset=utf-8"}
    url = URL(target.url)
    payload = render(target.format, target.style, event, target.link, room_title)
    if target.format == "json":
        body = json_bytes(payload)
        if target.secret:
            ts = str(int(now))
            mac = hmac.new(target.secret.encode(), ts.encode() + b"." + body, hashlib.sha256)
            headers["X-Roomwatch-Timestamp"] = ts
            headers["X-Roomwatch-Signature"] = "sha256=" + mac.hexdigest()
        return Delivery(url, body, headers)
    if target.format == "feishu" and target.secret:
        seconds = int(now)
        payload = {
            "timestamp": str(seconds),
            "sign": feishu_sign(target.secret, seconds),
            **payload,
        }
    if target.format == "dingtalk" and target.secret:
        ts_ms = int(now * 1000)
        sign = quote_plus(dingtalk_sign(target.secret, ts_ms))
        sep = "&" if url.raw_query_string else "?"
        url = URL(f"{url}{sep}timestamp={ts_ms}&sign={sign}", encoded=True)
    return Delivery(url, json_bytes(payload), headers)


# --------------------------------------------------------------------------- the sink


class _Retry(Exception):
    def __init__(
        self, result: str, retry_after: float | None = None, detail: str | None = None
    ) -> None:
        super().__init__(result)
        self.result = result
        self.retry_after = retry_after
        #: What the receiver said (an HTTP status or a vendor code), for the log.
        self.detail = detail


class _Reject(Exception):
    def __init__(self, result: str, detail: str | None = None) -> None:
        super().__init__(result)
        self.result = result
        self.detail = detail


class _Lane:
    """One target's bounded queue and worker, and the alerts it was told of."""

    def __init__(self, target: WebhookTarget) -> None:
        self.target = target
        self.queue: deque[AlertEvent] = deque()
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.told: OrderedDict[str, None] = OrderedDict()

    def as_seen(self, event: AlertEvent) -> AlertEvent:
        """``event`` as this target sees it: an escalation of an alert it was
        never told of (an outage opens as info, a target takes warnings and
        up) is, for it, a new alert."""
        if event.kind == "update" and event.escalated and event.alert.id not in self.told:
            return replace(event, kind="open")
        return event

    def note(self, event: AlertEvent) -> None:
        if event.kind == "open":
            self.told[event.alert.id] = None
            if len(self.told) > _TOLD_MAX:
                self.told.popitem(last=False)


class WebhookSink:
    """Delivers :class:`AlertEvent` values to every interested target.

    Use as ``async with WebhookSink(targets, registry=...) as sink:
    sink.enqueue(event)``. ``clock`` (wall seconds, for vendor signatures),
    ``sleep`` and ``rand`` (backoff) are injectable for tests.
    """

    def __init__(
        self,
        targets: Iterable[WebhookTarget],
        *,
        registry: CollectorRegistry,
        session: aiohttp.ClientSession | None = None,
        policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        room_title: Callable[[str], str] | None = None,
    ) -> None:
        self._targets = tuple(targets)
        #: A room's display title (its [rooms] section's, looked up as it is now).
        self._room_title = room_title or _no_title
        names = [t.name for t in self._targets]
        if len(set(names)) != len(names):
            raise ConfigError("webhook target names must be unique")
        self._metrics = WebhookMetrics(registry)
        self._session = session
        self._own_session = session is None
        self._policy = policy or RetryPolicy()
        self._clock = clock
        self._sleep = sleep
        self._rand = rand
        self._lanes = [_Lane(t) for t in self._targets]
        self._started = False
        self._closed = False
        for lane in self._lanes:
            self._metrics.depth.labels(lane.target.name).set_function(_depth(lane.queue))
            for outcome in OUTCOMES:
                self._metrics.deliveries.labels(lane.target.name, outcome)

    @property
    def targets(self) -> tuple[WebhookTarget, ...]:
        return self._targets

    async def __aenter__(self) -> WebhookSink:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        if self._started:
            return
        if self._closed:
            raise RuntimeError("the webhook sink is closed")
        self._started = True
        if self._session is None:
            self._session = aiohttp.ClientSession()
        for lane in self._lanes:
            lane.task = asyncio.create_task(self._work(lane), name=f"webhook:{lane.target.name}")

    def enqueue(self, event: AlertEvent) -> int:
        """Queue ``event`` for every target that wants it; never blocks.

        Returns how many targets it was queued for. A full queue drops its
        oldest event (counted as ``dropped``).
        """
        queued = 0
        for lane in self._lanes:
            seen = lane.as_seen(event)
            if not lane.target.wants(seen):
                continue
            lane.note(seen)
            if self._closed:
                self._metrics.deliveries.labels(lane.target.name, "dropped").inc()
                continue
            if len(lane.queue) >= lane.target.queue_size:
                lane.queue.popleft()
                self._metrics.deliveries.labels(lane.target.name, "dropped").inc()
            lane.queue.append(seen)
            lane.wake.set()
            queued += 1
        return queued

    async def close(self, drain_timeout: float = 2.0) -> None:
        """Stop the workers (idempotent). Waits up to ``drain_timeout`` for queues to empty."""
        if self._closed:
            return
        self._closed = True
        tasks = [lane.task for lane in self._lanes if lane.task is not None]
        if tasks and drain_timeout > 0:
            for lane in self._lanes:
                lane.wake.set()
            _, pending = await asyncio.wait(tasks, timeout=drain_timeout)
        else:
            pending = set(tasks)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        for lane in self._lanes:
            dropped = len(lane.queue)
            if dropped:
                self._metrics.deliveries.labels(lane.target.name, "dropped").inc(dropped)
                lane.queue.clear()
        if self._own_session and self._session is not None:
            await self._session.close()
        self._session = None

    # ------------------------------------------------------------------ worker

    async def _work(self, lane: _Lane) -> None:
        name = lane.target.name
        while True:
            if not lane.queue:
                if self._closed:
                    return
                lane.wake.clear()
                await lane.wake.wait()
                continue
            event = lane.queue.popleft()
            try:
                outcome = await self._deliver(lane.target, event)
            except asyncio.CancelledError:
                # Closing gave up on the event in flight.
                self._metrics.deliveries.labels(name, "dropped").inc()
                raise
            self._metrics.deliveries.labels(name, outcome).inc()

    async def _deliver(self, target: WebhookTarget, event: AlertEvent) -> str:
        """Try ``event`` under the retry policy; the outcome to count."""
        retrying = self._policy.retrying(
            _Retry,
            rand=self._rand,
            sleep=self._sleep,
            give_up=lambda: self._closed,
            min_wait=lambda exc: exc.retry_after if isinstance(exc, _Retry) else None,
        )
        attempts = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    try:
                        await self._attempt(target, event)
                    except (_Retry, _Reject) as exc:
                        self._metrics.attempts.labels(target.name, exc.result).inc()
                        raise
        except _Reject as exc:
            _log_final(target, event, "rejected", exc.result, exc.detail, attempts)
            return "rejected"
        except _Retry as exc:  # attempts exhausted, or the sink is closing
            _log_final(target, event, "failed", exc.result, exc.detail, attempts)
            return "failed"
        self._metrics.attempts.labels(target.name, "ok").inc()
        return "delivered"

    async def _attempt(self, target: WebhookTarget, event: AlertEvent) -> None:
        assert self._session is not None
        request = build_request(target, event, self._clock(), self._room_title(event.alert.room))
        timeout = aiohttp.ClientTimeout(total=target.timeout_seconds)
        started = time.perf_counter()
        try:
            async with self._session.post(
                request.url, data=request.body, headers=dict(request.headers), timeout=timeout
            ) as resp:
                status = resp.status
                text = await resp.text(errors="replace")
                wait = retry_after(resp.headers.get("Retry-After"))
        except TimeoutError:
            raise _Retry("timeout") from None
        except aiohttp.ClientError:
            raise _Retry("network") from None
        finally:
            self._metrics.duration.labels(target.name).observe(time.perf_counter() - started)
        if retryable(status):
            raise _Retry("http_error", wait, f"HTTP {status}")
        if status >= 300:
            raise _Reject("http_error", f"HTTP {status}")
        if target.format in _VENDOR_RETRY:
            code = _vendor_code(target.format, text)
            if code is None:
                raise _Retry("vendor_error", detail="no vendor code in the reply")
            if code != 0:
                if code in _VENDOR_RETRY[target.format]:
                    raise _Retry("vendor_error", detail=f"vendor code {code}")
                raise _Reject("vendor_error", f"vendor code {code}")


def _log_final(
    target: WebhookTarget,
    event: AlertEvent,
    outcome: str,
    result: str,
    detail: str | None,
    attempts: int,
) -> None:
    """One WARNING per event that finally failed or was rejected.

    It names the target, never its URL (which holds the bot's token) or its
    secret, nor the receiver's reply text (which may echo either).
    """
    logger.warning(
        "webhook %r: alert %s (%s) %s after %d attempt%s: %s%s",
        target.name,
        event.alert.id,
        event.kind,
        outcome,
        attempts,
        "" if attempts == 1 else "s",
        result,
        f" ({detail})" if detail else "",
    )


def _depth(queue: deque[AlertEvent]) -> Callable[[], float]:
    return lambda: float(len(queue))


def _vendor_code(fmt: str, text: str) -> int | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    key = "code" if fmt == "feishu" else "errcode"
    value = data.get(key, data.get("StatusCode") if fmt == "feishu" else None)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def retryable(status: int) -> bool:
    """An HTTP status worth another attempt: timed out, rate limited or a server error."""
    return status == 408 or status == 429 or status >= 500


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (the seconds form), if usable."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
