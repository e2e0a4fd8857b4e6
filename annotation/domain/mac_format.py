"""The published MA-Bench / MAC row format: options embedded in the question text.

A choice question is its stem followed by one line per option, ``A. text``,
``B. text`` ... in letter order. ``join_embedded_options`` is the exact inverse
of ``split_embedded_options``, so a stored item re-exports byte for byte.
"""

from __future__ import annotations

import re

from annotation.domain.taxonomy import CHOICE_LETTERS, TASKS, AnswerFormat
from annotation.errors import InvalidInput

_OPTION_LINE = re.compile(r"^([A-Z])\. (.*)$")


class OptionLinesError(InvalidInput):
    """Option lines that are not A, B, C... in order."""


def split_embedded_options(text: str) -> tuple[str, list[str]]:
    """Split ``text`` into its stem and its trailing option lines."""
    lines = text.split("\n")
    first_option = len(lines)
    while first_option > 1 and _OPTION_LINE.match(lines[first_option - 1]):
        first_option -= 1
    option_lines = lines[first_option:]
    letters = [_OPTION_LINE.match(line).group(1) for line in option_lines]
    expected = list(CHOICE_LETTERS[: len(letters)])
    if letters != expected:
        raise OptionLinesError(f"option lines are {', '.join(letters)}; expected {', '.join(expected) or 'none'}")
    options = [_OPTION_LINE.match(line).group(2) for line in option_lines]
    return "\n".join(lines[:first_option]), options


def join_embedded_options(stem: str, options: list[str]) -> str:
    return stem + "".join(f"\n{letter}. {option}" for letter, option in zip(CHOICE_LETTERS, options, strict=False))


def clip_name_of(row: dict) -> str:
    """The clip a published row refers to: ``video`` with ``.mp4`` or ``video_name`` without."""
    name = row.get("video") or row.get("video_name") or ""
    return name[: -len(".mp4")] if name.endswith(".mp4") else name


def item_fields_from_row(row: dict) -> dict:
    """The QA item fields of one published row (options split out for choice tasks)."""
    task = TASKS[row["task"]]
    question, options = row["question"], []
    if task.answer_format == AnswerFormat.CHOICE:
        question, options = split_embedded_options(question)
    return {
        "qid": row["qid"],
        "task": row["task"],
        "question": question,
        "options": options,
        "answer": row.get("answer", "") or "",
    }
