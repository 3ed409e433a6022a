"""The schema engine: a decoded TOML table checked against typed dataclasses.

The schema *is* the section dataclasses: their field names are the keys,
their type hints the types, their defaults the defaults. Bounds ride on the
hints as ``Annotated[int, msgspec.Meta(ge=1)]`` (see :mod:`.types`); sections
whose dataclass lives in ``core`` (which imports no msgspec) get theirs from
a rule table (:mod:`.rules`). msgspec converts and bounds-checks each value;
this module walks the tables so that *every* problem is reported at once,
each with its dotted key path:

    alerts.window_secs is not a known key (did you mean 'window_seconds'?)
    server.port must be an integer from 0 to 65535, not 70000

Every number must also be finite: TOML allows ``nan`` and ``inf``, and
``batch_wait_ms = nan`` would pass every comparison and stall the pipeline.
A check across two fields of one table (:data:`CHECKS`) runs once that
table's own keys are valid, so it is reported on the next run after a
type error in the same table.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal, TypeVar

import msgspec

from roomwatch.core.errors import ConfigError

__all__ = [
    "CHECKS",
    "RULES",
    "InvalidConfig",
    "Problem",
    "build_dataclass",
    "check_table",
    "describe",
    "field_types",
    "join",
]

T = TypeVar("T")

#: Per-dataclass overrides of field types, for dataclasses this package does
#: not own: ``{cls: {field: msgspec.Meta | replacement type}}`` (filled by
#: :mod:`.rules`).
RULES: Final[dict[type, dict[str, Any]]] = {}
#: Per-dataclass checks that relate two fields; each yields ``(field, reason)``.
CHECKS: Final[dict[type, Callable[[Any], Iterable[tuple[str, str]]]]] = {}
#: Extra words for an unknown key at this path.
_UNKNOWN_HINTS: Final = {
    "sources": "expected websocket, replay or bilibili (HTTP ingest is always on at POST /ingest)",
}
#: Unknown keys list the allowed ones when there are at most this many.
_LIST_ALLOWED: Final = 16
_BARE_KEY: Final = re.compile(r"[A-Za-z0-9_-]+")
_MISSING: Final = object()


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the config: where (a dotted key path) and what."""

    path: str
    reason: str

    def __str__(self) -> str:
        if not self.path:
            return self.reason
        sep = "" if self.reason.startswith(":") else " "
        return f"{self.path}{sep}{self.reason}"


class InvalidConfig(ConfigError):
    """The config breaks the schema; :attr:`problems` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        lines = [str(p) for p in self.problems]
        if len(lines) == 1:
            super().__init__(lines[0])
        else:
            super().__init__(f"{len(lines)} problems:\n  " + "\n  ".join(lines))


# --------------------------------------------------------------------------- paths


def join(path: str, key: str) -> str:
    """``path.key``, quoting a key that is not a bare TOML key (``rooms."a b"``)."""
    if not _BARE_KEY.fullmatch(key):
        key = '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{path}.{key}" if path else key


# --------------------------------------------------------------------------- types


def field_types(cls: type) -> dict[str, Any]:
    """The config keys of dataclass ``cls`` and their types, rules applied."""
    hints = typing.get_type_hints(cls, include_extras=True)
    rules = RULES.get(cls, {})
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if not f.init or f.metadata.get("internal", False):
            continue
        hint = hints[f.name]
        rule = rules.get(f.name)
        if isinstance(rule, msgspec.Meta):
            hint = Annotated[hint, rule]
        elif rule is not None:
            hint = rule
        out[f.name] = hint
    return out


def _unwrap(hint: Any) -> tuple[Any, list[msgspec.Meta]]:
    """Strip ``Annotated`` (returning its metas) and ``| None`` / unset."""
    metas: list[msgspec.Meta] = []
    while True:
        if typing.get_origin(hint) is Annotated:
            args = typing.get_args(hint)
            metas += [m for m in args[1:] if isinstance(m, msgspec.Meta)]
            hint = args[0]
            continue
        if typing.get_origin(hint) in (types.UnionType, typing.Union):
            rest = [a for a in typing.get_args(hint) if a is not type(None)]
            if len(rest) == 1:
                hint = rest[0]
                continue
        return hint, metas


def _is_table(hint: Any) -> bool:
    return dataclasses.is_dataclass(hint) and isinstance(hint, type)


def _items_of(hint: Any) -> Any | None:
    """The item type of a variable-length tuple, list or set hint; else None."""
    origin = typing.get_origin(hint)
    if origin in (tuple, list, frozenset, set, Sequence):
        args = typing.get_args(hint)
        return args[0] if args else Any
    return None


def _values_of(hint: Any) -> Any | None:
    """The value type of a ``Mapping[str, V]`` hint; else None."""
    if typing.get_origin(hint) in (dict, Mapping):
        args = typing.get_args(hint)
        return args[1] if args else Any
    return None


_NAMES: Final = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def describe(hint: Any) -> str:
    """What a value of ``hint`` must be, in words: ``an integer from 0 to 65535``."""
    base, metas = _unwrap(hint)
    lo = hi = None
    lo_open = hi_open = False
    words: list[str] = []
    min_length = 0
    for m in metas:
        if m.ge is not None:
            lo = m.ge
        if m.gt is not None:
            lo, lo_open = m.gt, True
        if m.le is not None:
            hi = m.le
        if m.lt is not None:
            hi, hi_open = m.lt, True
        if m.pattern == r"\S":
            words.append("non-blank")
        min_length = max(min_length, m.min_length or 0)
    if typing.get_origin(base) is Literal:
        return "one of " + ", ".join(repr(v) for v in typing.get_args(base))
    if _is_table(base):
        return "a table"
    if (item := _items_of(base)) is not None:
        kind = "a non-empty array" if min_length else "an array"
        return f"{kind} of {_plural(describe(item))}"
    if (value := _values_of(base)) is not None:
        return f"a table of {_plural(describe(value))}"
    name = _NAMES.get(base, "any value" if base is Any else getattr(base, "__name__", str(base)))
    if words:
        name = f"a {' '.join(words)} {name.split(' ', 1)[1]}"
    if lo is not None and hi is not None and not lo_open and not hi_open:
        return f"{name} from {_number(lo)} to {_number(hi)}"
    bounds = []
    if lo is not None:
        bounds.append(f"above {_number(lo)}" if lo_open else f"at least {_number(lo)}")
    if hi is not None:
        bounds.append(f"below {_number(hi)}" if hi_open else f"at most {_number(hi)}")
    return f"{name} {' and '.join(bounds)}" if bounds else name


def _plural(words: str) -> str:
    """``an integer at least 1`` -> ``integers at least 1`` (good enough for our types)."""
    for single, many in (
        ("an integer", "integers"),
        ("a number", "numbers"),
        ("a non-blank string", "non-blank strings"),
        ("a string", "strings"),
        ("a table", "tables"),
        ("an array", "arrays"),
        ("true or false", "true or false values"),
        ("one of", "values among"),
    ):
        if words.startswith(single):
            return many + words[len(single) :]
    return words


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------- the walk


def check_table(
    cls: type[T],
    raw: object,
    path: str,
    problems: list[Problem],
    environ: Mapping[str, str] | None = None,
) -> T | None:
    """Check ``raw`` against dataclass ``cls``; the built value, or None after a problem.

    Problems are appended to ``problems``; the walk goes on past them, so one
    pass reports every unknown key, wrong type and bad value in the file.
    With ``environ``, a string field marked ``env`` may be ``"env:NAME"``
    and is replaced by that variable's value.
    """
    if not isinstance(raw, Mapping):
        problems.append(Problem(path or "the config", f"must be a table, not {_show(raw)}"))
        return None
    types_ = field_types(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    before = len(problems)
    values: dict[str, Any] = {}
    for key, value in raw.items():
        where = join(path, str(key))
        if key not in types_:
            problems.append(Problem(where, _unknown(str(key), path, types_)))
            continue
        meta = fields[key].metadata
        if meta.get("env") and environ is not None and _is_env(value):
            value = environ.get(str(value)[4:], "")
            if not value:
                name = str(raw[key])[4:]
                unset = f"names environment variable {name!r}, which is unset"
                problems.append(Problem(where, unset))
                continue
        secret = bool(meta.get("secret")) or not fields[key].repr
        got = _check(types_[key], value, where, problems, environ, secret=secret)
        if got is not _MISSING:
            values[key] = got
    for name, f in fields.items():
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if name in types_ and required and name not in raw:
            problems.append(Problem(join(path, name), "is required"))
    if len(problems) > before:
        return None
    try:
        built = cls(**values)
    except (ConfigError, ValueError, TypeError) as exc:  # a check the schema doesn't know
        text = str(exc)
        problems.append(Problem("", text) if text.startswith(path) else Problem(path, f": {text}"))
        return None
    check = CHECKS.get(cls)
    if check is not None:
        found = [Problem(join(path, key), reason) for key, reason in check(built)]
        if found:
            problems.extend(found)
            return None
    return built


def _unknown(key: str, path: str, known: Mapping[str, Any]) -> str:
    what = "section" if not path else "key"
    text = f"is not a known {what}"
    # Compare with whole keys, then with their starts ("windw" -> "window_seconds";
    # of keys that start alike, the first in the section).
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    if not close:
        starts: dict[str, str] = {}
        for k in known:
            starts.setdefault(k[: len(key) + 1], k)
        close = [starts[s] for s in difflib.get_close_matches(key, list(starts), n=1, cutoff=0.8)]
    if close:
        text += f" (did you mean {close[0]!r}?)"
    if path in _UNKNOWN_HINTS:
        return f"{text}; {_UNKNOWN_HINTS[path]}"
    if len(known) <= _LIST_ALLOWED:
        return f"{text}; allowed: {', '.join(known)}"
    section = f"[{path}]" if path else "sections"
    return f"{text}; docs/config.md lists every key of {section}"


def _is_env(value: object) -> bool:
    return isinstance(value, str) and value.startswith("env:")


def _check(
    hint: Any,
    value: object,
    path: str,
    problems: list[Problem],
    environ: Mapping[str, str] | None,
    *,
    secret: bool,
) -> Any:
    base, _ = _unwrap(hint)
    if _is_table(base):
        built = check_table(base, value, path, problems, environ)
        return _MISSING if built is None else built
    item = _items_of(base)
    if item is not None and _is_table(_unwrap(item)[0]):
        return _check_tables(_unwrap(item)[0], value, path, problems, environ)
    values_hint = _values_of(base)
    if values_hint is not None and not isinstance(value, Mapping):
        problems.append(Problem(path, f"must be {describe(hint)}, not {_show(value)}"))
        return _MISSING
    if values_hint is not None and isinstance(value, Mapping):
        out: dict[str, Any] = {}
        before = len(problems)
        for key, v in value.items():
            got = _check(values_hint, v, join(path, str(key)), problems, environ, secret=secret)
            out[str(key)] = got
        return _MISSING if len(problems) > before else out
    return _convert(hint, value, path, problems, secret=secret)


def _check_tables(
    cls: type,
    value: object,
    path: str,
    problems: list[Problem],
    environ: Mapping[str, str] | None,
) -> Any:
    """``[[name]]``: an array of tables (one table alone is taken as an array of one)."""
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        problems.append(Problem(path, "must be a table or an array of tables"))
        return _MISSING
    built = [check_table(cls, v, f"{path}[{i}]", problems, environ) for i, v in enumerate(value)]
    return _MISSING if any(b is None for b in built) else tuple(built)


def _convert(hint: Any, value: object, path: str, problems: list[Problem], *, secret: bool) -> Any:
    try:
        out = msgspec.convert(value, hint, strict=True)
    except msgspec.ValidationError as exc:
        problems.append(_explain(hint, value, path, str(exc), secret=secret))
        return _MISSING
    for where, number in _floats(out, path):
        if not math.isfinite(number):
            problems.append(Problem(where, f"must be a finite number, not {number!r}"))
            return _MISSING
    return out


def _floats(value: object, path: str) -> Iterator[tuple[str, float]]:
    if isinstance(value, float):
        yield path, value
    elif isinstance(value, tuple | list):
        for i, v in enumerate(value):
            yield from _floats(v, f"{path}[{i}]")


_AT: Final = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<sub>[^`]*)`)?$", re.DOTALL)
_INDEX: Final = re.compile(r"\[(\d+)\]")


def _explain(hint: Any, value: object, path: str, message: str, *, secret: bool) -> Problem:
    """Turn msgspec's message into ``<path> must be <what>, not <value>``."""
    match = _AT.match(message)
    sub = (match["sub"] or "") if match else ""
    steps = _INDEX.findall(sub)
    if "".join(f"[{s}]" for s in steps) != sub:  # a path we don't follow: say it as is
        return Problem(path + sub, f": {match['msg'] if match else message}")
    for step in steps:
        base, _ = _unwrap(hint)
        item = _items_of(base)
        if item is None or not isinstance(value, list | tuple) or int(step) >= len(value):
            return Problem(path + sub, f": {match['msg'] if match else message}")
        hint, value = item, value[int(step)]
    reason = f"must be {describe(hint)}"
    if not secret:
        reason += f", not {_show(value)}"
    return Problem(path + sub, reason)


# --------------------------------------------------------------------------- one table


def build_dataclass(cls: type[T], raw: object, where: str) -> T:
    """Build the dataclass ``cls`` from ``raw`` strictly, or raise :class:`InvalidConfig`.

    Unknown keys, missing required keys, wrong types and values out of
    bounds are all reported, each naming its dotted key.
    """
    if not (dataclasses.is_dataclass(cls) and isinstance(cls, type)):
        raise TypeError(f"{cls!r} is not a dataclass")
    problems: list[Problem] = []
    built = check_table(cls, raw, where, problems)
    if built is None:
        raise InvalidConfig(problems)
    return built
