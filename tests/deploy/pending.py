"""What the deployment files use that this branch does not have yet.

docker-compose.yml, deploy/ and dashboards/ are written for issue #16's
runtime (the ``streams`` branch: ``roomwatch gateway`` / ``worker``, the
``[redis]`` config, the stream metrics) and the ``rooms`` branch's per-room
counter. Until those are merged the tests accept exactly the names listed
here as missing, and check everything else for real.

Lead, after merging: delete each entry that has become real. A test fails on
an entry that now exists (so no entry goes stale), and then checks it like
everything else: a command must parse with the CLI's parser, a config table
must pass ``roomwatch check-config``, a metric must be declared in
``src/roomwatch/metrics.py``. To check the gateway/worker-only metrics against
a real gateway's and worker's ``/metrics`` instead of those declarations, set
:data:`SCRAPE_ROLES` to True (tests/deploy/conftest.py starts redis-server, the
gateway and a worker from deploy/*.toml).
"""

from __future__ import annotations

from typing import Final

#: Subcommands docker-compose.yml runs that the CLI does not have yet (#16).
COMMANDS: Final = frozenset({"gateway", "worker"})

#: Config tables deploy/*.toml use that the schema does not have yet (#16).
CONFIG_TABLES: Final = frozenset({"redis", "gateway", "worker"})

#: Metrics the dashboards and rules query that metrics.py does not declare
#: yet: #16's stream and worker metrics, and the rooms branch's counter.
METRICS: Final = frozenset(
    {
        "roomwatch_stream_appended_entries_total",
        "roomwatch_stream_pending_entries",
        "roomwatch_stream_claimed_entries_total",
        "roomwatch_stream_trimmed_entries_total",
        "roomwatch_stream_redelivered_entries_total",
        "roomwatch_stream_spool_entries",
        "roomwatch_stream_spool_refused_entries_total",
        "roomwatch_redis_up",
        "roomwatch_worker_owned_shards",
        "roomwatch_worker_batch_seconds",
    }
)

#: Metrics only a gateway or a worker exports, never ``roomwatch serve``:
#: checked against metrics.py declarations, or with SCRAPE_ROLES against a
#: real gateway's and worker's /metrics. Every other roomwatch_* name a
#: dashboard or rule uses must be in a real ``serve``'s /metrics.
ROLE_ONLY_METRICS: Final = frozenset(
    {
        "roomwatch_stream_appended_entries_total",
        "roomwatch_stream_pending_entries",
        "roomwatch_stream_claimed_entries_total",
        "roomwatch_stream_trimmed_entries_total",
        "roomwatch_stream_redelivered_entries_total",
        "roomwatch_stream_spool_entries",
        "roomwatch_stream_spool_refused_entries_total",
        "roomwatch_redis_up",
        "roomwatch_worker_owned_shards",
        "roomwatch_worker_batch_seconds",
    }
)

#: True: scrape a real gateway and worker for ROLE_ONLY_METRICS (needs #16).
SCRAPE_ROLES: Final = False
