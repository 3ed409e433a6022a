"""Where the shipped models, lexicons, sample recordings and field maps are.

In a wheel they sit inside the package (``roomwatch/_assets/``); in a source
checkout (``pip install -e .``) they are the repository's top-level folders.
"""

from __future__ import annotations

from pathlib import Path

from roomwatch.core.errors import ModelError

__all__ = ["asset_dir", "sample_recording"]

_PACKAGE = Path(__file__).resolve().parent


def asset_dir(name: str, override: str | Path | None = None) -> Path:
    """The folder ``name`` ("models", "lexicons", "samples" or "mappings"), or ``override``."""
    if override:
        path = Path(override)
        if not path.is_dir():
            raise ModelError(f"{name} folder {str(path)!r} does not exist")
        return path
    for candidate in (_PACKAGE / "_assets" / name, _PACKAGE.parents[1] / name):
        if candidate.is_dir():
            return candidate
    raise ModelError(f"cannot find the bundled {name} folder; reinstall roomwatch")


def sample_recording() -> Path:
    """The bundled ~20 minute demo recording."""
    return asset_dir("samples") / "demo.jsonl.gz"
