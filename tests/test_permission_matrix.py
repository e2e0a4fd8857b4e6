"""Every URL of the project, for every kind of person: what they get.

The test walks the URL resolver, so a new URL fails ``test_every_url_is_in_the_matrix``
until a row below says who may use it. People: anonymous, "own" (an annotator of the
queue, holding the claim the URLs point at), "other" (an annotator of another queue),
a reviewer and an admin. Sample objects come from the ``world`` fixture. Django's own
admin site (``admin/...``) is one row: only admins get in, everyone else is sent to log in.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.urls import URLResolver, get_resolver, resolve

from annotation.models import BaselineRun, ImportJob, Prediction, QAItem, QualityFlag, Video
from annotation.services.audited_writes import Actor
from annotation.services.content import review_status_set, video_register
from annotation.services.releases import release_create
from review.models import User
from review.services.claims import claim_next
from review.services.queues import queue_create

LOGIN = "login"  # a redirect to a login page
ROLES = ("anonymous", "own", "other", "reviewer", "admin")
ADMIN_SITE = "admin/*"


def _row(method: str, anonymous, own, other, reviewer, admin, *, kwargs=None, data=None) -> dict:
    return {
        "method": method,
        "kwargs": kwargs or {},
        "data": data or {},
        "expect": dict(zip(ROLES, (anonymous, own, other, reviewer, admin), strict=True)),
    }


def _page(**kw):  # admins and reviewers read content
    return _row("GET", LOGIN, 403, 403, 200, 200, **kw)


def _admin_page(method="GET", ok=200, **kw):
    return _row(method, LOGIN, 403, 403, 403, ok, **kw)


def _api(method="GET", ok=200, reviewer=None, **kw):
    return _row(method, 403, 403, 403, ok if reviewer is None else reviewer, ok, **kw)


SLOT = {"slot_id": "slot"}
ITEM_OF_SLOT = {"slot_id": "slot", "item_id": "item"}
CLIP = {"video_id": "video"}
MATRIX = {
    "accounts/login/": _row("GET", 200, 302, 302, 302, 302),
    "accounts/logout/": _row("POST", LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),
    "accounts/password/": _row("GET", LOGIN, 200, 200, 200, 200),
    ADMIN_SITE: {"expect": dict.fromkeys(ROLES[:4], LOGIN) | {"admin": "in"}},
    # The admin's login form tells non-admins they may not enter; its logout sends non-admins to the admin index.
    "admin/login/": _row("GET", 200, 200, 200, 200, 302),
    "admin/logout/": _row("POST", 302, 302, 302, 302, LOGIN),
    "": _row("GET", LOGIN, 200, 200, 200, 200),
    "healthz": _row("GET", 200, 200, 200, 200, 200),
    "benchmarks/<pk>/": _page(kwargs={"pk": "benchmark"}),
    "benchmarks/<pk>/report/": _page(kwargs={"pk": "benchmark"}),
    # Excluding / including questions and waiving flags: reviewers and admins (a post without a reason: 400).
    "benchmarks/<pk>/items/status/": _row("POST", LOGIN, 403, 403, 400, 400, kwargs={"pk": "benchmark"}),
    # Balancing key letters by reordering options: admins only (the page plans; a post confirms one task).
    "benchmarks/<pk>/options/rebalance/": _admin_page(kwargs={"pk": "benchmark"}),
    "items/<item_id>/exclude/": _row("POST", LOGIN, 403, 403, 400, 400, kwargs={"item_id": "item"}),
    "items/<item_id>/include/": _row("POST", LOGIN, 403, 403, 400, 400, kwargs={"item_id": "item"}),
    "clips/<video_id>/exclude/": _row("POST", LOGIN, 403, 403, 400, 400, kwargs=CLIP),
    "clips/<video_id>/include/": _row("POST", LOGIN, 403, 403, 400, 400, kwargs=CLIP),
    "flags/<flag_id>/waive/": _row("POST", LOGIN, 403, 403, 400, 400, kwargs={"flag_id": "flag"}),
    "flags/<flag_id>/unwaive/": _row("POST", LOGIN, 403, 403, 400, 400, kwargs={"flag_id": "flag"}),
    # The release page: reviewers read it (blockers, releases, diffs, downloads); only admins cut (an empty form: 400).
    "benchmarks/<pk>/releases/": _page(kwargs={"pk": "benchmark"}),
    "benchmarks/<pk>/releases/cut/": _admin_page("POST", 400, kwargs={"pk": "benchmark"}),
    # A release's datasheet page: whoever reads the release page reads it.
    "benchmarks/<pk>/releases/<release_id>/datasheet/": _page(kwargs={"pk": "benchmark", "release_id": "release"}),
    # The annotator's path: only people assigned start; only the claimer (and admins) open the claim.
    "queues/<queue_id>/start/": _row("POST", LOGIN, 302, 403, 403, 403, kwargs={"queue_id": "queue"}),
    "review/<slot_id>/": _row("GET", LOGIN, 200, 403, 403, 200, kwargs=SLOT),
    "review/<slot_id>/clip.mp4": _row("GET", LOGIN, 200, 403, 403, 200, kwargs=SLOT),
    "review/<slot_id>/items/<item_id>/": _row("GET", LOGIN, 200, 403, 403, 200, kwargs=ITEM_OF_SLOT),
    # the world's clip has no frames yet: the claimer gets past the check, to a 404
    "review/<slot_id>/frames/<index>.jpg": _row("GET", LOGIN, 404, 403, 403, 404, kwargs=SLOT | {"index": "frame"}),
    "review/<slot_id>/caption/": _row("POST", LOGIN, 400, 403, 403, 400, kwargs=SLOT),
    # undo: the holder has decided nothing yet (409, nothing to undo); an admin holds no claim (409)
    "review/<slot_id>/undo/": _row("POST", LOGIN, 409, 403, 403, 409, kwargs=SLOT),
    # skip without a reason: 400 before anything else (a reason is required)
    "review/<slot_id>/skip/": _row("POST", LOGIN, 400, 403, 403, 400, kwargs=SLOT),
    # refused (409) before anything is parsed: the holder has not answered blind yet; an admin holds no claim
    "review/<slot_id>/predictions/<prediction_id>/score/": _row(
        "POST", LOGIN, 409, 403, 403, 409, kwargs=SLOT | {"prediction_id": "prediction"}
    ),
    "review/<slot_id>/heartbeat/": _row("POST", LOGIN, 200, 403, 403, 409, kwargs=SLOT),
    "review/<slot_id>/items/<item_id>/answer/": _row("POST", LOGIN, 400, 403, 403, 400, kwargs=ITEM_OF_SLOT),
    "review/<slot_id>/items/<item_id>/decide/": _row("POST", LOGIN, 400, 403, 403, 400, kwargs=ITEM_OF_SLOT),
    # Queue admin and dashboards: admins only.
    "queues/": _admin_page(),
    "imports/": _admin_page(),
    "imports/<job_id>/": _admin_page(kwargs={"job_id": "import_job"}),
    "benchmarks/<pk>/queues/new/": _admin_page(kwargs={"pk": "benchmark"}),
    "benchmarks/<pk>/queues/bulk/": _admin_page(kwargs={"pk": "benchmark"}),
    "queues/<queue_id>/manage/": _admin_page(kwargs={"queue_id": "queue"}),
    "queues/<queue_id>/annotators/": _admin_page("POST", 302, kwargs={"queue_id": "queue"}),
    "queues/<queue_id>/pause/": _admin_page("POST", 302, kwargs={"queue_id": "queue"}, data={"paused": "1"}),
    "queues/<queue_id>/slots/<slot_id>/release/": _admin_page(
        "POST", 302, kwargs={"queue_id": "queue", "slot_id": "slot"}
    ),
    "benchmarks/<pk>/dashboard/": _admin_page(kwargs={"pk": "benchmark"}),
    "queues/<queue_id>/dashboard/": _admin_page(kwargs={"queue_id": "queue"}),
    # The read-only clip view, its player and media: reviewers and admins (a clip held blind is a 404: test_clip_view).
    "clips/<video_id>/": _page(kwargs=CLIP),
    "clips/<video_id>/player/": _page(kwargs=CLIP),
    "clips/<video_id>/clip.mp4": _page(kwargs=CLIP),
    # the world's clip has no frames yet: reviewers and admins get past the checks, to a 404
    "clips/<video_id>/frames/<index>.jpg": _row("GET", LOGIN, 403, 403, 404, 404, kwargs=CLIP | {"index": "frame"}),
    # Adjudication: reviewers and admins (an empty form is refused with 400).
    "adjudication/": _page(),
    "adjudication/items/<item_id>/": _row("POST", LOGIN, 403, 403, 400, 400, kwargs={"item_id": "item"}),
    "adjudication/items/<item_id>/exclude/": _row("POST", LOGIN, 403, 403, 400, 400, kwargs={"item_id": "item"}),
    # API: content for reviewers and admins; writes for admins (reviewers may waive flags and withdraw waivers,
    # and exclude and include items).
    "api/": _row("GET", 403, 200, 200, 200, 200),
    "api/imports/": _api("POST", 400, reviewer=403),
    "api/imports/<pk>/": _api(reviewer=403, kwargs={"pk": "import_job"}),
    "api/schema/": _row("GET", 403, 200, 200, 200, 200),
    "api/docs/": _row("GET", 403, 200, 200, 200, 200),
    "api/benchmarks/": _api(),
    "api/benchmarks/<pk>/": _api(kwargs={"pk": "benchmark"}),
    "api/videos/": _api(),
    "api/videos/<pk>/": _api(kwargs={"pk": "video"}),
    "api/videos/<pk>/exclude/": _api("POST", 400, kwargs={"pk": "video"}),
    "api/videos/<pk>/include/": _api("POST", 400, kwargs={"pk": "video"}),
    "api/items/": _api(),
    "api/items/<pk>/": _api(kwargs={"pk": "item"}),
    "api/items/<pk>/exclude/": _api("POST", 400, kwargs={"pk": "item"}),
    "api/items/<pk>/include/": _api("POST", 400, kwargs={"pk": "item"}),
    "api/flags/": _api(),
    "api/flags/<pk>/": _api(kwargs={"pk": "flag"}),
    "api/flags/<pk>/waive/": _api("POST", 400, kwargs={"pk": "flag"}),
    "api/flags/<pk>/unwaive/": _api("POST", 400, kwargs={"pk": "flag"}),
    "api/releases/": _api(),
    "api/releases/<pk>/": _api(kwargs={"pk": "release"}),
    "api/releases/<pk>/diff/": _api(kwargs={"pk": "release"}, data={"against": "v1"}),
    "api/releases/<pk>/datasheet/": _api(kwargs={"pk": "release"}),
    "api/releases/<pk>/export/": _api(kwargs={"pk": "release"}),
    "api/runs/": _api(),
    "api/runs/<pk>/": _api(kwargs={"pk": "run"}),
    "api/runs/<pk>/predictions/": _api(kwargs={"pk": "run"}),
}


def _url_patterns(patterns=None, prefix=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _url_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback


def _normalised(route: str) -> str:
    """``api/^items/(?P<pk>[^/.]+)/$`` and ``review/<int:slot_id>/`` -> ``api/items/<pk>/``, ``review/<slot_id>/``."""
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", route)
    route = re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", route)
    return route.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "")


def matrix_key(route: str) -> str:
    key = _normalised(route)
    return ADMIN_SITE if key.startswith("admin/") and key not in MATRIX else key


CALLBACKS = dict(_url_patterns())
ROUTES = sorted(CALLBACKS)


def test_every_url_is_in_the_matrix():
    missing = sorted({matrix_key(route) for route in ROUTES} - set(MATRIX))
    assert not missing, f"add these URLs to MATRIX in {__file__}: {missing}"
    unused = set(MATRIX) - {matrix_key(route) for route in ROUTES}
    assert not unused, f"MATRIX rows without a URL: {unused}"


@pytest.fixture
def world(benchmark, make_item, make_caption, generator, make_user, media_root):
    """A released benchmark, a flag and a run; a queue whose claim "own" holds; another queue for "other"."""
    people = {
        "own": make_user(User.Role.ANNOTATOR, "own"),
        "other": make_user(User.Role.ANNOTATOR, "other"),
        "reviewer": make_user(User.Role.REVIEWER, "rev"),
        "admin": make_user(User.Role.ADMIN, "adm"),
    }
    admin = people["admin"]
    items = [make_item("SAD_0001"), make_item("FMAR_0001", task="FMAR")]
    for item in items:
        for status in ("in_review", "accepted"):
            item = review_status_set(
                model=QAItem, pk=item.pk, status=status, actor=Actor.person(admin), expected_version=None
            )
    release = release_create(benchmark=benchmark, tag="v1", user=admin)
    (media_root / "clips").mkdir(parents=True, exist_ok=True)
    (media_root / "clips" / "clip_001.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    Video.objects.filter(pk=items[0].video_id).update(file="clips/clip_001.mp4")
    flag = QualityFlag.objects.create(
        benchmark=benchmark,
        item=items[0],
        target_key=f"item:{items[0].pk}",
        kind="label_leak",
        source="lint",
        message="leak",
    )
    run = BaselineRun.objects.create(benchmark=benchmark, name="random", predictor="random", settings_hash="x")
    prediction = Prediction.objects.create(
        run=run, item=items[0], item_version=1, outcome="parsed", parsed_answer="Yes"
    )
    make_caption()
    queue = queue_create(benchmark=benchmark, name="own queue", created_by=admin, annotators=[people["own"]])
    other_clip = video_register(benchmark=benchmark, clip_name="clip_002", actor=generator)
    make_item("SAD_0002", video=other_clip)
    queue_create(
        benchmark=benchmark,
        name="other queue",
        created_by=admin,
        annotators=[people["other"]],
        filters={"clips": ["clip_002"]},
    )
    slot = claim_next(queue=queue, user=people["own"])
    objects = {
        "benchmark": benchmark,
        "video": Video.objects.get(pk=items[0].video_id),
        "item": items[0],
        "flag": flag,
        "release": release,
        "run": run,
        "queue": queue,
        "slot": slot,
        "prediction": prediction,
        "frame": SimpleNamespace(pk=3),
        "import_job": ImportJob.objects.create(benchmark_name="Imported", source="gen 1.0", created_by=admin),
    }
    return people, objects


def _filled(route: str, kwargs: dict) -> str:
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1) or m.group(2)]), route)
    return "/" + path.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "")


ADMIN_SAMPLE = {"app_label": "review", "object_id": "1", "id": "1", "content_type_id": "1", "url": "nothing/"}


@pytest.mark.parametrize("route", ROUTES)
def test_each_person_gets_what_the_matrix_says(client, world, route):
    people, objects = world
    key = matrix_key(route)
    row = MATRIX[key]
    if key == ADMIN_SITE:
        kwargs, method, data = ADMIN_SAMPLE, "GET", {}
    else:
        kwargs = {name: objects[obj].pk for name, obj in row["kwargs"].items()}
        method, data = row["method"], row["data"]
    path = _filled(route, kwargs)
    assert resolve(path).func == CALLBACKS[route], f"{path} does not lead to {route}"
    outcomes = {}
    for role in ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(people[role])
        response = client.post(path, data) if method == "POST" else client.get(path, data)
        outcomes[role] = _outcome(response, row["expect"][role])
    assert outcomes == row["expect"], f"{method} {path}"


def _outcome(response, expected) -> int | str:
    to_login = response.status_code == 302 and "login" in response["Location"]
    if expected == "in":  # inside the admin site: anything but a login page or a server error
        return "in" if response.status_code < 500 and not to_login else response.status_code
    return LOGIN if to_login else response.status_code
