"""Releases of a training corpus: frozen by caption, clip by clip, and refused while a
participant of the corpus also appears in a chosen evaluation benchmark.

Completeness is about captions: every clip has an accepted (or excluded) caption with
no open flag, a participant id, its clip file and model-view frames. A clip whose caption
is excluded is out of the corpus with its QA rows: not released, not checked for
participants (``annotation.selectors.corpus_clips_counted``). The accepted QA
items of released clips ride along (for the ``-qa`` exports); the others are left out.
Clips are frozen in batches, so memory and queries do not grow with the corpus.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from django.db import connection
from django.db.models import Max, Q
from django.utils import timezone

from annotation.domain.plurals import counted
from annotation.domain.release_blockers import Blocker, BlockerKind
from annotation.domain.transitions import ReviewStatus, VideoStatus
from annotation.exports import sft_export
from annotation.exports.json_encoding import ENCODERS
from annotation.models import AuditEvent, Benchmark, Caption, QAItem, QualityFlag, Release, ReleaseClip, Video
from annotation.models.array_lookup import ids_literal
from annotation.selectors import participant_report

from .blocker_queries import Found, add_open_flags
from .bulk_insert import reserved_ids
from .datasheets import CutSubject, datasheet_build
from .frozen_rows import JsonText, rows_copy
from .release_snapshots import caption_snapshots, content_provenance, exclusions

RELEASABLE = (ReviewStatus.ACCEPTED, ReviewStatus.EXCLUDED)
BATCH = 1000


@dataclass(slots=True)
class FrozenClip:
    """One clip as the cut freezes it: a ``ReleaseClip``'s values (``sft_export.ReleasedClip``), without a
    model instance per clip."""

    release_id: int
    position: int
    video_id: int
    caption_id: int
    caption_version: int
    clip_name: str
    participant_id: str
    content: dict
    qa: list
    media: dict
    provenance: dict
    dumped: sft_export.ClipJson  # content, qa and provenance as JSON, dumped once for the export and the row

    def stored(self) -> list:
        """The values of ``CLIP_COLUMNS``, the JSON columns as the text already dumped."""
        texts = {"content": self.dumped.content, "qa": self.dumped.qa, "provenance": self.dumped.provenance}
        return [JsonText(texts[column]) if column in texts else getattr(self, column) for column in CLIP_COLUMNS]


CLIP_COLUMNS = tuple(name for name in FrozenClip.__dataclass_fields__ if name != "dumped")
K = BlockerKind


def train_release_blockers(found: Found, *, benchmark: Benchmark, against: Sequence[Benchmark]) -> None:
    """Add to ``found`` everything that keeps the corpus ``benchmark`` from release, checked against
    the evaluation benchmarks ``against``."""
    videos = Video.objects.filter(benchmark=benchmark)
    clip = ("pk", "clip_name")
    found.add(
        videos.filter(caption__isnull=True),
        clip,
        lambda pk, name: _clip_blocker(
            K.NO_CAPTION, name, pk, f"{name}: no caption; import one or leave the clip out of the corpus"
        ),
        order=("clip_name",),
    )
    found.add(
        Caption.objects.filter(video__benchmark=benchmark).exclude(review_status__in=RELEASABLE),
        ("video_id", "video__clip_name", "review_status"),
        lambda pk, name, status: _clip_blocker(
            K.CAPTION_STATUS, name, pk, f"{name}: caption review status is {status}; accept it or exclude it", status
        ),
        order=("video__clip_name",),
        by=("review_status",),
    )
    released = videos.filter(caption__review_status=ReviewStatus.ACCEPTED)
    _media_blockers(found, released)
    found.add(
        released.filter(participant_id=""),
        clip,
        lambda pk, name: _clip_blocker(
            K.NO_PARTICIPANT, name, pk, f"{name}: no participant id; re-import it with participant_id"
        ),
        order=("clip_name",),
    )
    _flag_blockers(found, benchmark, released)
    report = participant_report(benchmark=benchmark, against=against)
    for shared in report.shared:
        found.append(
            Blocker(
                kind=K.SHARED_PARTICIPANT,
                subject=f"participant {shared.participant_id}",
                message=f"{shared}; a training corpus must share no participant with an evaluation benchmark: "
                "exclude these clips from the corpus",
            )
        )
    for name, n in report.without_id.items():
        if name != benchmark.name:
            found.append(
                Blocker(
                    kind=K.UNPROVABLE_DISJOINTNESS,
                    subject=name,
                    message=f"{name}: {counted(n, 'clip')} without a participant id, so disjointness cannot be shown; "
                    "re-import with participant_id or clip names PARTICIPANT_ID_PATTERN reads",
                )
            )
    if not released.exists():
        found.append(
            Blocker(
                kind=K.NOTHING_TO_RELEASE, subject=benchmark.name, message="no accepted caption: nothing to release"
            )
        )


def _clip_blocker(kind: BlockerKind, clip: str, video_id: int, message: str, detail: str = "") -> Blocker:
    return Blocker(kind=kind, detail=detail, subject=clip, video_id=video_id, message=message)


def _media_blockers(found: Found, released) -> None:
    found.add(
        released.exclude(status=VideoStatus.READY),
        ("pk", "clip_name", "status"),
        lambda pk, name, status: _clip_blocker(
            K.CLIP_NOT_READY,
            name,
            pk,
            f"{name}: clip is {status}; the export needs its file and model-view frames (process_videos)",
            status,
        ),
        order=("clip_name",),
        by=("status",),
    )
    found.add(
        released.filter(status=VideoStatus.READY).exclude(model_view_indices__has_key=sft_export.FRAME_STRATEGY),
        ("pk", "clip_name"),
        lambda pk, name: _clip_blocker(
            K.NO_MODEL_FRAMES, name, pk, f"{name}: no {sft_export.FRAME_STRATEGY} model-view frames; reprocess it"
        ),
        order=("clip_name",),
    )


def _flag_blockers(found: Found, benchmark: Benchmark, released) -> None:
    open_flags = QualityFlag.objects.filter(benchmark=benchmark, status=QualityFlag.Status.OPEN)
    add_open_flags(
        found,
        open_flags,
        items=Q(item__video__in=released, item__review_status=ReviewStatus.ACCEPTED),
        captions=Q(caption__video__in=released),
        item_sentence=lambda qid, kind, message: (
            f"{qid}: open flag {kind} on an accepted QA item; fix it, waive it, or exclude the item"
        ),
        caption_action="fix it or waive it with a reason",
    )


def train_release_write(*, benchmark: Benchmark, tag: str, notes: str, user, against: Sequence[Benchmark]) -> Release:
    """Freeze the accepted captions (the caller holds the release-cut mutex and has checked the blockers)."""
    last_event_id = AuditEvent.objects.aggregate(last=Max("id"))["last"] or 0
    release_id = reserved_ids(Release, 1)[0]
    video_ids = list(
        Video.objects.filter(benchmark=benchmark, caption__review_status=ReviewStatus.ACCEPTED)
        .order_by("clip_name")
        .values_list("pk", flat=True)
    )
    digests = {fmt: hashlib.sha256() for fmt in sft_export.FORMATS}
    task_counts: Counter = Counter()
    for start in range(0, len(video_ids), BATCH):
        rows = _frozen_clips(
            release_id, video_ids[start : start + BATCH], first_position=start + 1, last_event_id=last_event_id
        )
        lines = [sft_export.export_lines(row, row.dumped) for row in rows]
        for fmt, digest in digests.items():
            digest.update("".join(line[fmt] for line in lines).encode())
        task_counts.update(qa["task"] for row in rows for qa in row.qa)
        rows_copy(ReleaseClip, CLIP_COLUMNS, (row.stored() for row in rows))
    export_sha256 = {fmt: digest.hexdigest() for fmt, digest in digests.items()}
    release = Release(
        pk=release_id,
        benchmark=benchmark,
        kind=Benchmark.Kind.TRAIN,
        tag=tag,
        notes=notes,
        created_by=user,
        created_at=timezone.now(),
        item_count=sum(task_counts.values()),
        task_counts=dict(sorted(task_counts.items())),
        clip_count=len(video_ids),
        disjoint_from=[b.name for b in against],
        last_event_id=last_event_id,
        excluded=_excluded_captions(benchmark, last_event_id),
        export_sha256=export_sha256,
        sha256=export_sha256[sft_export.CANONICAL],
    )
    subject = CutSubject(
        release=release, keys=ReleasedQaKeys(benchmark, video_ids), video_ids=video_ids, against=tuple(against)
    )
    release.datasheet = datasheet_build(subject, digests=lambda: dict(export_sha256))  # no export carries it
    release.save(force_insert=True)
    return release


class ReleasedQaKeys(Mapping[int, tuple[str, str]]):
    """``_released_qa``, read when a datasheet section first asks: no corpus section reads the keys of its
    250,000 QA items, so the cut does not hold them."""

    def __init__(self, benchmark: Benchmark, video_ids: list[int]):
        self.benchmark, self.video_ids = benchmark, video_ids

    @cached_property
    def _keys(self) -> dict[int, tuple[str, str]]:
        return _released_qa(self.benchmark, self.video_ids)

    def __getitem__(self, item_id: int) -> tuple[str, str]:
        return self._keys[item_id]

    def __iter__(self) -> Iterator[int]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def _released_qa(benchmark: Benchmark, video_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Item id -> (task, key) of the QA items frozen with the corpus's clips (``_frozen_clips``' ``qa``)."""
    items = QAItem.objects.filter(
        benchmark=benchmark, video_id__in_array=video_ids, review_status=ReviewStatus.ACCEPTED
    )
    return {pk: (task, answer) for pk, task, answer in items.values_list("pk", "task", "answer")}


def _excluded_captions(benchmark: Benchmark, last_event_id: int) -> list[dict]:
    rows = Caption.objects.filter(video__benchmark=benchmark, review_status=ReviewStatus.EXCLUDED)
    named = {pk: {"clip": clip} for pk, clip in rows.order_by("video__clip_name").values_list("pk", "video__clip_name")}
    return exclusions(Caption.audit_kind, named, last_event_id)


def _frozen_clips(
    release_id: int, video_ids: list[int], *, first_position: int, last_event_id: int
) -> list[FrozenClip]:
    videos = {
        pk: (name, participant, _media_snapshot(file, sha256, size, manifest, model_view))
        for pk, name, participant, file, sha256, size, manifest, model_view in Video.objects.filter(
            pk__in_array=video_ids
        ).values_list(
            "pk",
            "clip_name",
            "participant_id",
            "file",
            "sha256",
            "size_bytes",
            "frames_manifest",
            "model_view_indices",
        )
    }
    captions = caption_snapshots(video_ids)
    qa = _accepted_qa(video_ids)
    provenance = content_provenance(Caption.audit_kind, [c.caption_id for c in captions.values()], last_event_id)
    return [
        FrozenClip(
            release_id=release_id,
            position=position,
            video_id=video_id,
            caption_id=captions[video_id].caption_id,
            caption_version=captions[video_id].version,
            clip_name=videos[video_id][0],
            participant_id=videos[video_id][1],
            content=captions[video_id].snapshot,
            qa=qa[video_id][0] if video_id in qa else [],
            media=videos[video_id][2],
            provenance=provenance[captions[video_id].caption_id],
            dumped=sft_export.ClipJson(
                content=SORTED_JSON(captions[video_id].snapshot),
                qa=qa[video_id][1] if video_id in qa else "[]",
                provenance=SORTED_JSON(provenance[captions[video_id].caption_id]),
            ),
        )
        for position, video_id in enumerate(video_ids, start=first_position)
    ]


QA_FIELDS = ("qid", "task", "question", "options", "answer", "version")
# A clip's accepted QA as the exports write the list (json.dumps with sorted keys, ensure_ascii=False): PostgreSQL
# escapes a string as json.dumps does, writes an int alike, and a JSON array of strings as json.dumps writes the
# list (the options; ``_accepted_qa`` dumps a clip's list again where its options hold anything else).
QA_JSON_OF_ITEM = (  # the keys sorted
    """'{"answer": ' || to_json(answer)::text || ', "options": ' || options::text || ', "qid": ' || to_json(qid)::text"""
    """ || ', "question": ' || to_json(question)::text || ', "task": ' || to_json(task)::text"""
    """ || ', "version": ' || version::text || '}'"""
)
QA_BY_CLIP = f"""
    SELECT video_id, '[' || string_agg({QA_JSON_OF_ITEM}, ', ' ORDER BY qid) || ']', count(*)
    FROM annotation_qaitem WHERE video_id IN (SELECT unnest(%s::bigint[])) AND review_status = %s GROUP BY video_id
"""
SORTED_JSON = ENCODERS[True]


def _options_are_strings(items: list[dict]) -> bool:
    """Every item's options a list of strings, which PostgreSQL writes as json.dumps does."""
    return all(type(item["options"]) is list for item in items) and {
        type(option) for item in items for option in item["options"]
    } <= {str}


def _accepted_qa(video_ids: list[int]) -> dict[int, tuple[list[dict], str]]:
    """Clip id -> its accepted QA items (``QA_FIELDS``) in qid order and their JSON text, keys sorted, on
    PostgreSQL as the database built it (one array a clip: a corpus's 250,000 items are not 250,000 rows through
    the ORM); the text is what is stored and what the ``corpus-jsonl`` line holds."""
    qa: dict[int, tuple[list[dict], str]] = {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(QA_BY_CLIP, [ids_literal(video_ids), ReviewStatus.ACCEPTED.value])
            for video_id, text, count in cursor.fetchall():
                items = json.loads(text)
                if len(items) != count:  # string_agg leaves out a NULL; no column read is nullable
                    raise AssertionError(f"clip {video_id}: {count} accepted QA items, {len(items)} in its JSON")
                qa[video_id] = (items, text if _options_are_strings(items) else SORTED_JSON(items))
        return qa
    items = QAItem.objects.filter(video_id__in=video_ids, review_status=ReviewStatus.ACCEPTED).order_by("qid")
    for row in items.values_list(*QA_FIELDS, "video_id"):
        qa.setdefault(row[-1], ([], ""))[0].append(dict(zip(QA_FIELDS, row, strict=False)))
    return {video_id: (items, SORTED_JSON(items)) for video_id, (items, _) in qa.items()}


def _media_snapshot(file: str, sha256: str, size_bytes, frames_manifest: str, model_view) -> dict:
    return {
        "file": file,
        "sha256": sha256,
        "size_bytes": size_bytes,
        "frames_manifest": frames_manifest,
        "model_view": model_view,
    }
