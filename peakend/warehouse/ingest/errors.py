"""The two ways ingestion says no: a file refused whole, and a mapping that can't work."""

from __future__ import annotations


class FileRefused(Exception):
    """The file can't be loaded at all; the message names the file and says why, in plain
    English, and what to do about it. Nothing was written."""


class MappingError(ValueError):
    """A column mapping (preset) is malformed; the message says which part and why."""
