"""What keeps a benchmark from release, as structured blockers grouped by what clears them.

A blocker has a kind (a review status, an open flag, a clip that is not ready ...), a
sub-kind ``detail`` (which status, which flag), what it is about (``subject``: a qid, a clip,
a participant, the benchmark; with ``item_id`` / ``video_id`` when it is one) and the sentence
that says it all (``message``). Blockers of one kind and detail form a group, which says once
what clears them; the ``create_release`` command, the API's 409 and the release page all show
the groups with their counts, never a cut list."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from annotation.domain.plurals import counted

SHOWN_IN_TEXT = 5  # subjects named per group in the one-line text of a refusal


class BlockerKind(StrEnum):
    """In the order the groups are shown: what a person can clear first comes first."""

    TAG_TAKEN = "tag_taken"
    WRONG_REQUEST = "wrong_request"
    REVIEW_STATUS = "review_status"
    NO_CAPTION = "no_caption"
    CAPTION_STATUS = "caption_status"
    ITEM_FLAG = "item_flag"
    CAPTION_FLAG = "caption_flag"
    BENCHMARK_FLAG = "benchmark_flag"
    CLIP_NOT_READY = "clip_not_ready"
    NO_MODEL_FRAMES = "no_model_frames"
    NO_PARTICIPANT = "no_participant"
    SHARED_PARTICIPANT = "shared_participant"
    UNPROVABLE_DISJOINTNESS = "unprovable_disjointness"
    NOTHING_TO_RELEASE = "nothing_to_release"


K = BlockerKind
ORDER = {kind: n for n, kind in enumerate(BlockerKind)}

# kind: (title, noun of its subjects, what clears a blocker of it)
GROUPS: dict[BlockerKind, tuple[str, str, str]] = {
    K.TAG_TAKEN: ("Tag taken", "tags", "choose a new tag: releases are immutable"),
    K.WRONG_REQUEST: ("Not a release of this benchmark's kind", "requests", "leave out disjoint_from"),
    K.REVIEW_STATUS: ("Review status {label}", "items", ""),  # by status: STATUS_CLEARS
    K.NO_CAPTION: ("Clip without a caption", "clips", "import a caption, or leave the clip out of the corpus"),
    K.CAPTION_STATUS: ("Caption review status {label}", "clips", "review the caption: accept it or exclude it"),
    K.ITEM_FLAG: (
        "Open flag on accepted items ({label})",
        "items",
        "fix the item, waive the flag with a reason, or exclude the item",
    ),
    K.CAPTION_FLAG: ("Open flag on captions ({label})", "clips", "fix the caption, or waive the flag with a reason"),
    K.BENCHMARK_FLAG: ("Open flag on the benchmark ({label})", "flags", "fix it, or waive the flag with a reason"),
    K.CLIP_NOT_READY: (
        "Clip not ready ({label})",
        "clips",
        "process the clip (process_videos): the export needs its frames",
    ),
    K.NO_MODEL_FRAMES: ("No model-view frames", "clips", "reprocess the clip"),
    K.NO_PARTICIPANT: ("No participant id", "clips", "re-import the clip with participant_id"),
    K.SHARED_PARTICIPANT: (
        "Participant shared with an evaluation benchmark",
        "participants",
        "leave the participant's clips out of the corpus, or check against other evaluation benchmarks",
    ),
    K.UNPROVABLE_DISJOINTNESS: (
        "Evaluation clips without a participant id",
        "benchmarks",
        "re-import those clips with participant_id",
    ),
    K.NOTHING_TO_RELEASE: ("Nothing to release", "benchmarks", "accept at least one item (or caption)"),
}
# open flags of these kinds cannot be waived (QualityFlag.NOT_WAIVABLE): only a fix or an exclusion clears them
UNWAIVABLE_FLAG_CLEARS = {
    "ambiguous_key": "fix the options so that only one names the key (this flag cannot be waived), or exclude the item",
}
STATUS_CLEARS = {
    "imported": "review it in a queue (accept it), or exclude it",
    "in_review": "finish its review (accept it), or exclude it",
    "needs_adjudication": "adjudicate it, or exclude it",
    "rejected": "re-review it in a verification queue, or exclude it",
}


@dataclass(frozen=True)
class Blocker:
    kind: BlockerKind
    message: str
    subject: str = ""
    detail: str = ""  # the status or flag kind that sub-groups the kind
    detail_label: str = ""  # ``detail`` in words
    note: str = ""  # a flag's message, beside the subject
    item_id: int | None = None
    video_id: int | None = None

    def __str__(self) -> str:
        return self.message


@dataclass
class BlockerGroup:
    kind: BlockerKind
    detail: str
    title: str
    noun: str
    clears: str
    blockers: list[Blocker] = field(default_factory=list)  # all of them, or the first few (``count`` says)
    count: int = 0

    @property
    def counted(self) -> str:
        """'3 items', '1 item'."""
        return f"{self.count} {self.noun if self.count != 1 else self.noun.removesuffix('s')}"

    @property
    def key(self) -> str:
        """Names the group in a URL (``?group=``)."""
        return f"{self.kind}.{self.detail}" if self.detail else str(self.kind)

    def line(self) -> str:
        """One line: the sentence of a lone blocker; else the count, the first subjects and what clears them."""
        if self.count == 1:
            return f"{self.title}: {self.blockers[0].message}"
        subjects = ", ".join(b.subject for b in self.blockers[:SHOWN_IN_TEXT])
        more = f" and {self.count - SHOWN_IN_TEXT} more" if self.count > SHOWN_IN_TEXT else ""
        return f"{self.title}: {self.counted} ({subjects}{more}); to clear: {self.clears}"

    def as_dict(self) -> dict:
        return {
            "kind": str(self.kind),
            "detail": self.detail,
            "title": self.title,
            "count": self.count,
            "clears": self.clears,
            "subjects": [b.subject for b in self.blockers],
        }


def blocker_groups(
    blockers: list[Blocker], *, totals: dict[tuple[BlockerKind, str], int] | None = None
) -> list[BlockerGroup]:
    """The blockers by kind and detail, in ``BlockerKind`` order; each group keeps the blockers' order
    and counts them, or takes its count from ``totals`` (by kind and detail) when they are only the first few."""
    groups: dict[tuple[BlockerKind, str], BlockerGroup] = {}
    for blocker in blockers:
        group = groups.get((blocker.kind, blocker.detail))
        if group is None:
            group = groups[(blocker.kind, blocker.detail)] = _group_of(blocker)
        group.blockers.append(blocker)
    for key, group in groups.items():
        group.count = len(group.blockers) if totals is None else totals.get(key, len(group.blockers))
    return [groups[key] for key in sorted(groups, key=lambda key: (ORDER[key[0]], key[1]))]


def _group_of(blocker: Blocker) -> BlockerGroup:
    title, noun, clears = GROUPS[blocker.kind]
    if blocker.kind == K.REVIEW_STATUS:
        clears = STATUS_CLEARS.get(blocker.detail, "accept it, or exclude it")
    elif blocker.kind == K.ITEM_FLAG:
        clears = UNWAIVABLE_FLAG_CLEARS.get(blocker.detail, clears)
    label = blocker.detail_label or blocker.detail.replace("_", " ")
    return BlockerGroup(
        kind=blocker.kind,
        detail=blocker.detail,
        title=title.format(label=label),
        noun=noun,
        clears=clears,
    )


def blocked_text(groups: list[BlockerGroup]) -> str:
    """The count, then one line per group."""
    count = sum(g.count for g in groups)
    lines = "\n".join(f"  {group.line()}" for group in groups)
    return f"the release is blocked by {counted(count, 'problem')}:\n{lines}"
