"""Quality flags: run lint over a benchmark (or some of its clips) and keep the
open lint flags equal to what lint finds now; people waive a flag with a reason, or
withdraw a waiver (each one audit event: ``flag_waived`` / ``flag_unwaived``). A flag of a
kind no reason makes right (``QualityFlag.NOT_WAIVABLE``: two right answers) is never
waived: it blocks a release until the content is fixed."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from annotation.benchmark_locks import MutexPurpose, benchmark_mutex
from annotation.domain import lint
from annotation.domain.taxonomy import OPEN_TASKS, TASKS
from annotation.errors import InvalidInput, Refused
from annotation.models import AuditEvent, Benchmark, Caption, QAItem, QualityFlag, Video
from annotation.plain_sql import Statement, instances_of, model_columns, placeholders

from . import benchmark_checks
from .audited_writes import Actor, record_action, records_refusals
from .bulk_insert import insert_rows

LINT_SOURCE = "lint"
COPIED_FLAGS = 100  # from this many new flags on, COPYed (bulk_insert.insert_rows) rather than INSERTed
ITEM_FIELDS = tuple(lint.LintedItem.__annotations__)  # the order of lint.LintedRow
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
    rows = QAItem.objects.filter(benchmark=benchmark, video_id__in_array=list(set(video_ids))).values_list(*ITEM_FIELDS)
    items = [lint.LintedRow(*row) for row in rows]
    captions = Caption.objects.filter(video__benchmark=benchmark, video_id__in_array=list(set(video_ids))).only(
        "id", "video_id", "coarse_label", "fine_label", "version"
    )
    captions_by_clip = {c.video_id: c for c in captions}
    findings = _clip_and_item_findings(items, captions_by_clip)
    clip_flags = Q(item_id__in_array=[item.id for item in items]) | Q(
        caption_id__in_array=[c.pk for c in captions_by_clip.values()]
    )
    with transaction.atomic():
        wide = benchmark_checks.wide_check_of_clips(benchmark, TASKS if tasks is None else tasks, items)
        scope = QualityFlag.objects.filter(clip_flags | wide.scope, benchmark=benchmark, source=LINT_SOURCE)
        return sync_flags(benchmark, findings + wide.findings, scope, LINT_SOURCE)


def clip_lint(
    *, benchmark: Benchmark, video_id: int, tasks: Iterable[str] | None, writes: Sequence[Statement] = ()
) -> Counter:
    """``lint_run`` of one clip, for an edit, in the edit's transaction: the same findings and flags. Within
    the caller's transaction no savepoint: the edit and its lint stand or fall together.

    The ``BENCHMARK_CHECKS`` mutex comes before the reads, so an edit of the same clip in another transaction
    has committed by then and the last sync of the clip's flags sees every edit of it. The reads (the clip's
    items and caption, the check rows and tallies of ``tasks`` and of every open task, the flags in scope)
    are plain SQL sent with the mutex in one round trip (``benchmark_mutex(then=...)``): building ORM
    querysets cost more than the database's work, and on a busy machine each round trip waits for a core.
    ``writes``: the edit's own statements (``change_in_transaction(writes=...)``), sent first in that trip."""
    wanted = sorted(TASKS if tasks is None else set(tasks))
    read_tasks = sorted(set(wanted) | set(OPEN_TASKS))
    balance_keys = benchmark_checks.balance_keys_of(wanted)
    with transaction.atomic(savepoint=False):
        item_rows, caption_rows, check_rows, tally_rows, flag_rows = benchmark_mutex(
            benchmark.pk,
            MutexPurpose.BENCHMARK_CHECKS,
            first=writes,
            then=[
                _clip_items_statement(benchmark.pk, video_id),
                _clip_caption_statement(benchmark.pk, video_id),
                benchmark_checks.checks_statement(benchmark.pk, read_tasks),
                benchmark_checks.tally_statement(benchmark.pk, read_tasks),
                _clip_flags_statement(benchmark.pk, video_id, balance_keys),
            ],
        )
        items = instances_of(QAItem, ITEM_COLUMNS, item_rows)
        captions_by_clip = {
            caption.video_id: caption for caption in instances_of(Caption, CAPTION_COLUMNS, caption_rows)
        }
        findings = _clip_and_item_findings(items, captions_by_clip)
        read = benchmark_checks.checks_of(check_rows), benchmark_checks.tallies_of(tally_rows)
        wide = benchmark_checks.wide_check_of_clips(benchmark, wanted, items, mutex_held=True, read=read)
        flags = instances_of(QualityFlag, FLAG_COLUMNS, flag_rows)
        in_scope = _in_scope(flags, items, captions_by_clip.values(), wide)
        if wide.flag_ids:  # the outliers of a task whose band moved
            in_scope += QualityFlag.objects.filter(pk__in=set(wide.flag_ids) - {flag.pk for flag in in_scope})
        open_flags, waived = {}, set()
        for flag in in_scope:
            if flag.status == Status.OPEN:
                open_flags[(flag.target_key, flag.kind)] = flag
            else:
                waived.add((flag.target_key, flag.kind, flag.target_version))
        return _flags_synced(benchmark, findings + wide.findings, open_flags, waived, LINT_SOURCE)


ITEM_COLUMNS = model_columns(QAItem, ITEM_FIELDS)
CAPTION_COLUMNS = model_columns(Caption, ("id", "video_id", "coarse_label", "fine_label", "version"))
FLAG_COLUMNS = model_columns(
    QualityFlag, ("id", "item_id", "caption_id", "target_key", "kind", "status", "message", "details", "target_version")
)


def _clip_items_statement(benchmark_id: int, video_id: int) -> Statement:
    sql = f"SELECT {', '.join(ITEM_COLUMNS)} FROM {QAItem._meta.db_table} WHERE benchmark_id = %s AND video_id = %s"
    return sql, [benchmark_id, video_id]


def _clip_caption_statement(benchmark_id: int, video_id: int, columns: tuple[str, ...] = CAPTION_COLUMNS) -> Statement:
    sql = (
        f"SELECT {', '.join(f'c.{name}' for name in columns)} FROM {Caption._meta.db_table} c "
        f"JOIN {Video._meta.db_table} v ON v.id = c.video_id WHERE v.benchmark_id = %s AND c.video_id = %s"
    )
    return sql, [benchmark_id, video_id]


def _clip_flags_statement(benchmark_id: int, video_id: int, balance_keys: list[str]) -> Statement:
    """The open and waived lint flags of the clip's items and caption and the balance flags of ``balance_keys``,
    each arm through an index (the flag's item, its caption, the benchmark's flags by status and kind): on
    PostgreSQL ``= ANY(ARRAY(subquery))``, computed once, where ``IN (subquery)`` beside an OR would test
    every flag of the benchmark."""
    items_sql, items_params = _clip_items_statement(benchmark_id, video_id)
    items_sql = items_sql.replace(", ".join(ITEM_COLUMNS), "id", 1)
    caption_sql, caption_params = _clip_caption_statement(benchmark_id, video_id, columns=("id",))

    def member(column: str, subquery: str) -> str:
        if connection.vendor == "postgresql":
            return f"{column} = ANY(ARRAY({subquery}))"
        return f"{column} IN ({subquery})"

    arms = [member("item_id", items_sql), member("caption_id", caption_sql)]
    params: list[int | str] = [*items_params, *caption_params]
    if balance_keys:
        kinds = benchmark_checks.BALANCE_KINDS
        arms.append(f"(kind IN ({placeholders(kinds)}) AND target_key IN ({placeholders(balance_keys)}))")
        params += [*kinds, *balance_keys]
    sql = (
        f"SELECT {', '.join(FLAG_COLUMNS)} FROM {QualityFlag._meta.db_table} "
        f"WHERE benchmark_id = %s AND source = %s AND status IN (%s, %s) AND ({' OR '.join(arms)})"
    )
    return sql, [benchmark_id, LINT_SOURCE, Status.OPEN, Status.WAIVED, *params]


def _in_scope(flags: list[QualityFlag], items, captions, wide: benchmark_checks.WideCheck) -> list[QualityFlag]:
    """The flags read that the clip's lint and the wide check replace (an item that joined the clip between
    two reads under the mutex has no flag of this sync's)."""
    item_ids, caption_ids = {item.pk for item in items}, {caption.pk for caption in captions}
    keys = set(wide.balance_keys)
    return [
        flag
        for flag in flags
        if flag.item_id in item_ids
        or flag.caption_id in caption_ids
        or (flag.kind in wide.balance_kinds and flag.target_key in keys)
    ]


def _lint_everything(benchmark: Benchmark) -> Counter:
    items = [lint.LintedRow(*row) for row in QAItem.objects.filter(benchmark=benchmark).values_list(*ITEM_FIELDS)]
    captions = Caption.objects.filter(video__benchmark=benchmark).only(
        "id", "video_id", "coarse_label", "fine_label", "version"
    )
    findings = _clip_and_item_findings(items, {c.video_id: c for c in captions})
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


def _clip_and_item_findings(items: Sequence[lint.LintedItem], captions: dict[int, Caption]) -> list[lint.Finding]:
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
    return _flags_synced(benchmark, findings, open_flags, waived, source)


def _flags_synced(
    benchmark: Benchmark, findings: list[lint.Finding], open_flags: dict, waived: set, source: str
) -> Counter:
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
            new_flags.append(_flag_row(benchmark, finding, version, source))
    if len(new_flags) >= COPIED_FLAGS:
        insert_rows(QualityFlag, new_flags)
    elif new_flags:
        QualityFlag.objects.bulk_create([QualityFlag(**row) for row in new_flags])
    if changed:
        QualityFlag.objects.bulk_update(changed, ["message", "details", "target_version"], batch_size=1000)
    gone = [flag.pk for key, flag in open_flags.items() if key not in found]
    if gone:
        QualityFlag.objects.filter(pk__in=gone).update(status=Status.RESOLVED, closed_at=timezone.now())
    return Counter(row["kind"] for row in new_flags)


def _target_version(finding: lint.Finding) -> int | None:
    target = finding.item or finding.caption
    return target.version if target is not None else None


def _flag_row(benchmark: Benchmark, finding: lint.Finding, version: int | None, source: str) -> dict:
    """A new flag's values by attribute name (the others take their defaults)."""
    return {
        "benchmark_id": benchmark.pk,
        "item_id": finding.item.id if finding.item else None,
        "caption_id": finding.caption.id if finding.caption else None,
        "target_key": finding.target_key,
        "kind": finding.kind,
        "severity": finding.severity,
        "source": source,
        "message": finding.message,
        "details": finding.details,
        "target_version": version,
    }


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
