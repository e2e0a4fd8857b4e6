"""The queries behind release blockers, the same for a benchmark and a training corpus.

``Found`` keeps the blockers and how many there are of each kind and detail: every one of them
for a cut (and its refusal), or only the first few of each for a page (``listed``), whose
queries then return those few rows with their group's count (window functions), so the page's
work does not grow with the number of blockers. Open flags, on items, captions and the
benchmark, are one query."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.db.models import Case as Choose
from django.db.models import CharField, Count, F, Q, QuerySet, TextField, Value, When, Window
from django.db.models.functions import Coalesce, RowNumber

from annotation.domain.release_blockers import Blocker, BlockerGroup, BlockerKind, blocker_groups
from annotation.models import QualityFlag

FLAG_LABELS = dict(QualityFlag.Kind.choices)
K = BlockerKind


def first_rows(
    rows: QuerySet, fields: Sequence[str], *, order: Sequence[str], by: Sequence[str], listed: int | None
) -> list[tuple]:
    """The value tuples of ``fields`` in ``order``, each with the size of its group (rows alike in the
    fields ``by``) last; all of them with None for the size, or the first ``listed`` of each group. One query."""
    if listed is None:
        return [(*row, None) for row in rows.order_by(*order).values_list(*fields)]
    partition = [F(name) for name in by] or None
    ranked = rows.annotate(
        blocker_rank=Window(RowNumber(), partition_by=partition, order_by=[F(name).asc() for name in order]),
        blocker_total=Window(Count("pk"), partition_by=partition),
    ).filter(blocker_rank__lte=listed)
    return list(ranked.order_by(*order).values_list(*fields, "blocker_total"))


class Found:
    """The blockers found, and how many there are of each kind and detail (more than are listed
    when ``listed`` cuts each group to its first few)."""

    def __init__(self, listed: int | None = None):
        self.listed = listed
        self.blockers: list[Blocker] = []
        self.totals: dict[tuple[BlockerKind, str], int] = {}

    def add(
        self,
        rows: QuerySet,
        fields: Sequence[str],
        make: Callable[..., Blocker],
        *,
        order: Sequence[str],
        by: Sequence[str] = (),
    ) -> None:
        """One query: ``make(*row)`` for each row (values of ``fields``). ``by``: the fields whose values
        make a blocker's kind and detail (none: one group)."""
        for *row, total in first_rows(rows, fields, order=order, by=by, listed=self.listed):
            blocker = make(*row)
            if total is None:
                self.append(blocker)
            else:
                self.totals[(blocker.kind, blocker.detail)] = total
                self.blockers.append(blocker)

    def append(self, blocker: Blocker) -> None:
        key = (blocker.kind, blocker.detail)
        self.totals[key] = self.totals.get(key, 0) + 1
        self.blockers.append(blocker)

    def groups(self) -> list[BlockerGroup]:
        return blocker_groups(self.blockers, totals=self.totals)


def flag_label(kind: str) -> str:
    return FLAG_LABELS.get(kind, kind)


FLAG_FIELDS = (
    "blocker_kind",
    "kind",
    "message",
    "item_id",
    "item__qid",
    "item__video_id",
    "caption__video_id",
    "caption__video__clip_name",
)


def add_open_flags(
    found: Found,
    open_flags: QuerySet[QualityFlag],
    *,
    items: Q,
    captions: Q,
    item_sentence: Callable[[str, str, str], str],
    caption_action: str,
) -> None:
    """The open flags that block, in one query: on the items ``items`` selects, on the captions
    ``captions`` selects, and on the benchmark as a whole (``open_flags``: the benchmark's open flags);
    ``item_sentence(qid, kind, message)`` says an item's."""
    target = Choose(
        When(item__isnull=False, then=Value(K.ITEM_FLAG.value)),
        When(caption__isnull=False, then=Value(K.CAPTION_FLAG.value)),
        default=Value(K.BENCHMARK_FLAG.value),
        output_field=CharField(),
    )
    whole = Q(item__isnull=True, caption__isnull=True)
    rows = open_flags.filter((Q(item__isnull=False) & items) | (Q(caption__isnull=False) & captions) | whole)
    rows = rows.annotate(
        blocker_kind=target,
        blocker_subject=Coalesce("item__qid", "caption__video__clip_name", "message", output_field=TextField()),
    )

    def blocker(target, kind, message, item_id, qid, item_clip, caption_clip, clip) -> Blocker:
        about = {"detail": kind, "detail_label": flag_label(kind)}
        if target == K.ITEM_FLAG:
            sentence = item_sentence(qid, kind, message)
            return Blocker(K.ITEM_FLAG, sentence, qid, note=message, item_id=item_id, video_id=item_clip, **about)
        if target == K.CAPTION_FLAG:
            sentence = f"caption of {clip}: open flag {kind}; {caption_action}"
            return Blocker(K.CAPTION_FLAG, sentence, clip, note=message, video_id=caption_clip, **about)
        sentence = f"benchmark: open flag {kind} ({message}); fix it or waive it with a reason"
        return Blocker(K.BENCHMARK_FLAG, sentence, message, **about)

    order = ("blocker_kind", "blocker_subject", "kind", "pk")
    found.add(rows, FLAG_FIELDS, blocker, order=order, by=("blocker_kind", "kind"))
