"""Sinks: where verdicts and records leave the pipeline (hub, webhook, recorder, store)."""
