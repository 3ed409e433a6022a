"""The review report: what happened in a show, as one self-contained HTML file.

* :class:`ReportBuilder` — a pipeline output that summarises verdicts in
  bounded memory (:mod:`roomwatch.report.build`);
* :func:`render_html` — the HTML file (:mod:`roomwatch.report.html`);
* :func:`add_parser` — ``roomwatch report``'s arguments (:mod:`roomwatch.report.parser`);
  :func:`run` / :func:`build_report` — the command (:mod:`roomwatch.report.cli`).

Only the argument parser is imported eagerly; the rest (which pulls in the
config, the pipeline and the model code) loads on first use, so registering
the command costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from roomwatch.core.lazy import lazy_names
from roomwatch.report.parser import add_parser

if TYPE_CHECKING:
    from roomwatch.report.accounts import account_hash
    from roomwatch.report.build import ReportBuilder
    from roomwatch.report.cli import build_report, lexicon_hash, run
    from roomwatch.report.config import ReportConfig
    from roomwatch.report.html import render, render_html
    from roomwatch.report.values import Report

__all__ = [
    "Report",
    "ReportBuilder",
    "ReportConfig",
    "account_hash",
    "add_parser",
    "build_report",
    "lexicon_hash",
    "render",
    "render_html",
    "run",
]

_LAZY = {
    "Report": "roomwatch.report.values",
    "ReportBuilder": "roomwatch.report.build",
    "ReportConfig": "roomwatch.report.config",
    "account_hash": "roomwatch.report.accounts",
    "build_report": "roomwatch.report.cli",
    "lexicon_hash": "roomwatch.report.cli",
    "run": "roomwatch.report.cli",
    "render": "roomwatch.report.html",
    "render_html": "roomwatch.report.html",
}


__getattr__ = lazy_names(__name__, _LAZY)
