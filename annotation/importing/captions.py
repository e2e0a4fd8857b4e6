"""Validate structured caption rows against annotation/schemas/caption.schema.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

from annotation.domain.input_rules import text_problem
from annotation.domain.mac_format import clip_name_of
from annotation.domain.taxonomy import FINE_LABELS

from .problems import ImportRejected, Problem
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


def validate_caption_rows(rows: list[Row], *, file: str) -> list[IncomingCaption]:
    captions, problems, first_row_of_clip = [], [], {}
    for row in rows:
        row_problems = _row_problems(row, file=file)
        if row_problems:
            problems += row_problems
            continue
        caption = _incoming_caption(row)
        if caption.clip_name in first_row_of_clip:
            problems.append(
                Problem(
                    file,
                    f"second caption for clip '{caption.clip_name}' (first on row "
                    f"{first_row_of_clip[caption.clip_name]})",
                    row.number,
                    field="video",
                )
            )
            continue
        first_row_of_clip[caption.clip_name] = row.number
        captions.append(caption)
    if problems:
        raise ImportRejected(problems)
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
