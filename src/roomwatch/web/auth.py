"""Token login and role checks for HTTP routes and WebSocket upgrades.

A token arrives as ``Authorization: Bearer <token>``, or as ``?token=`` for
browsers (the WebSocket API can't set headers). Comparison is constant-time.
Secrets never reach a log line: refusals log the reason and the path only.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable, Sequence
from typing import Final
from urllib.parse import urlsplit

from aiohttp import web

from roomwatch.config import Token

__all__ = ["CHANNEL_ROLES", "Authenticator", "origin_allowed"]

logger = logging.getLogger(__name__)

#: Which roles may follow each hub channel. ``admin`` may do everything.
CHANNEL_ROLES: Final = {
    "host": frozenset({"host", "helper", "admin"}),
    "moderator": frozenset({"moderator", "admin"}),
    "alerts": frozenset({"comms", "moderator", "admin"}),
    "stream": frozenset({"moderator", "admin"}),
}


class Authenticator:
    def __init__(self, tokens: Sequence[Token]) -> None:
        self._tokens = tuple(tokens)

    def find(self, secret: str) -> Token | None:
        found = None
        encoded = secret.encode()
        for token in self._tokens:
            # Check every token, so timing doesn't tell how many there are
            # or which one nearly matched.
            if hmac.compare_digest(token.token.encode(), encoded):
                found = token
        return found

    def secret_of(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip() or None
        return request.query.get("token") or None

    def require(self, request: web.Request, roles: Iterable[str]) -> Token:
        """Return the request's token if it carries one of ``roles``.

        Raises 401 when no token is given and 403 when it is unknown or
        carries another role.
        """
        secret = self.secret_of(request)
        if secret is None:
            raise web.HTTPUnauthorized(
                text="a token is required: Authorization: Bearer <token> or ?token=",
                headers={"WWW-Authenticate": "Bearer"},
            )
        token = self.find(secret)
        allowed = frozenset(roles)
        if token is None:
            logger.info("refused %s: unknown token", request.path)
            raise web.HTTPForbidden(text="unknown token")
        if token.role not in allowed and token.role != "admin":
            logger.info("refused %s: role %s not in %s", request.path, token.role, sorted(allowed))
            raise web.HTTPForbidden(text=f"a {token.role} token can't use this")
        return token


def origin_allowed(request: web.Request, allowed: Iterable[str]) -> bool:
    """True for non-browser clients, same-origin pages and listed origins."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    parts = urlsplit(origin)
    if parts.netloc and parts.netloc == request.host:
        return True
    return origin.rstrip("/") in {o.rstrip("/") for o in allowed}
