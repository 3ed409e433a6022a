"""Token login for HTTP routes and WebSocket upgrades, by the table in :mod:`roomwatch.authz`.

A token arrives as ``Authorization: Bearer <token>``, or as ``?token=`` for
browsers (the WebSocket API can't set headers). Comparison is constant-time.
Secrets never reach a log line: refusals log the reason and the path only.

Browser origins: a request with an ``Origin`` header (a browser) must come
from an allowed origin: ``server.allowed_origins``, or when that is empty the
server's own address (``http://host:port`` as configured, with ``localhost``,
``127.0.0.1`` and ``[::1]`` as aliases of a loopback address). The ``Host``
header is never trusted for this.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from typing import Final

from aiohttp import web

from roomwatch.authz import Authz, Refusal
from roomwatch.config import ServerSettings, Token

__all__ = ["Authenticator", "origin_allowed", "own_origins", "require_origin"]

logger = logging.getLogger(__name__)

_LOOPBACK_NAMES: Final = ("127.0.0.1", "localhost", "[::1]")


class Authenticator:
    """:class:`~roomwatch.authz.Authz` applied to aiohttp requests."""

    def __init__(self, authz: Authz) -> None:
        self.authz = authz

    def find(self, secret: str) -> Token | None:
        return self.authz.find(secret)

    def secret_of(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip() or None
        return request.query.get("token") or None

    def token_of(self, request: web.Request) -> Token | None:
        secret = self.secret_of(request)
        return self.find(secret) if secret is not None else None

    def check(
        self, request: web.Request, name: str, room: str | None = None
    ) -> tuple[Token | None, Refusal | None]:
        """The request's token and, if refused, why (by the table's rule ``name``)."""
        if self.authz.is_open(name):
            return self.token_of(request), None
        secret = self.secret_of(request)
        token = self.find(secret) if secret is not None else None
        return token, self.authz.decide(token, name, room, missing=secret is None)

    def require(self, request: web.Request, name: str, room: str | None = None) -> Token | None:
        """Return the request's token if the table lets it use ``name``.

        Raises 401 when no token is given and 403 when it is unknown, carries
        another role or can't see ``room``. Open routes return the token, if any.
        """
        if not isinstance(name, str):
            raise TypeError("Authenticator.require takes a rule name of roomwatch.authz.TABLE")
        token, refusal = self.check(request, name, room)
        if refusal is None:
            return token
        raise http_error(request, refusal)


def http_error(request: web.Request, refusal: Refusal) -> web.HTTPException:
    if refusal.reason == "missing_token":
        return web.HTTPUnauthorized(
            text="a token is required: Authorization: Bearer <token> or ?token=",
            headers={"WWW-Authenticate": "Bearer"},
        )
    logger.info("refused %s: %s", request.path, refusal.reason)
    text = {"unknown_token": "unknown token", "no_room": "this token can't see that room"}.get(
        refusal.reason, refusal.detail or refusal.reason
    )
    return web.HTTPForbidden(text=text)


def own_origins(server: ServerSettings, port: int) -> frozenset[str]:
    """The origins of the server itself, from its configured address (never ``Host``)."""
    host = server.host
    names: tuple[str, ...]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        names = (host,)
    else:
        if ip.is_loopback:
            names = _LOOPBACK_NAMES
        elif ip.is_unspecified:
            # Listening everywhere: which name the browser uses is unknown;
            # list it in server.allowed_origins. Loopback still works.
            names = _LOOPBACK_NAMES
        else:
            names = (f"[{host}]" if ip.version == 6 else host,)
    return frozenset(f"{scheme}://{n}:{port}" for n in names for scheme in ("http", "https"))


def origin_allowed(request: web.Request, server: ServerSettings) -> bool:
    """True for non-browser clients (no ``Origin``) and for allowed origins."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    origin = origin.rstrip("/")
    if server.allowed_origins:
        return origin in {o.rstrip("/") for o in server.allowed_origins}
    return origin in own_origins(server, _local_port(request, server))


def require_origin(
    request: web.Request,
    server: ServerSettings,
    *,
    refused: Callable[[], object] | None = None,
) -> None:
    """Refuse (403 ``origin not allowed``) a browser request from an origin not allowed.

    Every handler that a browser can reach with a token (WebSocket upgrades,
    ``/ingest``, ``/moderation/actions``) calls this first; ``refused`` counts
    the refusal where the handler counts them.
    """
    if origin_allowed(request, server):
        return
    if refused is not None:
        refused()
    raise web.HTTPForbidden(text="origin not allowed")


def _local_port(request: web.Request, server: ServerSettings) -> int:
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if isinstance(sockname, tuple) and len(sockname) >= 2 and isinstance(sockname[1], int):
        return sockname[1]
    return server.port
