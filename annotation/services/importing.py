"""Import machine-generated questions and captions into a benchmark.

The files are streamed once, never held whole. The first pass validates every row (at most
the first ``LISTED_PROBLEMS`` problems are kept, every one counted by kind) and keeps the checked
rows in a temporary file (``RowSpool``); with any problem nothing is written. The second pass reads
the checked rows back in batches and one transaction creates
what is new, revises what the generator changed (as the generator), leaves human edits alone
with an ``import_conflict`` flag, links clip files found by name, records the import in the
audit trail and lints the benchmark. Re-importing the same file changes nothing.
"""

from __future__ import annotations

import dataclasses
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol, cast

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connection, transaction

from annotation.benchmark_locks import MutexPurpose, benchmark_mutex
from annotation.importing.captions import CaptionRowChecker, IncomingCaption
from annotation.importing.participant_ids import ClipParticipants, ClipRow, missing_participant_problems
from annotation.importing.problems import ImportRejected, Problem, ProblemLog
from annotation.importing.questions import IncomingItem, QuestionRowChecker
from annotation.importing.reading import RowReader
from annotation.importing.spool import RowSpool
from annotation.models import AuditEvent, Benchmark, Caption, QAItem, QualityFlag, Video, json_normalized

from . import benchmark_checks
from .audited_writes import Actor, change_audited, create_audited_checked, create_audited_many, record_import
from .content import benchmark_create, video_attach_file
from .flags import lint_run
from .frozen_rows import collector_paused
from .machine_revisions import RevisionOutcome, machine_revise, machine_versions_of_human_edited

WRITE_BATCH = 2000  # rows written (and clips created) per round of queries
LINT_BATCH = 2000  # clips linted per lint_run
ANALYZE_AFTER = 20_000  # rows created from which an import refreshes the planner's statistics
PROGRESS_EVERY = 1000  # rows between progress reports
CLIP_EXTENSIONS = (".mp4", ".mov", ".mkv", ".webm", ".avi")
ITEM_CONTENT = ("video_id", "task", "question", "options", "answer")
SUMMARY_COUNTERS = {
    RevisionOutcome.REVISED: "updated",
    RevisionOutcome.UNCHANGED: "unchanged",
    RevisionOutcome.KEPT_HUMAN_EDIT: "kept_human_edit",
}


class ImportSource(Protocol):
    """A file to import: its name (as problems name it), its size, and a fresh binary stream of it at each ``open``."""

    @property
    def name(self) -> str: ...

    def open(self) -> BinaryIO: ...

    def size(self) -> int: ...


@dataclass(frozen=True)
class ImportFile:
    """A file held in memory (a test's, a small upload's)."""

    name: str
    content: bytes

    def open(self) -> BinaryIO:
        return io.BytesIO(self.content)

    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class StoredImportFile:
    """A file kept in the default storage (local disk or a bucket) under ``storage_name``, read as a stream."""

    name: str
    storage_name: str

    def open(self) -> BinaryIO:
        return cast(BinaryIO, default_storage.open(self.storage_name, "rb"))

    def size(self) -> int:
        return default_storage.size(self.storage_name)


@dataclass
class ImportProgress:
    """How far an import got, for whoever follows it: ``phase`` validating, then writing."""

    phase: str = "validating"
    bytes_total: int = 0
    bytes_read: int = 0
    rows_read: int = 0
    problems: int = 0
    rows_written: int = 0


ProgressReport = Callable[[ImportProgress], None]


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
    questions: ImportSource | None = None,
    captions: ImportSource | None = None,
    videos_dir: Path | None = None,
    dry_run: bool = False,
    user=None,
    kind: str | None = None,
    progress: ProgressReport | None = None,
) -> ImportSummary:
    """``kind`` (eval or train) is the kind of a benchmark the import creates, and must
    match an existing one's; a clip of a training corpus needs a participant id.
    ``progress`` is called every ``PROGRESS_EVERY`` rows and at each phase's end."""
    if questions is None and captions is None and videos_dir is None:
        raise ImportRejected(
            [Problem("(arguments)", "nothing to import: give a question file, a caption file or a clip folder")]
        )
    if videos_dir is not None and not videos_dir.is_dir():
        raise ImportRejected([Problem(str(videos_dir), "clip folder not found")])
    report = progress or (lambda _: None)
    counters = ImportProgress(bytes_total=sum(f.size() for f in (questions, captions) if f is not None))
    spools: dict[type, RowSpool] = {
        checker: RowSpool(batch_size=WRITE_BATCH) for checker in (QuestionRowChecker, CaptionRowChecker)
    }
    # The rows, models and findings of an import hold no cycles (what they leave, reference counting frees):
    # without the cyclic collector, which walked every live object at each of its many collections.
    with spools[QuestionRowChecker], spools[CaptionRowChecker], collector_paused():
        clips = _validated_clips(questions, captions, counters, report, spools)
        summary = ImportSummary(benchmark=benchmark_name, source=source, dry_run=dry_run, rows_read=counters.rows_read)
        machine = Actor.machine(source)
        importer = Actor.person(user) if user is not None else machine
        counters.phase = "writing"
        report(counters)
        with transaction.atomic():
            benchmark = _benchmark_for(summary.benchmark, kind, importer)
            benchmark_mutex(benchmark.pk, MutexPurpose.CONTENT_WRITES)  # no generation or release cut meanwhile
            linted_before = benchmark_checks.ever_linted(benchmark)
            # Without items before, a row can match no stored item (the file's qids are unique): nothing to look up.
            had_items = QAItem.objects.filter(benchmark=benchmark).exists()
            touched: set[int] = set()  # the clips this import changed: lint looks at these again
            videos = _videos_for(benchmark, clips, machine, summary, touched)
            del clips
            if questions is not None:
                for items in spools[QuestionRowChecker].batches():
                    _import_items(benchmark, items, videos, machine, summary, touched, look_up=had_items)
                    counters.rows_written += len(items)
                    report(counters)
            if captions is not None:
                for rows in spools[CaptionRowChecker].batches():
                    _import_captions(benchmark, rows, videos, machine, summary, touched)
                    counters.rows_written += len(rows)
                    report(counters)
            if summary.items_created + summary.captions_created >= ANALYZE_AFTER:
                _planner_statistics_refreshed()
            if videos_dir is not None:
                _link_clip_files(benchmark, videos_dir, importer, summary, touched)
            record_import(benchmark=benchmark, actor=importer, summary=summary.as_dict())
            clip_ids = None if not linted_before else sorted(touched)
            summary.flags_raised = dict(_lint_in_batches(benchmark, clip_ids, lambda: report(counters)))
            if dry_run:
                transaction.set_rollback(True)
        return summary


def _validated_clips(
    questions: ImportSource | None,
    captions: ImportSource | None,
    counters: ImportProgress,
    report: ProgressReport,
    spools: dict[type, RowSpool],
) -> ClipParticipants:
    """The first pass: every row of both files checked as it is read, and kept in its checker's spool while
    no problem is found; the clips they name, with their participant ids. Raises ImportRejected with the
    problems (the first ones listed, all counted)."""
    problems, clips, done_bytes = ProblemLog(), ClipParticipants(), 0
    for file, checker_class in ((questions, QuestionRowChecker), (captions, CaptionRowChecker)):
        if file is None:
            continue
        checker, spool = checker_class(file=file.name, problems=problems), spools[checker_class]
        with file.open() as stream:
            reader = RowReader(stream, file=file.name, problems=problems)
            for row in reader:
                counters.rows_read += 1
                incoming = checker.check(row)
                if incoming is not None:
                    clash = clips.add(ClipRow(file.name, incoming.row, incoming.clip_name, incoming.participant_id))
                    if clash is not None:
                        problems.add(clash)
                    if not problems:  # with a problem nothing is written: the rows need not be kept
                        spool.add(incoming)
                if counters.rows_read % PROGRESS_EVERY == 0:
                    counters.bytes_read, counters.problems = done_bytes + reader.bytes_read, problems.count
                    report(counters)
            done_bytes += reader.bytes_read
        checker.finish()
    counters.bytes_read, counters.problems = done_bytes, problems.count
    report(counters)
    if problems:
        raise problems.rejected()
    return clips


def _lint_in_batches(benchmark: Benchmark, clip_ids: list[int] | None, beat: Callable[[], None]) -> Counter:
    """``lint_run`` over ``clip_ids`` (None: every clip of the benchmark), ``LINT_BATCH`` clips at a time (each
    time with the benchmark-wide checks), so that memory holds one batch of items, not the benchmark's.
    A benchmark linted before has its other clips' flags current already (every write lints its clip):
    the import lints the clips it changed, and the benchmark-wide checks once when it changed none."""
    raised: Counter = Counter()
    if clip_ids is None:
        clip_ids = list(Video.objects.filter(benchmark=benchmark).order_by("pk").values_list("pk", flat=True))
        if not clip_ids:
            return lint_run(benchmark=benchmark)
    if not clip_ids:
        return lint_run(benchmark=benchmark, video_ids=[])
    for start in range(0, len(clip_ids), LINT_BATCH):
        raised.update(lint_run(benchmark=benchmark, video_ids=clip_ids[start : start + LINT_BATCH]))
        beat()
    return raised


def _benchmark_for(name: str, kind: str | None, importer: Actor) -> Benchmark:
    benchmark = Benchmark.objects.filter(name=name).first()
    if benchmark is None:
        return benchmark_create(name=name, actor=importer, kind=kind or Benchmark.Kind.EVAL)
    if kind and benchmark.kind != kind:
        raise ImportRejected([Problem("(arguments)", f"benchmark {name!r} is of kind {benchmark.kind}, not {kind}")])
    return benchmark


def _videos_for(
    benchmark: Benchmark, clips: ClipParticipants, machine: Actor, summary: ImportSummary, touched: set[int]
) -> dict[str, Video]:
    """The clips the rows name, created where new; participant ids set where the rows
    (or the clip names) give one the stored clip lacks or contradicts."""
    participants = clips.by_clip()
    videos = {v.clip_name: v for v in Video.objects.filter(benchmark=benchmark) if v.clip_name in participants}
    if benchmark.is_caption_centric:
        missing = {
            clip
            for clip, pid in participants.items()
            if not pid and not getattr(videos.get(clip), "participant_id", "")
        }
        if missing:
            raise ImportRejected(missing_participant_problems(clips.first_rows.values(), missing))
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
            touched.add(video.pk)
    new = sorted(participants.keys() - videos.keys())
    for start in range(0, len(new), WRITE_BATCH):
        rows = [
            {"benchmark_id": benchmark.pk, "clip_name": n, "participant_id": participants[n]}
            for n in new[start : start + WRITE_BATCH]
        ]
        _check_clip_fields(rows)
        created = [
            _stored(Video(pk=pk, **row))
            for pk, row in zip(create_audited_checked(model=Video, actor=machine, rows=rows), rows, strict=True)
        ]
        summary.videos_created += len(created)
        touched.update(v.pk for v in created)
        videos |= {v.clip_name: v for v in created}
    return videos


def _planner_statistics_refreshed() -> None:
    """ANALYZE the tables a large import filled, in its transaction, before its lint and the next import read
    them by id lists: without statistics PostgreSQL takes ``= ANY`` of 2,000 ids to match most of a table and
    scans all of it for each batch (autovacuum analyzes a while after the commit). Skipped, with PostgreSQL's
    warning, where the database role does not own the tables."""
    if connection.vendor != "postgresql":
        return
    tables = ", ".join(model._meta.db_table for model in (QAItem, Caption, Video, AuditEvent, QualityFlag))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def _check_clip_fields(rows: list[dict]) -> None:
    """What ``Video.clean_fields`` says of a new clip's name and participant id (the row checks check the
    names and ids the rows give; an id derived from a clip name is checked here), as it said it."""
    for clip_field in (Video._meta.get_field("clip_name"), Video._meta.get_field("participant_id")):
        for row in rows:
            try:
                clip_field.clean(row[clip_field.name], None)
            except ValidationError as error:
                raise ValidationError({clip_field.name: error.error_list}) from None


def _stored(video: Video) -> Video:
    """``video`` marked as a row of the database (as ``create_audited_many`` returned them)."""
    video._state.adding, video._state.db = False, DEFAULT_DB_ALIAS
    return video


def _import_items(
    benchmark,
    incoming: list[IncomingItem],
    videos,
    machine: Actor,
    summary: ImportSummary,
    touched: set[int],
    *,
    look_up: bool,
) -> None:
    """Create the new items of a batch and revise the changed ones. The stored items are read as values first
    (unless ``look_up`` is false: the benchmark had none): only those a person edited or the file changes are
    read as models and handed to ``machine_revise``."""
    rows = QAItem.objects.filter(benchmark=benchmark, qid__in_array=[i.qid for i in incoming]).order_by()
    stored = {row[0]: row[1:] for row in rows.values_list("qid", "pk", *ITEM_CONTENT)} if look_up else {}
    human_edited = machine_versions_of_human_edited(QAItem.audit_kind, (pk for pk, *_ in stored.values()))
    new_rows, to_revise = [], []
    for row in incoming:
        values = {
            "video_id": videos[row.clip_name].pk,
            "task": row.task,
            "question": row.question,
            "options": row.options,
            "answer": row.answer,
        }
        current = stored.get(row.qid)
        if current is None:
            new_rows.append({"benchmark_id": benchmark.pk, "qid": row.qid, "generated_by": machine.source, **values})
        elif current[0] in human_edited or _differs(values, current[1:]):
            to_revise.append((current[0], values))
        else:
            summary.items_unchanged += 1  # what machine_revise would find: nothing to change
    current_items = QAItem.objects.in_bulk([pk for pk, _ in to_revise]) if to_revise else {}
    for pk, values in to_revise:  # in the file's order, as before
        item = current_items[pk]
        old_clip = item.video_id
        if _revise(item, values, human_edited, machine, summary, prefix="items") is not RevisionOutcome.UNCHANGED:
            touched.update((old_clip, values["video_id"]))  # the clip it left, if it moved, and its clip
    if new_rows:
        # The row checks (QuestionRowChecker) check each row as QAItem's clean_fields and clean would; the
        # source, the same in every row, is checked here; the clips are this benchmark's (_videos_for).
        _check_item_source(machine.source)
    create_audited_checked(model=QAItem, actor=machine, rows=new_rows)
    summary.items_created += len(new_rows)
    touched.update(row["video_id"] for row in new_rows)


def _check_item_source(source: str) -> None:
    """What ``QAItem.clean_fields`` says of ``source`` as ``generated_by`` (at most 200 characters, no NUL)."""
    try:
        QAItem._meta.get_field("generated_by").clean(source, None)
    except ValidationError as error:
        raise ValidationError({"generated_by": error.error_list}) from None


def _differs(values: dict, stored: tuple) -> bool:
    """Whether ``values`` (of ``ITEM_CONTENT``) differ from the stored ones as ``machine_revise`` compares them."""
    return any(
        json_normalized(values[name]) != json_normalized(value)
        for name, value in zip(ITEM_CONTENT, stored, strict=True)
    )


def _import_captions(
    benchmark, incoming: list[IncomingCaption], videos, machine: Actor, summary: ImportSummary, touched: set[int]
) -> None:
    existing = {
        c.video_id: c
        for c in Caption.objects.filter(
            video__benchmark=benchmark, video_id__in_array=[videos[c.clip_name].pk for c in incoming]
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
        if (
            _revise(current, row.fields, human_edited, machine, summary, prefix="captions")
            is not RevisionOutcome.UNCHANGED
        ):
            touched.add(video.pk)
    create_audited_many(model=Caption, actor=machine, rows=new_rows)
    summary.captions_created += len(new_rows)
    touched.update(row["video"].pk for row in new_rows)


def _revise(
    current, incoming: dict, human_edited: dict[int, dict], machine: Actor, summary: ImportSummary, *, prefix: str
) -> RevisionOutcome:
    """Revise ``current`` as the generator (``machine_revise``) and count the outcome in ``summary``."""
    outcome = machine_revise(
        current, incoming, human_edited=human_edited, actor=machine, reason="revised by re-import", origin="import"
    )
    counter = f"{prefix}_{SUMMARY_COUNTERS[outcome]}"
    setattr(summary, counter, getattr(summary, counter) + 1)
    return outcome


def _link_clip_files(benchmark, videos_dir: Path, importer: Actor, summary: ImportSummary, touched: set[int]) -> None:
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
        touched.add(video.pk)
