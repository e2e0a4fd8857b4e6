"""Excluding QA items from release, and including them again: a reviewer's or admin's decision with a reason.
The same for a clip's caption (``clip_exclude``, ``clip_include``): in a training corpus an excluded caption
takes its clip out of the corpus, QA rows included (not released, not counted for participants).

The review-status transition map decides what may move. Exclusion is allowed from imported, accepted,
rejected and needs adjudication; an item in review (its clip's looks are not all in) is refused until
they are. Inclusion undoes an exclusion only: the map sends an excluded item back to ``imported``, so it
is reviewed again before it can be released (an exclusion said nothing about its content being right).

Every attempt on an item is one audit event: ``status_changed`` with the person's reason, or ``refused``
(``edit_refused`` for a stale version) saying why. A person holding a clip blind gets no further than
for any other content of that clip: the item is not found (404), and nothing is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.defaultfilters import pluralize

from annotation.domain.transitions import REVIEW_TRANSITIONS, ReviewStatus
from annotation.errors import DomainError, InvalidInput, Refused
from annotation.models import Benchmark, Caption, QAItem, Video
from annotation.selectors import items_matching

from .audited_writes import Actor, records_refusals, refusal_record, stale_edit
from .content import review_status_set

S = ReviewStatus


class ItemNotFound(DomainError):
    """No such item for this person: it does not exist, or its clip is held blind by them."""

    status = 404


class StatusMoveRefused(Refused):
    """An exclusion the transition map does not allow now, or an inclusion of an item that is not excluded.
    ``why`` says it without the qid, so a bulk summary can group the items refused for one reason."""

    def __init__(self, qid: str, why: str):
        self.why = why
        super().__init__(f"{qid} is {why}")


@dataclass(frozen=True)
class _Move:
    to: str
    verb: str  # "excluded" / "included", for summaries


EXCLUDE = _Move(to=S.EXCLUDED, verb="excluded")
INCLUDE = _Move(to=S.IMPORTED, verb="included again")


@dataclass
class BulkOutcome:
    """What a bulk exclusion or inclusion did: the qids moved, and the refused ones grouped by why."""

    verb: str
    moved: list[str] = field(default_factory=list)
    refused: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def summary(self) -> str:
        text = f"{len(self.moved)} question{pluralize(len(self.moved))} {self.verb}"
        if self.refused:
            groups = [f"{len(qids)} {why} ({', '.join(qids)})" for why, qids in self.refused.items()]
            text += "; not changed: " + "; ".join(groups)
        return text + "."


@records_refusals
def item_exclude(*, item_id: int, user, reason: str, expected_version: int | None = None) -> QAItem:
    """Exclude one item from release; ``expected_version`` (the version the person saw) guards against a
    change made meanwhile, ``None`` excludes whatever is current."""
    actor = _allowed(user, reason, "an exclusion")
    return _status_move(QAItem, item_id, EXCLUDE, actor, reason, expected_version, withheld=user.clips_withheld())


@records_refusals
def item_include(*, item_id: int, user, reason: str, expected_version: int | None = None) -> QAItem:
    """Include an excluded item again: back to ``imported``, to be reviewed before it is released."""
    actor = _allowed(user, reason, "an inclusion")
    return _status_move(QAItem, item_id, INCLUDE, actor, reason, expected_version, withheld=user.clips_withheld())


@records_refusals
def clip_exclude(*, video_id: int, user, reason: str, expected_version: int | None = None) -> Caption:
    """Exclude a clip's caption (``expected_version`` is the caption's); in a training corpus the clip, QA rows
    included, leaves the corpus."""
    actor = _allowed(user, reason, "an exclusion")
    withheld = user.clips_withheld()
    return _status_move(
        Caption, _caption_of(video_id, withheld), EXCLUDE, actor, reason, expected_version, withheld=withheld
    )


@records_refusals
def clip_include(*, video_id: int, user, reason: str, expected_version: int | None = None) -> Caption:
    """Include a clip's excluded caption again: back to ``imported``, to be reviewed before the clip is released."""
    actor = _allowed(user, reason, "an inclusion")
    withheld = user.clips_withheld()
    return _status_move(
        Caption, _caption_of(video_id, withheld), INCLUDE, actor, reason, expected_version, withheld=withheld
    )


def _caption_of(video_id: int, withheld: Sequence[int]) -> int:
    video = Video.objects.exclude(pk__in=withheld).filter(pk=video_id).only("clip_name").first()
    if video is None:
        raise ItemNotFound(f"no clip #{video_id}", field="video")
    caption_id = Caption.objects.filter(video_id=video_id).values_list("pk", flat=True).first()
    if caption_id is None:
        raise ItemNotFound(f"{video.clip_name} has no caption to exclude or include", field="caption")
    return caption_id


def items_exclude(
    *, benchmark: Benchmark, user, reason: str, filters: Mapping[str, Sequence[str]] | None = None
) -> BulkOutcome:
    """Exclude every item of ``benchmark`` matching ``filters`` (``items_matching``'s arguments), in one
    transaction, one audit event per item; items that may not move are refused (and recorded), not fatal."""
    return _bulk_move(benchmark, EXCLUDE, _allowed(user, reason, "an exclusion"), user, reason, filters or {})


def items_include(
    *, benchmark: Benchmark, user, reason: str, filters: Mapping[str, Sequence[str]] | None = None
) -> BulkOutcome:
    """Include again every excluded item of ``benchmark`` matching ``filters``, as ``items_exclude`` does."""
    return _bulk_move(benchmark, INCLUDE, _allowed(user, reason, "an inclusion"), user, reason, filters or {})


def _allowed(user, reason: str, what: str) -> Actor:
    if not user.may_browse_content:
        raise PermissionDenied("only reviewers and admins exclude or include items")
    if not reason.strip():
        raise InvalidInput(f"{what} needs a reason", field="reason")
    return Actor.person(user)


def _status_move(
    model: type[QAItem] | type[Caption],
    pk: int,
    move: _Move,
    actor: Actor,
    reason: str,
    expected_version: int | None,
    *,
    withheld: Sequence[int],
):
    with transaction.atomic():
        rows = model.objects.select_for_update(no_key=True).exclude(video_id__in=withheld)
        row = rows.filter(pk=pk).first()
        if row is None:
            what = "question" if model is QAItem else "caption"
            raise ItemNotFound(f"no {what} #{pk}", field="item" if model is QAItem else "caption")
        changes = {"review_status": move.to}
        if expected_version is not None and row.version != expected_version:
            raise stale_edit(row, actor=actor, changes=changes, seen_version=expected_version, reason=reason)
        why = _why_not(row.review_status, move.to)
        if why:
            raise StatusMoveRefused(_named(row), why).recording(
                actor=actor,
                target_kind=model.audit_kind,
                target_id=row.pk,
                version=row.version,
                before={"review_status": row.review_status},
                after=changes,
            )
        return review_status_set(
            model=model, pk=row.pk, status=move.to, actor=actor, expected_version=row.version, reason=reason
        )


def _named(row: QAItem | Caption) -> str:
    if isinstance(row, QAItem):
        return row.qid
    return f"the caption of {Video.objects.values_list('clip_name', flat=True).get(pk=row.video_id)}"


def _why_not(current: str, requested: str) -> str:
    """Why the item may not move from ``current`` to ``requested``, read as "<qid> is <why>"; "" when it may."""
    label = S(current).label.lower()
    if requested == S.IMPORTED and current != S.EXCLUDED:
        return f"not excluded ({label}): only an excluded item is included again"
    if current == requested:
        return "excluded already"
    if requested not in REVIEW_TRANSITIONS.allowed.get(current, frozenset()):
        if current == S.IN_REVIEW:
            return "in review: exclude it once the reviews of its clip are in"
        return f"{label}, and the review status map does not allow {S(requested).label.lower()} from there"
    return ""


def _bulk_move(
    benchmark: Benchmark, move: _Move, actor: Actor, user, reason: str, filters: Mapping[str, Sequence[str]]
) -> BulkOutcome:
    withheld = user.clips_withheld()
    rows = list(
        items_matching(benchmark=benchmark, withheld=withheld, **filters)
        .order_by("pk")
        .values_list("pk", "qid", "video_id")
    )
    outcome = BulkOutcome(verb=move.verb)
    with transaction.atomic():
        # The lock order of docs/locking.md: the clips first, then their items in ascending id, as a
        # decision completing a clip takes them; otherwise the two could deadlock.
        list(
            Video.objects.select_for_update(no_key=True)
            .filter(pk__in={video_id for _, _, video_id in rows})
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for pk, qid, _ in rows:
            try:
                _status_move(QAItem, pk, move, actor, reason, None, withheld=withheld)
            except StatusMoveRefused as refusal:  # the item's savepoint rolled back; its refusal commits with the rest
                refusal_record(refusal)
                outcome.refused[refusal.why].append(qid)
            else:
                outcome.moved.append(qid)
    return outcome
