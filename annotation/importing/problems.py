from __future__ import annotations

from dataclasses import asdict, dataclass

from annotation.domain.problem_lists import indented_list
from annotation.errors import InvalidInput


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, and where: file, row (1-based), qid, field."""

    file: str
    message: str
    row: int | None = None
    qid: str = ""
    field: str = ""

    def __str__(self) -> str:
        place = self.file
        if self.row is not None:
            place += f", row {self.row}"
        if self.qid:
            place += f" ({self.qid})"
        if self.field:
            place += f", field '{self.field}'"
        return f"{place}: {self.message}"

    def as_dict(self) -> dict:
        return asdict(self)


class ImportRejected(InvalidInput):
    """The file has problems; nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s); nothing was imported:\n{indented_list(problems, limit=50)}")
