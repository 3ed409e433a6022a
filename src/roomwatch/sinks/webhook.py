"""Webhook sink: deliver alert events to chat bots and HTTP endpoints.

Each :class:`WebhookTarget` gets its own bounded queue and one worker task.
:meth:`WebhookSink.enqueue` is synchronous and never blocks the pipeline: when
a target's queue is full its oldest item is dropped and counted. Workers
retry with jittered exponential backoff for a bounded number of attempts.

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

Outcomes counted in ``roomwatch_webhook_deliveries_total{target,outcome}``:
``delivered``, ``failed`` (retries exhausted), ``rejected`` (a permanent
error such as HTTP 400 or a bad signature, not retried), ``dropped`` (queue
full or sink closed). Target names come from config, so labels are bounded.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final
from urllib.parse import quote_plus

import aiohttp
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from yarl import URL

from roomwatch.core.alerts import SEVERITIES, AlertEvent, severity_at_least
from roomwatch.errors import ConfigError

__all__ = [
    "FORMATS",
    "OUTCOMES",
    "Delivery",
    "RetryPolicy",
    "WebhookSink",
    "WebhookTarget",
    "build_request",
    "dingtalk_sign",
    "feishu_sign",
    "retry_after",
    "retryable",
]

FORMATS: Final = ("json", "feishu", "dingtalk", "wecom", "slack")
STYLES: Final = ("rich", "text")
OUTCOMES: Final = ("delivered", "failed", "rejected", "dropped")
_KINDS: Final = frozenset({"open", "update", "resolve", "ack"})
#: Vendor error codes that mean "slow down", so worth retrying.
_VENDOR_RETRY: Final = {
    "feishu": frozenset({11232, 9499}),
    "dingtalk": frozenset({130101, -1}),
    "wecom": frozenset({45009, -1}),
}
_WECOM_MARKDOWN_BYTES: Final = 4096
_WECOM_TEXT_BYTES: Final = 2048
_SEVERITY_ZH: Final = {"info": "提示", "warning": "警告", "critical": "严重"}
_KIND_ZH: Final = {"open": "新告警", "update": "告警更新", "resolve": "已恢复", "ack": "已确认"}
_DETECTOR_ZH: Final = {
    "negative_spike": "负面情绪激增",
    "grievance_topic": "集中投诉",
    "abuse_raid": "刷屏攻击",
    "watchlist": "关注词激增",
    "volume_drop": "评论流中断",
    "volume_surge": "评论量激增",
    "system": "系统故障",
}
_FEISHU_TEMPLATE: Final = {"info": "blue", "warning": "orange", "critical": "red"}


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
        if self.timeout_seconds <= 0 or self.queue_size < 1:
            raise ConfigError(f"webhook {self.name!r}: timeout and queue_size must be positive")
        if self.rooms is not None:
            object.__setattr__(self, "rooms", frozenset(self.rooms))
        object.__setattr__(self, "kinds", frozenset(self.kinds))

    def wants(self, event: AlertEvent) -> bool:
        alert = event.alert
        if event.kind not in self.kinds:
            return False
        if event.kind == "update" and not (event.escalated or self.all_updates):
            return False
        if not severity_at_least(alert.severity, self.min_severity):
            return False
        return self.rooms is None or alert.room in self.rooms


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded attempts with jittered exponential backoff.

    The delay before retry ``n`` (1-based) is ``min(max_delay, base_delay *
    2**(n-1))`` scaled by a random factor in ``[1 - jitter, 1]``.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.base_delay < 0 or self.max_delay < 0:
            raise ConfigError("retry policy: max_attempts >= 1 and delays >= 0")
        if not 0 <= self.jitter <= 1:
            raise ConfigError("retry policy: jitter must be between 0 and 1")

    def delay(self, retry: int, rand: float) -> float:
        raw = min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))
        return float(raw * (1.0 - self.jitter * rand))


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


# --------------------------------------------------------------------------- bodies


def _title(event: AlertEvent) -> str:
    a = event.alert
    what = _DETECTOR_ZH.get(a.detector, a.detector)
    if a.evidence.topic:
        what = f"{what}「{a.evidence.topic}」"
    return f"【{_SEVERITY_ZH[a.severity]}·{_KIND_ZH[event.kind]}】{a.room}：{what}"


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _facts(event: AlertEvent) -> list[str]:
    a = event.alert
    ev = a.evidence
    lines = []
    if event.kind == "resolve":
        lines.append(f"持续 {max(0.0, (a.resolved_at or event.ts) - a.started_at):.0f} 秒后恢复")
    if event.kind == "ack":
        lines.append(f"确认人：{event.actor}")
    if ev.count or ev.rate_per_min:
        rate = f"{ev.rate_per_min:.0f}/分钟"
        if ev.baseline_per_min:
            rate += f"（基线 {ev.baseline_per_min:.1f}/分钟）"
        lines.append(f"数量：{ev.count} 条 / {ev.window_seconds:g} 秒，速率 {rate}")
    if ev.share is not None:
        base = f"（基线 {ev.baseline_share:.0%}）" if ev.baseline_share is not None else ""
        lines.append(f"占比：{ev.share:.0%}{base}")
    if ev.accounts:
        shown = "、".join(ev.accounts[:8])
        more = f" 等{ev.users}个" if ev.users > 8 else ""
        lines.append(f"账号：{shown}{more}，共 {ev.messages} 条")
    elif ev.users:
        lines.append(f"用户数：{ev.users}")
    if ev.top_terms and a.detector != "abuse_raid":
        lines.append("高频词：" + "、".join(f"{t}({n})" for t, n in ev.top_terms[:6]))
    return lines


def _samples(event: AlertEvent) -> list[str]:
    out = []
    for s in event.alert.evidence.samples[:5]:
        out.append(f"{s.user or '匿名'}：{_clip(s.text, 60)}（{s.label}，{s.sentiment:+.2f}）")
    return out


def _plain(event: AlertEvent) -> str:
    a = event.alert
    parts = [_title(event), a.summary, *_facts(event)]
    samples = _samples(event)
    if samples:
        parts.append("样例：")
        parts.extend(f"- {s}" for s in samples)
    parts.append(f"告警ID：{a.id}")
    return "\n".join(parts)


def _markdown(event: AlertEvent, heading: str = "###") -> str:
    a = event.alert
    parts = [f"{heading} {_title(event)}", "", a.summary, ""]
    parts.extend(f"- {line}" for line in _facts(event))
    samples = _samples(event)
    if samples:
        parts.append("")
        parts.extend(f"> {s}" for s in samples)
    parts.extend(["", f"告警ID：{a.id}"])
    return "\n".join(parts)


def _clip_bytes(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", "ignore") + "…"


def _json_bytes(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def build_request(target: WebhookTarget, event: AlertEvent, now: float) -> Delivery:
    """The HTTP request for ``event`` in ``target``'s format; ``now`` is wall time (s)."""
    headers = {"Content-Type": "application/json; charset=utf-8"}
    url = URL(target.url)
    rich = target.style == "rich"
    payload: dict[str, Any]
    if target.format == "json":
        payload = {"source": "roomwatch", "text": _plain(event), **event.to_dict()}
        body = _json_bytes(payload)
        if target.secret:
            ts = str(int(now))
            mac = hmac.new(target.secret.encode(), ts.encode() + b"." + body, hashlib.sha256)
            headers["X-Roomwatch-Timestamp"] = ts
            headers["X-Roomwatch-Signature"] = "sha256=" + mac.hexdigest()
        return Delivery(url, body, headers)
    if target.format == "feishu":
        if rich:
            a = event.alert
            template = "green" if event.kind == "resolve" else _FEISHU_TEMPLATE[a.severity]
            elements: list[dict[str, Any]] = [
                {"tag": "div", "text": {"tag": "lark_md", "content": a.summary}},
                {"tag": "div", "text": {"tag": "lark_md", "content": "\n".join(_facts(event))}},
            ]
            samples = _samples(event)
            if samples:
                elements.append({"tag": "hr"})
                elements.append(
                    {"tag": "div", "text": {"tag": "lark_md", "content": "\n".join(samples)}}
                )
            elements.append(
                {
                    "tag": "note",
                    "elements": [{"tag": "plain_text", "content": f"roomwatch · {a.id}"}],
                }
            )
            payload = {
                "msg_type": "interactive",
                "card": {
                    "config": {"wide_screen_mode": True},
                    "header": {
                        "title": {"tag": "plain_text", "content": _title(event)},
                        "template": template,
                    },
                    "elements": elements,
                },
            }
        else:
            payload = {"msg_type": "text", "content": {"text": _plain(event)}}
        if target.secret:
            seconds = int(now)
            payload = {
                "timestamp": str(seconds),
                "sign": feishu_sign(target.secret, seconds),
                **payload,
            }
        return Delivery(url, _json_bytes(payload), headers)
    if target.format == "dingtalk":
        if rich:
            payload = {
                "msgtype": "markdown",
                "markdown": {"title": _title(event), "text": _markdown(event)},
            }
        else:
            payload = {"msgtype": "text", "text": {"content": _plain(event)}}
        if target.secret:
            ts_ms = int(now * 1000)
            sign = quote_plus(dingtalk_sign(target.secret, ts_ms))
            sep = "&" if url.raw_query_string else "?"
            url = URL(f"{url}{sep}timestamp={ts_ms}&sign={sign}", encoded=True)
        return Delivery(url, _json_bytes(payload), headers)
    if target.format == "wecom":
        if rich:
            payload = {
                "msgtype": "markdown",
                "markdown": {"content": _clip_bytes(_markdown(event, "##"), _WECOM_MARKDOWN_BYTES)},
            }
        else:
            payload = {
                "msgtype": "text",
                "text": {"content": _clip_bytes(_plain(event), _WECOM_TEXT_BYTES)},
            }
        return Delivery(url, _json_bytes(payload), headers)
    # slack: mrkdwn text escapes &, < and > (viewers' comments may hold them).
    fallback = f"{_title(event)} {event.alert.summary}"
    if rich:
        a = event.alert
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": _clip(_title(event), 150)}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _clip(_slack_escape(a.summary), 3000)},
            },
        ]
        facts = _facts(event)
        if facts:
            blocks.append(
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": _clip_lines(map(_slack_escape, facts))},
                }
            )
        samples = _samples(event)
        if samples:
            quoted = (f"> {_slack_escape(s)}" for s in samples)
            blocks.append(
                {"type": "section", "text": {"type": "mrkdwn", "text": _clip_lines(quoted)}}
            )
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"roomwatch · {a.id}"}]}
        )
        payload = {"text": fallback, "blocks": blocks}
    else:
        payload = {"text": _plain(event)}
    return Delivery(url, _json_bytes(payload), headers)


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip_lines(lines: Iterable[str]) -> str:
    return _clip_keep_newlines("\n".join(lines), 3000)


def _clip_keep_newlines(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# --------------------------------------------------------------------------- the sink


class _Retry(Exception):
    def __init__(self, result: str, retry_after: float | None = None) -> None:
        super().__init__(result)
        self.result = result
        self.retry_after = retry_after


class _Reject(Exception):
    def __init__(self, result: str) -> None:
        super().__init__(result)
        self.result = result


class _Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.deliveries = Counter(
            "roomwatch_webhook_deliveries_total",
            "Alert events handed to webhook targets, by final outcome.",
            ["target", "outcome"],
            registry=registry,
        )
        self.attempts = Counter(
            "roomwatch_webhook_attempts_total",
            "HTTP attempts to webhook targets, by result.",
            ["target", "result"],
            registry=registry,
        )
        self.duration = Histogram(
            "roomwatch_webhook_attempt_duration_seconds",
            "Duration of one HTTP attempt to a webhook target.",
            ["target"],
            registry=registry,
            buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )
        self.depth = Gauge(
            "roomwatch_webhook_queue_depth",
            "Alert events waiting for a webhook target.",
            ["target"],
            registry=registry,
        )


class _Lane:
    """One target's bounded queue and worker."""

    def __init__(self, target: WebhookTarget) -> None:
        self.target = target
        self.queue: deque[AlertEvent] = deque()
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None


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
    ) -> None:
        self._targets = tuple(targets)
        names = [t.name for t in self._targets]
        if len(set(names)) != len(names):
            raise ConfigError("webhook target names must be unique")
        self._metrics = _Metrics(registry)
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
            if not lane.target.wants(event):
                continue
            if self._closed:
                self._metrics.deliveries.labels(lane.target.name, "dropped").inc()
                continue
            if len(lane.queue) >= lane.target.queue_size:
                lane.queue.popleft()
                self._metrics.deliveries.labels(lane.target.name, "dropped").inc()
            lane.queue.append(event)
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
        policy = self._policy
        for attempt in range(1, policy.max_attempts + 1):
            try:
                await self._attempt(target, event)
            except _Reject as exc:
                self._metrics.attempts.labels(target.name, exc.result).inc()
                return "rejected"
            except _Retry as exc:
                self._metrics.attempts.labels(target.name, exc.result).inc()
                if attempt == policy.max_attempts or self._closed:
                    return "failed"
                delay = policy.delay(attempt, self._rand())
                if exc.retry_after is not None:
                    delay = max(delay, min(exc.retry_after, policy.max_delay))
                await self._sleep(delay)
            else:
                self._metrics.attempts.labels(target.name, "ok").inc()
                return "delivered"
        return "failed"  # pragma: no cover - the loop always returns

    async def _attempt(self, target: WebhookTarget, event: AlertEvent) -> None:
        assert self._session is not None
        request = build_request(target, event, self._clock())
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
            raise _Retry("http_error", wait)
        if status >= 300:
            raise _Reject("http_error")
        if target.format in _VENDOR_RETRY:
            code = _vendor_code(target.format, text)
            if code is None:
                raise _Retry("vendor_error")
            if code != 0:
                if code in _VENDOR_RETRY[target.format]:
                    raise _Retry("vendor_error")
                raise _Reject("vendor_error")


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
