"""The benchmark-wide lint checks (yes/no balance, key-letter balance, answer-length outliers) at the cost
of one clip, in a benchmark of any size.

Their inputs are counts: how many items of a task have each key, and how many keyed answers of an open
task have each length. ``AnswerTally`` keeps them, appended by database triggers with every change of
an item (``annotation/answer_tally_triggers.py``), so an edit reads a few hundred tally rows instead of
every item. The outlier check flags single items: an edit re-checks the items of its clip against the
task's band (median and spread of the lengths), and only when the band moved (which an edit of one
answer seldom does in a large benchmark) re-reads the task's answers outside the band, through an index
on the answer length. The flags are synced under the benchmark's ``BENCHMARK_CHECKS`` mutex, taken
last in the transaction, so two edits sync one after the other and the second sees the first's counts;
a task's ``BenchmarkTaskCheck`` row keeps the band its outlier flags were synced against.

A full lint (import, ``lint_benchmark``) recomputes the checks from the items themselves
(``benchmark_findings_full``) and rebuilds the tally; a release cut recomputes the balance of every
task and the outliers of every task whose band moved, and rebuilds the tally if it disagrees with the
items (``flags.benchmark_flags_verify``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.db import connection
from django.db.models import Count, Q
from django.db.models.functions import Length

from annotation.answer_tally_triggers import ITEMS, LENGTH_SQL, TALLY, bucket_columns
from annotation.benchmark_locks import MutexPurpose, benchmark_mutex
from annotation.domain import lint
from annotation.domain.taxonomy import OPEN_TASKS, TASKS, YES_NO_TASKS, AnswerFormat, tasks_of
from annotation.models import AnswerTally, Benchmark, BenchmarkTaskCheck, QAItem, QualityFlag
from annotation.plain_sql import Statement, instances_of, model_columns, placeholders

CHOICE_TASKS = tasks_of(AnswerFormat.CHOICE)
BALANCE_KIND = {
    **dict.fromkeys(YES_NO_TASKS, QualityFlag.Kind.YES_NO_BALANCE),
    **dict.fromkeys(CHOICE_TASKS, QualityFlag.Kind.OPTION_POSITION_BALANCE),
}
OUTLIER = QualityFlag.Kind.ANSWER_LENGTH_OUTLIER
WIDE_KINDS = (QualityFlag.Kind.YES_NO_BALANCE, QualityFlag.Kind.OPTION_POSITION_BALANCE, OUTLIER)
FOLD_AFTER = 256  # tally rows of a task beyond one per bucket before lint folds them into one per bucket
KEEP = (QualityFlag.Status.OPEN, QualityFlag.Status.WAIVED)  # the flags a sync reads


@dataclass
class TaskTally:
    keys: Counter[str] = field(default_factory=Counter)  # answers of up to 3 characters -> items
    lengths: Counter[int] = field(default_factory=Counter)  # keyed answers: length -> items
    rows: int = 0

    def buckets(self) -> int:
        return len(self.keys) + len(self.lengths)


BALANCE_KINDS: list[str] = sorted(set(BALANCE_KIND.values()))


@dataclass
class WideCheck:
    """Findings of the benchmark-wide checks for some tasks, and the flags they replace: the balance flags
    of ``balance_keys`` (tasks), and the flags ``flag_ids`` (the outliers of tasks whose band moved)."""

    findings: list[lint.Finding]
    benchmark: Benchmark
    balance_keys: list[str]
    flag_ids: list[int]
    balance_kinds: list[str] = field(default_factory=lambda: BALANCE_KINDS)

    @property
    def scope(self) -> Q:
        # Each arm names the index it reads (the flags' (benchmark, status, kind), or their pk): an arm on
        # target_key alone would walk every flag of the benchmark.
        scope = Q(
            benchmark=self.benchmark, status__in=KEEP, kind__in=self.balance_kinds, target_key__in=self.balance_keys
        )
        return scope | Q(pk__in=self.flag_ids) if self.flag_ids else scope


def tally_statement(benchmark_id: int, tasks: Sequence[str]) -> Statement:
    """The tally of ``tasks`` summed by bucket in the database, and how many tally rows are behind each."""
    sql = (
        f"SELECT task, answer_key, answer_length, sum(items), count(*) FROM {TALLY} "
        f"WHERE benchmark_id = %s AND task IN ({placeholders(tasks)}) GROUP BY task, answer_key, answer_length"
    )
    return sql, [benchmark_id, *tasks]


def tallies_of(rows: Iterable[Sequence]) -> dict[str, TaskTally]:
    tallies: defaultdict[str, TaskTally] = defaultdict(TaskTally)
    for task, key, length, n, tally_rows in rows:
        tally = tallies[task]
        tally.rows += tally_rows
        if length <= AnswerTally.KEY_CHARS:
            tally.keys[key] += n
        if length > 0:
            tally.lengths[length] += n
    for tally in tallies.values():
        tally.keys, tally.lengths = +tally.keys, +tally.lengths  # drop buckets that emptied
    return tallies


def task_tallies(benchmark_id: int, tasks: Collection[str]) -> dict[str, TaskTally]:
    tasks = list(tasks)
    if not tasks:
        return {}
    sql, params = tally_statement(benchmark_id, tasks)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return tallies_of(cursor.fetchall())


CHECK_COLUMNS = model_columns(BenchmarkTaskCheck, ("id", "benchmark_id", "task", "length_median", "length_spread"))


def checks_statement(benchmark_id: int, tasks: Sequence[str]) -> Statement:
    sql = (
        f"SELECT {', '.join(CHECK_COLUMNS)} FROM {BenchmarkTaskCheck._meta.db_table} "
        f"WHERE benchmark_id = %s AND task IN ({placeholders(tasks)})"
    )
    return sql, [benchmark_id, *tasks]


def checks_of(rows: Sequence[Sequence]) -> dict[str, BenchmarkTaskCheck]:
    return {check.task: check for check in instances_of(BenchmarkTaskCheck, CHECK_COLUMNS, rows)}


def task_checks(
    benchmark: Benchmark, tasks: Collection[str], *, mutex_held: bool = False
) -> dict[str, BenchmarkTaskCheck]:
    """Take the benchmark's ``BENCHMARK_CHECKS`` mutex (unless the caller holds it), then read (creating them
    if need be) the check rows of ``tasks``. Call inside the transaction that syncs the flags, as its last lock."""
    if not mutex_held:
        benchmark_mutex(benchmark.pk, MutexPurpose.BENCHMARK_CHECKS)
    tasks = list(tasks)
    if not tasks:
        return {}
    sql, params = checks_statement(benchmark.pk, tasks)

    def read() -> dict[str, BenchmarkTaskCheck]:
        return checks_of(_rows(sql, params))

    checks = read()
    if len(checks) < len(tasks):
        missing = [BenchmarkTaskCheck(benchmark=benchmark, task=task) for task in sorted(set(tasks) - checks.keys())]
        BenchmarkTaskCheck.objects.bulk_create(missing, ignore_conflicts=True)
        checks = read()
    return checks


def _rows(sql: str, params: Sequence) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def balance_keys_of(tasks: Iterable[str]) -> list[str]:
    """The target keys of the task-level balance flags of ``tasks``."""
    return [f"task:{task}" for task in sorted(set(tasks)) if task in BALANCE_KIND]


def wide_check_of_clips(
    benchmark: Benchmark,
    tasks: Iterable[str],
    clip_items: Sequence[lint.LintedItem],
    *,
    mutex_held: bool = False,
    read: tuple[dict[str, BenchmarkTaskCheck], dict[str, TaskTally]] | None = None,
) -> WideCheck:
    """The balance findings of ``tasks`` and the length outliers among ``clip_items`` (plus every outlier of a
    task whose band moved), from the tally. Call inside the transaction that syncs the flags, last. ``read``:
    the check rows and tallies the caller read under the mutex, of these tasks and every open task."""
    open_in_clips = {item.task for item in clip_items if item.task in OPEN_TASKS}
    tasks = sorted(set(tasks) | open_in_clips)
    if not tasks:
        return WideCheck([], benchmark, [], [])  # nothing to check: no mutex, no flag in scope
    if read is not None and all(task in read[0] for task in tasks):
        checks, tallies = read
    else:
        checks = task_checks(benchmark, tasks, mutex_held=mutex_held)
        tallies = task_tallies(benchmark.pk, tasks)
    findings: list[lint.Finding] = []
    balance_keys = balance_keys_of(tasks)
    moved: list[str] = []
    for task in tasks:
        tally = tallies.get(task, TaskTally())
        if task in YES_NO_TASKS:
            findings += lint.yes_no_balance_findings({task: tally.keys})
        elif task in CHOICE_TASKS:
            findings += lint.key_letter_balance_findings({task: tally.keys})
        elif task in OPEN_TASKS:
            band = lint.length_band_of_counts(tally.lengths)
            if band is not None:
                keyed = [(item, len(item.answer)) for item in clip_items if item.task == task and item.answer]
                findings += lint.length_outlier_findings(task, keyed, band)
            if band_stored(checks[task], band):
                moved.append(task)
                findings += task_outlier_findings(benchmark, task, band)
        if tally.rows > tally.buckets() + FOLD_AFTER:
            tally_fold(benchmark.pk, task)
    flag_ids: list[int] = []
    if moved:
        flags = QualityFlag.objects.filter(benchmark=benchmark, source="lint", status__in=KEEP)
        flag_ids = list(flags.filter(kind=OUTLIER, item__task__in=moved).values_list("pk", flat=True))
    return WideCheck(findings, benchmark, balance_keys, flag_ids)


def band_moved(check: BenchmarkTaskCheck, band: lint.LengthBand | None) -> bool:
    """Whether ``band`` differs from the one the task's outlier flags were last synced against."""
    return (check.length_median, check.length_spread) != _band_values(band)


def band_stored(check: BenchmarkTaskCheck, band: lint.LengthBand | None) -> bool:
    """Keep ``band`` on the task's check row; whether it moved."""
    if not band_moved(check, band):
        return False
    check.length_median, check.length_spread = _band_values(band)
    check.save(update_fields=["length_median", "length_spread"])
    return True


def _band_values(band: lint.LengthBand | None) -> tuple[float | None, float | None]:
    return (band.median, band.spread) if band is not None else (None, None)


def bands_stored(checks: dict[str, BenchmarkTaskCheck], bands: dict[str, lint.LengthBand | None]) -> None:
    """Keep every open task's band, in one query whatever changed (the import's query count is fixed)."""
    for task, band in bands.items():
        checks[task].length_median, checks[task].length_spread = _band_values(band)
    BenchmarkTaskCheck.objects.bulk_update([checks[task] for task in bands], ["length_median", "length_spread"])


def ever_linted(benchmark: Benchmark) -> bool:
    return BenchmarkTaskCheck.objects.filter(benchmark=benchmark).exists()


def task_outlier_findings(benchmark: Benchmark, task: str, band: lint.LengthBand | None) -> list[lint.Finding]:
    """Every answer-length outlier of ``task``: the index on the answer length reads only the answers
    near or outside the band (a character of margin), the band's own test decides."""
    if band is None:
        return []
    low = max(band.median - band.spread + 1, lint.LENGTH_MIN_CHARS)
    near_edges = Q(n__gt=0) & (Q(n__lt=low) | Q(n__gt=band.median + band.spread - 1))
    rows = QAItem.objects.filter(benchmark=benchmark, task=task).annotate(n=Length("answer")).filter(near_edges)
    keyed = [
        (SimpleNamespace(id=pk, qid=qid, version=version), n)
        for pk, qid, version, n in rows.values_list("id", "qid", "version", "n")
    ]
    return lint.length_outlier_findings(task, keyed, band)


@dataclass
class FullCheck:
    balance: list[lint.Finding]  # the task-level findings
    outliers: dict[str, list[lint.Finding]]  # open task -> its answer-length outliers
    bands: dict[str, lint.LengthBand | None]
    tallies: dict[str, TaskTally]  # what the tally should hold, as far as the checks read it


def benchmark_findings_full(benchmark: Benchmark) -> FullCheck:
    """Yes/no balance, key-letter balance and open-answer lengths, from the items themselves (aggregates
    rather than whole rows)."""
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
    bands = {task: lint.length_band([n for _, n in lengths.get(task, [])]) for task in OPEN_TASKS}
    balance = lint.yes_no_balance_findings(yes_no) + lint.key_letter_balance_findings(letters)
    outliers = {
        task: lint.length_outlier_findings(task, keyed, band)
        for task, keyed in sorted(lengths.items())
        if (band := bands[task]) is not None
    }
    expected = {
        task: TaskTally(keys=Counter({k: n for k, n in counts.items() if len(k) <= AnswerTally.KEY_CHARS and n}))
        for task, counts in key_counts.items()
    }
    for task, keyed in lengths.items():
        expected[task] = TaskTally(lengths=Counter(n for _, n in keyed))
    return FullCheck(balance, outliers, bands, expected)


def tally_agrees(benchmark: Benchmark, expected: dict[str, TaskTally]) -> bool:
    """Whether the tally holds what the checks read from the items (keys of closed tasks, lengths of open ones)."""
    held = task_tallies(benchmark.pk, list(TASKS))
    for task in TASKS:
        mine, theirs = held.get(task, TaskTally()), expected.get(task, TaskTally())
        if task in OPEN_TASKS and mine.lengths != theirs.lengths:
            return False
        if task not in OPEN_TASKS and +Counter({k: n for k, n in mine.keys.items() if k}) != +Counter(
            {k: n for k, n in theirs.keys.items() if k}
        ):
            return False
    return True


def tally_fold(benchmark_id: int, task: str) -> None:
    """One row per bucket for the task's tally (the rows other transactions append meanwhile stay)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH gone AS (DELETE FROM {TALLY} WHERE benchmark_id = %s AND task = %s "
                "RETURNING answer_key, answer_length, items) "
                f"INSERT INTO {TALLY} (benchmark_id, task, answer_key, answer_length, items) "
                "SELECT %s, %s, answer_key, answer_length, sum(items) FROM gone "
                "GROUP BY answer_key, answer_length HAVING sum(items) <> 0",
                [benchmark_id, task, benchmark_id, task],
            )
            return
        cursor.execute(
            f"SELECT answer_key, answer_length, sum(items) FROM {TALLY} WHERE benchmark_id = %s AND task = %s "
            "GROUP BY answer_key, answer_length HAVING sum(items) <> 0",
            [benchmark_id, task],
        )
        folded = cursor.fetchall()
        cursor.execute(f"DELETE FROM {TALLY} WHERE benchmark_id = %s AND task = %s", [benchmark_id, task])
        cursor.executemany(
            f"INSERT INTO {TALLY} (benchmark_id, task, answer_key, answer_length, items) VALUES (%s, %s, %s, %s, %s)",
            [(benchmark_id, task, *row) for row in folded],
        )


def tally_rebuild(benchmark_id: int) -> None:
    """The benchmark's tally counted again from its items, in one statement (one snapshot) on PostgreSQL:
    rows appended by transactions still open survive, and their changes are not in the count."""
    vendor = connection.vendor
    count = (
        f"INSERT INTO {TALLY} (benchmark_id, task, answer_key, answer_length, items) "
        f"SELECT {bucket_columns('', LENGTH_SQL[vendor])}, count(*) FROM {ITEMS} WHERE benchmark_id = %s "
        "GROUP BY 1, 2, 3, 4"
    )
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(f"WITH gone AS (DELETE FROM {TALLY} WHERE benchmark_id = %s) {count}", [benchmark_id] * 2)
        else:
            cursor.execute(f"DELETE FROM {TALLY} WHERE benchmark_id = %s", [benchmark_id])
            cursor.execute(count, [benchmark_id])


def verified_scope(benchmark: Benchmark, moved: Collection[str]) -> Q:
    """The flags a release cut's recomputation replaces: the task-level ones, and the outliers of the
    tasks whose band moved."""
    flags = QualityFlag.objects.filter(benchmark=benchmark, source="lint", status__in=KEEP)
    scope = Q(benchmark=benchmark, status__in=KEEP, kind__in=sorted(set(BALANCE_KIND.values())))
    if moved:
        scope |= Q(pk__in=list(flags.filter(kind=OUTLIER, item__task__in=moved).values_list("pk", flat=True)))
    return scope
