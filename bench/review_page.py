"""Server time of the review page and of a decision save, and the page's SQL query count.

Targets (issue 5): with 12,000 items on 1,000 clips in PostgreSQL the page's median under
30 ms and its number of SQL queries fixed (the same for a clip of 6 or 12 questions, in a
small or the full database); a decision save under 20 ms. Server time is measured in
process with the Django test client (no network), by URL name (review-slot, review-answer,
review-decide), so the bench follows the page as it grows. Two model runs' predictions are
imported, so revealed cards show predictions and flags.

An annotator works through clips of a blind queue as in the browser: start (claim), open
the page, answer every closed question blind, reload, then per question accept and a reload.

    scripts/with_test_services.py .venv/bin/python bench/review_page.py
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from throwaway_database import refresh_planner_statistics, throwaway_database

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from annotation.models import QAItem  # noqa: E402
from annotation.services.external_predictions import predictions_import  # noqa: E402
from annotation.domain.taxonomy import TASKS, AnswerFormat  # noqa: E402
from latency_summary import summary_ms  # noqa: E402
from sql_summary import statements_brief  # noqa: E402
from review.models import Queue, User  # noqa: E402
from review.services.claims import claim_next  # noqa: E402
from review.services.queues import queue_create  # noqa: E402
from synthetic_benchmark import synthetic_benchmark_import  # noqa: E402

CLIPS_TIMED = 25  # x 12 questions: 300 saves, 325 page loads
HTMX = {"HX-Request": "true"}


class Bench:
    """One benchmark with predictions, a blind and an open queue, and the people to claim from them."""

    def __init__(self, name: str, clips: int, *, drop: int = 0):
        self.benchmark = synthetic_benchmark_import(name, clips, drop=drop)
        for model in ("model-a", "model-b"):
            predictions_import(benchmark=self.benchmark, name=model, content=self._predictions(model), file="p.json")
        self.admin = User.objects.create(username=f"{name}-admin", role=User.Role.ADMIN)
        self.queues = {
            blind: queue_create(
                benchmark=self.benchmark,
                name=f"blind {blind}",
                created_by=self.admin,
                stage=Queue.Stage.FIRST_PASS if blind else Queue.Stage.VERIFICATION,
                blind=blind,
                order=Queue.Order.CLIP,
            )
            for blind in (True, False)
        }

    def _predictions(self, seed: str) -> bytes:
        rng = random.Random(seed)
        answers = [
            {"qid": qid, "pred_answer": rng.choice("ABCDE") if options else rng.choice(["Yes", "No"])}
            for qid, options in QAItem.objects.filter(benchmark=self.benchmark).values_list("qid", "options")
        ]
        return json.dumps({"answers": answers}).encode()

    def person(self, username: str, *, blind: bool) -> tuple[Client, object]:
        """A new annotator of the queue, logged in, holding its next clip (clip order: the first free one)."""
        user = User.objects.create(username=username, role=User.Role.ANNOTATOR)
        self.queues[blind].annotators.add(user)
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(user)
        return client, claim_next(queue=self.queues[blind], user=user)


def page_queries(client: Client, slot) -> list[str]:
    """The statements of a page load, on a revisit: the first visit also saves the session (when the page
    notes when each question was first seen), which would count 3 statements that are not the page's."""
    client.get(reverse("review-slot", args=[slot.pk]))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("review-slot", args=[slot.pk]))
    assert response.status_code == 200, response.status_code
    return [q["sql"] for q in queries]


def shape(sql: str) -> str:
    """The statement with its values and column list taken out: the same query on another row counts as the same."""
    sql = re.sub(r"^SELECT .*? FROM ", "SELECT ... FROM ", sql)
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+\b", "?", sql)
    return re.sub(r"IN \((?:\?, )*\?\)", "IN (...)", sql)  # one statement whatever the list's length


def query_counts(people: dict, label: str) -> list[tuple[str, int, int]]:
    """(row label, queries of the blind page before answering, queries with answers and keys shown) per clip kind."""
    rows = []
    for kind in people:
        blind, shown = (page_queries(*people[kind][b]) for b in (True, False))
        rows.append((f"{label} db ({QAItem.objects.count():,} items), {kind}", len(blind), len(shown)))
    return rows


def growth(six: list[str], twelve: list[str]) -> list[str]:
    """The statements that run more often on the 12-question page than on the 6-question one."""
    a, b = Counter(map(shape, six)), Counter(map(shape, twelve))
    return [f"  {a[s]} -> {b[s]}: {s}" for s in b if b[s] > a[s]]


def timed(fn, cpu: list[float] | None = None) -> float:
    """Wall seconds of one request; its CPU seconds in this process (Django, not PostgreSQL) go to ``cpu``."""
    start, start_cpu = time.perf_counter(), time.process_time()
    response = fn()
    seconds = time.perf_counter() - start
    if cpu is not None:
        cpu.append(time.process_time() - start_cpu)
    if response.status_code != 200:
        sys.exit(f"{response.request['PATH_INFO']} answered HTTP {response.status_code}")
    return seconds


def work_through_clips(bench: Bench) -> dict[str, list[float]]:
    """One annotator reviews CLIPS_TIMED clips of the blind queue from start to finish."""
    client, _ = bench.person("worker", blind=True)
    queue, samples = bench.queues[True], {name: [] for name in ("page", "answer", "decide", "page cpu", "decide cpu")}
    for _ in range(CLIPS_TIMED):
        response = client.post(reverse("queue-start", args=[queue.pk]))
        slot_id = int(re.fullmatch(r"/review/(\d+)/", response["Location"]).group(1))
        page = reverse("review-slot", args=[slot_id])
        samples["page"].append(timed(lambda page=page: client.get(page), samples["page cpu"]))
        items = list(QAItem.objects.filter(video__queue_slots=slot_id).order_by("qid"))
        for item in items:  # the blind look first: every closed question answered from the video
            if TASKS[item.task].answer_format != AnswerFormat.OPEN:
                answer = "A" if item.options else "Yes"
                samples["answer"].append(
                    timed(
                        lambda slot_id=slot_id, item=item, answer=answer: client.post(
                            reverse("review-answer", args=[slot_id, item.pk]), {"answer": answer}, headers=HTMX
                        )
                    )
                )
        samples["page"].append(timed(lambda page=page: client.get(page), samples["page cpu"]))  # keys shown now
        for item in items:
            samples["decide"].append(
                timed(
                    lambda slot_id=slot_id, item=item: client.post(
                        reverse("review-decide", args=[slot_id, item.pk]),
                        {"decision": "accept", "version": item.version},
                        headers=HTMX,
                    ),
                    samples["decide cpu"],
                )
            )
            samples["page"].append(timed(lambda page=page: client.get(page), samples["page cpu"]))
    return samples


def decide_queries(client: Client, slot) -> str:
    item = QAItem.objects.filter(video_id=slot.video_id).order_by("qid").first()
    with CaptureQueriesContext(connection) as queries:
        timed(
            lambda: client.post(
                reverse("review-decide", args=[slot.pk, item.pk]),
                {"decision": "accept", "version": item.version},
                headers=HTMX,
            )
        )
    return f"{len(queries)} ({statements_brief(queries)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--clips", type=int, default=1000, help="clips of the big benchmark (20500: MA-Bench-Train's size)"
    )
    args = parser.parse_args()
    load = os.getloadavg()[0]  # before our own work: what else the machine was doing
    with throwaway_database() as db:
        if db.vendor != "postgresql":
            sys.exit("bench/review_page.py needs PostgreSQL (run it with `make bench`)")
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # else WhiteNoise warns
        small = Bench("small", 10, drop=6)  # claimed in clip order: its first clip has 6 questions, the next 12
        people = {
            kind: {b: small.person(f"small-{n}-{b}", blind=b) for b in (True, False)}
            for n, kind in enumerate(("6 questions", "12 questions"))
        }
        rows = query_counts(people, "small")
        full = Bench("full", args.clips)
        refresh_planner_statistics()
        rows += query_counts(people, "full")
        full_clip = {b: full.person(f"full-{b}", blind=b) for b in (True, False)}
        rows += query_counts({f"12 questions, {args.clips:,}-clip benchmark": full_clip}, "full")
        print(
            f"database: {db.vendor}; {QAItem.objects.filter(benchmark=full.benchmark).count():,} items on "
            f"{args.clips:,} clips (+ a small benchmark of 10 clips); 2 model runs' predictions; blind queue; "
            f"load average {load:.1f} at start on {os.cpu_count()} cores"
        )
        samples = work_through_clips(full)
        cpu = {name: statistics.median(samples[f"{name} cpu"]) * 1000 for name in ("page", "decide")}
        print(
            f"review page GET (a clip of 12 questions at every stage of its review): {summary_ms(samples['page'])}; "
            f"Django CPU median {cpu['page']:.1f} ms"
        )
        print(
            f"decision save (POST review-decide, accept): {summary_ms(samples['decide'])}; "
            f"Django CPU median {cpu['decide']:.1f} ms"
        )
        print(f"blind answer (POST review-answer): {summary_ms(samples['answer'])}")
        print(f"SQL queries per decision save: {decide_queries(*full_clip[False])}")
        report_queries(rows, people)


def report_queries(rows: list[tuple[str, int, int]], people: dict) -> None:
    print(f"SQL queries per review page{'':<46} blind, unanswered   answers and keys shown")
    for label, blind, shown in rows:
        print(f"  {label:<70} {blind:>6} {shown:>18}")
    fixed = len({blind for _, blind, _ in rows}) == 1 and len({shown for _, _, shown in rows}) == 1
    print(f"query count: {'FIXED' if fixed else 'GROWS'}")
    if not fixed:
        for blind in (True, False):
            extra = growth(page_queries(*people["6 questions"][blind]), page_queries(*people["12 questions"][blind]))
            print(f"statements run more often with 12 questions than with 6 ({'blind' if blind else 'keys shown'}):")
            print("\n".join(extra) or "  none")


if __name__ == "__main__":
    main()
