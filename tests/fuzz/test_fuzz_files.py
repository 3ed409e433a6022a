"""Fuzz what roomwatch reads from files: recordings (plain and .gz, with gzip
bombs), the importers (Bilibili XML, BililiveRecorder XML, CSV) and the
config loader. Every case: records, warnings or one clear error; never a
crash, a hang or unbounded memory."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from roomwatch.config import load_settings
from roomwatch.core.errors import ConfigError, RecordError
from roomwatch.core.record import Comment, parse_json
from roomwatch.recordings import RecordingError, iter_lines, iter_records
from tests.fuzz.support import budget, nasty_numbers, nasty_text, payloads

# Hypothesis warns when it prints a megabyte-long failing example; that is
# the point of some examples here.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")


def _read_all(path: Path) -> tuple[int, int, list[str]]:
    """Read ``path`` like replay does: (records, rejects, warnings)."""
    warnings: list[str] = []
    good = bad = 0
    try:
        for pos, raw in iter_records(path, on_warning=warnings.append):
            assert isinstance(pos, int)
            try:
                if isinstance(raw, bytes):
                    parse_json(raw, received_at=0.0)
                else:
                    Comment.from_dict(raw, received_at=0.0)
            except RecordError:
                bad += 1
            else:
                good += 1
    except RecordingError as exc:
        warnings.append(f"error: {exc}")
    return good, bad, warnings


# -- recordings -------------------------------------------------------------


@budget(60)
@given(st.lists(payloads(), max_size=5), st.sampled_from(["plain", "gz", "gz-cut", "gz-junk"]))
def test_recordings_of_anything(tmp_path: Path, chunks: list[bytes], form: str) -> None:
    data = b"\n".join(chunks)
    path = tmp_path / "fuzz.jsonl"
    if form == "plain":
        path.write_bytes(data)
    else:
        packed = gzip.compress(data)
        if form == "gz-cut":
            packed = packed[: max(2, len(packed) // 2)]
        elif form == "gz-junk":
            packed = packed + b"\x1f\x8bjunk" + bytes(range(256))
        path = tmp_path / "fuzz.jsonl.gz"
        path.write_bytes(packed)
    _read_all(path)


def _bomb(path: Path, unit: bytes, total: int) -> None:
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = unit * (1024 * 1024 // len(unit))
    with open(path, "wb") as fh:
        for _ in range(total // len(block)):
            fh.write(comp.compress(block))
        fh.write(comp.flush())


def test_a_gzip_bomb_is_read_in_bounded_memory(tmp_path: Path) -> None:
    # 64 MiB of zeros in one "line" from a ~64 KB file: the reader skips the
    # long line with a warning and holds at most about a line's limit.
    one_line = tmp_path / "one-line.jsonl.gz"
    _bomb(one_line, b"\x00", 64 * 1024 * 1024)
    assert one_line.stat().st_size < 256 * 1024
    tracemalloc.start()
    try:
        warnings: list[str] = []
        assert list(iter_lines(one_line, on_warning=warnings.append)) == []
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert any("longer than" in w for w in warnings)
    assert peak < 16 * 1024 * 1024, peak
    # Blank lines by the million are skipped, one chunk at a time.
    blank = tmp_path / "blank.jsonl.gz"
    _bomb(blank, b"\n", 2 * 1024 * 1024)
    assert list(iter_lines(blank)) == []


# -- importers --------------------------------------------------------------

_attr = st.one_of(nasty_text, nasty_numbers.map(str))


@st.composite
def bilibili_xml(draw: st.DrawFn) -> bytes:
    items = []
    for _ in range(draw(st.integers(0, 6))):
        p = ",".join(draw(st.lists(_attr, min_size=0, max_size=10)))
        items.append(f"<d p={quoteattr(p)}>{escape(draw(nasty_text))}</d>")
    body = f"<i><chatid>{escape(draw(nasty_text))}</chatid>{''.join(items)}</i>"
    raw = body.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        raw = raw[: draw(st.integers(0, len(raw)))]
    return raw


@st.composite
def recorder_xml(draw: st.DrawFn) -> bytes:
    els = []
    for _ in range(draw(st.integers(0, 6))):
        tag = draw(st.sampled_from(["d", "sc", "gift", "guard", "x"]))
        attrs = {
            name: draw(_attr)
            for name in draw(
                st.sets(
                    st.sampled_from(
                        [
                            "p",
                            "ts",
                            "user",
                            "uid",
                            "price",
                            "giftname",
                            "giftcount",
                            "guard_level",
                            "count",
                            "raw",
                        ]
                    )
                )
            )
        }
        if "raw" in attrs and draw(st.booleans()):
            attrs["raw"] = draw(
                st.sampled_from(
                    ['{"total_coin": 1e999}', '{"price": NaN, "num": 3}', "[" * 5000, '{"num": -1}']
                )
            )
        text = " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items())
        els.append(f"<{tag} {text}>{escape(draw(nasty_text))}</{tag}>")
    start = draw(st.sampled_from(["2026-12-06T12:00:00+08:00", "bogus", "9999-99-99", ""]))
    body = (
        f'<i><BililiveRecorder/><BililiveRecorderRecordInfo roomid="{draw(st.integers())}" '
        f'start_time="{start}"/>{"".join(els)}</i>'
    )
    raw = body.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        raw = raw[: draw(st.integers(0, len(raw)))]
    return raw


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    header = draw(
        st.sampled_from(
            [
                "room,text,ts,user_id,user_name,user_level,id,kind,amount",
                "text,ts",
                "room;text",
                "",
            ]
        )
    )
    rows = [header]
    cell = st.one_of(nasty_text, nasty_numbers.map(str))
    for _ in range(draw(st.integers(0, 6))):
        rows.append(
            ",".join(
                '"' + c.replace('"', '""') + '"' if draw(st.booleans()) else c
                for c in draw(st.lists(cell, max_size=10))
            )
        )
    raw = "\n".join(rows).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        raw += draw(st.binary(max_size=64))
    return raw


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE i [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    b'<i><d p="1,1,25,1,1700000000,0,u,1">&c;</d></i>'
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE i [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<i><d p="1,1,25,1,1700000000,0,u,1">&x;</d></i>'
)


@budget(150)
@given(bilibili_xml(), st.booleans())
@example(BILLION_LAUGHS, False)
@example(EXTERNAL_ENTITY, False)
@example(b"<i>" + b"<d>" * 100_000, False)
def test_bilibili_xml(tmp_path: Path, data: bytes, packed: bool) -> None:
    path = tmp_path / ("danmaku.xml.gz" if packed else "danmaku.xml")
    path.write_bytes(gzip.compress(data) if packed else data)
    good, _, warnings = _read_all(path)
    if data in (BILLION_LAUGHS, EXTERNAL_ENTITY):
        assert good == 0 and any("error" in w for w in warnings)


@budget(150)
@given(recorder_xml())
def test_bililiverecorder_xml(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "live.xml"
    path.write_bytes(data)
    _read_all(path)


@budget(150)
@given(csv_files(), st.sampled_from(["a.csv", "a.tsv", "a.csv.gz"]))
def test_csv(tmp_path: Path, data: bytes, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    _read_all(path)


# -- config -----------------------------------------------------------------

_SECTIONS = {
    "server": ["host", "port", "allowed_origins", "max_body_bytes"],
    "pipeline": ["batch_max", "batch_wait_ms", "queue_max", "dedupe_window"],
    "hub": ["client_queue", "slow_client", "resume_buffer", "moderator_backlog"],
    "recorder": ["enabled", "dir", "flush_interval_s", "max_bytes", "max_age_s", "fsync"],
    "limits": [
        "max_records_per_request",
        "connections_per_ip",
        "client_messages_per_s",
        "user_comments_per_s",
        "user_comments_burst",
    ],
    "store": ["path"],
}
_toml_values = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(str),
    st.sampled_from(
        [
            "nan",
            "inf",
            "-inf",
            "+nan",
            "1e999",
            "0",
            "-1",
            "true",
            "[]",
            "{}",
            '"x"',
            '[1, "a"]',
            "1979-05-27T07:32:00Z",
            "0x10",
            "'\\ud800'",
        ]
    ),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    nasty_text.map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'),
)


@st.composite
def toml_files(draw: st.DrawFn) -> bytes:
    lines = []
    for section in draw(
        st.lists(st.sampled_from([*_SECTIONS, "bogus", "sources.websocket"]), max_size=4)
    ):
        lines.append(f"[{section}]")
        keys = _SECTIONS.get(section, ["url", "name", "x"])
        for key in draw(st.lists(st.sampled_from([*keys, "unknown_key"]), max_size=4)):
            lines.append(f"{key} = {draw(_toml_values)}")
    if draw(st.booleans()):
        lines.append("[[tokens]]")
        lines.append(f"role = {draw(_toml_values)}")
        lines.append(f"token = {draw(_toml_values)}")
    raw = "\n".join(lines).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        raw += draw(st.binary(max_size=32))
    return raw


@budget(300)
@given(toml_files())
@example(b"[pipeline]\nbatch_wait_ms = nan\n")
@example(b"[limits]\nuser_comments_per_s = inf\n")
@example(b"[server]\nmax_body_bytes = -1\n")
@example(b"[" * 10_000)
@example(b"\x80 = 1\n")
def test_config_loader(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "roomwatch.toml"
    path.write_bytes(data)
    try:
        settings = load_settings(path, environ={})
    except ConfigError as exc:
        assert str(exc)
        return
    # What is accepted is usable: every number finite, limits positive.
    for section in (settings.server, settings.pipeline, settings.limits, settings.recorder):
        for value in (getattr(section, f) for f in section.__dataclass_fields__):
            if isinstance(value, float):
                assert value == value and abs(value) != float("inf")
