"""The HTTP and WebSocket server: the aiohttp app (:mod:`.app`), ``POST /ingest``,
authentication, per-client limits and the pages under ``static/``."""
