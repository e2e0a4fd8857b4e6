"""Import machine-generated questions and captions into a benchmark.

Everything is validated before anything is written; then one transaction creates
what is new, revises what the generator changed (as the generator), leaves human
edits alone with an ``import_conflict`` flag, links clip files found by name, records
the import in the audit trail and lints the benchmark. Re-importing the same file
changes nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from annotation.benchmark_locks import MutexPurpose, benchmark_mutex
from annotation.importing.captions import IncomingCaption, validate_caption_rows
from annotation.importing.participant_ids import ClipRow, missing_participant_problems, participants_by_clip
from annotation.importing.problems import ImportRejected, Problem
from annotation.importing.questions import IncomingItem, validate_question_rows
from annotation.importing.reading import read_rows
from annotation.models import Benchmark, Caption, QAItem, Video

from .audited_writes import Actor, change_audited, create_audited_many, record_import
from .content import benchmark_create, video_attach_file
from .flags import lint_run
from .machine_revisions import RevisionOutcome, machine_revise, machine_versions_of_human_edited

CLIP_EXTENSIONS = (".mp4", ".mov", ".mkv", ".webm", ".avi")
ITEM_CONTENT = ("video_id", "task", "question", "options", "answer")
SUMMARY_COUNTERS = {
    RevisionOutcome.REVISED: "updated",
    RevisionOutcome.UNCHANGED: "unchanged",
    RevisionOutcome.KEPT_HUMAN_EDIT: "kept_human_edit",
}


@dataclass(frozen=True)
class ImportFile:
    name: str
    content: bytes


@dataclass
class ImportSummary:
    benchmark: str
    source: str
    dry_run: bool
    rows_read: int = 0
    items_created: int = 0
    items_updated: int = 0
    items_unchanged: int = 0
    items_kept_human_edit: int = 0
    captions_created: int = 0
    captions_updated: int = 0
    captions_unchanged: int = 0
    captions_kept_human_edit: int = 0
    videos_created: int = 0
    videos_participant_set: int = 0
    videos_linked: int = 0
    videos_missing_file: list[str] = field(default_factory=list)
    flags_raised: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def benchmark_import(
    *,
    benchmark_name: str,
    source: str,
    questions: ImportFile | None = None,
    captions: ImportFile | None = None,
    videos_dir: Path | None = None,
    dry_run: bool = False,
    user=None,
    kind: str | None = None,
) -> ImportSummary:
    """``kind`` (eval or train) is the kind of a benchmark the import creates, and must
    match an existing one's; a clip of a training corpus needs a participant id."""
    if questions is None and captions is None and videos_dir is None:
        raise ImportRejected(
            [Problem("(arguments)", "nothing to import: give a question file, a caption file or a clip folder")]
        )
    if videos_dir is not None and not videos_dir.is_dir():
        raise ImportRejected([Problem(str(videos_dir), "clip folder not found")])
    incoming_items = (
        validate_question_rows(read_rows(questions.content, file=questions.name), file=questions.name)
        if questions
        else []
    )
    incoming_captions = (
        validate_caption_rows(read_rows(captions.content, file=captions.name), file=captions.name) if captions else []
    )
    question_rows = (
        [ClipRow(questions.name, i.row, i.clip_name, i.participant_id) for i in incoming_items] if questions else []
    )
    caption_rows = (
        [ClipRow(captions.name, c.row, c.clip_name, c.participant_id) for c in incoming_captions] if captions else []
    )
    clip_rows = question_rows + caption_rows
    participants = participants_by_clip(clip_rows)
    summary = ImportSummary(
        benchmark=benchmark_name, source=source, dry_run=dry_run, rows_read=len(incoming_items) + len(incoming_captions)
    )
    machine = Actor.machine(source)
    importer = Actor.person(user) if user is not None else machine
    with transaction.atomic():
        benchmark = _benchmark_for(summary.benchmark, kind, importer)
        benchmark_mutex(benchmark.pk, MutexPurpose.CONTENT_WRITES)  # no generation or release cut meanwhile
        videos = _videos_for(benchmark, participants, clip_rows, machine, summary)
        _write(benchmark, videos, summary, incoming_items, incoming_captions, videos_dir, machine, importer)
        if dry_run:
            transaction.set_rollback(True)
    return summary


def _benchmark_for(name: str, kind: str | None, importer: Actor) -> Benchmark:
    benchmark = Benchmark.objects.filter(name=name).first()
    if benchmark is None:
        return benchmark_create(name=name, actor=importer, kind=kind or Benchmark.Kind.EVAL)
    if kind and benchmark.kind != kind:
        raise ImportRejected([Problem("(arguments)", f"benchmark {name!r} is of kind {benchmark.kind}, not {kind}")])
    return benchmark


def _write(
    benchmark,
    videos,
    summary,
    items: list[IncomingItem],
    captions: list[IncomingCaption],
    videos_dir,
    machine: Actor,
    importer: Actor,
) -> None:
    _import_items(benchmark, items, videos, machine, summary)
    _import_captions(benchmark, captions, videos, machine, summary)
    if videos_dir is not None:
        _link_clip_files(benchmark, videos_dir, importer, summary)
    record_import(benchmark=benchmark, actor=importer, summary=summary.as_dict())
    summary.flags_raised = dict(lint_run(benchmark=benchmark))


def _videos_for(
    benchmark: Benchmark, participants: dict[str, str], clip_rows: list[ClipRow], machine: Actor, summary: ImportSummary
) -> dict[str, Video]:
    """The clips the rows name, created where new; participant ids set where the rows
    (or the clip names) give one the stored clip lacks or contradicts."""
    videos = {v.clip_name: v for v in Video.objects.filter(benchmark=benchmark, clip_name__in=participants.keys())}
    if benchmark.is_caption_centric:
        missing = {
            clip
            for clip, pid in participants.items()
            if not pid and not getattr(videos.get(clip), "participant_id", "")
        }
        if missing:
            raise ImportRejected(missing_participant_problems(clip_rows, missing))
    for clip, video in videos.items():
        if participants[clip] and participants[clip] != video.participant_id:
            videos[clip] = change_audited(
                model=Video,
                pk=video.pk,
                actor=machine,
                expected_version=None,
                changes={"participant_id": participants[clip]},
                reason="participant id from import",
            )
            summary.videos_participant_set += 1
    new = sorted(participants.keys() - videos.keys())
    created = create_audited_many(
        model=Video,
        actor=machine,
        rows=[{"benchmark": benchmark, "clip_name": n, "participant_id": participants[n]} for n in new],
    )
    summary.videos_created = len(created)
    return videos | {v.clip_name: v for v in created}


def _import_items(benchmark, incoming: list[IncomingItem], videos, machine: Actor, summary: ImportSummary) -> None:
    existing = {i.qid: i for i in QAItem.objects.filter(benchmark=benchmark, qid__in=[i.qid for i in incoming])}
    human_edited = machine_versions_of_human_edited(QAItem.audit_kind, (i.pk for i in existing.values()))
    new_rows = []
    for row in incoming:
        values = {
            "video_id": videos[row.clip_name].pk,
            "task": row.task,
            "question": row.question,
            "options": row.options,
            "answer": row.answer,
        }
        current = existing.get(row.qid)
        if current is None:
            new_rows.append(
                {
                    "benchmark": benchmark,
                    "video": videos[row.clip_name],
                    "qid": row.qid,
                    "generated_by": machine.source,
                    **{k: v for k, v in values.items() if k != "video_id"},
                }
            )
            continue
        _revise(current, values, human_edited, machine, summary, prefix="items")
    create_audited_many(model=QAItem, actor=machine, rows=new_rows)
    summary.items_created = len(new_rows)


def _import_captions(
    benchmark, incoming: list[IncomingCaption], videos, machine: Actor, summary: ImportSummary
) -> None:
    existing = {
        c.video_id: c
        for c in Caption.objects.filter(
            video__benchmark=benchmark, video_id__in=[videos[c.clip_name].pk for c in incoming]
        )
    }
    human_edited = machine_versions_of_human_edited(Caption.audit_kind, (c.pk for c in existing.values()))
    new_rows = []
    for row in incoming:
        video = videos[row.clip_name]
        current = existing.get(video.pk)
        if current is None:
            new_rows.append({"video": video, "generated_by": machine.source, **row.fields})
            continue
        _revise(current, row.fields, human_edited, machine, summary, prefix="captions")
    create_audited_many(model=Caption, actor=machine, rows=new_rows)
    summary.captions_created = len(new_rows)


def _revise(
    current, incoming: dict, human_edited: dict[int, dict], machine: Actor, summary: ImportSummary, *, prefix: str
) -> None:
    """Revise ``current`` as the generator (``machine_revise``) and count the outcome in ``summary``."""
    outcome = machine_revise(
        current, incoming, human_edited=human_edited, actor=machine, reason="revised by re-import", origin="import"
    )
    counter = f"{prefix}_{SUMMARY_COUNTERS[outcome]}"
    setattr(summary, counter, getattr(summary, counter) + 1)


def _link_clip_files(benchmark, videos_dir: Path, importer: Actor, summary: ImportSummary) -> None:
    """Link clip files found by name in ``videos_dir`` to clips that have none yet;
    list the clips that still have none."""
    files = {p.stem: p for p in sorted(videos_dir.iterdir()) if p.suffix.lower() in CLIP_EXTENSIONS and p.is_file()}
    for video in Video.objects.filter(benchmark=benchmark, file="").order_by("clip_name"):
        path = files.get(video.clip_name)
        if path is None:
            summary.videos_missing_file.append(video.clip_name)
            continue
        if not summary.dry_run:
            video_attach_file(video=video, source=path, actor=importer)
        summary.videos_linked += 1
