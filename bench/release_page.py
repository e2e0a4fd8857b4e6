"""Server time and SQL query count of the release page, beside its floors measured in the same run.

Target (issue 16): the release page of a 12,000-item benchmark, with a realistic share of
blockers, renders in under 100 ms server time with a fixed number of queries. Two benchmarks,
1,008 items (84 clips) and 12,000 (1,000 clips), are imported, accepted and released twice (v1;
v2 after 2 % of the items were excluded through the audited path, so its datasheet lists them),
then pushed back into review (a bench shortcut: one UPDATE): 5 % never reviewed, 3 % rejected,
2 % waiting for adjudication, and every flag lint raised at import open again. Server time is
measured in process with the Django test client (no network), by URL name, as an admin.

Floors, each timed in the same run, alternating with the page:
- the same URL for a benchmark that does not exist (404): session, login and routing;
- the page's own SQL statements, captured from one request and run raw (a cursor, no ORM);
- the page's template rendered from the context of one request, built once.

    scripts/with_test_services.py .venv/bin/python bench/release_page.py
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

from throwaway_database import refresh_planner_statistics, throwaway_database

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from annotation.models import QAItem, QualityFlag  # noqa: E402
from annotation.services.audited_writes import Actor  # noqa: E402
from annotation.services.content import review_status_set  # noqa: E402
from annotation.services.releases import release_blockers, release_create  # noqa: E402
from latency_summary import summary_ms  # noqa: E402
from sql_summary import statements_brief  # noqa: E402
from review.models import User  # noqa: E402
from review.views import releases as release_views  # noqa: E402
from synthetic_benchmark import synthetic_benchmark_import  # noqa: E402

ROUNDS = 40
SHARES = {"excluded": 0.02, "imported": 0.05, "rejected": 0.03, "needs_adjudication": 0.02}


def prepared(name: str, clips: int, admin: User):
    """A benchmark released twice, then partly back in review, with its lint flags open."""
    benchmark = synthetic_benchmark_import(name, clips)
    items = QAItem.objects.filter(benchmark=benchmark)
    items.update(review_status="accepted")
    QualityFlag.objects.filter(benchmark=benchmark).update(status="waived", waived_reason="bench")
    release_create(benchmark=benchmark, tag="v1", user=admin)
    ids = list(items.order_by("id").values_list("pk", flat=True))
    rng = random.Random(name)
    rng.shuffle(ids)
    cuts, start = {}, 0
    for status, share in SHARES.items():
        cuts[status], start = ids[start : start + round(share * len(ids))], start + round(share * len(ids))
    for pk in cuts["excluded"]:  # through the one write path: the datasheet reads who and why from the trail
        review_status_set(
            model=QAItem, pk=pk, status="excluded", actor=Actor.person(admin), expected_version=None, reason="bench"
        )
    release_create(benchmark=benchmark, tag="v2", user=admin)
    for status in ("imported", "rejected", "needs_adjudication"):
        QAItem.objects.filter(pk__in=cuts[status]).update(review_status=status)
    QualityFlag.objects.filter(benchmark=benchmark).update(status="open", waived_reason="", closed_at=None)
    return benchmark


def timed(fn, cpu: list[float] | None = None) -> float:
    start, start_cpu = time.perf_counter(), time.process_time()
    fn()
    seconds = time.perf_counter() - start
    if cpu is not None:
        cpu.append(time.process_time() - start_cpu)
    return seconds


def page_context(client: Client, url: str) -> dict:
    """The context the page renders, caught on its way to the template."""
    caught = {}
    render = release_views.render

    def catch(request, template, context, status=200):
        caught.update(context)
        return render(request, template, context, status=status)

    release_views.render = catch
    try:
        client.get(url)
    finally:
        release_views.render = render
    return caught


def measure(client: Client, benchmark) -> dict:
    url = reverse("benchmark-releases", args=[benchmark.pk])
    missing = reverse("benchmark-releases", args=[10**9])
    response = client.get(url)
    if response.status_code != 200:
        sys.exit(f"{url} answered HTTP {response.status_code}")
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    queries = list(queries.captured_queries)  # the next request empties the connection's log
    statements = [q["sql"] for q in queries]
    context = page_context(client, url)

    def raw_sql():
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()

    def page():
        if client.get(url).status_code != 200:
            sys.exit(f"{url} failed")

    samples = {name: [] for name in ("page", "page cpu", "404", "sql", "template")}
    for _ in range(ROUNDS):  # alternating: a busy machine slows page and floors alike
        samples["page"].append(timed(page, samples["page cpu"]))
        samples["404"].append(timed(lambda: client.get(missing)))
        samples["sql"].append(timed(raw_sql))
        samples["template"].append(timed(lambda: render_to_string(release_views.PAGE, context)))
    blockers = release_blockers(benchmark=benchmark)
    return {
        "samples": samples,
        "queries": queries,
        "blockers": len(blockers),
        "kinds": len(context["groups"]),
        "releases": len(context["releases"]),
        "items": QAItem.objects.filter(benchmark=benchmark).count(),
    }


def report(m: dict) -> None:
    s = m["samples"]
    print(
        f"release page, {m['items']:,} items: {m['blockers']:,} blockers in {m['kinds']} kinds "
        f"({100 * m['blockers'] / m['items']:.1f} % of the items), {m['releases']} releases"
    )
    print(
        f"  GET benchmark-releases                              {summary_ms(s['page'])}; "
        f"Django CPU median {1000 * statistics.median(s['page cpu']):.1f} ms; {len(m['queries'])} queries"
    )
    print(f"  floor: same URL, no such benchmark (404)            {summary_ms(s['404'])}")
    print(f"  floor: the page's {len(m['queries'])} statements run raw            {summary_ms(s['sql'])}")
    print(f"  floor: its template from a context built once       {summary_ms(s['template'])}")
    print(f"  statements: {statements_brief(m['queries'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=1000, help="clips of the big benchmark (12 questions each)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with throwaway_database() as db:
        if db.vendor != "postgresql":
            sys.exit("bench/release_page.py needs PostgreSQL (run it with `make bench`)")
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # else WhiteNoise warns
        admin = User.objects.create(username="bench-admin", role=User.Role.ADMIN)
        small = prepared("bench: 1k", 84, admin)
        full = prepared("bench: 12k", args.clips, admin)
        refresh_planner_statistics()
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(admin)
        print(f"database: {db.vendor}; load average {load:.1f} at start on {os.cpu_count()} cores")
        results = [measure(client, small), measure(client, full)]
        for result in results:
            report(result)
        counts = [len(r["queries"]) for r in results]
        print(f"query count: {'FIXED' if len(set(counts)) == 1 else 'GROWS'} ({' and '.join(map(str, counts))})")
        median = 1000 * statistics.median(results[1]["samples"]["page"])
        print(f"target: the big page under 100 ms: {'MET' if median < 100 else 'MISSED'} ({median:.1f} ms)")


if __name__ == "__main__":
    main()
