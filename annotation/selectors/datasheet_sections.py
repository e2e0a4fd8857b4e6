"""The datasheet sections about a release's content and the machines' view of it (the review app adds
the sections about people's work): each is one function of the cut, read inside its transaction.

Percentages are 0-100 and every float is rounded to ``DIGITS`` places, so the stored datasheet reads
the same as the page and the export show it."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Count

from annotation.domain.taxonomy import TASKS, Tier
from annotation.models import BaselineRun, QualityFlag
from annotation.selectors import participant_report
from annotation.selectors.probes import Measure, ProbeRow, probe_rows, run_condition
from annotation.selectors.scores import RunScores, run_scores
from annotation.services.datasheets import EVAL, TRAIN, CutSubject, DatasheetSection

DIGITS = 4
F = QualityFlag.Status


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, DIGITS)


def rounded_map(values: dict[str, float]) -> dict[str, float | None]:
    return {key: rounded(value) for key, value in values.items()}


def counts_section(subject: CutSubject) -> dict:
    """Items per task and per tier (a corpus: clips, and the QA items riding along, per task and tier)."""
    release = subject.release
    by_tier: Counter[str] = Counter()
    for task, n in release.task_counts.items():
        by_tier[TASKS[task].tier.value] += n
    return {
        "items": release.item_count,
        "by_task": dict(release.task_counts),
        "by_tier": {tier.value: by_tier[tier.value] for tier in Tier},
        "clips": len(subject.video_ids),
    }


def models_section(subject: CutSubject) -> dict:
    """Every baseline run scored over the released items only, and per model and closed task the plain,
    circular, blind, choices-only, single-frame, shuffled and reversed accuracies with the visual and
    temporal gaps (``annotation.selectors.probes``)."""
    item_ids = subject.item_ids
    runs = list(subject.benchmark.runs.order_by("created_at", "pk"))
    scored = [(run, run_scores(run, item_ids=item_ids)) for run in runs]
    scores = {run.pk: scores_of_run for run, scores_of_run in scored}
    return {
        "scope": "predictions of the released items only (rotation 0 for plain accuracy); percent correct",
        "runs": [_run_entry(run, scores_of_run) for run, scores_of_run in scored],
        "probes": [_probe_entry(row, scores) for row in probe_rows(scored)],
    }


def _run_entry(run: BaselineRun, scores: RunScores) -> dict:
    return {
        "run": run.pk,
        "name": run.name,
        "predictor": run.predictor,
        "model": run.settings.get("model", ""),
        "condition": run_condition(run) or run.predictor,
        "status": run.status,
        "circular": bool(run.settings.get("circular")),
        "accuracy": rounded_map(scores.accuracy),
        "scored": scores.scored,
        "circular_accuracy": rounded_map(scores.circular),
        "circular_scored": scores.circular_scored,
        "closed_average": rounded(scores.closed_average),
    }


def _measure(measure: Measure | None) -> dict | None:
    if measure is None:
        return None
    return {"accuracy": rounded(measure.value), "run": measure.run.pk, "condition": measure.label}


def _probe_entry(row: ProbeRow, scores: dict[int, RunScores]) -> dict:
    circular = None
    if row.vision is not None:
        circular = rounded(scores[row.vision.run.pk].circular.get(row.task))
    return {
        "model": row.model,
        "task": row.task,
        "plain": _measure(row.vision),
        "circular": circular,
        "blind": _measure(row.blind),
        "choices_only": _measure(row.choices_only),
        "single_frame": _measure(row.single_frame),
        "visual_gap": rounded(row.visual_gap),
        "choices_gap": rounded(row.choices_gap),
        "temporal": [
            {
                "ordered": _measure(gap.ordered),
                "probe": _measure(gap.probe),
                "gap": rounded(gap.gap),
            }
            for gap in row.temporal
        ],
    }


def flags_section(subject: CutSubject) -> dict:
    """The benchmark's flags by kind at the cut: raised (all), fixed (resolved), waived and open, and each
    waiver's reason with the items, captions or benchmark it was given for."""
    flags = QualityFlag.objects.filter(benchmark=subject.benchmark)
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for kind, status, n in flags.order_by().values_list("kind", "status").annotate(n=Count("pk")):
        counts[kind][status] += n
    waivers: defaultdict[str, defaultdict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    waived = flags.filter(status=F.WAIVED).order_by("kind", "waived_reason", "pk")
    for kind, reason, qid, clip in waived.values_list(
        "kind", "waived_reason", "item__qid", "caption__video__clip_name"
    ):
        waivers[kind][reason].append(qid or clip or "benchmark")
    return {
        "by_kind": {
            kind: {
                "label": QualityFlag.Kind(kind).label if kind in QualityFlag.Kind.values else kind,
                "raised": sum(counts[kind].values()),
                "fixed": counts[kind][F.RESOLVED],
                "waived": counts[kind][F.WAIVED],
                "open": counts[kind][F.OPEN],
                "waivers": [
                    {"reason": reason, "count": len(targets), "targets": sorted(targets)}
                    for reason, targets in waivers[kind].items()
                ],
            }
            for kind in sorted(counts)
        }
    }


def excluded_section(subject: CutSubject) -> dict:
    """What the cut left out, with who excluded each and why (the release's ``excluded``)."""
    excluded = subject.release.excluded or []
    by_task = Counter(entry["task"] for entry in excluded if "task" in entry)
    return {"count": len(excluded), "by_task": dict(sorted(by_task.items())), "entries": excluded}


def disjointness_section(subject: CutSubject) -> dict:
    """A corpus's participants against the evaluation benchmarks it was checked against at the cut."""
    report = participant_report(benchmark=subject.benchmark, against=subject.against)
    participants = (
        subject.benchmark.videos.filter(pk__in_array=subject.video_ids)
        .exclude(participant_id="")
        .values("participant_id")
    )
    return {
        "checked_against": report.against,
        "participants": participants.distinct().count(),
        "shared_participants": len(report.shared),
        "disjoint": not report.shared,
        "report": report.as_dict(),
    }


ANNOTATION_SECTIONS = [
    DatasheetSection("counts", 10, counts_section),
    DatasheetSection("models", 50, models_section, kinds=frozenset({EVAL})),
    DatasheetSection("flags", 60, flags_section),
    DatasheetSection("excluded", 70, excluded_section),
    DatasheetSection("disjointness", 80, disjointness_section, kinds=frozenset({TRAIN})),
]
