"""``python -m roomwatch.report FILE... --out report.html``: the same as ``roomwatch report``.

For use before (or without) the ``report`` subcommand in ``roomwatch.cli``.
"""

from __future__ import annotations

import argparse
import logging
import sys

from roomwatch.core.errors import RoomwatchError
from roomwatch.report.parser import add_parser


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m roomwatch.report")
    sub = parser.add_subparsers()
    add_parser(sub)
    args = parser.parse_args(["report", *(sys.argv[1:] if argv is None else argv)])
    logging.basicConfig(
        level=args.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        result: int = args.func(args)
    except RoomwatchError as exc:
        print(f"roomwatch: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":
    raise SystemExit(main())
