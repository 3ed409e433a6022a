"""The message each webhook format gets for one alert event (pure, no I/O).

Viewer text (comment samples, user ids and names, raid accounts, top terms,
topics, and the room name and alert summary they are quoted in) reaches chat
groups here, so every such field is *neutralised* before it is placed:

1. **Cleaned.** Line breaks, tabs and every other whitespace run become one
   space, and control and format characters (bidi overrides, zero-width
   characters) are removed, so a name can never start a line of its own.
2. **Capped** to a few dozen characters per field (:data:`CAPS`).
3. **Defanged.** URLs and bare domain names get ``[:]``/``[.]`` (``hxxp``
   style, as in threat reports): ``http[:]//x[.]cn``. No client turns them
   into a link, so a viewer cannot plant a clickable link in the group.
4. **Escaped for the format.**

   - Slack (both styles; the top-level ``text`` is mrkdwn too): ``&``, ``<``
     and ``>`` become ``&amp;``, ``&lt;``, ``&gt;`` as Slack's formatting
     reference requires, so ``<!channel>``, ``<@U123>`` and ``<url|x>`` are
     shown, not parsed. mrkdwn has no escape for ``*``, ``_``, ``~`` and
     `````; those become their full-width forms (``＊`` ...), as jsx-slack's
     ``<Escape>`` does. mrkdwn sections carry ``verbatim: true``.
   - Feishu, DingTalk and WeCom (both styles): their markdown dialects
     (``lark_md``, DingTalk's and WeCom's subsets) document no reliable escape
     and their text messages parse ``<at user_id="all">`` (Feishu) and
     ``<@userid>`` (WeCom), so every character that starts markup (``< > [ ]
     * _ ~ ` # @ | & \\ $``) becomes its full-width twin: the text reads the
     same and no client parses it. A field that starts with ``-``, ``+``,
     ``=`` or ``1.`` gets that first mark widened too.
   - Feishu cards put all of it in ``plain_text`` elements, never
     ``lark_md``.
   - The generic ``json`` format carries the data as data: fields are capped
     (longer caps) and ``text`` is cleaned, nothing is escaped; a receiver
     that renders it must escape it itself.

Sizes are checked on the encoded body against each vendor's documented limit
(:data:`LIMITS`); when over, samples are dropped one by one (last first), then
the remaining text is clipped at a UTF-8 boundary.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Final

from roomwatch.core.alerts import AlertEvent, Sample

__all__ = ["CAPS", "LIMITS", "neutralise", "render", "slack_escape"]

#: Characters kept from one viewer-derived field in a chat message.
CAPS: Final = {"name": 24, "text": 60, "term": 16, "room": 48, "summary": 300}
#: The same for the generic JSON format (data for machines: longer).
JSON_CAPS: Final = {"name": 64, "text": 200, "term": 32, "room": 128, "summary": 600}
#: Encoded-size limits in bytes (Slack's are characters), per format part.
LIMITS: Final = {
    # Feishu custom bot: request body at most 20 KB.
    "feishu": 20_000,
    # DingTalk publishes no size limit for robot messages; held to Feishu's.
    "dingtalk": 20_000,
    # WeCom group robot: markdown.content <= 4096 bytes, text.content <= 2048.
    "wecom_markdown": 4096,
    "wecom_text": 2048,
    # Slack: a header's plain_text <= 150 chars, a section's text <= 3000 chars;
    # top-level text is truncated at 40,000 chars (we keep to 4,000).
    "slack_header": 150,
    "slack_section": 3000,
    "slack_text": 4000,
    # Generic JSON: our own bound.
    "json": 64 * 1024,
}
#: Room left for Feishu's ``timestamp`` and ``sign`` fields.
_SIGN_ROOM: Final = 200
_MAX_SAMPLES: Final = 5

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

# --------------------------------------------------------------------------- neutralising

_WIDE: Final = str.maketrans(
    {
        "<": "＜",
        ">": "＞",
        "[": "［",
        "]": "］",
        "*": "＊",
        "_": "＿",
        "~": "～",
        "`": "｀",
        "#": "＃",
        "@": "＠",
        "|": "｜",
        "&": "＆",
        "\\": "＼",
        "$": "＄",
    }
)
_SLACK_WIDE: Final = str.maketrans({"*": "＊", "_": "＿", "~": "～", "`": "｀", "@": "＠"})
_LEAD_WIDE: Final = str.maketrans({"-": "－", "+": "＋", "=": "＝", ".": "．", ")": "）"})
_LEADING: Final = re.compile(r"^(?:[-+=]|\d+[.)])")
_URL: Final = re.compile(
    r"(?i)\b(?:[a-z][a-z0-9+.\-]*://|www\.)\S*|\b(?:mailto|tel|javascript|data):"
)
_DOMAIN: Final = re.compile(
    r"(?i)\b[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?)*"
    r"\.[a-z]{2,24}\b"
)


def clean(text: str, cap: int) -> str:
    """One line: whitespace runs become a space, control/format characters go; then capped."""
    text = " ".join(text.split())
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in text):
        text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf"))
        text = " ".join(text.split())
    return text if len(text) <= cap else text[: cap - 1] + "…"


def _defang_match(match: re.Match[str]) -> str:
    found = match.group(0)
    if "://" in found:
        return found.replace("://", "[:]//").replace(".", "[.]")
    if found.lower().startswith("www."):
        return found.replace(".", "[.]")
    return found.replace(":", "[:]")  # mailto:, tel:, javascript:, data:


def defang(text: str) -> str:
    """``http://x.cn`` → ``http[:]//x[.]cn``; bare ``x.com`` → ``x[.]com``."""
    text = _URL.sub(_defang_match, text)
    return _DOMAIN.sub(lambda m: m.group(0).replace(".", "[.]"), text)


def neutralise(text: str, cap: int) -> str:
    """Viewer text for Feishu, DingTalk and WeCom (markdown or text): inert."""
    text = defang(clean(text, cap)).translate(_WIDE)
    match = _LEADING.match(text)
    if match:
        lead = match.group(0)
        text = lead[:-1] + lead[-1].translate(_LEAD_WIDE) + text[len(lead) :]
    return text


def slack_escape(text: str) -> str:
    """Slack's three control characters as entities (its formatting reference)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def neutralise_slack(text: str, cap: int) -> str:
    """Viewer text for Slack mrkdwn: entities for & < >, full-width for the rest."""
    return slack_escape(defang(clean(text, cap)).translate(_SLACK_WIDE))


Escape = Callable[[str, int], str]

# --------------------------------------------------------------------------- text parts


@dataclass(frozen=True, slots=True)
class _Extras:
    """What a target adds to every message, from config (not viewer text)."""

    #: The target's dashboard address; empty: none.
    link: str = ""
    #: The room's display title (``[rooms."<room>"] title``); empty: none.
    room_title: str = ""


_NO_EXTRAS: Final = _Extras()
#: China's time (no daylight saving since 1991): what a comms reader's clock says.
_BEIJING: Final = timezone(timedelta(hours=8))


def _title(
    event: AlertEvent, esc: Escape, caps: Mapping[str, int], extras: _Extras = _NO_EXTRAS
) -> str:
    a = event.alert
    what = _DETECTOR_ZH.get(a.detector) or esc(a.detector, caps["term"])
    if a.evidence.topic:
        what = f"{what}「{esc(a.evidence.topic, caps['term'])}」"
    room = esc(a.room, caps["room"])
    if extras.room_title:
        room = f"{esc(extras.room_title, caps['room'])}（{room}）"
    return f"【{_SEVERITY_ZH[a.severity]}·{_KIND_ZH[event.kind]}】{room}：{what}"


def _facts(event: AlertEvent, esc: Escape, caps: Mapping[str, int]) -> list[str]:
    a = event.alert
    ev = a.evidence
    lines = []
    if a.started_at > 0:
        started = datetime.fromtimestamp(a.started_at, _BEIJING)
        lines.append(f"开始：{started:%m-%d %H:%M:%S}（北京时间）")
    if event.kind == "resolve":
        lines.append(f"持续 {max(0.0, (a.resolved_at or event.ts) - a.started_at):.0f} 秒后恢复")
    if event.kind == "ack":
        lines.append(f"确认人：{esc(event.actor or '', caps['name'])}")
    # (A raid's summary counts its own span; a system alert has no window.)
    if (ev.count or ev.rate_per_min) and a.detector != "abuse_raid" and ev.window_seconds > 0:
        rate = f"{ev.rate_per_min:.0f}/分钟"
        if ev.baseline_per_min:
            rate += f"（基线 {ev.baseline_per_min:.1f}/分钟）"
        lines.append(f"数量：{ev.count} 条 / {ev.window_seconds:g} 秒，速率 {rate}")
    if ev.share is not None:
        base = f"（基线 {ev.baseline_share:.0%}）" if ev.baseline_share is not None else ""
        lines.append(f"占比：{ev.share:.0%}{base}")
    if ev.accounts:
        shown = "、".join(esc(acc, caps["name"]) for acc in ev.accounts[:8])
        more = f" 等{ev.users}个" if ev.users > 8 else ""
        lines.append(f"账号：{shown}{more}，共 {ev.messages} 条")
    elif ev.users:
        lines.append(f"用户数：{ev.users}")
    if ev.top_terms and a.detector != "abuse_raid":
        terms = (f"{esc(t, caps['term'])}({n})" for t, n in ev.top_terms[:6])
        lines.append("高频词：" + "、".join(terms))
    return lines


#: A sample comment's label as a comms reader says it (the JSON body keeps the code).
_LABEL_ZH: Final = {
    "question": "提问",
    "grievance": "投诉",
    "abuse": "辱骂",
    "spam": "引流广告",
    "chatter": "闲聊",
}


def _samples(event: AlertEvent, esc: Escape, caps: Mapping[str, int], n: int) -> list[str]:
    out = []
    for s in event.alert.evidence.samples[:n]:
        user = esc(s.user or "匿名", caps["name"])
        label = _LABEL_ZH.get(s.label) or esc(s.label, caps["term"])
        mood = "负面" if s.sentiment <= -0.3 else "正面" if s.sentiment >= 0.3 else "中性"
        out.append(f"{user}：{esc(s.text, caps['text'])}（{label}，情绪{mood} {s.sentiment:+.1f}）")
    return out


def _plain(
    event: AlertEvent, esc: Escape, caps: Mapping[str, int], n: int, extras: _Extras = _NO_EXTRAS
) -> str:
    a = event.alert
    parts = [
        _title(event, esc, caps, extras),
        esc(a.summary, caps["summary"]),
        *_facts(event, esc, caps),
    ]
    samples = _samples(event, esc, caps, n)
    if samples:
        parts.append("样例：")
        parts.extend(f"- {s}" for s in samples)
    parts.append(f"告警ID：{esc(a.id, caps['room'])}")
    if extras.link:  # (from config, checked as an http(s) URL: not viewer text)
        parts.append(f"查看：{extras.link}")
    return "\n".join(parts)


def _markdown(
    event: AlertEvent,
    esc: Escape,
    caps: Mapping[str, int],
    n: int,
    heading: str,
    extras: _Extras = _NO_EXTRAS,
) -> str:
    a = event.alert
    parts = [
        f"{heading} {_title(event, esc, caps, extras)}",
        "",
        esc(a.summary, caps["summary"]),
        "",
    ]
    parts.extend(f"- {line}" for line in _facts(event, esc, caps))
    samples = _samples(event, esc, caps, n)
    if samples:
        parts.append("")
        parts.extend(f"> {s}" for s in samples)
    parts.extend(["", f"告警ID：{esc(a.id, caps['room'])}"])
    if extras.link:
        parts.append(f"[打开看板]({extras.link})")
    return "\n".join(parts)


# --------------------------------------------------------------------------- sizes


def json_bytes(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def clip_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes at a character boundary (with "…")."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", "ignore") + "…"


def _clip_chars(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _fit(build: Callable[[int], tuple[dict[str, Any], int]], limit: int) -> dict[str, Any]:
    """The payload with the most samples (5 down to 0) whose measured size fits ``limit``."""
    payload: dict[str, Any] = {}
    for n in range(_MAX_SAMPLES, -1, -1):
        payload, size = build(n)
        if size <= limit:
            return payload
    return payload  # still over: the caller clips its text


# --------------------------------------------------------------------------- formats


def _json_event(event: AlertEvent) -> AlertEvent:
    """The event with every viewer-derived string capped (JSON_CAPS); data stays data."""
    c = JSON_CAPS
    a = event.alert
    ev = a.evidence

    def cap(text: str, key: str) -> str:
        return clean(text, c[key])

    samples = tuple(
        Sample(
            cap(s.text, "text"),
            None if s.user is None else cap(s.user, "name"),
            s.label,
            s.sentiment,
            s.ts,
        )
        for s in ev.samples
    )
    evidence = replace(
        ev,
        samples=samples,
        accounts=tuple(cap(x, "name") for x in ev.accounts[:50]),
        top_terms=tuple((cap(t, "term"), n) for t, n in ev.top_terms[:10]),
        topic=None if ev.topic is None else cap(ev.topic, "term"),
    )
    alert = replace(
        a,
        room=cap(a.room, "room"),
        key=cap(a.key, "term"),
        summary=cap(a.summary, "summary"),
        evidence=evidence,
        acked_by=None if a.acked_by is None else cap(a.acked_by, "name"),
    )
    actor = None if event.actor is None else cap(event.actor, "name")
    return replace(event, alert=alert, actor=actor)


def _render_json(event: AlertEvent, extras: _Extras) -> dict[str, Any]:
    capped = _json_event(event)
    plain_caps = {**JSON_CAPS}

    def build(n: int) -> tuple[dict[str, Any], int]:
        trimmed = replace(
            capped,
            alert=replace(
                capped.alert,
                evidence=replace(capped.alert.evidence, samples=capped.alert.evidence.samples[:n]),
            ),
        )
        text = _plain(trimmed, clean, plain_caps, n, extras)
        payload = {"source": "roomwatch", "text": text, **trimmed.to_dict()}
        if extras.link:
            payload["link"] = extras.link
        if extras.room_title:
            payload["room_title"] = clean(extras.room_title, JSON_CAPS["room"])
        return payload, len(json_bytes(payload))

    return _fit(build, LIMITS["json"])


def _render_feishu(event: AlertEvent, rich: bool, extras: _Extras) -> dict[str, Any]:
    limit = LIMITS["feishu"] - _SIGN_ROOM
    caps = CAPS
    esc = neutralise
    a = event.alert

    def build(n: int) -> tuple[dict[str, Any], int]:
        payload: dict[str, Any]
        if rich:
            template = "green" if event.kind == "resolve" else _FEISHU_TEMPLATE[a.severity]
            facts = _facts(event, esc, caps)
            elements: list[dict[str, Any]] = [_feishu_div(esc(a.summary, caps["summary"]))]
            if facts:  # (an empty div: a blank block, or a card Feishu refuses)
                elements.append(_feishu_div("\n".join(facts)))
            samples = _samples(event, esc, caps, n)
            if samples:
                elements.append({"tag": "hr"})
                elements.append(_feishu_div("\n".join(samples)))
            if extras.link:
                elements.append(
                    {
                        "tag": "action",
                        "actions": [
                            {
                                "tag": "button",
                                "text": {"tag": "plain_text", "content": "打开看板"},
                                "type": "default",
                                "url": extras.link,
                            }
                        ],
                    }
                )
            elements.append(
                {
                    "tag": "note",
                    "elements": [
                        {"tag": "plain_text", "content": f"roomwatch · {esc(a.id, caps['room'])}"}
                    ],
                }
            )
            payload = {
                "msg_type": "interactive",
                "card": {
                    "config": {"wide_screen_mode": True},
                    "header": {
                        "title": {"tag": "plain_text", "content": _title(event, esc, caps, extras)},
                        "template": template,
                    },
                    "elements": elements,
                },
            }
        else:
            payload = {"msg_type": "text", "content": {"text": _plain(event, esc, caps, n, extras)}}
        return payload, len(json_bytes(payload))

    payload = _fit(build, limit)
    if len(json_bytes(payload)) > limit:  # only a pathological summary gets here
        payload = {
            "msg_type": "text",
            "content": {"text": clip_bytes(_plain(event, esc, caps, 0), limit // 2)},
        }
    return payload


def _feishu_div(content: str) -> dict[str, Any]:
    # plain_text: Feishu renders it as is (no lark_md, no <at>, no links).
    return {"tag": "div", "text": {"tag": "plain_text", "content": content}}


def _render_dingtalk(event: AlertEvent, rich: bool, extras: _Extras) -> dict[str, Any]:
    esc = neutralise
    limit = LIMITS["dingtalk"]

    def build(n: int) -> tuple[dict[str, Any], int]:
        payload: dict[str, Any]
        if rich:
            payload = {
                "msgtype": "markdown",
                "markdown": {
                    "title": _title(event, esc, CAPS, extras),
                    "text": _markdown(event, esc, CAPS, n, "###", extras),
                },
            }
        else:
            payload = {"msgtype": "text", "text": {"content": _plain(event, esc, CAPS, n, extras)}}
        return payload, len(json_bytes(payload))

    payload = _fit(build, limit)
    if len(json_bytes(payload)) > limit:
        part = payload["markdown"] if rich else payload["text"]
        key = "text" if rich else "content"
        part[key] = clip_bytes(part[key], limit // 2)
    return payload


def _render_wecom(event: AlertEvent, rich: bool, extras: _Extras) -> dict[str, Any]:
    esc = neutralise
    limit = LIMITS["wecom_markdown" if rich else "wecom_text"]

    def content(n: int) -> str:
        if rich:
            return _markdown(event, esc, CAPS, n, "##", extras)
        return _plain(event, esc, CAPS, n, extras)

    def build(n: int) -> tuple[dict[str, Any], int]:
        text = content(n)
        return {"text": text}, len(text.encode())

    text = clip_bytes(_fit(build, limit)["text"], limit)
    if rich:
        return {"msgtype": "markdown", "markdown": {"content": text}}
    return {"msgtype": "text", "text": {"content": text}}


def _render_slack(event: AlertEvent, rich: bool, extras: _Extras) -> dict[str, Any]:
    esc = neutralise_slack
    a = event.alert
    if not rich:

        def build_text(n: int) -> tuple[dict[str, Any], int]:
            text = _plain(event, esc, CAPS, n, extras)
            return {"text": text}, len(text)

        text = _fit(build_text, LIMITS["slack_text"])["text"]
        return {"text": _clip_chars(text, LIMITS["slack_text"])}
    section = LIMITS["slack_section"]
    # A header is plain_text: shown as typed, so it is cleaned, capped and defanged only.
    header = _clip_chars(_title(event, _plain_slack, CAPS, extras), LIMITS["slack_header"])
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header}},
        _slack_section(_clip_chars(esc(a.summary, CAPS["summary"]), section)),
    ]
    facts = _facts(event, esc, CAPS)
    if facts:
        blocks.append(_slack_section(_clip_lines(facts, section)))
    samples = _samples(event, esc, CAPS, _MAX_SAMPLES)
    if samples:
        blocks.append(_slack_section(_clip_lines((f"> {s}" for s in samples), section)))
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"roomwatch · {esc(a.id, CAPS['room'])}"
                    + (f" · <{extras.link}|打开看板>" if extras.link else ""),
                }
            ],
        }
    )
    fallback = f"{_title(event, esc, CAPS, extras)} {esc(a.summary, CAPS['summary'])}"
    return {"text": _clip_chars(fallback, LIMITS["slack_text"]), "blocks": blocks}


def _plain_slack(text: str, cap: int) -> str:
    return defang(clean(text, cap))


def _slack_section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def _clip_lines(lines: Iterable[str], n: int) -> str:
    return _clip_chars("\n".join(lines), n)


def render(
    fmt: str, style: str, event: AlertEvent, link: str = "", room_title: str = ""
) -> dict[str, Any]:
    """The JSON payload for ``event`` in format ``fmt`` and ``style`` (rich or text),
    ending with ``link`` (the target's dashboard address, from config) if given;
    the chat formats name the room by ``room_title`` (from config) too."""
    rich = style == "rich"
    extras = _Extras(link, room_title)
    if fmt == "json":
        return _render_json(event, extras)
    if fmt == "feishu":
        return _render_feishu(event, rich, extras)
    if fmt == "dingtalk":
        return _render_dingtalk(event, rich, extras)
    if fmt == "wecom":
        return _render_wecom(event, rich, extras)
    return _render_slack(event, rich, extras)
