"""Stateful stages after classification: they take verdicts in order and
publish what each audience needs on the hub (``triage`` → host, ``flag`` →
moderator, ``alert`` → alerts)."""
