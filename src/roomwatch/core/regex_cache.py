"""Big regexes compiled once and kept between processes, as the model's arrays are.

The normaliser's evasion regex is a trie of every evasion spelling with a
separator class between its characters: about 20,000 characters of pattern
whose compiling (``re``'s parser and code generator, in Python) takes ~50 ms
of every start of ``classify``, ``replay``, ``serve`` and each worker. The
compiled form is a list of integers for the C matcher; :func:`compile_all`
keeps those lists in the temp folder (:mod:`roomwatch.core.prepared`), named
by a hash of the patterns, the Python build and the matcher's version, and
gives a later start the same pattern objects from them.

This uses ``re``'s internals: ``re._compiler.compile`` is what ``re.compile``
runs, and ``_sre.compile`` (which checks the code it is given and refuses
anything malformed) is its last step. A stored list that is missing,
unreadable or refused is compiled again the ordinary way. A pattern built
from the cache compares equal (``==``: same pattern, flags and code) to
``re.compile``'s (``tests/core/test_regex_cache.py``).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from re import _compiler, _parser  # type: ignore[attr-defined]
from typing import Any

import numpy as np

from roomwatch.core.prepared import cache_file, read_arrays, write_arrays

__all__ = ["KEEP_FROM", "compile_all", "compile_kept"]

_log = logging.getLogger(__name__)
_FORMAT = b"roomwatch-regex-1"

#: Patterns shorter than this in all compile in a millisecond or two: they are not
#: kept (nor written to the temp folder for every small pattern a test builds).
KEEP_FROM = 1024


def compile_kept(pattern: str) -> re.Pattern[str]:
    """``re.compile(pattern)``, through :func:`compile_all`."""
    return compile_all([pattern])[0]


def compile_all(patterns: Sequence[str], folder: Path | None = None) -> list[re.Pattern[str]]:
    """``[re.compile(p) for p in patterns]``, from the kept code where there is some.

    Patterns of fewer than :data:`KEEP_FROM` characters in all are simply
    compiled. ``folder``: where the code is kept (default: the temp folder).
    A bad pattern raises ``re.error`` as ``re.compile`` does.
    """
    sre: Any = getattr(_compiler, "_sre", None)
    if sum(map(len, patterns)) < KEEP_FROM or sre is None:
        return [re.compile(p) for p in patterns]
    parts = [_FORMAT, sys.version.encode(), str(sre.MAGIC).encode()]
    parts += [p.encode("utf-8", "surrogatepass") for p in patterns]
    where = cache_file("roomwatch-regex", parts, folder)
    kept = read_arrays(where)
    if kept is not None:
        try:
            meta = json.loads(bytes(kept["meta"]))
            return [
                sre.compile(p, flags, kept[f"code{i}"].tolist(), groups, index, tuple(names))
                for i, (p, (flags, groups, index, names)) in enumerate(
                    zip(patterns, meta, strict=True)
                )
            ]
        except (KeyError, ValueError, TypeError, RuntimeError, OverflowError) as exc:
            _log.warning("ignoring the kept regexes %s: %s", where, exc)  # (built again)
    try:
        built = [_build(sre, pattern) for pattern in patterns]
    except re.error:
        raise
    except Exception as exc:  # (re's internals changed: compile as usual, keep nothing)
        _log.warning("compiling the regexes without keeping them: %r", exc)
        return [re.compile(p) for p in patterns]
    arrays = {f"code{i}": np.array(code, dtype=np.uint32) for i, (_, code, _) in enumerate(built)}
    meta = [args for _, _, args in built]
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    write_arrays(where, arrays)
    return [compiled for compiled, _, _ in built]


def _build(sre: Any, pattern: str) -> tuple[re.Pattern[str], list[int], tuple[Any, ...]]:
    """What ``re._compiler.compile`` does: the pattern, its code and ``_sre.compile``'s
    other arguments (flags, groups, the name -> group index and its inverse)."""
    tree = _parser.parse(pattern, 0)
    code: list[int] = _compiler._code(tree, 0)
    state = tree.state
    index = dict(state.groupdict)
    names: list[str | None] = [None] * state.groups
    for name, number in index.items():
        names[number] = name
    compiled = sre.compile(pattern, state.flags, code, state.groups - 1, index, tuple(names))
    return compiled, code, (state.flags, state.groups - 1, index, names)
