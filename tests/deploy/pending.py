"""What the deployment files use that this branch does not have yet.

docker-compose.yml, deploy/ and dashboards/ were written ahead of issue #16's
runtime (``roomwatch gateway`` / ``worker``, the ``[streams]`` config, the
stream metrics). That is merged: the sets below are empty, and everything is
checked for real. Should a deployment file again run ahead of the code, list
the missing name here; the tests accept exactly those as missing.

Delete each entry once it has become real. A test fails on
an entry that now exists (so no entry goes stale), and then checks it like
everything else: a command must parse with the CLI's parser, a config table
must pass ``roomwatch check-config``, a metric must be declared in
``src/roomwatch/metrics/``. To check the gateway/worker-only metrics against
a real gateway's and worker's ``/metrics`` instead of those declarations, set
:data:`SCRAPE_ROLES` to True (tests/deploy/conftest.py starts redis-server, the
gateway and a worker from deploy/*.toml).
"""

from __future__ import annotations

from typing import Final

#: Subcommands docker-compose.yml runs that the CLI does not have yet.
COMMANDS: Final[frozenset[str]] = frozenset()

#: Config tables deploy/*.toml use that the schema does not have yet.
CONFIG_TABLES: Final[frozenset[str]] = frozenset()

#: Metrics the dashboards and rules query that roomwatch/metrics/ does not declare yet.
METRICS: Final[frozenset[str]] = frozenset()

#: Metrics only a gateway or a worker exports, never ``roomwatch serve``:
#: checked against roomwatch/metrics/ declarations, or with SCRAPE_ROLES against a
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

#: True: scrape a real gateway and worker for ROLE_ONLY_METRICS.
SCRAPE_ROLES: Final = True
