"""Flag waivers, their withdrawal and release cuts through the API (and the release command) leave
exactly one audit event each; a refused waiver or a blocked cut is one ``refused`` event that
survives the rollback of the attempt. Excluding an item is one status change."""

import pytest
from django.core.management import CommandError, call_command

from annotation.models import QAItem, QualityFlag, Release
from annotation.services.audited_writes import Actor
from annotation.services.content import review_status_set
from annotation.services.flags import lint_run
from review.models import User


def shape(event) -> tuple:
    return (
        event.actor_user,
        event.actor_source,
        event.event_type,
        event.target_kind,
        event.target_id,
        event.before,
        event.after,
    )


@pytest.fixture
def open_flag(benchmark, make_item):
    make_item("SAD_0001", answer="")
    lint_run(benchmark=benchmark)
    return QualityFlag.objects.get(kind="missing_answer_key")


def test_waiving_a_flag_through_the_api_is_one_event_and_waiving_it_again_one_recorded_refusal(
    as_role, open_flag, events_during
):
    client = as_role("reviewer")
    reviewer = User.objects.get(username="reviewer-api")  # as_role's login
    url = f"/api/flags/{open_flag.pk}/waive/"
    with events_during() as waived:
        assert client.post(url, {"reason": "keys come in the next batch"}).status_code == 200
    assert [shape(e) for e in waived] == [
        (
            reviewer,
            "",
            "flag_waived",
            "qualityflag",
            open_flag.pk,
            {"status": "open", "waived_reason": ""},
            {"status": "waived", "waived_reason": "keys come in the next batch"},
        )
    ]
    assert waived[0].reason == "keys come in the next batch"

    with events_during() as refused:
        response = client.post(url, {"reason": "again"})
    assert response.status_code == 409
    assert QualityFlag.objects.get(pk=open_flag.pk).waived_reason == "keys come in the next batch"  # nothing changed
    assert [shape(e) for e in refused] == [
        (
            reviewer,
            "",
            "refused",
            "qualityflag",
            open_flag.pk,
            {"status": "waived", "waived_reason": "keys come in the next batch"},
            {"status": "waived", "waived_reason": "again"},
        )
    ]
    assert (
        refused[0].reason
        == response.json()["detail"]
        == (f"flag #{open_flag.pk} (missing_answer_key) is waived, not open: only an open flag is waived")
    )


def test_withdrawing_a_waiver_through_the_api_reopens_the_flag_as_one_event(as_role, open_flag, events_during):
    client = as_role("admin")
    admin = User.objects.get(username="admin-api")
    client.post(f"/api/flags/{open_flag.pk}/waive/", {"reason": "looked fine"})
    url = f"/api/flags/{open_flag.pk}/unwaive/"
    with events_during() as reopened:
        response = client.post(url, {"reason": "the key is still missing"})
    assert response.status_code == 200 and response.json()["status"] == "open"
    flag = QualityFlag.objects.get(pk=open_flag.pk)
    assert (flag.status, flag.waived_reason, flag.closed_at) == ("open", "", None)
    assert [shape(e) for e in reopened] == [
        (
            admin,
            "",
            "flag_unwaived",
            "qualityflag",
            flag.pk,
            {"status": "waived", "waived_reason": "looked fine"},
            {"status": "open", "waived_reason": ""},
        )
    ]
    assert reopened[0].reason == "the key is still missing"

    with events_during() as refused:
        assert client.post(url, {"reason": "twice"}).status_code == 409
    assert [(e.actor_user, e.event_type, e.target_id) for e in refused] == [(admin, "refused", flag.pk)]
    assert "is open, not waived: there is no waiver to withdraw" in refused[0].reason


def test_a_waiver_is_not_withdrawn_while_the_same_fault_is_flagged_open_again(
    as_role, open_flag, reviewer, events_during
):
    QualityFlag.objects.filter(pk=open_flag.pk).update(status="waived", waived_reason="for version 1")
    raised_again = QualityFlag.objects.create(
        benchmark=open_flag.benchmark,
        item=open_flag.item,
        target_key=open_flag.target_key,
        kind=open_flag.kind,
        source="lint",
        message=open_flag.message,
        target_version=2,
    )
    client = as_role("reviewer")
    with events_during() as refused:
        response = client.post(f"/api/flags/{open_flag.pk}/unwaive/", {"reason": "reconsidered"})
    assert response.status_code == 409 and QualityFlag.objects.get(pk=open_flag.pk).status == "waived"
    [event] = refused
    assert (event.event_type, event.target_kind, event.target_id) == ("refused", "qualityflag", open_flag.pk)
    assert f"flag #{raised_again.pk} raises the same fault on its target and is open already" in event.reason


def test_people_who_may_not_waive_and_waivers_without_a_reason_leave_no_event(
    client, make_user, open_flag, events_during
):
    annotator, admin = make_user("annotator"), make_user("admin")
    with events_during() as events:
        client.force_login(annotator)
        assert client.post(f"/api/flags/{open_flag.pk}/waive/", {"reason": "x"}).status_code == 403
        client.force_login(admin)
        assert client.post(f"/api/flags/{open_flag.pk}/waive/", {}).status_code == 400
        assert client.post(f"/api/flags/{open_flag.pk}/unwaive/", {"reason": " "}).status_code == 400
    assert events == [] and QualityFlag.objects.get(pk=open_flag.pk).status == "open"


def test_cutting_a_release_through_the_api_is_one_event_with_its_tag_counts_and_digest(
    as_role, benchmark, accepted_items, events_during
):
    client = as_role("admin")
    admin = User.objects.get(username="admin-api")
    with events_during() as events:
        response = client.post("/api/releases/", {"benchmark": benchmark.name, "tag": "v1.0"})
    assert response.status_code == 201
    release = Release.objects.get()
    assert [shape(e) for e in events] == [
        (
            admin,
            "",
            "release_cut",
            "release",
            release.pk,
            None,
            {
                "benchmark": "Test bench",
                "tag": "v1.0",
                "kind": "eval",
                "item_count": 5,
                "clip_count": 0,
                "disjoint_from": [],
                "sha256": release.sha256,
            },
        )
    ]


def test_a_blocked_cut_through_the_api_is_one_refused_event_on_the_benchmark(
    as_role, benchmark, accepted_items, make_item, events_during
):
    make_item("SAD_0099")  # never reviewed
    client = as_role("admin")
    admin = User.objects.get(username="admin-api")
    with events_during() as events:
        response = client.post("/api/releases/", {"benchmark": benchmark.name, "tag": "v1.0"})
    assert response.status_code == 409 and not Release.objects.exists()
    assert [shape(e) for e in events] == [
        (admin, "", "refused", "benchmark", benchmark.pk, None, {"tag": "v1.0", "disjoint_from": []})
    ]
    assert events[0].reason.startswith("the release is blocked by 1 problem:")
    assert "SAD_0099: review status is imported; accept it or exclude it" in events[0].reason


def test_a_blocked_cut_from_the_command_is_recorded_once(benchmark, accepted_items, admin_user, events_during):
    call_command("create_release", benchmark.name, "v1.0", "--user", admin_user.username)
    with events_during() as events, pytest.raises(CommandError, match="tag 'v1.0' exists already"):
        call_command("create_release", benchmark.name, "v1.0", "--user", admin_user.username)
    assert [(e.actor_user, e.event_type, e.target_kind, e.target_id) for e in events] == [
        (admin_user, "refused", "benchmark", benchmark.pk)
    ]
    assert "tag 'v1.0' exists already; releases are immutable, use a new tag" in events[0].reason
    assert Release.objects.count() == 1


def test_excluding_an_item_is_one_status_change_and_the_trail_still_replays(
    benchmark, accepted_items, admin_user, events_during
):
    item = accepted_items[0]
    with events_during() as events:
        review_status_set(
            model=QAItem,
            pk=item.pk,
            status="excluded",
            actor=Actor.person(admin_user),
            expected_version=item.version,
            reason="off-topic",
        )
    assert [shape(e) for e in events] == [
        (
            admin_user,
            "",
            "status_changed",
            "qaitem",
            item.pk,
            {"review_status": "accepted"},
            {"review_status": "excluded"},
        )
    ]
    assert (events[0].target_version, events[0].reason) == (item.version + 1, "off-topic")
    call_command("create_release", benchmark.name, "v1.0", "--user", admin_user.username)
    with pytest.raises(CommandError):
        call_command("create_release", benchmark.name, "v1.0", "--user", admin_user.username)
    call_command("verify_audit_trail")
