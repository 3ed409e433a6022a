"""Helpers shared by tests across packages (waiting, for now)."""
