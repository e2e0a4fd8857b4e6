"""Server time of the review page and of a decision save, and the page's SQL query count.

Targets (issue 22): at 1,000 and at 20,500 clips (``--clips 20500``) the page's median under
10 ms of server time with its number of SQL queries fixed (the same for a clip of 6 or 12
questions, in a small or the full database); a decision save under 8 ms of server CPU. Server
time is measured in process with the Django test client (no network), by URL name
(review-slot, review-answer, review-decide), so the bench follows the page as it grows; each
figure is printed with its CPU in this process (``time.process_time``: Django, not
PostgreSQL) and beside floors measured in the same run (healthz: a minimal view through the
same middleware; the 404 of the page's and the save's own URL). Two model runs'
predictions are imported, so revealed cards show predictions and flags.

An annotator works through clips of a blind queue as in the browser: start (claim), open
the page, answer every closed question blind, reload, then per question accept and a reload.

    scripts/with_test_services.py .venv/bin/python bench/review_page.py
"""

from __future__ import annotations

import argparse
import json
import logging
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


def timed(fn, cpu: list[float] | None = None, *, status: int = 200) -> float:
    """Wall seconds of one request; its CPU seconds in this process (Django, not PostgreSQL) go to ``cpu``."""
    start, start_cpu = time.perf_counter(), time.process_time()
    response = fn()
    seconds = time.perf_counter() - start
    if cpu is not None:
        cpu.append(time.process_time() - start_cpu)
    if response.status_code != status:
        sys.exit(f"{response.request['PATH_INFO']} answered HTTP {response.status_code}")
    return seconds


FLOORS = ("healthz", "page 404", "decide 404")


def floors(client: Client, slot_id: int, item_id: int, samples: dict[str, list[float]]) -> None:
    """The floors beside each timed request, in the same run: a minimal view through the same middleware stack
    (healthz: one SELECT 1), and the 404 of the page's and the save's own URL (session, user, the slot lookup)."""
    missing = 10**9
    logging.getLogger("django.request").setLevel(logging.ERROR)  # a "Not Found" line per floor request otherwise
    requests = {
        "healthz": (lambda: client.get(reverse("healthz")), 200),
        "page 404": (lambda: client.get(reverse("review-slot", args=[missing])), 404),
        "decide 404": (
            lambda: client.post(
                reverse("review-decide", args=[slot_id, missing]), {"decision": "accept"}, headers=HTMX
            ),
            404,
        ),
    }
    for name, (fn, status) in requests.items():
        samples[name].append(timed(fn, samples[f"{name} cpu"], status=status))


def work_through_clips(bench: Bench) -> dict[str, list[float]]:
    """One annotator reviews CLIPS_TIMED clips of the blind queue from start to finish."""
    client, _ = bench.person("worker", blind=True)
    names = ("page", "answer", "decide", *FLOORS)
    queue, samples = bench.queues[True], {key: [] for name in names for key in (name, f"{name} cpu")}
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
                        ),
                        samples["answer cpu"],
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
            floors(client, slot_id, item.pk, samples)
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
        print(f"load average {os.getloadavg()[0]:.1f} at the end of the timed work")
        cpu = {name: statistics.median(samples[f"{name} cpu"]) * 1000 for name in ("page", "decide", "answer", *FLOORS)}
        for name, what in (
            ("page", "review page GET (a clip of 12 questions at every stage of its review)"),
            ("decide", "decision save (POST review-decide, accept)"),
            ("answer", "blind answer (POST review-answer)"),
            ("healthz", "floor: GET healthz (a minimal view, the same middleware, logged in)"),
            ("page 404", "floor: GET review-slot of a slot that does not exist (404)"),
            ("decide 404", "floor: POST review-decide of an item that does not exist (404)"),
        ):
            print(f"{what}: {summary_ms(samples[name])}; Django CPU median {cpu[name]:.1f} ms")
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
