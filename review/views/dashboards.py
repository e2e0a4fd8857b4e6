"""Dashboards (admins): a benchmark's state and progress, and each queue's people, as SVG charts and tables."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from annotation.domain.transitions import ReviewStatus
from annotation.models import Benchmark
from review.agreement_report import agreement_by_queue, agreement_by_task, agreement_of_queue
from review.dashboard_charts import horizontal_bars, stacked_bars, timeline
from review.models import Queue, QueueSlot, Review
from review.permissions import is_admin_role, role_required
from review.selectors import human_accuracy_by_task, progress, queues_with_progress
from review.selectors.anchoring import anchoring_by_person_and_task
from review.selectors.evidence_spans import evidence_span_summary

admin_only = role_required(is_admin_role)
DECISIONS = Review.Decision
# a decision's colour says what it is: accept green, fix amber, reject red
DECISION_COLOURS = {DECISIONS.ACCEPT: "#2e9e5b", DECISIONS.FIX: "#d9822b", DECISIONS.REJECT: "#b23a48"}


def _status_chart(benchmark: Benchmark) -> dict:
    table = progress.items_by_tier_and_status(benchmark=benchmark)
    series = [(label, [table[tier][status] for tier in table]) for status, label in ReviewStatus.choices]
    return stacked_bars(list(table), series, label="Questions by tier and review status")


def _balance_chart(benchmark: Benchmark) -> dict:
    balance = progress.key_balance(benchmark=benchmark)
    series = [
        (label or "(no key)", [balance[task][label] for task in balance]) for label in progress.key_labels(balance)
    ]
    return stacked_bars(list(balance), series, label="Answer keys per task", percent=True)


def _people_charts(people: list[progress.PersonStats]) -> dict:
    names = [p.username for p in people]
    decisions = [(label, [getattr(p, value) for p in people]) for value, label in DECISIONS.choices]
    return {
        "done": horizontal_bars([(p.username, p.reviews) for p in people], label="Questions reviewed per person"),
        "decisions": stacked_bars(
            names,
            decisions,
            label="Decisions per person",
            percent=True,
            colours=[DECISION_COLOURS[value] for value in DECISIONS.values],
        ),
    }


@require_GET
@admin_only
def benchmark_dashboard(request, pk: int):
    benchmark = get_object_or_404(Benchmark, pk=pk)
    reviews = Review.objects.filter(item__benchmark=benchmark)
    people = progress.stats_by_person(reviews=reviews, slots=QueueSlot.objects.filter(queue__benchmark=benchmark))
    return render(
        request,
        "review/admin/benchmark_dashboard.html",
        {
            "benchmark": benchmark,
            "status_chart": _status_chart(benchmark),
            "flags_chart": horizontal_bars(progress.flags_by_kind(benchmark=benchmark), label="Open flags by kind"),
            "balance_chart": _balance_chart(benchmark),
            "timeline_chart": timeline(progress.reviews_per_day(reviews=reviews), label="Reviews per day and in all"),
            "queues": queues_with_progress(benchmark=benchmark),
            "agreement_tasks": agreement_by_task(benchmark=benchmark),
            "agreement_queues": agreement_by_queue(benchmark=benchmark),
            "human_accuracy": human_accuracy_by_task(benchmark),
            "evidence_spans": evidence_span_summary(benchmark_id=benchmark.pk),
            "people": people,
            "people_charts": _people_charts(people),
            "anchoring": anchoring_by_person_and_task(reviews=reviews),
        },
    )


@require_GET
@admin_only
def queue_dashboard(request, queue_id: int):
    queue = get_object_or_404(Queue.objects.select_related("benchmark"), pk=queue_id)
    reviews = Review.objects.filter(slot__queue=queue)
    people = progress.stats_by_person(reviews=reviews, slots=queue.slots.all())
    [queue_progress] = queues_with_progress(benchmark=queue.benchmark, only=queue)
    agreement = agreement_of_queue(queue=queue)
    return render(
        request,
        "review/admin/queue_dashboard.html",
        {
            "queue": queue_progress,
            "people": people,
            "totals": progress.queue_totals(people, reviews=reviews),
            "people_charts": _people_charts(people),
            "timeline_chart": timeline(progress.reviews_per_day(reviews=reviews), label="Reviews per day and in all"),
            "agreement_rows": [agreement] if agreement.decisions.measured else [],
            "anchoring": anchoring_by_person_and_task(reviews=reviews),
        },
    )
