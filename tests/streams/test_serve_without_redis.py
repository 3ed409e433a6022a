"""``serve`` stays Redis-free: neither building the CLI nor the server imports redis."""

from __future__ import annotations

import subprocess
import sys


def test_serve_and_the_cli_do_not_import_redis() -> None:
    code = (
        "import sys\n"
        "from roomwatch.cli import build_parser\n"
        "build_parser().parse_args(['worker'])\n"
        "import roomwatch.service\n"
        "assert 'redis' not in sys.modules, sorted(m for m in sys.modules if 'redis' in m)\n"
        "assert 'roomwatch.streams.worker' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
