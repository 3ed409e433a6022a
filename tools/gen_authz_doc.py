"""Write docs/authorisation.md from roomwatch.authz.TABLE.

Run after changing the table:  python tools/gen_authz_doc.py
tests/web/test_authz_table.py fails when the doc is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

if __name__ == "__main__":
    from roomwatch.authz import render_markdown

    (ROOT / "docs" / "authorisation.md").write_text(render_markdown(), encoding="utf-8")
    print("wrote docs/authorisation.md")
