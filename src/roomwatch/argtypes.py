"""Argument types shared by the command-line parsers (argparse ``type=``)."""

from __future__ import annotations

import argparse
import math

__all__ = ["port", "speed"]


def port(text: str) -> int:
    """A TCP port (0 = any free one)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (0 to 65535)")
    return value


def speed(text: str) -> float:
    """A replay speed: 0 (flat out) or more (1 = the recording's own pace)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (value >= 0.0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text} is no speed (0 = flat out, 1 = real time)")
    return value
