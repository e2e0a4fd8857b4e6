"""What every generator takes and gives back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from annotation.domain.taxonomy import COARSE_LABELS, FINE_LABELS
from annotation.errors import DomainError


@dataclass(frozen=True)
class CaptionedClip:
    """A clip's structured caption, as a generator sees it (no database rows)."""

    clip_name: str
    coarse_label: str  # MA-52 code, A-G
    fine_label: str  # MA-52 code, A1-G4
    dominant_part: str
    other_parts: tuple[str, ...] = ()
    direction_path: str = ""
    phase_early: str = ""
    phase_middle: str = ""
    phase_late: str = ""
    trend: str = "single"
    contact: str = ""
    description: str = ""

    @property
    def coarse_name(self) -> str:
        return COARSE_LABELS[self.coarse_label].name

    @property
    def fine_name(self) -> str:
        return FINE_LABELS[self.fine_label].name

    @classmethod
    def of(cls, caption, *, clip_name: str) -> CaptionedClip:
        """From a ``Caption`` row."""
        fields = (
            "coarse_label",
            "fine_label",
            "dominant_part",
            "direction_path",
            "phase_early",
            "phase_middle",
            "phase_late",
            "trend",
            "contact",
            "description",
        )
        return cls(
            clip_name=clip_name,
            other_parts=tuple(caption.other_parts),
            **{name: getattr(caption, name) for name in fields},
        )


@dataclass(frozen=True)
class GeneratedItem:
    """One question as a generator wrote it; the service gives it a qid."""

    task: str
    question: str
    answer: str
    options: tuple[str, ...] = ()


class GenerationFailed(DomainError):
    """A generator could not produce a clip's questions; nothing of the clip is written."""


class Generator(Protocol):
    name: str
    version: str
    tasks: tuple[str, ...]

    @property
    def source(self) -> str:
        """The machine source the audit trail names: generator and version."""
        ...

    def generate(self, clip: CaptionedClip, *, tasks: tuple[str, ...]) -> list[GeneratedItem]:
        """All questions of ``tasks`` for one clip, or ``GenerationFailed``."""
        ...
