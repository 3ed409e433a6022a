"""Scaling out over Redis Streams: the gateway and worker roles (``docs/streams.md``).

Nothing here is imported by ``roomwatch serve``; the ``redis`` package is
needed only by these modules (``pip install roomwatch[redis]``).
"""
