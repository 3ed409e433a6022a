"""Check the pinned dependencies against a local copy of PyPA's advisory database.

``pip-audit -r constraints.txt`` is the real check, and it needs the internet
(PyPI's JSON API or OSV). Where there is none, this reads a checkout of
https://github.com/pypa/advisory-database (OSV records, one YAML file per
advisory under ``vulns/<package>/``) and reports every pin in
``constraints.txt`` that falls inside an advisory's affected ranges or
listed versions. It is only as fresh as that checkout: say its date when you
quote the result.

    python tools/audit_offline.py --db /path/to/advisory-database [--constraints constraints.txt]

Exit status: 0 when no pin is affected, 1 when one is, 2 on bad input.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)")


def read_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = PIN.match(line.strip())
        if m:
            pins[canonicalize_name(m.group(1))] = m.group(2)
    return pins


def _in_range(version: Version, events: list[dict[str, str]]) -> bool:
    """OSV ECOSYSTEM range: sorted introduced/fixed/last_affected events."""
    affected = False
    for event in events:
        for kind, raw in event.items():
            bound = Version("0") if raw == "0" else Version(raw)
            if kind == "introduced" and version >= bound:
                affected = True
            elif (kind == "fixed" and version >= bound) or (
                kind == "last_affected" and version > bound
            ):
                affected = False
    return affected


def affects(record: dict, name: str, version: str) -> bool:
    v = Version(version)
    for entry in record.get("affected") or []:
        pkg = entry.get("package") or {}
        if pkg.get("ecosystem") != "PyPI" or canonicalize_name(pkg.get("name", "")) != name:
            continue
        if version in {str(x) for x in entry.get("versions") or []}:
            return True
        for rng in entry.get("ranges") or []:
            if rng.get("type") == "ECOSYSTEM":
                try:
                    if _in_range(v, rng.get("events") or []):
                        return True
                except InvalidVersion:
                    continue
    return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, required=True, help="advisory-database checkout")
    ap.add_argument("--constraints", type=Path, default=ROOT / "constraints.txt")
    args = ap.parse_args(argv)
    vulns = args.db / "vulns"
    if not vulns.is_dir():
        print(f"error: {vulns} is not a directory", file=sys.stderr)
        return 2
    pins = read_pins(args.constraints)
    folders = {canonicalize_name(p.name): p for p in vulns.iterdir() if p.is_dir()}
    found, checked = [], 0
    for name, version in sorted(pins.items()):
        folder = folders.get(name)
        if folder is None:
            continue
        for path in sorted(folder.glob("*.yaml")):
            checked += 1
            record = yaml.safe_load(path.read_text(encoding="utf-8"))
            if record.get("withdrawn"):
                continue  # retracted by its authors, as pip-audit treats it
            if affects(record, name, version):
                found.append((name, version, record.get("id"), record.get("aliases") or []))
    stamp = (
        subprocess.run(
            ["git", "-C", str(args.db), "log", "-1", "--format=%cs %h"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        or "unknown date"
    )
    print(f"{len(pins)} pins, {checked} advisories read, database at {stamp}")
    for name, version, vid, aliases in found:
        print(f"AFFECTED {name}=={version}: {vid} {' '.join(aliases)}")
    if not found:
        print("no pinned version is affected by an advisory in this database")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
