"""Field maps for mapped ``websocket`` sources: the shipped ones and files.

A field map (:class:`roomwatch.core.mapping.FieldMap`) is a TOML table: a
shipped one lives in ``mappings/<name>.toml`` (bundled like the lexicons),
any other is a file the config names by path. Either is checked with the
same schema as an inline ``[sources.websocket.field_map]``, when the config
loads, so a typo in a mapping stops ``serve`` at start-up, not at the first
message.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Iterator
from pathlib import Path

from roomwatch.assets import asset_dir
from roomwatch.config.schema import CHECKS, InvalidConfig, build_dataclass
from roomwatch.config.sections import WebSocketSourceSettings
from roomwatch.core.errors import ConfigError, ModelError
from roomwatch.core.mapping import FieldMap

__all__ = ["field_map_for", "load_field_map", "shipped_maps"]


def shipped_maps() -> tuple[str, ...]:
    """Names of the shipped field maps."""
    try:
        folder = asset_dir("mappings")
    except ModelError:
        return ()
    return tuple(sorted(p.stem for p in folder.glob("*.toml")))


def load_field_map(name: str) -> FieldMap:
    """The shipped map ``name``, or the map in the TOML file at path ``name``.

    Raises :class:`ConfigError` naming the problem.
    """
    if name in shipped_maps():
        path = asset_dir("mappings") / f"{name}.toml"
    else:
        path = Path(name)
        if path.suffix != ".toml" or not path.is_file():
            known = ", ".join(shipped_maps()) or "none"
            raise ConfigError(
                f"mapping {name!r} is neither a shipped map ({known}) nor a .toml file"
            )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"mapping {name!r}: cannot read {path}: {exc}") from exc
    try:
        return build_dataclass(FieldMap, raw, "")
    except InvalidConfig as exc:
        raise ConfigError(f"mapping {name!r}: {exc}") from exc


def field_map_for(settings: WebSocketSourceSettings) -> FieldMap | None:
    """The map a ``[[sources.websocket]]`` uses (its room applied), or None."""
    fmap = settings.field_map
    if fmap is None and settings.mapping:
        fmap = load_field_map(settings.mapping)
    if fmap is not None and settings.room:
        fmap = dataclasses.replace(fmap, room=settings.room)
    return fmap


def _check_websocket(settings: WebSocketSourceSettings) -> Iterator[tuple[str, str]]:
    from roomwatch.config.rules import url_with_host

    if not url_with_host(settings.url, ("ws", "wss")):
        yield "url", "must be a ws:// or wss:// URL with a host"
    if settings.mapping and settings.field_map is not None:
        yield "mapping", "and field_map are both set; use one"
        return
    if settings.room and not (settings.mapping or settings.field_map):
        yield "room", "applies only to a mapped source (set mapping or field_map)"
        return
    try:
        fmap = field_map_for(settings)
    except (ConfigError, ValueError) as exc:
        yield "mapping", f": {exc}"
        return
    if fmap is not None and "room" not in fmap.fields and not fmap.room.strip():
        yield "room", "is required: the field map reads no room from the messages"


CHECKS[WebSocketSourceSettings] = _check_websocket
