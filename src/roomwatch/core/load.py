"""Load the analysis stack (model, lexicons, per-room terms) from plain paths.

Offline commands (``replay``, ``report``, ``classify``) and the server load
it the same way. It takes folders and values, not ``Settings``, so ``core``
stays free of the config layer; :func:`roomwatch.compose.analyzer_for`
turns settings into these arguments.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from roomwatch.core.analyze import Analyzer
from roomwatch.core.lexicon import RoomTerms

__all__ = ["load_analyzer"]


def load_analyzer(
    models_dir: Path,
    lexicons_dir: Path,
    room_terms: Mapping[str, RoomTerms] | None = None,
    *,
    config_hash: str = "",
) -> Analyzer:
    """The :class:`Analyzer` for these folders, stamped with ``config_hash``."""
    analyzer = Analyzer.load(models_dir, lexicons_dir, room_terms)
    analyzer.config_hash = config_hash
    return analyzer
