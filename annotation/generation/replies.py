"""Model replies: parsed as JSON, validated against the item schema, then checked
against the request (keys asked for, labels, leaks: only a MARE answer may name the
clip's label, in its label line). A reply with any problem is invalid as a whole."""

from __future__ import annotations

import json
import re
from typing import Any

from jsonschema import Draft202012Validator

from annotation.domain import lint
from annotation.domain.answer_parsing import strip_think
from annotation.domain.input_rules import text_problem
from annotation.domain.taxonomy import YES_NO_ANSWERS

from .base import CaptionedClip

FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.I)


def yes_no_schema(count: int) -> dict:
    question = {
        "type": "object",
        "required": ["question", "answer"],
        "additionalProperties": False,
        "properties": {
            "question": {"type": "string", "minLength": 15, "maxLength": 400, "pattern": r"\?\s*$"},
            "answer": {"enum": list(YES_NO_ANSWERS)},
        },
    }
    return {
        "type": "object",
        "required": ["questions"],
        "properties": {"questions": {"type": "array", "minItems": count, "maxItems": count, "items": question}},
    }


OPEN_SCHEMA = {
    "type": "object",
    "required": ["answer"],
    "properties": {"answer": {"type": "string", "minLength": lint.LENGTH_MIN_CHARS, "maxLength": 4000}},
}


def parsed_reply(raw: str) -> tuple[Any, list[str]]:
    text = FENCE.sub("", strip_think(raw).strip())
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        return None, ["it is not a JSON object"]
    try:
        return json.loads(text[start : end + 1]), []
    except json.JSONDecodeError as error:
        return None, [f"it is not valid JSON ({error.msg} at character {error.pos})"]


def schema_problems(data: Any, schema: dict) -> list[str]:
    """The reply's breaches of its schema, then of the input rules every written text keeps (plain text:
    no control characters, no markup), each named by its path in the reply."""
    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
    found = [f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}"[:300] for e in errors]
    return found or [f"{path}: {problem}"[:300] for path, problem in _text_problems(data, "")]


def _text_problems(value: Any, path: str):
    if isinstance(value, str):
        problem = text_problem(value, required=False)
        if problem:
            yield path or "(top)", problem
    elif isinstance(value, dict):
        for key, part in value.items():
            yield from _text_problems(part, f"{path}/{key}".lstrip("/"))
    elif isinstance(value, list):
        for index, part in enumerate(value):
            yield from _text_problems(part, f"{path}/{index}".lstrip("/"))


def yes_no_problems(data: dict, *, keys: list[str], clip: CaptionedClip) -> list[str]:
    rows = data["questions"]
    problems = []
    given = [row["answer"] for row in rows]
    if given != keys:
        problems.append(f"the answer keys are {given}, but {keys} were asked for, in that order")
    for n, row in enumerate(rows, start=1):
        problems += [f"question {n} {mention}" for mention in lint.label_mentions(row["question"], clip.fine_name)]
    if len({lint.content_words(row["question"]) for row in rows}) < len(rows):
        problems.append("two questions ask the same")
    return problems


def open_problems(task: str, data: dict, *, clip: CaptionedClip) -> list[str]:
    answer = data["answer"]
    if task not in lint.LABEL_ANSWER_TASKS:
        return [
            f"the {task} reference answer {mention}; {task} does not ask for the label: describe the movements"
            for mention in lint.label_mentions(answer, clip.fine_name)
        ]
    labels = lint.mare_labels(answer)
    expected = (clip.coarse_name, clip.fine_name)
    if labels is None or tuple(label.lower() for label in labels) != tuple(e.lower() for e in expected):
        return [
            f"the answer must end with the label line '[Body part (coarse-grained)] {expected[0]} | "
            f"[Micro-action (fine-grained)] {expected[1]}'"
        ]
    return []
