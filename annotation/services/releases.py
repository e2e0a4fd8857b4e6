"""Cut releases: check a benchmark is complete, freeze its accepted items with their
captions and provenance, and compute the digest of every export format.

A cut is one ``release_cut`` event (target: the release); a blocked cut is one ``refused``
event (target: the benchmark), kept although the attempt's transaction rolled back."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from annotation.benchmark_locks import MutexPurpose, benchmark_mutex
from annotation.domain.input_rules import tag_problem, text_problem
from annotation.domain.release_blockers import Blocker, BlockerGroup, BlockerKind, blocked_text, blocker_groups
from annotation.domain.transitions import ReviewStatus
from annotation.errors import InvalidInput, Refused
from annotation.exports.json_encoding import ENCODERS
from annotation.exports.release_export import ReleaseDigests, RowJson, row_json
from annotation.models import AuditEvent, Benchmark, QAItem, QualityFlag, Release, ReleaseItem
from annotation.selectors import evaluation_benchmarks

from .audited_writes import Actor, record_action, records_refusals
from .blocker_queries import Found, add_open_flags
from .bulk_insert import reserved_ids
from .datasheets import CutSubject, datasheet_build
from .frozen_rows import JsonText, collector_paused, rows_copy
from .release_snapshots import caption_snapshots, content_provenance, exclusions
from .train_releases import train_release_blockers, train_release_write

RELEASABLE = (ReviewStatus.ACCEPTED, ReviewStatus.EXCLUDED)
UNSETTLED = [status for status in ReviewStatus.values if status not in RELEASABLE]  # an index serves IN, not NOT IN
Event = AuditEvent.EventType
SNAPSHOT_JSON = ENCODERS[True]  # a caption snapshot as the rich formats write it


class ReleaseBlocked(Refused):
    """The benchmark is not complete. ``found``: the blockers; ``groups``: them by kind, with counts;
    ``blockers``: their sentences. The message is one line per group, never a cut list."""

    def __init__(self, found: list[Blocker]):
        self.found = found
        self.groups = blocker_groups(found)
        self.blockers = [b.message for b in found]
        super().__init__(blocked_text(self.groups))


@dataclass(frozen=True)
class ReleaseDiff:
    added: list[str]
    removed: list[str]
    changed: dict[str, list[str]]  # qid -> fields that differ

    def as_dict(self) -> dict:
        return {"added": self.added, "removed": self.removed, "changed": self.changed}


def release_blockers(*, benchmark: Benchmark, disjoint_from: Sequence[Benchmark] | None = None) -> list[Blocker]:
    """Everything that keeps ``benchmark`` from being released, group by group (``release_blocker_groups``)."""
    groups = release_blocker_groups(benchmark=benchmark, disjoint_from=disjoint_from)
    return [blocker for group in groups for blocker in group.blockers]


def release_blocker_groups(
    *, benchmark: Benchmark, disjoint_from: Sequence[Benchmark] | None = None, listed: int | None = None
) -> list[BlockerGroup]:
    """What keeps ``benchmark`` from being released, by kind, with counts; each group lists all its
    blockers, or its first ``listed``. A training corpus is checked by caption, and against
    ``disjoint_from`` (every evaluation benchmark when None) for shared participants. A fixed
    number of queries; with ``listed``, rows read do not grow with the blockers either."""
    found = Found(listed)
    if benchmark.is_caption_centric:
        against = evaluation_benchmarks() if disjoint_from is None else list(disjoint_from)
        train_release_blockers(found, benchmark=benchmark, against=against)
        return found.groups()

    def unsettled(pk: int, qid: str, status: str, video_id: int) -> Blocker:
        return Blocker(
            kind=BlockerKind.REVIEW_STATUS,
            detail=status,
            subject=qid,
            item_id=pk,
            video_id=video_id,
            message=f"{qid}: review status is {status}; accept it or exclude it",
        )

    rows = benchmark.items.filter(review_status__in=UNSETTLED)
    fields = ("pk", "qid", "review_status", "video_id")
    found.add(rows, fields, unsettled, order=("qid",), by=("review_status",))
    open_flags = QualityFlag.objects.filter(benchmark=benchmark, status=QualityFlag.Status.OPEN)
    released_clips = benchmark.videos.filter(items__review_status=ReviewStatus.ACCEPTED)
    add_open_flags(
        found,
        open_flags,
        items=Q(item__review_status=ReviewStatus.ACCEPTED),
        captions=Q(caption__video__in=released_clips),
        item_sentence=lambda qid, kind, message: (
            f"{qid}: open flag {kind} ({message}); fix it or waive it with a reason"
        ),
        caption_action="fix it or waive it",
    )
    accepted = benchmark.items.filter(review_status=ReviewStatus.ACCEPTED)
    if not accepted.exists():
        found.append(
            Blocker(
                kind=BlockerKind.NOTHING_TO_RELEASE,
                subject=benchmark.name,
                message="no accepted item: nothing to release",
            )
        )
    return found.groups()


def release_manifest(release: Release) -> dict:
    """The header of the ``json`` export, so part of its digest, with the release's datasheet
    (``annotation.services.datasheets``). A release cut before exclusions were recorded has no
    ``excluded`` (``None``), one cut before datasheets no ``datasheet``: their manifests stay as they were."""
    manifest = {
        "benchmark": release.benchmark.name,
        "tag": release.tag,
        "notes": release.notes,
        "created_by": release.created_by.username,
        "created_at": release.created_at.isoformat(),
        "item_count": release.item_count,
        "task_counts": release.task_counts,
    }
    if release.excluded is not None:
        manifest["excluded"] = release.excluded
    if release.datasheet is not None:
        manifest["datasheet"] = release.datasheet
    return manifest


def excluded_items(benchmark: Benchmark, last_event_id: int) -> list[dict]:
    """The benchmark's excluded items for the manifest: qid, task, clip, and who excluded each, when and why."""
    rows = benchmark.items.filter(review_status=ReviewStatus.EXCLUDED).order_by("id")
    named = {
        pk: {"qid": qid, "task": task, "clip": clip}
        for pk, qid, task, clip in rows.values_list("pk", "qid", "task", "video__clip_name")
    }
    return exclusions(QAItem.audit_kind, named, last_event_id)


@records_refusals
def release_create(
    *, benchmark: Benchmark, tag: str, notes: str = "", user, disjoint_from: Sequence[Benchmark] | None = None
) -> Release:
    """Freeze ``benchmark``; a training corpus only when it shares no participant with
    the evaluation benchmarks ``disjoint_from`` (all of them when None)."""

    tag_refused(tag)
    notes_problem = text_problem(notes, required=False)
    if notes_problem:
        raise InvalidInput(f"notes: {notes_problem}", field="notes")

    def blocked(blockers: list[Blocker]) -> ReleaseBlocked:
        attempted = {"tag": tag, "disjoint_from": sorted(b.name for b in disjoint_from or ())}
        return ReleaseBlocked(blockers).recording(
            actor=Actor.person(user),
            target_kind=benchmark.audit_kind,
            target_id=benchmark.pk,
            version=benchmark.version,
            after=attempted,
        )

    if disjoint_from and not benchmark.is_caption_centric:
        raise blocked(
            [_wrong_request(f"{benchmark.name} is an evaluation benchmark; disjoint_from is for training corpora")]
        )
    if any(b.kind != Benchmark.Kind.EVAL for b in disjoint_from or ()):
        raise blocked([_wrong_request("disjoint_from names only evaluation benchmarks")])
    # Edits keep the benchmark-wide flags in step; whatever changed items without lint, the cut sees them right.
    # Imported here: lint's modules load for a cut, not for every export that reads a release's manifest.
    from .flags import benchmark_flags_verify  # noqa: PLC0415

    benchmark_flags_verify(benchmark=benchmark)
    with transaction.atomic():
        benchmark_mutex(benchmark.pk, MutexPurpose.RELEASE_CUT)  # one release of a benchmark at a time
        benchmark_mutex(benchmark.pk, MutexPurpose.CONTENT_WRITES)  # no import or generation changes what is frozen
        if Release.objects.filter(benchmark=benchmark, tag=tag).exists():
            raise blocked(
                [
                    Blocker(
                        kind=BlockerKind.TAG_TAKEN,
                        subject=tag,
                        message=f"tag {tag!r} exists already; releases are immutable, use a new tag",
                    )
                ]
            )
        against = None
        if benchmark.is_caption_centric:
            against = evaluation_benchmarks() if disjoint_from is None else sorted(disjoint_from, key=lambda b: b.name)
        blockers = release_blockers(benchmark=benchmark, disjoint_from=against)
        if blockers:
            raise blocked(blockers)
        with collector_paused():
            if against is None:
                release = _eval_release_write(benchmark=benchmark, tag=tag, notes=notes, user=user)
            else:
                release = train_release_write(benchmark=benchmark, tag=tag, notes=notes, user=user, against=against)
        _release_cut_recorded(release, user=user)
    return release


def tag_refused(tag: str) -> None:
    """Raise ``InvalidInput`` (field ``tag``) for a tag no release can have (``input_rules.TAG_PATTERN``):
    a tag names export files and URLs, so it is one token of letters, digits and ``._+-``."""
    problem = tag_problem(tag)
    if problem:
        raise InvalidInput(problem, field="tag")


def _wrong_request(message: str) -> Blocker:
    return Blocker(kind=BlockerKind.WRONG_REQUEST, subject="disjoint_from", message=message)


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


@dataclass(frozen=True, slots=True)
class FrozenItem:
    """One item as the cut freezes it: a ``ReleaseItem``'s values (``release_export.ReleasedRow``), without
    a model instance per row. ``caption_json``: its clip's caption snapshot as JSON (``null`` without one),
    dumped once for the clip's items."""

    position: int
    item_id: int
    item_version: int
    qid: str
    content: dict
    caption_json: str
    provenance: dict

    @property
    def caption(self) -> dict | None:
        return json.loads(self.caption_json)


ITEM_COLUMNS = ("release_id", "position", "item_id", "item_version", "qid", "content", "caption", "provenance")
ITEM_FIELDS = (
    "pk",
    "version",
    "qid",
    "task",
    "question",
    "options",
    "answer",
    "generated_by",
    "video_id",
    "video__clip_name",
)
BATCH = 5000  # items frozen at a time, so a cut's memory does not grow with the release


def _eval_release_write(*, benchmark: Benchmark, tag: str, notes: str, user) -> Release:
    """Freeze the accepted items (the caller holds the release-cut mutex and has checked the blockers), batch by
    batch from one query (one snapshot of the items): each batch's rows are digested and COPY'd, then dropped."""
    last_event_id = AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0
    release = Release(
        pk=reserved_ids(Release, 1)[0],  # the rows are written before the release (foreign keys checked at commit)
        benchmark=benchmark,
        tag=tag,
        notes=notes,
        created_by=user,
        created_at=timezone.now(),
        last_event_id=last_event_id,
        excluded=excluded_items(benchmark, last_event_id),
    )
    items = (
        benchmark.items.filter(review_status=ReviewStatus.ACCEPTED)
        .order_by("id")
        .values_list(*ITEM_FIELDS)
        .iterator(chunk_size=BATCH)
    )
    keys: dict[int, tuple[str, str]] = {}
    captions: dict[int, str] = {}  # clip id -> its caption's JSON, read once for all the clip's items
    with ReleaseDigests() as digests:
        for batch in _batches(items, BATCH):
            rows = _frozen_items(batch, len(keys) + 1, last_event_id, captions)
            keys.update((item[0], (item[3], item[6])) for item in batch)
            encoded = [row_json(row, row.caption_json) for row in rows]
            digests.add(encoded)
            rows_copy(ReleaseItem, ITEM_COLUMNS, _stored(release.pk, rows, encoded))
        release.item_count = len(keys)
        release.task_counts = dict(sorted(Counter(task for task, _ in keys.values()).items()))
        found = digests.digests(release_manifest(release))
        subject = CutSubject(release=release, keys=keys, video_ids=sorted(captions))
        release.datasheet = datasheet_build(subject, digests=lambda: found)
        # Only the json export carries the manifest, datasheet included: the other formats' bytes are those the
        # datasheet's digests were taken of.
        json_digest = digests.json_digest(release_manifest(release))
    release.export_sha256 = release.datasheet["digests"]["sha256"] | {"json": json_digest}
    release.sha256 = release.export_sha256["jsonl"]
    release.save(force_insert=True)
    return release


def _batches(rows: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    while batch := list(islice(rows, size)):
        yield batch


def _stored(release_id: int, rows: list[FrozenItem], encoded: list[RowJson]) -> Iterator[tuple]:
    for row, texts in zip(rows, encoded, strict=True):
        yield (
            release_id,
            row.position,
            row.item_id,
            row.item_version,
            row.qid,
            JsonText(texts.content),
            None if row.caption_json == "null" else JsonText(row.caption_json),
            JsonText(texts.provenance),
        )


def _frozen_items(
    items: list[tuple], first_position: int, last_event_id: int, captions: dict[int, str]
) -> list[FrozenItem]:
    provenance = item_provenance([item[0] for item in items], last_event_id)
    _read_captions({item[8] for item in items} - captions.keys(), captions)
    return [
        FrozenItem(
            position=position,
            item_id=pk,
            item_version=version,
            qid=qid,
            content={
                "clip": clip,
                "task": task,
                "question": question,
                "options": options,
                "answer": answer,
                "generated_by": generated_by,
            },
            caption_json=captions[video_id],
            provenance=provenance[pk],
        )
        for position, (pk, version, qid, task, question, options, answer, generated_by, video_id, clip) in enumerate(
            items, start=first_position
        )
    ]


def _read_captions(video_ids: set[int], captions: dict[int, str]) -> None:
    """Add each clip's caption snapshot as JSON (``null`` for a clip without a caption) to ``captions``."""
    if not video_ids:
        return
    found = caption_snapshots(video_ids)
    for video_id in video_ids:
        caption = found.get(video_id)
        captions[video_id] = SNAPSHOT_JSON(None if caption is None else caption.snapshot)


def item_provenance(item_ids: list[int], last_event_id: int) -> dict[int, dict]:
    """Who generated, edited and reviewed each item, from the audit trail up to ``last_event_id``."""
    return content_provenance(QAItem.audit_kind, item_ids, last_event_id)


def release_diff(*, old: Release, new: Release) -> ReleaseDiff:
    """What changed between two releases of a benchmark: qids (a corpus: clips) added, removed, and
    changed with the content fields that differ (a corpus: caption fields, and ``qa``)."""
    before, after = _diffed_rows(old), _diffed_rows(new)
    changed = {}
    for key in sorted(before.keys() & after.keys()):
        fields = sorted(k for k in before[key].keys() | after[key].keys() if before[key].get(k) != after[key].get(k))
        if fields:
            changed[key] = fields
    return ReleaseDiff(
        added=sorted(after.keys() - before.keys()), removed=sorted(before.keys() - after.keys()), changed=changed
    )


def _diffed_rows(release: Release) -> dict[str, dict]:
    if release.kind == Benchmark.Kind.TRAIN:
        return {
            clip: content | {"qa": qa} for clip, content, qa in release.clips.values_list("clip_name", "content", "qa")
        }
    return dict(release.items.values_list("qid", "content"))
