"""The participant id of each imported clip: as its rows give it, else derived from its name."""

from __future__ import annotations

from dataclasses import dataclass

from annotation.domain.participants import participant_from_clip_name

from .problems import ImportRejected, Problem


@dataclass(frozen=True)
class ClipRow:
    """Where a clip was first named, to point at it in a problem."""

    file: str
    row: int
    clip_name: str
    participant_id: str  # as given; "" when absent


def participants_by_clip(rows: list[ClipRow]) -> dict[str, str]:
    """Clip name -> participant id (given, else derived; "" when neither). Rows that
    give a clip two different ids are refused."""
    given: dict[str, ClipRow] = {}
    problems = []
    for row in rows:
        if not row.participant_id:
            continue
        first = given.setdefault(row.clip_name, row)
        if first.participant_id != row.participant_id:
            problems.append(
                Problem(
                    row.file,
                    f"participant '{row.participant_id}' for clip '{row.clip_name}', but "
                    f"{first.file} row {first.row} gives '{first.participant_id}'",
                    row.row,
                    field="participant_id",
                )
            )
    if problems:
        raise ImportRejected(problems)
    clips = {row.clip_name for row in rows}
    return {clip: given[clip].participant_id if clip in given else participant_from_clip_name(clip) for clip in clips}


def missing_participant_problems(rows: list[ClipRow], missing: set[str]) -> list[Problem]:
    """One problem per clip of a training corpus that has no participant id, at its first row."""
    problems, seen = [], set()
    for row in rows:
        if row.clip_name in missing and row.clip_name not in seen:
            seen.add(row.clip_name)
            problems.append(
                Problem(
                    row.file,
                    f"clip '{row.clip_name}' of a training corpus needs a participant id: "
                    "give participant_id, or name clips so PARTICIPANT_ID_PATTERN finds it",
                    row.row,
                    field="participant_id",
                )
            )
    return problems
