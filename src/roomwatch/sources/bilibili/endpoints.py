"""What the live HTTP API answers, read: the room's real id, the danmaku hosts, pure.

Two calls of Bilibili's live HTTP API, as publicly described
(bilibili-API-collect, ``live/info.md`` and ``live/message_stream.md``), both
answering ``{"code": 0, "message": ..., "data": {...}}``:

* ``GET /room/v1/Room/room_init?id=<id>``: ``data.room_id`` is the room's
  real (long) id, whatever id was asked (a vanity short id such as 1, or the
  long one itself); a room that doesn't exist answers a non-zero ``code``.
* ``GET /xlive/web-room/v1/index/getDanmuInfo?id=<real id>&type=0``:
  ``data.token`` is the key for the enter-room packet (it expires: fetch one
  for every connection) and ``data.host_list`` the danmaku servers,
  ``{"host", "port", "wss_port", "ws_port"}`` each.

:func:`parse_room_init` and :func:`parse_danmu_info` turn a decoded JSON
body into what the client needs, or raise :class:`ApiError`;
:class:`HostRing` picks the host to try next. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

__all__ = [
    "DANMU_INFO_PATH",
    "ROOM_INIT_PATH",
    "ApiError",
    "DanmuInfo",
    "HostRing",
    "parse_danmu_info",
    "parse_room_init",
    "scheme_and_path",
]

ROOM_INIT_PATH: Final = "/room/v1/Room/room_init"
DANMU_INFO_PATH: Final = "/xlive/web-room/v1/index/getDanmuInfo"
#: The port of each scheme in a host-list entry, and the default if it has none.
_PORTS: Final = {"wss": ("wss_port", 443), "ws": ("ws_port", 2244)}
#: Hosts read from one answer at most (real answers list three or four).
_MAX_HOSTS: Final = 16


class ApiError(Exception):
    """The API could not be reached, or its answer is refused or unreadable."""


@dataclass(frozen=True, slots=True)
class DanmuInfo:
    """A fresh key and the danmaku servers' WebSocket addresses, in the API's order."""

    token: str
    urls: tuple[str, ...]


def parse_room_init(body: object) -> int:
    """The real room id in a ``room_init`` answer."""
    data = _data(body)
    room_id = data.get("room_id")
    if not isinstance(room_id, int) or isinstance(room_id, bool) or room_id <= 0:
        raise ApiError(f"the answer has no room id (data.room_id is {room_id!r})")
    return room_id


def parse_danmu_info(body: object, scheme: str, path: str = "/sub") -> DanmuInfo:
    """The key and the hosts of a ``getDanmuInfo`` answer, as ``scheme`` (ws or wss) URLs."""
    data = _data(body)
    token = data.get("token")
    if not isinstance(token, str) or not token:
        raise ApiError("the answer has no token (data.token)")
    hosts = data.get("host_list")
    if not isinstance(hosts, Sequence) or isinstance(hosts, str):
        raise ApiError("the answer has no host list (data.host_list)")
    port_key, default_port = _PORTS[scheme]
    urls: list[str] = []
    for entry in hosts[:_MAX_HOSTS]:
        if not isinstance(entry, Mapping):
            continue
        host = entry.get("host")
        port = entry.get(port_key, default_port)
        if not isinstance(host, str) or not _is_hostname(host):
            continue
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            continue
        url = f"{scheme}://{host}:{port}{path}"
        if url not in urls:
            urls.append(url)
    if not urls:
        raise ApiError("the host list holds no usable host")
    return DanmuInfo(token, tuple(urls))


def scheme_and_path(url: str) -> tuple[str, str]:
    """The scheme (ws or wss) and path of the configured danmaku URL, for the hosts."""
    parts = urlsplit(url)
    scheme = parts.scheme if parts.scheme in _PORTS else "wss"
    return scheme, parts.path or "/sub"


def _data(body: object) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise ApiError(f"the answer is not a JSON object but {type(body).__name__}")
    code = body.get("code")
    if code != 0:
        message = body.get("message", body.get("msg", ""))
        raise ApiError(f"the API refused: code {code!r} ({str(message)[:200]})")
    data = body.get("data")
    if not isinstance(data, Mapping):
        raise ApiError("the answer has no data object")
    return data


def _is_hostname(host: str) -> bool:
    return 0 < len(host) <= 253 and all(c.isalnum() or c in ".-" for c in host)


@dataclass(slots=True)
class HostRing:
    """Which of the API's hosts to connect to: the same one while it works, the next
    one after a connection to it failed (so a refusing host is tried at most once a round)."""

    turn: int = 0

    def pick(self, urls: Sequence[str]) -> str:
        return urls[self.turn % len(urls)]

    def failed(self) -> None:
        self.turn += 1
