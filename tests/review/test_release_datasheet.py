"""The datasheet of a release: cut from seeded reviews, runs and flags, every section present, and
its numbers recomputed here by counting and by formula; frozen at the cut; shown as a page."""

from __future__ import annotations

import hashlib
import json
import math
import statistics
from collections import Counter

import krippendorff
import numpy as np
import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse

from annotation.domain.intervals import bootstrap_interval
from annotation.domain.taxonomy import TASKS
from annotation.models import BaselineRun, Prediction, QAItem, QualityFlag, Release
from annotation.services.audited_writes import Actor
from annotation.services.content import review_status_set
from annotation.services.exclusions import item_exclude
from annotation.services.flags import flag_waive
from annotation.services.release_integrity import release_check
from annotation.services.releases import release_create
from review.models import Review, User
from review.services.queues import queue_create

# qid -> (task, key, first person's blind answer, second person's blind answer)
SEEDED = {
    "SAD_0001": ("SAD", "Yes", "Yes", "Yes"),
    "SAD_0002": ("SAD", "No", "No", "Yes"),
    "SAD_0003": ("SAD", "Yes", "Yes", "Yes"),
    "MAS_0001": ("MAS", "No", "No", "No"),
    "MAS_0002": ("MAS", "Yes", "No", "Yes"),
    "FMAR_0001": ("FMAR", "A", "A", "A"),
    "FMAR_0002": ("FMAR", "B", "B", "C"),
    "FMAR_0003": ("FMAR", "C", "C", "C"),
}
EXCLUDED = ("SAD_0004", "SAD", "Yes", "No", "No")  # reviewed, then excluded: in no number but the exclusions
CLIPS = {"clip_a": ["SAD_0001", "MAS_0001", "FMAR_0001"], "clip_b": ["SAD_0002", "MAS_0002", "FMAR_0002"]}
CLIPS |= {"clip_c": ["SAD_0003", "FMAR_0003"], "clip_d": ["SAD_0004"]}
# condition -> the released qids it answers wrong (every other released closed item right); SAD_0004 always wrong
WRONG = {
    "uniform-8": {"MAS_0002"},
    "blind": {"SAD_0002", "MAS_0002", "FMAR_0002", "FMAR_0003"},
    "single-frame": {"MAS_0001", "MAS_0002", "FMAR_0001"},
    "shuffled-8": {"SAD_0003", "MAS_0002"},
}
CIRCULAR_WRONG = {("FMAR_0002", 3)}  # (qid, rotation) answered wrong in the circular vision run
WAIVERS = {
    "SAD_0002": ("blind_solvable", "the wording is fine; the clip still decides"),
    "MAS_0001": ("blind_solvable", "the wording is fine; the clip still decides"),
    "FMAR_0002": ("key_disputed", "key checked by two people"),
}
Z = 1.959963984540054


def wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    return 100 * (centre - half), 100 * (centre + half)


def cohen(units: list[list[str]]) -> float:
    n = len(units)
    observed = sum(a == b for a, b in units) / n
    first, second = Counter(a for a, _ in units), Counter(b for _, b in units)
    expected = sum(first[label] * second[label] for label in set(first) | set(second)) / n**2
    return (observed - expected) / (1 - expected)


def alpha(units: list[list[str]]) -> float:
    labels = sorted({label for unit in units for label in unit})
    data = np.array([[labels.index(unit[rater]) for unit in units] for rater in (0, 1)], dtype=float)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def _accept(item: QAItem, user: User) -> QAItem:
    for status in ("in_review", "accepted"):
        item = review_status_set(
            model=QAItem, pk=item.pk, status=status, actor=Actor.person(user), expected_version=item.version
        )
    return item


def _run(benchmark, condition: str, items: dict[str, QAItem], **settings) -> BaselineRun:
    predictor = "blind" if condition == "blind" else "openai-compatible"
    if predictor != "blind":
        settings["sampling"] = condition
    run = BaselineRun.objects.create(
        benchmark=benchmark,
        name=f"m1 {condition}",
        predictor=predictor,
        settings={"model": "m1", **settings},
        settings_hash=condition,
        status="done",
    )
    for qid, item in items.items():
        rotations = len(item.options) if settings.get("circular") and item.options else 1
        for rotation in range(rotations):
            right = qid not in WRONG[condition] and (qid, rotation) not in CIRCULAR_WRONG and qid != EXCLUDED[0]
            Prediction.objects.create(
                run=run,
                item=item,
                item_version=item.version,
                rotation=rotation,
                outcome="parsed",
                parsed_answer="x",
                correct=right,
            )
    return run


@pytest.fixture
def seeded(benchmark, make_item, make_user, add_review, generator, admin_user, reviewer):
    """Four clips, 9 closed items each reviewed blind by two people, one excluded; four runs of one model;
    flags fixed, waived and open. Returns the items by qid and the two people."""
    from annotation.services.content import video_register

    people = [make_user(User.Role.ANNOTATOR, "ann1"), make_user(User.Role.ANNOTATOR, "ann2")]
    items: dict[str, QAItem] = {}
    rows = SEEDED | {EXCLUDED[0]: EXCLUDED[1:]}
    for clip, qids in CLIPS.items():
        video = video_register(benchmark=benchmark, clip_name=clip, actor=generator)
        for qid in qids:
            task, key = rows[qid][:2]
            items[qid] = make_item(qid, task=task, video=video, answer=key, question=f"{qid}: does it move?")
    queue = queue_create(benchmark=benchmark, name="double", created_by=admin_user, annotators=people, overlap=2)
    for qid, (_, _, *answers) in rows.items():
        for person, answer in zip(people, answers, strict=True):
            add_review(queue=queue, item=items[qid], user=person, answer=answer)
    items = {qid: _accept(item, reviewer) for qid, item in items.items()}
    item_exclude(item_id=items[EXCLUDED[0]].pk, user=reviewer, reason="the clip is too dark")
    for qid, (kind, reason) in WAIVERS.items():
        flag = QualityFlag.objects.create(
            benchmark=benchmark, item=items[qid], target_key=f"item:{items[qid].pk}", kind=kind, source="t", message="m"
        )
        flag_waive(flag=flag, user=reviewer, reason=reason)
    QualityFlag.objects.create(
        benchmark=benchmark,
        item=items["SAD_0001"],
        target_key=f"item:{items['SAD_0001'].pk}",
        kind="label_leak",
        source="lint",
        message="leak",
        status="resolved",
    )
    excluded = QAItem.objects.get(qid=EXCLUDED[0])
    QualityFlag.objects.create(
        benchmark=benchmark,
        item=excluded,
        target_key=f"item:{excluded.pk}",
        kind="label_leak",
        source="lint",
        message="m",
    )
    items = {qid: QAItem.objects.get(pk=item.pk) for qid, item in items.items()}
    _run(benchmark, "uniform-8", items, circular=True)
    for condition in ("blind", "single-frame", "shuffled-8"):
        _run(benchmark, condition, items)
    return items, people


@pytest.fixture
def cut(seeded, benchmark, admin_user) -> Release:
    return release_create(benchmark=benchmark, tag="v1", user=admin_user)


def test_the_datasheet_has_every_section_in_order(cut):
    sheet = cut.datasheet
    assert sheet["sections"] == [
        "counts",
        "human_accuracy",
        "agreement",
        "evidence_spans",
        "models",
        "flags",
        "excluded",
        "digests",
    ]
    assert set(sheet["sections"]) <= set(sheet) and sheet["kind"] == "eval"


def test_counts_per_task_and_tier(cut):
    by_task = Counter(task for task, *_ in SEEDED.values())
    by_tier = Counter()
    for task, n in by_task.items():
        by_tier[TASKS[task].tier.value] += n
    counts = cut.datasheet["counts"]
    assert counts["items"] == 8 and counts["clips"] == 3
    assert counts["by_task"] == dict(by_task)
    assert {tier: n for tier, n in counts["by_tier"].items() if n} == dict(by_tier)


def test_human_blind_accuracy_is_counted_against_the_released_key_with_wilson_intervals(cut):
    section = cut.datasheet["human_accuracy"]
    for task in ("SAD", "MAS", "FMAR"):
        answers = [(key, a) for t, key, *given in SEEDED.values() if t == task for a in given]
        right = sum(key == a for key, a in answers)
        row = section["tasks"][task]
        assert (row["answers"], row["correct"]) == (len(answers), right)
        assert row["accuracy"] == pytest.approx(100 * right / len(answers), abs=1e-4)
        assert row["ci95"] == pytest.approx(wilson(right, len(answers)), abs=1e-4)
    assert (section["all"]["answers"], section["all"]["correct"]) == (16, 13)  # SAD_0004's two answers left out
    assert section["all"]["ci95"] == pytest.approx(wilson(13, 16), abs=1e-4)


def test_agreement_kappa_and_alpha_with_a_seeded_bootstrap_interval(cut):
    section = cut.datasheet["agreement"]
    in_item_order = [qid for qids in CLIPS.values() for qid in qids if qid in SEEDED]  # the bootstrap's unit order
    units = [list(SEEDED[qid][2:]) for qid in in_item_order]
    answers = section["answers"]
    assert answers["units"] == 8 and answers["percent"] == pytest.approx(100 * 5 / 8)
    kappa, alpha_ = answers["cohen_kappa"], answers["krippendorff_alpha"]
    assert kappa["value"] == pytest.approx(cohen(units), abs=1e-4)
    assert alpha_["value"] == pytest.approx(alpha(units), abs=1e-4)
    for measured in (kappa, alpha_):
        low, high = measured["ci95"]
        assert low <= measured["value"] <= high and low < high
    boot = section["bootstrap"]
    of_rows = lambda rows: cohen_or_none([units[i] for i in rows])  # noqa: E731
    again = bootstrap_interval(len(units), of_rows, seed=boot["seed"], resamples=boot["resamples"])
    assert kappa["ci95"] == pytest.approx(list(again), abs=1e-4)  # the same units and seed: the same interval
    alpha_again = bootstrap_interval(
        len(units), lambda rows: alpha([units[i] for i in rows]), seed=boot["seed"], resamples=boot["resamples"]
    )
    assert alpha_["ci95"] == pytest.approx(list(alpha_again), abs=1e-4)
    other_seed = bootstrap_interval(len(units), of_rows, seed=boot["seed"] + 1, resamples=boot["resamples"])
    assert list(other_seed) != pytest.approx(kappa["ci95"], abs=1e-6)
    assert section["by_task"]["FMAR"]["units"] == 3 and section["by_task"]["MAS"]["units"] == 2


def cohen_or_none(units: list[list[str]]) -> float | None:
    n = len(units)
    first, second = Counter(a for a, _ in units), Counter(b for _, b in units)
    expected = sum(first[label] * second[label] for label in set(first) | set(second)) / n**2
    return 1.0 if expected == 1 else cohen(units)


def _accuracy(condition: str, task: str) -> float:
    qids = [qid for qid, (t, *_) in SEEDED.items() if t == task]
    return 100 * sum(qid not in WRONG[condition] for qid in qids) / len(qids)


def test_model_accuracies_and_gaps_over_the_released_items(cut):
    section = cut.datasheet["models"]
    runs = {run["condition"]: run for run in section["runs"]}
    assert set(runs) == set(WRONG)
    for condition, run in runs.items():
        for task in ("SAD", "MAS", "FMAR"):
            assert run["accuracy"][task] == pytest.approx(_accuracy(condition, task), abs=1e-4), (condition, task)
    fmar = [qid for qid, (t, *_) in SEEDED.items() if t == "FMAR"]
    circular = sum(all((qid, r) not in CIRCULAR_WRONG for r in range(5)) for qid in fmar) / len(fmar)
    assert runs["uniform-8"]["circular_accuracy"] == {"FMAR": pytest.approx(100 * circular, abs=1e-4)}
    probes = {row["task"]: row for row in section["probes"] if row["model"] == "m1"}
    for task in ("SAD", "MAS", "FMAR"):
        row = probes[task]
        plain, blind = _accuracy("uniform-8", task), _accuracy("blind", task)
        assert row["plain"]["accuracy"] == pytest.approx(plain, abs=1e-4)
        assert row["blind"]["accuracy"] == pytest.approx(blind, abs=1e-4)
        assert row["single_frame"]["accuracy"] == pytest.approx(_accuracy("single-frame", task), abs=1e-4)
        assert row["visual_gap"] == pytest.approx(plain - blind, abs=1e-4)
        [temporal] = row["temporal"]
        assert temporal["probe"]["condition"] == "shuffled-8"
        assert temporal["gap"] == pytest.approx(plain - _accuracy("shuffled-8", task), abs=1e-4)
    assert probes["FMAR"]["circular"] == pytest.approx(100 * circular, abs=1e-4)


def test_flags_raised_fixed_and_waived_with_reasons(cut):
    kinds = cut.datasheet["flags"]["by_kind"]
    assert {k: (v["raised"], v["fixed"], v["waived"], v["open"]) for k, v in kinds.items()} == {
        "blind_solvable": (2, 0, 2, 0),
        "key_disputed": (1, 0, 1, 0),
        "label_leak": (2, 1, 0, 1),
    }
    assert kinds["blind_solvable"]["waivers"] == [
        {"reason": WAIVERS["SAD_0002"][1], "count": 2, "targets": ["MAS_0001", "SAD_0002"]}
    ]
    assert kinds["key_disputed"]["waivers"][0]["reason"] == "key checked by two people"


def test_excluded_items_with_who_and_why(cut, reviewer):
    section = cut.datasheet["excluded"]
    [entry] = section["entries"]
    assert section["count"] == 1 and section["by_task"] == {"SAD": 1}
    assert (entry["qid"], entry["reason"], entry["excluded_by"]) == (EXCLUDED[0], "the clip is too dark", "reviewer")


def _rebuilt_json_without_datasheet(body: bytes) -> bytes:
    """The json export's bytes with release.datasheet left out, framed as the export frames them."""
    parsed = json.loads(body)
    manifest = dict(parsed["release"])
    del manifest["datasheet"]
    dumps = lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True)  # noqa: E731
    rows = ",\n".join(dumps(row) for row in parsed["items"])
    return ('{"release": ' + dumps(manifest) + ', "items": [\n' + rows + "\n]}\n").encode()


def test_digests_leave_the_datasheet_out_and_match_the_downloads(cut, client, admin_user):
    client.force_login(admin_user)
    digests = cut.datasheet["digests"]["sha256"]
    export = reverse("release-export", args=[cut.pk])
    bodies = {fmt: b"".join(client.get(export, {"format": fmt}).streaming_content) for fmt in digests}
    for fmt in ("mac", "questions-only", "jsonl"):
        assert digests[fmt] == hashlib.sha256(bodies[fmt]).hexdigest() == cut.export_sha256[fmt]
    assert json.loads(bodies["json"])["release"]["datasheet"] == cut.datasheet
    assert hashlib.sha256(bodies["json"]).hexdigest() == cut.export_sha256["json"] != digests["json"]
    assert digests["json"] == hashlib.sha256(_rebuilt_json_without_datasheet(bodies["json"])).hexdigest()
    assert release_check(Release.objects.get(pk=cut.pk)).intact


def test_the_stored_datasheet_does_not_change_when_the_data_does(cut, seeded, add_review, benchmark, reviewer):
    items, people = seeded
    frozen = json.dumps(cut.datasheet, sort_keys=True)
    flag = QualityFlag.objects.get(item=items[EXCLUDED[0]], status="open")
    flag_waive(flag=flag, user=reviewer, reason="later")
    BaselineRun.objects.filter(benchmark=benchmark).delete()
    item_exclude(item_id=items["SAD_0001"].pk, user=reviewer, reason="later")
    again = Release.objects.get(pk=cut.pk)
    assert json.dumps(again.datasheet, sort_keys=True) == frozen
    assert release_check(again).intact


@pytest.mark.postgresql
def test_the_database_refuses_to_rewrite_a_datasheet(cut):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Release.objects.filter(pk=cut.pk).update(datasheet={"counts": {}})


def test_the_page_shows_each_section_to_reviewers_and_admins(cut, client, make_user):
    url = reverse("benchmark-release-datasheet", args=[cut.benchmark_id, cut.pk])
    for role, expected in ((User.Role.ADMIN, 200), (User.Role.REVIEWER, 200), (User.Role.ANNOTATOR, 403)):
        client.force_login(make_user(role))
        response = client.get(url)
        assert response.status_code == expected, role
    client.force_login(make_user(User.Role.REVIEWER))
    html = client.get(url).content.decode()
    for title in ("Counts", "Human blind accuracy", "Agreement", "Models", "Flags", "Excluded", "Digests"):
        assert f"<h2>{title}</h2>" in html
    assert "the wording is fine; the clip still decides" in html and cut.datasheet["digests"]["sha256"]["mac"] in html
    listing = client.get(reverse("benchmark-releases", args=[cut.benchmark_id])).content.decode()
    assert url in listing
    other = reverse("benchmark-release-datasheet", args=[cut.benchmark_id + 1000, cut.pk])
    assert client.get(other).status_code == 404


def test_the_api_gives_the_datasheet(cut, client, make_user):
    client.force_login(make_user(User.Role.REVIEWER))
    body = client.get(reverse("release-datasheet", args=[cut.pk])).json()
    assert body["tag"] == "v1" and body["datasheet"] == cut.datasheet


@pytest.mark.postgresql
def test_a_release_cut_before_datasheets_says_it_has_none(cut, client, make_user, behind_the_triggers):
    behind_the_triggers("UPDATE annotation_release SET datasheet = NULL WHERE id = %s", [cut.pk])
    client.force_login(make_user(User.Role.ADMIN))
    page = client.get(reverse("benchmark-release-datasheet", args=[cut.benchmark_id, cut.pk])).content.decode()
    assert 'id="no-datasheet"' in page
    assert client.get(reverse("release-datasheet", args=[cut.pk])).status_code == 404
    listing = client.get(reverse("benchmark-releases", args=[cut.benchmark_id])).content.decode()
    assert "none (cut before datasheets)" in listing


def test_waivers_on_a_clip_held_blind_are_counted_not_listed(cut, client, admin_user, make_user):
    from review.services.claims import claim_next

    holder = make_user(User.Role.REVIEWER, "holder")
    queue = queue_create(
        benchmark=cut.benchmark,
        name="blind again",
        created_by=admin_user,
        annotators=[holder],
        filters={"clips": ["clip_b"], "statuses": ["accepted"]},
    )
    claim_next(queue=queue, user=holder)
    assert holder.clips_withheld() == [QAItem.objects.get(qid="FMAR_0002").video_id]
    client.force_login(holder)
    url = reverse("benchmark-release-datasheet", args=[cut.benchmark_id, cut.pk])
    page = client.get(url).content.decode()
    # both waivers name an item of clip_b (FMAR_0002; SAD_0002 beside MAS_0001); the exclusion is on clip_d
    assert "2 waivers or exclusions on clips you are reviewing blind" in page
    assert "key checked by two people" not in page and WAIVERS["SAD_0002"][1] not in page
    assert "the clip is too dark" in page
    client.force_login(make_user(User.Role.REVIEWER))
    whole = client.get(url).content.decode()
    assert "key checked by two people" in whole and 'id="withheld"' not in whole


def test_evidence_spans_per_task_are_the_median_over_items_of_the_median_over_people(seeded, benchmark, admin_user):
    items, (first, second) = seeded
    marks = {  # (qid, person) -> (start, end); each item's length is the median over its people
        ("SAD_0001", first): (2, 11),  # 10 frames
        ("SAD_0001", second): (4, 9),  # 6 -> item 8
        ("SAD_0002", first): (0, 19),  # 20 -> item 20
        ("MAS_0001", second): (3, 7),  # 5
        ("SAD_0004", first): (0, 99),  # excluded: in no number
    }
    for (qid, person), (start, end) in marks.items():
        Review.objects.filter(item=items.get(qid) or QAItem.objects.get(qid=qid), reviewer=person).update(
            evidence_start_frame=start, evidence_end_frame=end
        )
    spans = release_create(benchmark=benchmark, tag="v-spans", user=admin_user).datasheet["evidence_spans"]
    assert (spans["SAD"]["items_with_span"], spans["SAD"]["median_frames"]) == (2, statistics.median([8, 20]))
    assert (spans["MAS"]["items_with_span"], spans["MAS"]["median_frames"]) == (1, 5)
    assert spans["FMAR"]["items_with_span"] == 0 and spans["FMAR"]["median_frames"] is None
    assert spans["SAD"]["median_seconds"] is None  # these clips were never decoded: no frame rate
