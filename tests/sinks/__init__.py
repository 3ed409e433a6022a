"""Tests for roomwatch.sinks."""
