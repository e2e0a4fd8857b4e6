"""Which runs are probes of which model, and the gaps they measure.

A run's *condition* is what the model was given: ``blind`` (the question only), ``choices-only``
(the options only), or the run's frame sampling (``mac2026``, ``uniform-8``, ``single-frame``,
``shuffled-8``, ``reversed-8``...). Runs are paired by model: the same ``model`` setting on the same
benchmark, and of each condition the latest finished run (done, or failed with some errors). Random,
prior and imported runs name no model and are not paired.

Per model and closed task (plain accuracy: the items as they are, rotation 0 of a circular run):

- visual gap = vision - blind, where vision is the latest run with ordered frames (mac2026 or uniform-K);
  beside it vision - choices-only for choice tasks;
- temporal gap = ordered - shuffled and ordered - reversed, each against the ordered run of the same
  frames (shuffled-8 and reversed-8 against uniform-8, shuffled-mac2026 against mac2026): only the
  order differs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from annotation.domain.taxonomy import CLOSED_TASKS, TASKS, AnswerFormat
from annotation.frames.sampling import MAC2026, SINGLE_FRAME, FrameOrder, RunSampling, run_sampling
from annotation.models import BaselineRun

from .scores import RunScores

P = BaselineRun.Predictor
BLIND, CHOICES_ONLY = "blind", "choices-only"
FINISHED = (BaselineRun.Status.DONE, BaselineRun.Status.FAILED)


def run_condition(run: BaselineRun) -> str | None:
    """What the model saw in this run; None for runs of no model (random, prior, imported)."""
    if run.predictor == P.BLIND:
        return BLIND
    if run.predictor == P.CHOICES_ONLY:
        return CHOICES_ONLY
    if run.predictor == P.OPENAI_COMPATIBLE and sampling_of(run) is not None:
        return run.settings.get("sampling", MAC2026)
    return None


def sampling_of(run: BaselineRun) -> RunSampling | None:
    """The frames a vision run sent; None for a sampling no run can send (an old run's, from before it was checked)."""
    try:
        return run_sampling(run.settings.get("sampling", MAC2026))
    except ValueError:
        return None


def sees_ordered_frames(run: BaselineRun) -> bool:
    """A vision run proper: every frame of its sampling, in order (an imported run is taken to be one)."""
    if run.predictor == P.EXTERNAL:
        return True
    sampling = sampling_of(run) if run.predictor == P.OPENAI_COMPATIBLE else None
    return sampling is not None and not sampling.is_probe


@dataclass
class ModelRuns:
    """One model's latest finished run of each condition on one benchmark."""

    model: str
    latest: dict[str, BaselineRun] = field(default_factory=dict)  # condition -> run

    @property
    def vision(self) -> BaselineRun | None:
        ordered = [run for run in self.latest.values() if sees_ordered_frames(run)]
        return max(ordered, key=_recency, default=None)

    @property
    def single_frame(self) -> BaselineRun | None:
        return self.latest.get(SINGLE_FRAME)

    def reordered(self, order: FrameOrder) -> list[tuple[BaselineRun, BaselineRun]]:
        """(probe run, ordered run of the same frames) for each reversed or shuffled sampling with its partner."""
        pairs = []
        for condition, run in sorted(self.latest.items()):
            if run.predictor != P.OPENAI_COMPATIBLE:
                continue
            sampling = run_sampling(condition)
            if sampling.order == order and sampling.stored in self.latest:
                pairs.append((run, self.latest[sampling.stored]))
        return pairs


def _recency(run: BaselineRun) -> tuple:
    return (run.created_at, run.pk)


def paired_runs(runs: Iterable[BaselineRun]) -> list[ModelRuns]:
    """The runs grouped by model, the latest finished of each condition; models in name order."""
    models: dict[str, ModelRuns] = {}
    for run in runs:
        condition, model = run_condition(run), run.settings.get("model", "")
        if condition is None or not model or run.status not in FINISHED:
            continue
        entry = models.setdefault(model, ModelRuns(model=model))
        if condition not in entry.latest or _recency(run) > _recency(entry.latest[condition]):
            entry.latest[condition] = run
    return [models[name] for name in sorted(models)]


@dataclass(frozen=True)
class Measure:
    """An accuracy (percent) and the run it comes from."""

    value: float
    run: BaselineRun
    label: str  # the condition, as the report names it


@dataclass(frozen=True)
class TemporalGap:
    ordered: Measure
    probe: Measure  # the same frames shuffled or reversed

    @property
    def gap(self) -> float:
        return self.ordered.value - self.probe.value


@dataclass
class ProbeRow:
    model: str
    task: str
    vision: Measure | None = None
    blind: Measure | None = None
    choices_only: Measure | None = None
    single_frame: Measure | None = None
    temporal: list[TemporalGap] = field(default_factory=list)

    @property
    def visual_gap(self) -> float | None:
        return _gap(self.vision, self.blind)

    @property
    def choices_gap(self) -> float | None:
        return _gap(self.vision, self.choices_only)


def _gap(minuend: Measure | None, subtrahend: Measure | None) -> float | None:
    return minuend.value - subtrahend.value if minuend and subtrahend else None


def probe_rows(scored_runs: list[tuple[BaselineRun, RunScores]]) -> list[ProbeRow]:
    """Per model (with at least one blind, choices-only or probe run) and closed task, the accuracies and gaps."""
    scores = {run.pk: run_scores for run, run_scores in scored_runs}
    rows = []
    for model in paired_runs(run for run, _ in scored_runs):
        for task in CLOSED_TASKS:
            row = _probe_row(model, task, scores)
            if any((row.blind, row.choices_only, row.single_frame, row.temporal)):
                rows.append(row)
    return rows


def _probe_row(model: ModelRuns, task: str, scores: dict[int, RunScores]) -> ProbeRow:
    def measure(run: BaselineRun | None) -> Measure | None:
        value = scores[run.pk].accuracy.get(task) if run is not None and run.pk in scores else None
        return Measure(value, run, run_condition(run) or run.name) if value is not None and run else None

    row = ProbeRow(model=model.model, task=task)
    row.vision, row.blind = measure(model.vision), measure(model.latest.get(BLIND))
    row.single_frame = measure(model.single_frame)
    if TASKS[task].answer_format == AnswerFormat.CHOICE:
        row.choices_only = measure(model.latest.get(CHOICES_ONLY))
    for order in (FrameOrder.SHUFFLED, FrameOrder.REVERSED):
        for probe, ordered in model.reordered(order):
            ordered_measure, probe_measure = measure(ordered), measure(probe)
            if ordered_measure and probe_measure:
                row.temporal.append(TemporalGap(ordered_measure, probe_measure))
    return row
