"""roomwatch's version (``pyproject.toml`` says the same); modules import it from here."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
