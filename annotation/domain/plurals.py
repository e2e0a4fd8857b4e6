"""Counts in words with the right plural ("1 clip", "2 clips"), for text without Django's template filters
(CLI output, flag messages, audit reasons, error messages)."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str = "") -> str:
    """'1 clip', '0 clips', '2 clips'; ``plural`` where adding an s is wrong."""
    return f"{count} {for_count(count, noun, plural or noun + 's')}"


def for_count(count: int, one: str, many: str) -> str:
    """The word that agrees with ``count``: a noun or a verb ('1 release does', '2 releases do')."""
    return one if count == 1 else many
