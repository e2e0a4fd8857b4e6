"""The fixed vocabulary of MA-Bench: 3 tiers, 8 tasks and the MA-52 label set.

MA-52 codes follow the data set's own numbering: 7 coarse body-part categories
(A-G) and 52 fine micro-actions (A1-G4) whose `index` is the class id used by
the MA-52 evaluation code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Tier(StrEnum):
    PERCEPTION = "perception"
    COMPREHENSION = "comprehension"
    REASONING = "reasoning"


class AnswerFormat(StrEnum):
    CHOICE = "choice"
    YES_NO = "yes_no"
    OPEN = "open"


@dataclass(frozen=True)
class Task:
    code: str
    name: str
    tier: Tier
    answer_format: AnswerFormat
    per_video: int
    option_count: int = 0  # choice tasks only

    @property
    def is_open(self) -> bool:
        """An open answer judged on 0-5 scales (no key to answer blind, no letter to score)."""
        return self.answer_format == AnswerFormat.OPEN


TASKS: dict[str, Task] = {
    t.code: t
    for t in (
        Task("CMAR", "Coarse-grained micro-action recognition", Tier.PERCEPTION, AnswerFormat.CHOICE, 1, 7),
        Task("FMAR", "Fine-grained micro-action recognition", Tier.PERCEPTION, AnswerFormat.CHOICE, 1, 5),
        Task("SAD", "Single action detail", Tier.COMPREHENSION, AnswerFormat.YES_NO, 2),
        Task("MAD", "Multiple action detail", Tier.COMPREHENSION, AnswerFormat.YES_NO, 2),
        Task("MAS", "Micro-action sequence", Tier.COMPREHENSION, AnswerFormat.YES_NO, 2),
        Task("PPR", "Part proximity relation", Tier.COMPREHENSION, AnswerFormat.YES_NO, 2),
        Task("MADU", "Micro-action descriptive understanding", Tier.REASONING, AnswerFormat.OPEN, 1),
        Task("MARE", "Micro-action reasoning and explanation", Tier.REASONING, AnswerFormat.OPEN, 1),
    )
}

QUESTIONS_PER_VIDEO = sum(t.per_video for t in TASKS.values())
YES_NO_ANSWERS = ("Yes", "No")
CHOICE_LETTERS = "ABCDEFG"


def tasks_of(answer_format: AnswerFormat) -> list[str]:
    """Task codes of one answer format, in the benchmark's task order."""
    return [code for code, task in TASKS.items() if task.answer_format == answer_format]


CLOSED_TASKS = [code for code, task in TASKS.items() if not task.is_open]  # a key a person or model can match
OPEN_TASKS = tasks_of(AnswerFormat.OPEN)
YES_NO_TASKS = tasks_of(AnswerFormat.YES_NO)


def tasks_in_tier(tier: Tier | str) -> list[str]:
    return [code for code, task in TASKS.items() if task.tier == tier]


@dataclass(frozen=True)
class CoarseLabel:
    code: str
    name: str


@dataclass(frozen=True)
class FineLabel:
    code: str
    index: int
    name: str
    coarse: str


COARSE_LABELS: dict[str, CoarseLabel] = {
    c.code: c
    for c in (
        CoarseLabel("A", "Body"),
        CoarseLabel("B", "Head"),
        CoarseLabel("C", "Upper limb"),
        CoarseLabel("D", "Lower limb"),
        CoarseLabel("E", "Body-hand"),
        CoarseLabel("F", "Head-hand"),
        CoarseLabel("G", "Leg-hand"),
    )
}

FINE_LABELS: dict[str, FineLabel] = {
    f.code: f
    for f in (
        FineLabel("A1", 0, "Shaking body", "A"),
        FineLabel("A2", 1, "Turning around", "A"),
        FineLabel("A3", 2, "Sitting straightly", "A"),
        FineLabel("A4", 3, "Shrugging", "A"),
        FineLabel("A5", 4, "Rising up", "A"),
        FineLabel("B1", 5, "Nodding", "B"),
        FineLabel("B2", 6, "Shaking head", "B"),
        FineLabel("B3", 7, "Turning head", "B"),
        FineLabel("B4", 8, "Tilting head", "B"),
        FineLabel("B5", 9, "Bowing head", "B"),
        FineLabel("B6", 10, "Head up", "B"),
        FineLabel("C1", 11, "Illustrative gestures", "C"),
        FineLabel("C2", 12, "Other finger movements", "C"),
        FineLabel("C3", 13, "Hands touching fingers", "C"),
        FineLabel("C4", 14, "Stretching arms", "C"),
        FineLabel("C5", 15, "Waving", "C"),
        FineLabel("C6", 16, "Scratching arms", "C"),
        FineLabel("C7", 17, "Spreading hands", "C"),
        FineLabel("C8", 18, "Playing objects", "C"),
        FineLabel("C9", 19, "Putting hands together", "C"),
        FineLabel("C10", 20, "Retracting arms", "C"),
        FineLabel("C11", 21, "Pointing oneself", "C"),
        FineLabel("C12", 22, "Clenching fist", "C"),
        FineLabel("C13", 23, "Rubbing hands", "C"),
        FineLabel("D1", 24, "Tiptoe", "D"),
        FineLabel("D2", 25, "Retracting feet", "D"),
        FineLabel("D3", 26, "Shaking legs", "D"),
        FineLabel("D4", 27, "Stretching feet", "D"),
        FineLabel("D5", 28, "Closing legs", "D"),
        FineLabel("D6", 29, "Spread legs", "D"),
        FineLabel("D7", 30, "Curling legs", "D"),
        FineLabel("D8", 31, "Crossing legs", "D"),
        FineLabel("E1", 32, "Scratching or touching chest", "E"),
        FineLabel("E2", 33, "Scratching or touching neck", "E"),
        FineLabel("E3", 34, "Scratching or touching back", "E"),
        FineLabel("E4", 35, "Arms akimbo", "E"),
        FineLabel("E5", 36, "Crossing arms", "E"),
        FineLabel("E6", 37, "Scratching or touching shoulder", "E"),
        FineLabel("F1", 38, "Touching nose", "F"),
        FineLabel("F2", 39, "Scratching or touching face", "F"),
        FineLabel("F3", 40, "Playing or tidying hair", "F"),
        FineLabel("F4", 41, "Scratching or touching hindbrain", "F"),
        FineLabel("F5", 42, "Pushing glasses", "F"),
        FineLabel("F6", 43, "Rubbing eyes", "F"),
        FineLabel("F7", 44, "Scratching or touching forehead", "F"),
        FineLabel("F8", 45, "Touching ears", "F"),
        FineLabel("F9", 46, "Covering mouth", "F"),
        FineLabel("F10", 47, "Covering face", "F"),
        FineLabel("G1", 48, "Touching legs", "G"),
        FineLabel("G2", 49, "Patting legs", "G"),
        FineLabel("G3", 50, "Scratching legs", "G"),
        FineLabel("G4", 51, "Scratching feet", "G"),
    )
}

COARSE_BY_NAME = {c.name.lower(): c for c in COARSE_LABELS.values()}
FINE_BY_NAME = {f.name.lower(): f for f in FINE_LABELS.values()}


def fine_labels_of(coarse_code: str) -> list[FineLabel]:
    return [f for f in FINE_LABELS.values() if f.coarse == coarse_code]


class Trend(StrEnum):
    SINGLE = "single"
    CONTINUOUS = "continuous"
    REPETITIVE = "repetitive"
