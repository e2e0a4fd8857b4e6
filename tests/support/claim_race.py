"""Run as a process on the configured database: PEOPLE people each press Start twice at the same moment.

Prints JSON: the failures, and (person, slot) for every open claim afterwards. Used by the tests to
prove the one-claim-per-person rule on the embedded default (SQLite), where row locks do not exist.
"""

import json
import os
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mabench_site.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from annotation.models import Video  # noqa: E402
from annotation.services.audited_writes import Actor  # noqa: E402
from annotation.services.content import benchmark_create  # noqa: E402
from review.models import Queue, QueueSlot, User  # noqa: E402
from review.services import user_create  # noqa: E402
from review.services.claims import NothingToClaim, claim_next_id  # noqa: E402

RACE = Actor.machine("claim race")
PEOPLE, PRESSES = int(os.environ.get("PEOPLE", "25")), 2


def main() -> None:
    call_command("migrate", verbosity=0)
    benchmark = benchmark_create(name="race", actor=RACE)
    Video.objects.bulk_create(Video(benchmark=benchmark, clip_name=f"c{n:03d}") for n in range(PEOPLE * 2))
    people = [
        user_create(username=f"p{n}", password="pw-for-race-1", role=User.Role.ANNOTATOR, by=RACE)
        for n in range(PEOPLE)
    ]
    queue = Queue.objects.create(benchmark=benchmark, name="rush", created_by=people[0])
    videos = Video.objects.filter(benchmark=benchmark).order_by("clip_name")
    QueueSlot.objects.bulk_create(QueueSlot(queue=queue, video=v, copy=1, position=n) for n, v in enumerate(videos))
    barrier, failures = threading.Barrier(PEOPLE * PRESSES), []

    def press(person):
        try:
            barrier.wait()
            claim_next_id(queue=queue, user=person)
        except NothingToClaim as error:
            failures.append(f"{person.username}: {error}")
        except Exception as error:  # noqa: BLE001 - every failure is reported
            failures.append(f"{person.username}: {error!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(p,)) for p in people for _ in range(PRESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    held = list(QueueSlot.objects.filter(claimed_by__isnull=False).values_list("claimed_by__username", "pk"))
    print(json.dumps({"vendor": connection.vendor, "failures": failures, "held": held}))


if __name__ == "__main__":
    main()
