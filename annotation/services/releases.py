"""Cut releases: check a benchmark is complete, freeze its accepted items with their
captions and provenance, and compute the digest of every export format.

A cut is one ``release_cut`` event (target: the release); a blocked cut is one ``refused``
event (target: the benchmark), kept although the attempt's transaction rolled back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from annotation.benchmark_locks import MutexPurpose, benchmark_mutex
from annotation.domain.problem_lists import indented_list
from annotation.domain.transitions import ReviewStatus
from annotation.errors import Refused
from annotation.exports.release_export import FORMATS, export_digest
from annotation.models import AuditEvent, Benchmark, Caption, QAItem, QualityFlag, Release, ReleaseItem
from annotation.selectors import evaluation_benchmarks

from .audited_writes import Actor, record_action, records_refusals
from .bulk_insert import insert_many
from .release_snapshots import caption_snapshot, content_provenance
from .train_releases import train_release_blockers, train_release_write

RELEASABLE = (ReviewStatus.ACCEPTED, ReviewStatus.EXCLUDED)
Event = AuditEvent.EventType


class ReleaseBlocked(Refused):
    """The benchmark is not complete; ``blockers`` says what stands in the way."""

    def __init__(self, blockers: list[str]):
        self.blockers = blockers
        super().__init__(f"the release is blocked by {len(blockers)} problem(s):\n{indented_list(blockers, limit=100)}")


@dataclass(frozen=True)
class ReleaseDiff:
    added: list[str]
    removed: list[str]
    changed: dict[str, list[str]]  # qid -> fields that differ

    def as_dict(self) -> dict:
        return {"added": self.added, "removed": self.removed, "changed": self.changed}


def release_blockers(*, benchmark: Benchmark, disjoint_from: Sequence[Benchmark] | None = None) -> list[str]:
    """Everything that keeps ``benchmark`` from being released, in words. A training
    corpus is checked by caption, and against ``disjoint_from`` (every evaluation
    benchmark when None) for shared participants."""
    if benchmark.is_caption_centric:
        against = evaluation_benchmarks() if disjoint_from is None else list(disjoint_from)
        return train_release_blockers(benchmark=benchmark, against=against)
    blockers = [
        f"{qid}: review status is {status}; accept it or exclude it"
        for qid, status in benchmark.items.exclude(review_status__in=RELEASABLE)
        .order_by("qid")
        .values_list("qid", "review_status")
    ]
    open_flags = QualityFlag.objects.filter(benchmark=benchmark, status=QualityFlag.Status.OPEN)
    accepted = benchmark.items.filter(review_status=ReviewStatus.ACCEPTED)
    for flag in open_flags.filter(item__in=accepted).select_related("item").order_by("item__qid", "kind"):
        assert flag.item is not None
        blockers.append(f"{flag.item.qid}: open flag {flag.kind} ({flag.message}); fix it or waive it with a reason")
    for flag in open_flags.filter(caption__video__items__in=accepted).distinct().select_related("caption__video"):
        assert flag.caption is not None
        blockers.append(f"caption of {flag.caption.video.clip_name}: open flag {flag.kind}; fix it or waive it")
    for flag in open_flags.filter(item__isnull=True, caption__isnull=True).order_by("kind"):
        blockers.append(f"benchmark: open flag {flag.kind} ({flag.message}); fix it or waive it with a reason")
    if not accepted.exists():
        blockers.append("no accepted item: nothing to release")
    return blockers


def release_manifest(release: Release) -> dict:
    return {
        "benchmark": release.benchmark.name,
        "tag": release.tag,
        "notes": release.notes,
        "created_by": release.created_by.username,
        "created_at": release.created_at.isoformat(),
        "item_count": release.item_count,
        "task_counts": release.task_counts,
    }


@records_refusals
def release_create(
    *, benchmark: Benchmark, tag: str, notes: str = "", user, disjoint_from: Sequence[Benchmark] | None = None
) -> Release:
    """Freeze ``benchmark``; a training corpus only when it shares no participant with
    the evaluation benchmarks ``disjoint_from`` (all of them when None)."""

    def blocked(blockers: list[str]) -> ReleaseBlocked:
        attempted = {"tag": tag, "disjoint_from": sorted(b.name for b in disjoint_from or ())}
        return ReleaseBlocked(blockers).recording(
            actor=Actor.person(user),
            target_kind=benchmark.audit_kind,
            target_id=benchmark.pk,
            version=benchmark.version,
            after=attempted,
        )

    if disjoint_from and not benchmark.is_caption_centric:
        raise blocked([f"{benchmark.name} is an evaluation benchmark; disjoint_from is for training corpora"])
    if any(b.kind != Benchmark.Kind.EVAL for b in disjoint_from or ()):
        raise blocked(["disjoint_from names only evaluation benchmarks"])
    with transaction.atomic():
        benchmark_mutex(benchmark.pk, MutexPurpose.RELEASE_CUT)  # one release of a benchmark at a time
        benchmark_mutex(benchmark.pk, MutexPurpose.CONTENT_WRITES)  # no import or generation changes what is frozen
        if Release.objects.filter(benchmark=benchmark, tag=tag).exists():
            raise blocked([f"tag {tag!r} exists already; releases are immutable, use a new tag"])
        against = None
        if benchmark.is_caption_centric:
            against = evaluation_benchmarks() if disjoint_from is None else sorted(disjoint_from, key=lambda b: b.name)
        blockers = release_blockers(benchmark=benchmark, disjoint_from=against)
        if blockers:
            raise blocked(blockers)
        if against is None:
            release = _eval_release_write(benchmark=benchmark, tag=tag, notes=notes, user=user)
        else:
            release = train_release_write(benchmark=benchmark, tag=tag, notes=notes, user=user, against=against)
        _release_cut_recorded(release, user=user)
    return release


def _release_cut_recorded(release: Release, *, user) -> None:
    record_action(
        actor=Actor.person(user),
        event_type=Event.RELEASE_CUT,
        target_kind=Release.audit_kind,
        target_id=release.pk,
        after={
            "benchmark": release.benchmark.name,
            "tag": release.tag,
            "kind": release.kind,
            "item_count": release.item_count,
            "clip_count": release.clip_count,
            "disjoint_from": release.disjoint_from,
            "sha256": release.sha256,
        },
    )


def _eval_release_write(*, benchmark: Benchmark, tag: str, notes: str, user) -> Release:
    """Freeze the accepted items (the caller holds the release-cut mutex and has checked the blockers)."""
    items = list(benchmark.items.filter(review_status=ReviewStatus.ACCEPTED).select_related("video").order_by("id"))
    last_event_id = AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0
    release = Release(
        benchmark=benchmark,
        tag=tag,
        notes=notes,
        created_by=user,
        created_at=timezone.now(),
        item_count=len(items),
        task_counts=dict(sorted(Counter(i.task for i in items).items())),
        last_event_id=last_event_id,
    )
    rows = _released_rows(release, items, last_event_id)
    manifest = release_manifest(release)
    release.export_sha256 = {fmt: export_digest(fmt, manifest, rows) for fmt in FORMATS}
    release.sha256 = release.export_sha256["jsonl"]
    release.save(force_insert=True)
    for row in rows:
        row.release = release
    insert_many(ReleaseItem, rows)
    return release


def _released_rows(release: Release, items: list[QAItem], last_event_id: int) -> list[ReleaseItem]:
    provenance = item_provenance([i.pk for i in items], last_event_id)
    captions = _caption_snapshots({i.video_id for i in items})
    return [
        ReleaseItem(
            release=release,
            position=position,
            item=item,
            item_version=item.version,
            qid=item.qid,
            content={
                "clip": item.video.clip_name,
                "task": item.task,
                "question": item.question,
                "options": item.options,
                "answer": item.answer,
                "generated_by": item.generated_by,
            },
            caption=captions.get(item.video_id),
            provenance=provenance[item.pk],
        )
        for position, item in enumerate(items, start=1)
    ]


def _caption_snapshots(video_ids: set[int]) -> dict[int, dict]:
    return {caption.video_id: caption_snapshot(caption) for caption in Caption.objects.filter(video_id__in=video_ids)}


def item_provenance(item_ids: list[int], last_event_id: int) -> dict[int, dict]:
    """Who generated, edited and reviewed each item, from the audit trail up to ``last_event_id``."""
    return content_provenance(QAItem.audit_kind, item_ids, last_event_id)


def release_diff(*, old: Release, new: Release) -> ReleaseDiff:
    before = {qid: (v, c) for qid, v, c in old.items.values_list("qid", "item_version", "content")}
    after = {qid: (v, c) for qid, v, c in new.items.values_list("qid", "item_version", "content")}
    changed = {}
    for qid in sorted(before.keys() & after.keys()):
        fields = sorted(
            k for k in before[qid][1].keys() | after[qid][1].keys() if before[qid][1].get(k) != after[qid][1].get(k)
        )
        if fields:
            changed[qid] = fields
    return ReleaseDiff(
        added=sorted(after.keys() - before.keys()), removed=sorted(before.keys() - after.keys()), changed=changed
    )
