"""The composition root: settings in, a running graph out.

Stub; grows in the next commits.
"""

from __future__ import annotations

from roomwatch.assets import asset_dir
from roomwatch.config import Settings
from roomwatch.core.analyze import Analyzer
from roomwatch.core.lexicon import RoomTerms
from roomwatch.core.load import load_analyzer

__all__ = ["analyzer_for"]


def analyzer_for(settings: Settings) -> Analyzer:
    """Load the model and lexicons the settings name (or the bundled ones),
    with the per-room terms from ``[rooms]``, stamped with the config hash."""
    room_terms = {
        room: RoomTerms.of(r.block_abuse, r.block_spam, r.allow)
        for room, r in settings.rooms.items()
    }
    return load_analyzer(
        asset_dir("models", settings.model.models_dir or None),
        asset_dir("lexicons", settings.model.lexicons_dir or None),
        room_terms,
        config_hash=settings.digest(),
    )
