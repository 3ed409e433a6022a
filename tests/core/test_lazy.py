"""core.lazy: a package's names imported on first use, once."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest


def test_a_lazy_name_is_imported_on_first_use_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = tmp_path / "lazypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "from roomwatch.core.lazy import lazy_names\n"
        "__getattr__ = lazy_names(__name__, {'Heavy': '.heavy', 'dumps': 'json'})\n",
        encoding="utf-8",
    )
    (pkg / "heavy.py").write_text("Heavy = object()\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    import lazypkg  # type: ignore[import-not-found]

    try:
        assert "lazypkg.heavy" not in sys.modules
        heavy = lazypkg.Heavy
        assert "lazypkg.heavy" in sys.modules
        assert heavy is sys.modules["lazypkg.heavy"].Heavy
        assert vars(lazypkg)["Heavy"] is heavy  # (kept: __getattr__ is not asked again)
        import json

        assert lazypkg.dumps is json.dumps  # (an absolute module path)
        with pytest.raises(AttributeError, match=r"lazypkg.*has no attribute 'Light'"):
            _ = lazypkg.Light
    finally:
        for name in ("lazypkg", "lazypkg.heavy"):
            sys.modules.pop(name, None)
