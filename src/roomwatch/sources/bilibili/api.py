"""The live HTTP API client: the room's real id and, per connection, hosts and a key.

The two calls and their answers are described in :mod:`.endpoints`, which
reads them; this module only fetches. Every failure (no connection, a
timeout, an HTTP error status, a body that isn't JSON, a refusal in the
body) comes out as one :class:`~.endpoints.ApiError` with a message fit for
a log line and ``/healthz``. One ``aiohttp`` session per source, opened on
the first call and closed by :meth:`LiveApi.close`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

import aiohttp

from roomwatch.sources.bilibili.endpoints import (
    DANMU_INFO_PATH,
    ROOM_INIT_PATH,
    ApiError,
    DanmuInfo,
    parse_danmu_info,
    parse_room_init,
)

__all__ = ["LiveApi"]

#: Bilibili answers requests without a browser-like User-Agent with an error.
_HEADERS: Final = {
    "User-Agent": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0 Safari/537.36 roomwatch"
    ),
    "Referer": "https://live.bilibili.com/",
    "Accept": "application/json",
}
#: Largest answer read (real ones are a few KiB).
_MAX_BODY_BYTES: Final = 1024 * 1024


@dataclass(slots=True)
class LiveApi:
    #: The API's base URL, e.g. "https://api.live.bilibili.com" (no trailing path).
    base_url: str
    timeout_s: float = 10.0
    #: The logged-in browser's cookies, sent so the key matches the account's uid.
    cookie: str = ""
    _session: aiohttp.ClientSession | None = None

    async def room_id(self, room_id: int) -> int:
        """The real (long) id of room ``room_id``, which may be a short one."""
        body = await self._get(ROOM_INIT_PATH, {"id": str(room_id)})
        return parse_room_init(body)

    async def danmu_info(self, room_id: int, scheme: str, path: str) -> DanmuInfo:
        """A fresh key for room ``room_id`` (the real id) and its danmaku hosts."""
        body = await self._get(DANMU_INFO_PATH, {"id": str(room_id), "type": "0"})
        return parse_danmu_info(body, scheme, path)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _get(self, path: str, params: dict[str, str]) -> Any:
        url = self.base_url.rstrip("/") + path
        try:
            async with self._client().get(url, params=params) as response:
                if response.status != 200:
                    raise ApiError(f"GET {url}: HTTP {response.status}")
                raw = await response.content.read(_MAX_BODY_BYTES + 1)
        except ApiError:
            raise
        except TimeoutError:
            raise ApiError(f"GET {url}: no answer within {self.timeout_s:g} s") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise ApiError(f"GET {url}: {type(exc).__name__}: {exc}") from None
        if len(raw) > _MAX_BODY_BYTES:
            raise ApiError(f"GET {url}: the answer is larger than {_MAX_BODY_BYTES} bytes")
        try:
            return json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise ApiError(f"GET {url}: the answer is not JSON ({exc})") from None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            headers = dict(_HEADERS)
            if self.cookie:
                headers["Cookie"] = self.cookie
            self._session = aiohttp.ClientSession(
                headers=headers, timeout=aiohttp.ClientTimeout(total=self.timeout_s)
            )
        return self._session
