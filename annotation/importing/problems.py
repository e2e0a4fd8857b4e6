from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

from annotation.domain.plurals import counted
from annotation.domain.problem_lists import indented_list
from annotation.errors import InvalidInput

LISTED_PROBLEMS = 1000  # an import lists at most this many problems; the rest are counted by kind


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, and where: file, row (1-based), qid, field.
    ``kind`` groups problems for the totals (default: the field, or ``row`` for a whole row)."""

    file: str
    message: str
    row: int | None = None
    qid: str = ""
    field: str = ""
    kind: str = ""

    def __str__(self) -> str:
        place = self.file
        if self.row is not None:
            place += f", row {self.row}"
        if self.qid:
            place += f" ({self.qid})"
        if self.field:
            place += f", field '{self.field}'"
        return f"{place}: {self.message}"

    @property
    def kind_name(self) -> str:
        return self.kind or self.field or "row"

    def as_dict(self) -> dict:
        return asdict(self) | {"kind": self.kind_name}


@dataclass
class ProblemLog:
    """The problems of an import as they are found: the first ``LISTED_PROBLEMS`` kept, every one counted by kind,
    so a file with a million bad rows costs a thousand problems of memory."""

    listed: list[Problem] = field(default_factory=list)
    by_kind: Counter[str] = field(default_factory=Counter)

    def add(self, problem: Problem) -> None:
        if len(self.listed) < LISTED_PROBLEMS:
            self.listed.append(problem)
        self.by_kind[problem.kind_name] += 1

    def extend(self, problems) -> None:
        for problem in problems:
            self.add(problem)

    @property
    def count(self) -> int:
        return sum(self.by_kind.values())

    def __bool__(self) -> bool:
        return bool(self.by_kind)

    def rejected(self) -> ImportRejected:
        return ImportRejected(self.listed, by_kind=dict(self.by_kind))


class ImportRejected(InvalidInput):
    """The file has problems; nothing was written. ``problems`` lists at most ``LISTED_PROBLEMS`` of them;
    ``count`` and ``by_kind`` count them all."""

    def __init__(self, problems: list[Problem], *, by_kind: dict[str, int] | None = None):
        self.problems = problems[:LISTED_PROBLEMS]
        self.by_kind = by_kind if by_kind is not None else dict(Counter(p.kind_name for p in problems))
        self.count = sum(self.by_kind.values())
        shown = self.problems[:50]
        listed = indented_list(shown, limit=50)
        if self.count > len(shown):
            listed += f"\n  ... and {self.count - len(shown)} more"
        super().__init__(f"{counted(self.count, 'problem')}; nothing was imported:\n{listed}")
