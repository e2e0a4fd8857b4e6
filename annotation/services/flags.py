"""Quality flags: run lint over a benchmark (or some of its clips) and keep the
open lint flags equal to what lint finds now; people waive a flag with a reason, or
withdraw a waiver (each one audit event: ``flag_waived`` / ``flag_unwaived``). A flag of a
kind no reason makes right (``QualityFlag.NOT_WAIVABLE``: two right answers) is never
waived: it blocks a release until the content is fixed."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from annotation.domain import lint
from annotation.domain.taxonomy import TASKS
from annotation.errors import InvalidInput, Refused
from annotation.models import AuditEvent, Benchmark, Caption, QAItem, QualityFlag

from . import benchmark_checks
from .audited_writes import Actor, record_action, records_refusals

LINT_SOURCE = "lint"
ITEM_FIELDS = ("id", "qid", "task", "question", "options", "answer", "video_id", "version")
Status = QualityFlag.Status
Event = AuditEvent.EventType


def lint_run(
    *, benchmark: Benchmark, video_ids: Iterable[int] | None = None, tasks: Iterable[str] | None = None
) -> Counter:
    """Lint the given clips (all when None) and the benchmark-wide checks: of every task for a whole
    benchmark, else of ``tasks`` (every task when None) and the open tasks of the clips, from the
    answer tally (``benchmark_checks``). Pass the tasks an edit changed counts of (an item's task
    before and after): the other tasks' checks did not move.

    Returns the number of flags newly raised, by kind.
    """
    if video_ids is None:
        return _lint_everything(benchmark)
    items = list(QAItem.objects.filter(benchmark=benchmark, video_id__in_array=list(set(video_ids))).only(*ITEM_FIELDS))
    captions = Caption.objects.filter(video__benchmark=benchmark, video_id__in_array=list(set(video_ids))).only(
        "id", "video_id", "coarse_label", "fine_label", "version"
    )
    captions_by_clip = {c.video_id: c for c in captions}
    findings = _clip_and_item_findings(items, captions_by_clip)
    clip_flags = Q(item_id__in_array=[item.pk for item in items]) | Q(
        caption_id__in_array=[c.pk for c in captions_by_clip.values()]
    )
    with transaction.atomic():
        wide = benchmark_checks.wide_check_of_clips(benchmark, TASKS if tasks is None else tasks, items)
        scope = QualityFlag.objects.filter(clip_flags | wide.scope, benchmark=benchmark, source=LINT_SOURCE)
        return sync_flags(benchmark, findings + wide.findings, scope, LINT_SOURCE)


def _lint_everything(benchmark: Benchmark) -> Counter:
    items = QAItem.objects.filter(benchmark=benchmark).only(*ITEM_FIELDS)
    captions = Caption.objects.filter(video__benchmark=benchmark).only(
        "id", "video_id", "coarse_label", "fine_label", "version"
    )
    findings = _clip_and_item_findings(list(items), {c.video_id: c for c in captions})
    with transaction.atomic():
        checks = benchmark_checks.task_checks(benchmark, list(TASKS))
        full = benchmark_checks.benchmark_findings_full(benchmark)
        benchmark_checks.bands_stored(checks, full.bands)
        benchmark_checks.tally_rebuild(benchmark.pk)
        findings += full.balance + [finding for outliers in full.outliers.values() for finding in outliers]
        scope = QualityFlag.objects.filter(benchmark=benchmark, source=LINT_SOURCE)
        return sync_flags(benchmark, findings, scope, LINT_SOURCE)


def benchmark_flags_verify(*, benchmark: Benchmark) -> Counter:
    """Recompute the benchmark-wide flags from the items themselves, whatever the writes since the last lint
    left (a release cut calls it before it reads the blockers): the balance of every task, and the
    answer-length outliers of every task whose band moved since its flags were synced (a band that did not
    move leaves each outlier flag as the lint of its clip left it); rebuild the answer tally if it
    disagrees with the items. A benchmark lint never ran on has no lint flags to keep current.

    Returns the number of flags newly raised, by kind.
    """
    if not benchmark_checks.ever_linted(benchmark):
        return Counter()
    with transaction.atomic():
        checks = benchmark_checks.task_checks(benchmark, list(TASKS))
        full = benchmark_checks.benchmark_findings_full(benchmark)
        moved = [task for task, band in full.bands.items() if benchmark_checks.band_moved(checks[task], band)]
        benchmark_checks.bands_stored(checks, full.bands)
        if not benchmark_checks.tally_agrees(benchmark, full.tallies):
            benchmark_checks.tally_rebuild(benchmark.pk)
        findings = full.balance + [finding for task in moved for finding in full.outliers.get(task, [])]
        scope = QualityFlag.objects.filter(benchmark_checks.verified_scope(benchmark, moved), source=LINT_SOURCE)
        return sync_flags(benchmark, findings, scope, LINT_SOURCE)


def _clip_and_item_findings(items: Sequence[QAItem], captions: dict[int, Caption]) -> list[lint.Finding]:
    by_clip = defaultdict(list)
    for item in items:
        by_clip[item.video_id].append(item)
    findings = [finding for item in items for finding in lint.item_findings(item)]
    for video_id in by_clip.keys() | captions.keys():
        findings += lint.clip_findings(by_clip.get(video_id, []), captions.get(video_id))
    return findings


def sync_flags(benchmark: Benchmark, findings: list[lint.Finding], scope, source: str) -> Counter:
    """Make the open flags in ``scope`` (a QualityFlag queryset) equal ``findings``: raise
    the new, update the changed, resolve the gone; a waiver holds for its target version."""
    open_flags, waived = {}, set()
    for flag in scope.filter(status__in=(Status.OPEN, Status.WAIVED)):  # one query, whatever the scope
        if flag.status == Status.OPEN:
            open_flags[(flag.target_key, flag.kind)] = flag
        else:
            waived.add((flag.target_key, flag.kind, flag.target_version))
    found = {(f.target_key, f.kind): f for f in findings}
    new_flags, changed = [], []
    for key, finding in found.items():
        version = _target_version(finding)
        if key in open_flags:
            flag = open_flags[key]
            if (flag.message, flag.details, flag.target_version) != (finding.message, finding.details, version):
                flag.message, flag.details, flag.target_version = finding.message, finding.details, version
                changed.append(flag)
        elif (*key, version) not in waived:
            new_flags.append(_flag_of(benchmark, finding, version, source))
    QualityFlag.objects.bulk_create(new_flags, batch_size=1000)
    QualityFlag.objects.bulk_update(changed, ["message", "details", "target_version"], batch_size=1000)
    gone = [flag.pk for key, flag in open_flags.items() if key not in found]
    QualityFlag.objects.filter(pk__in=gone).update(status=Status.RESOLVED, closed_at=timezone.now())
    return Counter(flag.kind for flag in new_flags)


def _target_version(finding: lint.Finding) -> int | None:
    target = finding.item or finding.caption
    return target.version if target is not None else None


def _flag_of(benchmark: Benchmark, finding: lint.Finding, version: int | None, source: str) -> QualityFlag:
    return QualityFlag(
        benchmark=benchmark,
        item_id=finding.item.id if finding.item else None,
        caption_id=finding.caption.id if finding.caption else None,
        target_key=finding.target_key,
        kind=finding.kind,
        severity=finding.severity,
        source=source,
        message=finding.message,
        details=finding.details,
        target_version=version,
    )


class FlagStatusRefused(Refused):
    """A waiver of a flag that is not open, or the withdrawal of a waiver from a flag that is not waived."""


class FlagNotWaivable(Refused):
    """A waiver of a flag whose fault no reason makes right (``QualityFlag.NOT_WAIVABLE``)."""


@records_refusals
def flag_waive(*, flag: QualityFlag, user, reason: str) -> QualityFlag:
    """A person decides a flag is not a fault; the reason is required and recorded in the trail."""
    _reason_required(reason, "a waiver")
    with transaction.atomic():
        flag = QualityFlag.objects.select_for_update(no_key=True).get(pk=flag.pk)
        attempted = {"status": Status.WAIVED, "waived_reason": reason}
        if flag.status != Status.OPEN:
            message = f"flag #{flag.pk} ({flag.kind}) is {flag.status}, not open: only an open flag is waived"
            raise _refused(flag, user=user, message=message, attempted=attempted)
        if not flag.waivable:
            message = (
                f"flag #{flag.pk} ({flag.kind}) cannot be waived: {flag.get_kind_display().lower()}. "
                "Fix the options; lint closes the flag once the fault is gone"
            )
            raise _refused(flag, user=user, message=message, attempted=attempted, error=FlagNotWaivable)
        _waiver_set(
            flag, user=user, to=attempted, closed_at=timezone.now(), event_type=Event.FLAG_WAIVED, reason=reason
        )
    return flag


@records_refusals
def flag_unwaive(*, flag: QualityFlag, user, reason: str) -> QualityFlag:
    """A person withdraws a waiver: the flag is open again (and blocks a release) until fixed or waived anew."""
    _reason_required(reason, "withdrawing a waiver")
    with transaction.atomic():
        flag = QualityFlag.objects.select_for_update(no_key=True).get(pk=flag.pk)
        attempted = {"status": Status.OPEN, "waived_reason": ""}
        if flag.status != Status.WAIVED:
            message = f"flag #{flag.pk} ({flag.kind}) is {flag.status}, not waived: there is no waiver to withdraw"
            raise _refused(flag, user=user, message=message, attempted=attempted)
        # Lint raises a new flag when the target changed and the fault is still there; only one may be open.
        same_fault = QualityFlag.objects.filter(
            benchmark_id=flag.benchmark_id, target_key=flag.target_key, kind=flag.kind, status=Status.OPEN
        )
        reraised = same_fault.values_list("pk", flat=True).first()
        if reraised:
            message = (
                f"flag #{flag.pk} ({flag.kind}) stays waived: flag #{reraised} raises the same fault on its "
                "target and is open already"
            )
            raise _refused(flag, user=user, message=message, attempted=attempted)
        _waiver_set(flag, user=user, to=attempted, closed_at=None, event_type=Event.FLAG_UNWAIVED, reason=reason)
    return flag


def _reason_required(reason: str, what: str) -> None:
    if not reason.strip():
        raise InvalidInput(f"{what} needs a reason", field="reason")


def _waiver_state(flag: QualityFlag) -> dict:
    return {"status": flag.status, "waived_reason": flag.waived_reason}


def _waiver_set(flag: QualityFlag, *, user, to: dict, closed_at, event_type: str, reason: str) -> None:
    before = _waiver_state(flag)
    flag.status, flag.waived_reason, flag.closed_at = to["status"], to["waived_reason"], closed_at
    flag.save(update_fields=["status", "waived_reason", "closed_at"])
    record_action(
        actor=Actor.person(user),
        event_type=event_type,
        target_kind=QualityFlag.audit_kind,
        target_id=flag.pk,
        before=before,
        after=_waiver_state(flag),
        reason=reason,
    )


def _refused(
    flag: QualityFlag, *, user, message: str, attempted: dict, error: type[Refused] = FlagStatusRefused
) -> Refused:
    return error(message).recording(
        actor=Actor.person(user),
        target_kind=QualityFlag.audit_kind,
        target_id=flag.pk,
        before=_waiver_state(flag),
        after=attempted,
    )
