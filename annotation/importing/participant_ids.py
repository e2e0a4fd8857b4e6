"""The participant id of each imported clip: as its rows give it, else derived from its name."""

from __future__ import annotations

from collections.abc import Iterable
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


class ClipParticipants:
    """The clips an import names, collected row by row: where each is first named, and the participant id the
    rows give it. ``add(row)`` returns the problem of a row that gives a clip a second, different id."""

    def __init__(self) -> None:
        self.first_rows: dict[str, ClipRow] = {}
        self.given: dict[str, ClipRow] = {}

    def add(self, row: ClipRow) -> Problem | None:
        self.first_rows.setdefault(row.clip_name, row)
        if not row.participant_id:
            return None
        first = self.given.setdefault(row.clip_name, row)
        if first.participant_id == row.participant_id:
            return None
        return Problem(
            row.file,
            f"participant '{row.participant_id}' for clip '{row.clip_name}', but "
            f"{first.file} row {first.row} gives '{first.participant_id}'",
            row.row,
            field="participant_id",
        )

    def by_clip(self) -> dict[str, str]:
        """Clip name -> participant id (given, else derived from the name; "" when neither)."""
        return {
            clip: self.given[clip].participant_id if clip in self.given else participant_from_clip_name(clip)
            for clip in self.first_rows
        }


def participants_by_clip(rows: Iterable[ClipRow]) -> dict[str, str]:
    """Clip name -> participant id (given, else derived; "" when neither). Rows that
    give a clip two different ids are refused."""
    clips = ClipParticipants()
    problems = [problem for row in rows if (problem := clips.add(row)) is not None]
    if problems:
        raise ImportRejected(problems)
    return clips.by_clip()


def missing_participant_problems(first_rows: Iterable[ClipRow], missing: set[str]) -> list[Problem]:
    """One problem per clip of a training corpus that has no participant id, at the row that first names it."""
    return [
        Problem(
            row.file,
            f"clip '{row.clip_name}' of a training corpus needs a participant id: "
            "give participant_id, or name clips so PARTICIPANT_ID_PATTERN finds it",
            row.row,
            field="participant_id",
        )
        for row in first_rows
        if row.clip_name in missing
    ]
