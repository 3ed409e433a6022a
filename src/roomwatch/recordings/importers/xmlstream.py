"""Streaming the top-level elements of a danmaku XML file with expat, DTDs refused.

XML is parsed with expat directly, event by event, so no tree is built; a
document type declaration (and with it any entity declaration: the
"billion laughs" and external-entity attacks) is refused outright.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Final
from xml.parsers import expat

from roomwatch.recordings.errors import RecordingError
from roomwatch.recordings.files import open_binary
from roomwatch.recordings.importers.common import Problems

__all__ = ["Element", "element_text", "iter_top_elements"]

_CHUNK: Final = 64 * 1024
#: Longest text collected from one element; longer is cut (the record limit
#: rejects it anyway), so a hostile file cannot make one element huge.
_MAX_ELEMENT_TEXT: Final = 64 * 1024


class Element:
    """One child of the root element, with its attributes and direct text."""

    __slots__ = ("attrs", "line", "tag", "text")

    def __init__(self, tag: str, attrs: dict[str, str], line: int) -> None:
        self.tag = tag
        self.attrs = attrs
        self.line = line
        self.text: list[str] = []


class _DtdRefused(Exception):
    pass


def iter_top_elements(
    path: str | os.PathLike[str], problems: Problems, collect: frozenset[str]
) -> Iterator[Element]:
    """Yield each child of the root element, with its direct text, as it ends.

    Children whose tag is not in ``collect`` are yielded without their text.
    Deeper elements are ignored. Stops with a warning on the first
    well-formedness error (typically a file cut short by a crash).
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    ready: list[Element] = []
    depth = 0
    current: Element | None = None
    size = 0

    def refuse(*_: object) -> None:
        raise _DtdRefused

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth, current, size
        depth += 1
        if depth == 2:
            current = Element(tag, attrs, parser.CurrentLineNumber)
            size = 0

    def end(tag: str) -> None:
        nonlocal depth, current
        if depth == 2 and current is not None:
            ready.append(current)
            current = None
        depth -= 1

    def data(text: str) -> None:
        nonlocal size
        if (
            depth == 2
            and current is not None
            and current.tag in collect
            and size < _MAX_ELEMENT_TEXT
        ):
            current.text.append(text)
            size += len(text)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    parser.buffer_text = True

    with open_binary(path) as fh:
        while True:
            try:
                chunk = fh.read(_CHUNK)
            except EOFError:
                problems.note("the gzip stream ends early; the elements before the cut were read")
                chunk = b""
            except OSError as exc:
                problems.note(f"reading stopped: {exc}")
                chunk = b""
            try:
                parser.Parse(chunk, not chunk)
            except _DtdRefused:
                raise RecordingError(
                    f"{problems.name}: refusing an XML file with a document type declaration "
                    "(<!DOCTYPE>/<!ENTITY>): danmaku files never have one"
                ) from None
            except expat.ExpatError as exc:
                yield from ready
                ready.clear()
                code = expat.ErrorString(exc.code) if exc.code is not None else str(exc)
                problems.note(
                    f"the XML is cut short or broken at line {exc.lineno}, column {exc.offset} "
                    f"({code}); the elements before it were read"
                )
                return
            yield from ready
            ready.clear()
            if not chunk:
                return


def element_text(el: Element) -> str:
    return "".join(el.text)
