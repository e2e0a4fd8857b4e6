"""Quality flags: run lint over a benchmark (or some of its clips) and keep the
open lint flags equal to what lint finds now; people waive a flag with a reason, or
withdraw a waiver (each one audit event: ``flag_waived`` / ``flag_unwaived``). A flag of a
kind no reason makes right (``QualityFlag.NOT_WAIVABLE``: two right answers) is never
waived: it blocks a release until the content is fixed."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from types import SimpleNamespace

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import Length
from django.utils import timezone

from annotation.domain import lint
from annotation.domain.taxonomy import OPEN_TASKS, YES_NO_TASKS, AnswerFormat, tasks_of
from annotation.errors import InvalidInput, Refused
from annotation.models import AuditEvent, Benchmark, Caption, QAItem, QualityFlag

from .audited_writes import Actor, record_action, records_refusals

LINT_SOURCE = "lint"
ITEM_FIELDS = ("id", "qid", "task", "question", "options", "answer", "video_id", "version")
Status = QualityFlag.Status
Event = AuditEvent.EventType
CHOICE_TASKS = tasks_of(AnswerFormat.CHOICE)


def lint_run(*, benchmark: Benchmark, video_ids: Iterable[int] | None = None) -> Counter:
    """Lint the given clips (all when None) and the benchmark-wide checks.

    Returns the number of flags newly raised, by kind.
    """
    video_ids = None if video_ids is None else set(video_ids)
    items = QAItem.objects.filter(benchmark=benchmark).only(*ITEM_FIELDS)
    if video_ids is not None:
        items = items.filter(video_id__in=video_ids)
    captions = Caption.objects.filter(video__benchmark=benchmark).only(
        "id", "video_id", "coarse_label", "fine_label", "version"
    )
    if video_ids is not None:
        captions = captions.filter(video_id__in=video_ids)
    findings = _clip_and_item_findings(list(items), {c.video_id: c for c in captions})
    findings += _benchmark_findings(benchmark)
    with transaction.atomic():
        return sync_flags(benchmark, findings, _flags_in_scope(benchmark, video_ids, LINT_SOURCE), LINT_SOURCE)


def _clip_and_item_findings(items: Sequence[QAItem], captions: dict[int, Caption]) -> list[lint.Finding]:
    by_clip = defaultdict(list)
    for item in items:
        by_clip[item.video_id].append(item)
    findings = [finding for item in items for finding in lint.item_findings(item)]
    for video_id in by_clip.keys() | captions.keys():
        findings += lint.clip_findings(by_clip.get(video_id, []), captions.get(video_id))
    return findings


def _benchmark_findings(benchmark: Benchmark) -> list[lint.Finding]:
    """Yes/no balance, key-letter balance and open-answer lengths, from aggregates rather than whole rows."""
    items = QAItem.objects.filter(benchmark=benchmark).order_by()
    key_counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    closed = [*YES_NO_TASKS, *CHOICE_TASKS]
    for task, answer, n in items.filter(task__in=closed).values_list("task", "answer").annotate(n=Count("id")):
        key_counts[task][answer] = n
    yes_no = {task: counts for task, counts in key_counts.items() if task in YES_NO_TASKS}
    letters = {task: counts for task, counts in key_counts.items() if task in CHOICE_TASKS}
    lengths: defaultdict[str, list[tuple[lint.LintedItem, int]]] = defaultdict(list)
    keyed_open = items.filter(task__in=OPEN_TASKS).exclude(answer="")
    for pk, qid, task, version, length in keyed_open.values_list("id", "qid", "task", "version", Length("answer")):
        lengths[task].append((SimpleNamespace(id=pk, qid=qid, version=version), length))
    return (
        lint.yes_no_balance_findings(yes_no)
        + lint.key_letter_balance_findings(letters)
        + lint.answer_length_findings(lengths)
    )


def _flags_in_scope(benchmark: Benchmark, video_ids: set[int] | None, source: str):
    flags = QualityFlag.objects.filter(benchmark=benchmark, source=source)
    if video_ids is None:
        return flags
    # Benchmark-wide checks (length outliers included) are always in scope.
    wide = {"yes_no_balance", "option_position_balance", "answer_length_outlier"}
    return (
        flags.filter(item__video_id__in=video_ids)
        | flags.filter(caption__video_id__in=video_ids)
        | flags.filter(kind__in=wide)
    )


def sync_flags(benchmark: Benchmark, findings: list[lint.Finding], scope, source: str) -> Counter:
    """Make the open flags in ``scope`` (a QualityFlag queryset) equal ``findings``: raise
    the new, update the changed, resolve the gone; a waiver holds for its target version."""
    open_flags = {(f.target_key, f.kind): f for f in scope.filter(status=Status.OPEN)}
    waived = set(scope.filter(status=Status.WAIVED).values_list("target_key", "kind", "target_version"))
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
