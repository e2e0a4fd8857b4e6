"""Circular evaluation (MMBench's CircularEval): a choice item asked once per rotation of its options.

Rotation ``r`` shows the options ``options[r:] + options[:r]``: letter A names the item's option
``r``, B option ``r + 1``, and so on around. An answer given under a rotation is mapped back to
the item's own letters, so a prediction always names an option the way the item does, whatever
order the model saw. An item counts as right under CircularEval only when every rotation is right.
"""

from __future__ import annotations

from annotation.domain.taxonomy import CHOICE_LETTERS, TASKS, AnswerFormat


def rotation_count(task: str, options: list[str], *, circular: bool) -> int:
    """How many orders an item is asked in: every rotation of a choice item's options in a circular run, else one."""
    if circular and TASKS[task].answer_format == AnswerFormat.CHOICE and len(options) > 1:
        return len(options)
    return 1


def rotated(options: list[str], rotation: int) -> list[str]:
    return options[rotation:] + options[:rotation]


def letter_in_item_order(letter: str, *, rotation: int, option_count: int) -> str:
    """The item's own letter of the option shown as ``letter`` under ``rotation``."""
    return CHOICE_LETTERS[(CHOICE_LETTERS.index(letter) + rotation) % option_count]
