"""Reads of benchmark content for pages and the API."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from annotation.domain.taxonomy import tasks_in_tier
from annotation.domain.transitions import ReviewStatus
from annotation.models import (
    BaselineRun,
    Benchmark,
    Caption,
    QAItem,
    QualityFlag,
    Release,
    ReleaseClip,
    ReleaseItem,
    Video,
)
from annotation.selectors.scores import RunScores, run_scores

Rows = TypeVar("Rows", bound=QuerySet)


def _count_of(model, **filters) -> Coalesce:
    rows = model.objects.filter(benchmark=OuterRef("pk"), **filters).order_by().values("benchmark")
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")[:1]), 0)


def benchmarks_with_counts() -> QuerySet[Benchmark]:
    return Benchmark.objects.annotate(video_count=_count_of(Video), item_count=_count_of(QAItem)).order_by("name")


def benchmark_videos(*, benchmark: Benchmark, withheld: Sequence[int] = ()) -> QuerySet[Video]:
    """The benchmark page's clips, with their caption and number of questions; none of a ``withheld`` clip."""
    videos = benchmark.videos.exclude(pk__in=withheld).select_related("caption")
    return videos.annotate(item_count=Count("items")).order_by("clip_name")


def _by_status_flags_and_clips(
    rows: Rows, *, statuses: Sequence[str] = (), flags: Sequence[str] = (), clips: Sequence[str] = ()
) -> Rows:
    """The filters questions and captions share (the same field names on both)."""
    if statuses:
        rows = rows.filter(review_status__in=statuses)
    if flags:
        rows = rows.filter(flags__kind__in=flags, flags__status=QualityFlag.Status.OPEN)
    if clips:
        rows = rows.filter(video__clip_name__in=clips)
    return rows


def items_matching(
    *,
    benchmark: Benchmark | int | None = None,
    tasks: Sequence[str] = (),
    tiers: Sequence[str] = (),
    statuses: Sequence[str] = (),
    flags: Sequence[str] = (),
    clips: Sequence[str] = (),
    withheld: Sequence[int] = (),
) -> QuerySet[QAItem]:
    """The one filter of questions, for the benchmark page, the API and queue creation: an empty
    argument means any; ``flags`` are kinds of open flags; ``withheld`` clips are left out."""
    items = QAItem.objects.all() if benchmark is None else QAItem.objects.filter(benchmark=benchmark)
    if tasks:
        items = items.filter(task__in=tasks)
    if tiers:
        items = items.filter(task__in=[task for tier in tiers for task in tasks_in_tier(tier)])
    items = _by_status_flags_and_clips(items, statuses=statuses, flags=flags, clips=clips)
    if withheld:
        items = items.exclude(video_id__in=withheld)
    return items.distinct() if flags else items


def captions_matching(
    *, benchmark: Benchmark, statuses: Sequence[str] = (), flags: Sequence[str] = (), clips: Sequence[str] = ()
) -> QuerySet[Caption]:
    captions = Caption.objects.filter(video__benchmark=benchmark)
    return _by_status_flags_and_clips(captions, statuses=statuses, flags=flags, clips=clips)


def with_open_flags(items: QuerySet[QAItem]) -> QuerySet[QAItem]:
    """Items with their clip, and their open flags as ``item.open_flags``."""
    open_flags = QualityFlag.objects.filter(status=QualityFlag.Status.OPEN).order_by("kind")
    return items.select_related("video").prefetch_related(Prefetch("flags", queryset=open_flags, to_attr="open_flags"))


def with_open_and_waived_flags(items: QuerySet[QAItem]) -> QuerySet[QAItem]:
    """``with_open_flags``, and the waived flags as ``item.waived_flags`` (the benchmark page withdraws waivers)."""
    waived = QualityFlag.objects.filter(status=QualityFlag.Status.WAIVED).order_by("kind", "pk")
    return with_open_flags(items).prefetch_related(Prefetch("flags", queryset=waived, to_attr="waived_flags"))


def benchmark_items(
    *, benchmark: Benchmark, task: str = "", status: str = "", flag: str = "", withheld: Sequence[int] = ()
) -> QuerySet[QAItem]:
    """The benchmark page's items (one task, status and flag kind at most), with their open and waived flags."""
    items = items_matching(benchmark=benchmark, withheld=withheld, **page_filters(task=task, status=status, flag=flag))
    return with_open_and_waived_flags(items).order_by("video__clip_name", "qid")


def page_filters(*, task: str = "", status: str = "", flag: str = "") -> dict[str, list[str]]:
    """The benchmark page's filter (one task, status and flag kind at most) as ``items_matching``'s arguments."""
    return {name: [value] for name, value in (("tasks", task), ("statuses", status), ("flags", flag)) if value}


def benchmark_level_flags(*, benchmark: Benchmark) -> QuerySet[QualityFlag]:
    """Open and waived flags about the benchmark as a whole (e.g. yes/no balance of a task), open ones first."""
    return benchmark.flags.filter(
        status__in=(QualityFlag.Status.OPEN, QualityFlag.Status.WAIVED), item__isnull=True, caption__isnull=True
    ).order_by("status", "kind", "pk")


def caption_flags(*, benchmark: Benchmark, withheld: Sequence[int] = ()) -> QuerySet[QualityFlag]:
    """Open and waived flags of the benchmark's captions, by clip; none of a ``withheld`` clip."""
    flags = benchmark.flags.filter(
        status__in=(QualityFlag.Status.OPEN, QualityFlag.Status.WAIVED), caption__isnull=False
    ).exclude(caption__video_id__in=withheld)
    return flags.select_related("caption__video").order_by("caption__video__clip_name", "status", "kind", "pk")


def item_counts_by_status(*, benchmark: Benchmark) -> dict[str, int]:
    rows = benchmark.items.order_by().values_list("review_status").annotate(n=Count("pk"))
    return dict(rows)


def open_flag_counts(*, benchmark: Benchmark) -> dict[str, int]:
    rows = QualityFlag.objects.filter(benchmark=benchmark, status=QualityFlag.Status.OPEN).order_by("kind")
    return dict(rows.values_list("kind").annotate(n=Count("id")))


def release_rows(*, release: Release) -> Iterator[ReleaseItem]:
    """A release's items in export order, streamed (one server-side cursor on PostgreSQL)."""
    rows = ReleaseItem.objects.filter(release_id=release.pk).order_by("position")
    return rows.only("qid", "item_version", "content", "caption", "provenance").iterator(chunk_size=2000)


def release_export_rows(*, release: Release) -> Iterator[ReleaseItem] | Iterator[ReleaseClip]:
    return release_clip_rows(release=release) if release.kind == Benchmark.Kind.TRAIN else release_rows(release=release)


def benchmark_releases(*, benchmark: Benchmark) -> QuerySet[Release]:
    """A benchmark's releases, newest first, with who cut them; ``has_datasheet`` without reading the datasheets."""
    releases = Release.objects.filter(benchmark=benchmark).select_related("created_by").defer("datasheet")
    return releases.annotate(has_datasheet=Q(datasheet__isnull=False)).order_by("-created_at", "-pk")


def excluded_count(*, benchmark: Benchmark) -> int:
    """How many items (a training corpus: captions) are excluded now: the next release's datasheet lists them."""
    rows = Caption.objects.filter(video__benchmark=benchmark) if benchmark.is_caption_centric else benchmark.items
    return rows.filter(review_status="excluded").count()


def release_by_tag(*, benchmark_name: str, tag: str) -> Release | None:
    return (
        Release.objects.select_related("benchmark", "created_by")
        .filter(benchmark__name=benchmark_name, tag=tag)
        .first()
    )


def benchmark_report(*, benchmark: Benchmark) -> list[tuple[BaselineRun, RunScores]]:
    """Every run of the benchmark with its scores, newest first."""
    return [(run, run_scores(run)) for run in benchmark.runs.order_by("-created_at")]


def release_clip_rows(*, release: Release) -> Iterator[ReleaseClip]:
    """A training-corpus release's clips in export order, streamed."""
    rows = ReleaseClip.objects.filter(release_id=release.pk).order_by("position")
    return rows.only("clip_name", "participant_id", "caption_version", "content", "qa", "media", "provenance").iterator(
        chunk_size=2000
    )


@dataclass(frozen=True)
class SharedParticipant:
    participant_id: str
    clips: list[str]  # of the training corpus
    elsewhere: dict[str, list[str]]  # evaluation benchmark name -> its clips of the participant

    def __str__(self) -> str:
        where = "; ".join(f"{name}: {_some(clips)}" for name, clips in sorted(self.elsewhere.items()))
        return f"participant {self.participant_id} is in this corpus ({_some(self.clips)}) and in {where}"


@dataclass
class ParticipantReport:
    """Participants a training corpus shares with evaluation benchmarks, and the clips
    whose participant is unknown (on either side), so disjointness cannot be shown.

    Only clips that are or would be released count (``corpus_clips_counted``,
    ``evaluation_clips_counted``); ``left_out`` says how many were not, per benchmark."""

    benchmark: str
    against: list[str]
    shared: list[SharedParticipant] = field(default_factory=list)
    without_id: dict[str, int] = field(default_factory=dict)  # benchmark name -> clips without a participant id
    left_out: dict[str, int] = field(default_factory=dict)  # benchmark name -> clips not counted

    def as_dict(self) -> dict:
        return {
            "benchmark": self.benchmark,
            "against": self.against,
            "without_id": self.without_id,
            "left_out": self.left_out,
            "shared": [
                {"participant_id": s.participant_id, "clips": s.clips, "elsewhere": s.elsewhere} for s in self.shared
            ],
        }


def _some(names: list[str], limit: int = 5) -> str:
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def evaluation_benchmarks(*, names: Sequence[str] | None = None) -> list[Benchmark]:
    """The evaluation benchmarks named (all of them when None); raises LookupError for a name that is none."""
    benchmarks = Benchmark.objects.filter(kind=Benchmark.Kind.EVAL).order_by("name")
    if names is None:
        return list(benchmarks)
    found = {b.name: b for b in benchmarks.filter(name__in=names)}
    unknown = [n for n in names if n not in found]
    if unknown:
        raise LookupError(f"no evaluation benchmark {', '.join(map(repr, unknown))}")
    return [found[n] for n in sorted(set(names))]


def corpus_clips_counted(*, benchmark: Benchmark) -> QuerySet[Video]:
    """The clips of a training corpus that a release of it carries, or will once reviewed: all but the
    excluded ones (a clip whose caption is excluded is out of the corpus, with its QA rows)."""
    return Video.objects.filter(benchmark=benchmark).exclude(caption__review_status=ReviewStatus.EXCLUDED)


def evaluation_clips_counted(*, benchmarks: Sequence[Benchmark]) -> QuerySet[Video]:
    """The clips of evaluation benchmarks that are or may be released: in any release of their benchmark (a
    release is immutable and published: excluding the clip later does not take it back), or with a question
    that is not excluded (the next release may carry it)."""
    live = QAItem.objects.filter(video=OuterRef("pk")).exclude(review_status=ReviewStatus.EXCLUDED)
    released = ReleaseItem.objects.filter(item__video=OuterRef("pk"))
    return Video.objects.filter(benchmark__in=benchmarks).filter(Exists(live) | Exists(released))


def participant_report(*, benchmark: Benchmark, against: Sequence[Benchmark]) -> ParticipantReport:
    """Five queries, whatever the sizes: the shared participants' clips on both sides, and per benchmark the
    clips counted, those of them without a participant id, and all clips."""
    report = ParticipantReport(benchmark=benchmark.name, against=[b.name for b in against])
    own = corpus_clips_counted(benchmark=benchmark)
    others = evaluation_clips_counted(benchmarks=against)
    elsewhere: defaultdict[str, defaultdict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    rows = (
        others.filter(participant_id__in=own.exclude(participant_id="").values("participant_id"))
        .order_by("participant_id", "benchmark__name", "clip_name")
        .values_list("participant_id", "benchmark__name", "clip_name")
    )
    for participant, name, clip in rows:
        elsewhere[participant][name].append(clip)
    own_clips = defaultdict(list)
    for participant, clip in (
        own.filter(participant_id__in=list(elsewhere))
        .order_by("participant_id", "clip_name")
        .values_list("participant_id", "clip_name")
    ):
        own_clips[participant].append(clip)
    report.shared = [SharedParticipant(p, own_clips[p], dict(elsewhere[p])) for p in sorted(elsewhere)]
    counted: dict[str, tuple[int, int]] = {}  # name -> (clips counted, of them without a participant id)
    for clips in (own, others):
        per_benchmark = (
            clips.order_by()
            .values_list("benchmark__name")
            .annotate(n=Count("pk"), missing=Count("pk", filter=Q(participant_id="")))
        )
        counted |= {name: (n, missing) for name, n, missing in per_benchmark}
    totals = (
        Video.objects.filter(benchmark__in=[benchmark, *against])
        .order_by()
        .values_list("benchmark__name")
        .annotate(n=Count("pk"))
    )
    for name, n in sorted(totals):
        shown, missing = counted.get(name, (0, 0))
        if missing:
            report.without_id[name] = missing
        if n > shown:
            report.left_out[name] = n - shown
    return report
