"""Validate structured caption rows against annotation/schemas/caption.schema.json."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

from annotation.domain.input_rules import text_problem
from annotation.domain.mac_format import clip_name_of
from annotation.domain.taxonomy import FINE_LABELS

from .problems import Problem, ProblemLog
from .reading import Row

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "caption.schema.json"
TEXT_FIELDS = ("direction_path", "contact", "description")


@dataclass(frozen=True)
class IncomingCaption:
    row: int
    clip_name: str
    fields: dict  # Caption model fields
    participant_id: str = ""  # as given in the row; empty when absent


@cache
def caption_validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


class CaptionRowChecker:
    """Checks caption rows one at a time: ``check(row)`` gives the caption, or None with its problems added to
    ``problems``. A clip gets one caption per file."""

    def __init__(self, *, file: str, problems: ProblemLog):
        self.file, self.problems = file, problems
        self.first_row_of_clip: dict[str, int] = {}

    def check(self, row: Row) -> IncomingCaption | None:
        row_problems = _row_problems(row, file=self.file)
        if row_problems:
            self.problems.extend(row_problems)
            return None
        caption = _incoming_caption(row)
        first = self.first_row_of_clip.setdefault(caption.clip_name, row.number)
        if first != row.number:
            self.problems.add(
                Problem(
                    self.file,
                    f"second caption for clip '{caption.clip_name}' (first on row {first})",
                    row.number,
                    field="video",
                    kind="duplicate",
                )
            )
            return None
        return caption

    def finish(self) -> None:
        """Nothing to add: a caption file without rows imports nothing."""


def validate_caption_rows(rows: Iterable[Row], *, file: str) -> list[IncomingCaption]:
    problems = ProblemLog()
    checker = CaptionRowChecker(file=file, problems=problems)
    captions = [caption for row in rows if (caption := checker.check(row)) is not None]
    if problems:
        raise problems.rejected()
    return captions


def _row_problems(row: Row, *, file: str) -> list[Problem]:
    problems = [
        Problem(file, _schema_message(error), row.number, field=".".join(str(p) for p in error.absolute_path))
        for error in sorted(caption_validator().iter_errors(row.data), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if problems or not isinstance(row.data, dict):
        return problems
    data = row.data
    texts = {name: data.get(name) for name in TEXT_FIELDS} | {
        f"phases.{phase}": value for phase, value in data.get("phases", {}).items()
    }
    for name, value in texts.items():
        message = text_problem(value, required=False)
        if message:
            problems.append(Problem(file, message, row.number, field=name))
    fine = FINE_LABELS[data["fine_label"]]
    if fine.coarse != data["coarse_label"]:
        problems.append(
            Problem(
                file,
                f"{fine.code} ({fine.name}) belongs to coarse category {fine.coarse}, not {data['coarse_label']}",
                row.number,
                field="fine_label",
            )
        )
    return problems


def _schema_message(error) -> str:
    if error.validator == "oneOf" and not error.absolute_path:
        return "name the clip in exactly one of 'video' (with .mp4) or 'video_name'"
    return error.message[:300]


def _incoming_caption(row: Row) -> IncomingCaption:
    data = row.data
    clip = clip_name_of(data)
    phases = data.get("phases", {})
    fields = {
        "coarse_label": data["coarse_label"],
        "fine_label": data["fine_label"],
        "dominant_part": data["dominant_part"],
        "other_parts": data.get("other_parts", []),
        "direction_path": data.get("direction_path", ""),
        "phase_early": phases.get("early", ""),
        "phase_middle": phases.get("middle", ""),
        "phase_late": phases.get("late", ""),
        "trend": data["trend"],
        "contact": data.get("contact", ""),
        "description": data.get("description", ""),
    }
    return IncomingCaption(row.number, clip, fields, data.get("participant_id", ""))
