"""Validate published-format question rows completely before anything is written."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from annotation.domain.input_rules import text_problem
from annotation.domain.mac_format import OptionLinesError, clip_name_of, item_fields_from_row, split_embedded_options
from annotation.domain.participants import participant_id_problem
from annotation.domain.taxonomy import CHOICE_LETTERS, TASKS, YES_NO_ANSWERS, AnswerFormat

from .problems import Problem, ProblemLog
from .reading import Row

MAX_QID = 64
CLIP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,254}$")


@dataclass(frozen=True)
class IncomingItem:
    row: int
    clip_name: str
    qid: str
    task: str
    question: str
    options: list[str]
    answer: str
    participant_id: str = ""  # as given in the row; empty when absent


class QuestionRowChecker:
    """Checks question rows one at a time (a file is never held whole): ``check(row)`` gives the item, or None
    with its problems added to ``problems``. A qid is checked against every earlier row's."""

    def __init__(self, *, file: str, problems: ProblemLog):
        self.file, self.problems = file, problems
        self.first_row_of_qid: dict[str, int] = {}

    def check(self, row: Row) -> IncomingItem | None:
        row_problems = list(_row_problems(row, file=self.file))
        if row_problems:
            self.problems.extend(row_problems)
            return None
        item = _incoming_item(row)
        first = self.first_row_of_qid.setdefault(item.qid, row.number)
        if first != row.number:
            self.problems.add(
                Problem(self.file, f"duplicate qid: also on row {first}", row.number, item.qid, "qid", kind="duplicate")
            )
            return None
        return item

    def finish(self) -> None:
        """The problem of a file without rows, once every row was checked."""
        if not self.first_row_of_qid and not self.problems:
            self.problems.add(Problem(self.file, "the file holds no rows", kind="row"))


def validate_question_rows(rows: Iterable[Row], *, file: str) -> list[IncomingItem]:
    """Every row checked; all problems reported together, or none and the items."""
    problems = ProblemLog()
    checker = QuestionRowChecker(file=file, problems=problems)
    items = [item for row in rows if (item := checker.check(row)) is not None]
    checker.finish()
    if problems:
        raise problems.rejected()
    return items


def clip_name_problem(name: object) -> str | None:
    if not isinstance(name, str) or not name:
        return "missing: each row names its clip in 'video' (with .mp4) or 'video_name'"
    if not CLIP_NAME.match(name.removesuffix(".mp4")):
        return f"'{name[:80]}' is not a clip file name (letters, digits, '.', '_', '-'; no folders)"
    return None


def _row_problems(row: Row, *, file: str) -> Iterator[Problem]:
    data = row.data
    if not isinstance(data, dict):
        yield Problem(file, f"a row must be a JSON object, found {type(data).__name__}", row.number)
        return
    qid = data.get("qid")
    qid_text = qid if isinstance(qid, str) else ""

    def problem(field: str, message: str) -> Problem:
        return Problem(file, message, row.number, qid_text, field)

    if not isinstance(qid, str) or not qid.strip():
        yield problem("qid", "missing")
    elif len(qid) > MAX_QID or not CLIP_NAME.match(qid):
        yield problem("qid", f"'{qid[:80]}' is not a qid (letters, digits, '_', '-'; at most {MAX_QID})")
    yield from (problem(field, message) for field, message in _clip_problems(data))
    if "participant_id" in data and participant_id_problem(data["participant_id"]):
        yield problem("participant_id", participant_id_problem(data["participant_id"]))
    task = data.get("task")
    if task not in TASKS:
        yield problem("task", f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    for field, required in (("question", True), ("answer", False)):
        message = text_problem(data.get(field), required=required)
        if message:
            yield problem(field, message)
    if (
        task in TASKS
        and isinstance(data.get("question"), str)
        and isinstance(data.get("answer", ""), (str, type(None)))
    ):
        yield from (problem(field, message) for field, message in _answer_problems(TASKS[task], data))


def _clip_problems(data: dict) -> Iterator[tuple[str, str]]:
    video, video_name = data.get("video"), data.get("video_name")
    field = "video" if video is not None else "video_name"
    message = clip_name_problem(video if video is not None else video_name)
    if message:
        yield field, message
    elif video is not None and video_name is not None and video.removesuffix(".mp4") != video_name:
        yield "video_name", f"'{video_name}' disagrees with video '{video}'"


def _answer_problems(task, data: dict) -> Iterator[tuple[str, str]]:
    answer = data.get("answer") or ""
    if task.answer_format == AnswerFormat.CHOICE:
        try:
            stem, options = split_embedded_options(data["question"])
        except OptionLinesError as error:
            yield "question", str(error)
            return
        if not stem:  # QAItem.clean_fields: the stored question (the stem) may not be blank
            yield "question", "This field cannot be blank."
            return
        if len(options) < 2:
            yield "question", f"{task.code} needs option lines 'A. ...'; found {len(options)}"
            return
        letters = CHOICE_LETTERS[: len(options)]
        if answer and answer not in letters:
            yield "answer", f"letter '{answer[:20]}' is not one of the options {', '.join(letters)}"
    elif task.answer_format == AnswerFormat.YES_NO and answer and answer not in YES_NO_ANSWERS:
        yield "answer", f"'{answer[:20]}' is not Yes or No"


def _incoming_item(row: Row) -> IncomingItem:
    return IncomingItem(
        row=row.number,
        clip_name=clip_name_of(row.data),
        participant_id=row.data.get("participant_id", ""),
        **item_fields_from_row(row.data),
    )
