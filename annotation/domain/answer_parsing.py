"""Turn a model's reply into an answer: letters, Yes/No in any form, or option text.

An unparseable reply gives ``None``; the caller stores it as such and counts it wrong.
"""

from __future__ import annotations

import re

from annotation.domain.taxonomy import CHOICE_LETTERS, TASKS, AnswerFormat

THINK_BLOCK = re.compile(r"^\s*<think>.*?</think>\s*", re.S | re.I)
LETTER_PATTERNS = (
    re.compile(r"^\W*\(?([A-G])\)?(?:[.:)*\s]|$)"),  # "B", "(B)", "B. Head", "**B**"
    re.compile(r"\b(?:answer|option|choice)\s*(?:is|:)?\s*\(?\**([A-G])\b", re.I),  # "The answer is C"
)
YES_NO = re.compile(r"\b(yes|no)\b", re.I)


def strip_think(reply: str) -> str:
    """Drop a leading ``<think>...</think>`` block, as the MAC 2026 runner does."""
    return THINK_BLOCK.sub("", reply, count=1).strip()


def parse_answer(reply: str, *, task: str, options: list[str]) -> str | None:
    text = strip_think(reply)
    answer_format = TASKS[task].answer_format
    if answer_format == AnswerFormat.OPEN:
        return text or None
    if answer_format == AnswerFormat.YES_NO:
        return _yes_no(text)
    return _choice(text, options)


def _yes_no(text: str) -> str | None:
    found = YES_NO.search(text)
    return found.group(1).capitalize() if found else None


def _choice(text: str, options: list[str]) -> str | None:
    letters = CHOICE_LETTERS[: len(options)]
    for pattern in LETTER_PATTERNS:
        found = pattern.search(text)
        if found:
            return found.group(1) if found.group(1) in letters else None
    return _option_text(text, options, letters)


def _option_text(text: str, options: list[str], letters: str) -> str | None:
    """A reply that names an option instead of its letter; the longest named option wins
    ("Scratching or touching face" over "Touching")."""
    low = text.lower()
    named = [(len(option), letter) for letter, option in zip(letters, options, strict=False) if option.lower() in low]
    return max(named)[1] if named else None
