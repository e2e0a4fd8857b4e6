"""Flag waivers and their withdrawal through the API leave exactly one audit event each; a refused
waiver is one ``refused`` event that survives the rollback of the attempt."""

import pytest

from annotation.models import QualityFlag
from annotation.services.flags import lint_run
from review.models import User


def shape(event) -> tuple:
    return (event.actor_user, event.actor_source, event.event_type, event.target_kind, event.target_id, event.before,
            event.after)  # fmt: skip


@pytest.fixture
def open_flag(benchmark, make_item):
    make_item("SAD_0001", answer="")
    lint_run(benchmark=benchmark)
    return QualityFlag.objects.get(kind="missing_answer_key")


def test_waiving_a_flag_through_the_api_is_one_event_and_waiving_it_again_one_recorded_refusal(
        as_role, open_flag, events_during):  # fmt: skip
    client = as_role("reviewer")
    reviewer = User.objects.get(username="reviewer-api")  # as_role's login
    url = f"/api/flags/{open_flag.pk}/waive/"
    with events_during() as waived:
        assert client.post(url, {"reason": "keys come in the next batch"}).status_code == 200
    assert [shape(e) for e in waived] == [(reviewer, "", "flag_waived", "qualityflag", open_flag.pk,
                                           {"status": "open", "waived_reason": ""},
                                           {"status": "waived", "waived_reason": "keys come in the next batch"})]  # fmt: skip
    assert waived[0].reason == "keys come in the next batch"

    with events_during() as refused:
        response = client.post(url, {"reason": "again"})
    assert response.status_code == 409
    assert QualityFlag.objects.get(pk=open_flag.pk).waived_reason == "keys come in the next batch"  # nothing changed
    assert [shape(e) for e in refused] == [(reviewer, "", "refused", "qualityflag", open_flag.pk,
                                            {"status": "waived", "waived_reason": "keys come in the next batch"},
                                            {"status": "waived", "waived_reason": "again"})]  # fmt: skip
    assert refused[0].reason == response.json()["detail"] == (
        f"flag #{open_flag.pk} (missing_answer_key) is waived, not open: only an open flag is waived")


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
    assert [shape(e) for e in reopened] == [(admin, "", "flag_unwaived", "qualityflag", flag.pk,
                                             {"status": "waived", "waived_reason": "looked fine"},
                                             {"status": "open", "waived_reason": ""})]  # fmt: skip
    assert reopened[0].reason == "the key is still missing"

    with events_during() as refused:
        assert client.post(url, {"reason": "twice"}).status_code == 409
    assert [(e.actor_user, e.event_type, e.target_id) for e in refused] == [(admin, "refused", flag.pk)]
    assert "is open, not waived: there is no waiver to withdraw" in refused[0].reason


def test_a_waiver_is_not_withdrawn_while_the_same_fault_is_flagged_open_again(
        as_role, open_flag, reviewer, events_during):  # fmt: skip
    QualityFlag.objects.filter(pk=open_flag.pk).update(status="waived", waived_reason="for version 1")
    raised_again = QualityFlag.objects.create(benchmark=open_flag.benchmark, item=open_flag.item,
                                              target_key=open_flag.target_key, kind=open_flag.kind, source="lint",
                                              message=open_flag.message, target_version=2)  # fmt: skip
    client = as_role("reviewer")
    with events_during() as refused:
        response = client.post(f"/api/flags/{open_flag.pk}/unwaive/", {"reason": "reconsidered"})
    assert response.status_code == 409 and QualityFlag.objects.get(pk=open_flag.pk).status == "waived"
    [event] = refused
    assert (event.event_type, event.target_kind, event.target_id) == ("refused", "qualityflag", open_flag.pk)
    assert f"flag #{raised_again.pk} raises the same fault on its target and is open already" in event.reason


def test_people_who_may_not_waive_and_waivers_without_a_reason_leave_no_event(
        client, make_user, open_flag, events_during):  # fmt: skip
    annotator, admin = make_user("annotator"), make_user("admin")
    with events_during() as events:
        client.force_login(annotator)
        assert client.post(f"/api/flags/{open_flag.pk}/waive/", {"reason": "x"}).status_code == 403
        client.force_login(admin)
        assert client.post(f"/api/flags/{open_flag.pk}/waive/", {}).status_code == 400
        assert client.post(f"/api/flags/{open_flag.pk}/unwaive/", {"reason": " "}).status_code == 400
    assert events == [] and QualityFlag.objects.get(pk=open_flag.pk).status == "open"
