"""CPU of the moderation stage at the gateway, per verdict read from the output stream.

In gateway mode the moderation stage (the ``stream`` channel) runs at the
gateway, fed the verdicts the workers write (``streams/review.py``). This
runs a recording through the workers' graph once, keeps the verdicts as the
output stream carries them (``Verdict.to_dict`` through JSON), then feeds
them to :class:`roomwatch.streams.review.GatewayReview` in batches of
``--batch`` and reports verdicts per CPU-second (``time.process_time``,
median of ``--runs``): the gateway's fan-out cost this adds.

    python bench/review_bench.py [--input samples/demo.jsonl.gz] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

import orjson
from prometheus_client import CollectorRegistry

from roomwatch.assets import asset_dir
from roomwatch.authz import Authz, Gate, RefusalLog
from roomwatch.compose.graph import analyzer_for, build_pipeline
from roomwatch.compose.sources import replay_source
from roomwatch.compose.worker import WORKER_STAGES
from roomwatch.config import ReplaySourceSettings, settings_from_dict
from roomwatch.core.normalize import Normalizer
from roomwatch.core.verdict import Verdict
from roomwatch.moderation.runtime import Moderation
from roomwatch.streams.review import GatewayReview

ROOT = Path(__file__).resolve().parents[1]


def verdict_rows(recording: Path) -> list[Any]:
    settings = settings_from_dict({"pipeline": {"overload_degrade": False}}, environ={})
    rows: list[Any] = []

    def keep(results: Any) -> None:
        rows.extend(["k", r.to_dict()] for r in results if isinstance(r, Verdict))

    async def run() -> None:
        graph = build_pipeline(
            settings, analyzer_for(settings), stages=WORKER_STAGES, outputs=[keep], guard=True
        )
        graph.pipeline.start()
        spec = ReplaySourceSettings((str(recording),), speed=0)
        await replay_source(spec, settings, graph).run()
        await graph.pipeline.drain()

    asyncio.run(run())
    return list(orjson.loads(orjson.dumps(rows)))  # as the gateway decodes them


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=ROOT / "samples" / "demo.jsonl.gz")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    rows = verdict_rows(args.input)
    settings = settings_from_dict({}, environ={})
    rates = []
    flagged = 0
    for _ in range(args.runs):
        mod = Moderation(
            settings.moderation, gate=Gate(Authz(()), RefusalLog()), registry=CollectorRegistry()
        )
        review = GatewayReview(
            mod, lambda: Normalizer.from_dir(asset_dir("lexicons")), lambda events: list(events)
        )
        review.normalizer("")  # loaded once, at the gateway's start
        started = time.process_time()
        for i in range(0, len(rows), args.batch):
            review.verdicts(rows[i : i + args.batch])
        rates.append(len(rows) / (time.process_time() - started))
        flagged = len(mod.queue)
    print(
        f"{len(rows):,} verdicts ({flagged} in the review queue at the end): "
        f"{statistics.median(rates):,.0f} verdicts per CPU-second (median of {args.runs}; "
        f"min {min(rates):,.0f}, max {max(rates):,.0f})"
    )


if __name__ == "__main__":
    main()
