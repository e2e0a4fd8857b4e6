"""Clearing a shared participant: a clip excluded from the corpus (its caption excluded) is out of the participant
report, the blockers and the release, with its QA rows; on the evaluation side only clips that are or may be
released count. The exclusion is a service (one audit event, refusals too), an API action and a page action."""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from annotation.models import AuditEvent, Benchmark, Caption, QAItem, Video
from annotation.selectors import participant_report
from annotation.services.audited_writes import Actor
from annotation.services.content import review_status_set
from annotation.services.exclusions import ItemNotFound, StatusMoveRefused, clip_exclude, clip_include, item_exclude
from annotation.services.releases import release_create


def shared_clips(corpus, people) -> list[Video]:
    return list(Video.objects.filter(benchmark=corpus, participant_id=people[0]).order_by("clip_name"))


def test_excluded_clips_leave_the_report_and_the_release_with_their_qa_rows(
    reviewed_corpus, overlapping_eval, eval_benchmark, admin_user, train_rows
):
    for video in shared_clips(reviewed_corpus, train_rows.people):
        clip_exclude(video_id=video.pk, user=admin_user, reason="participant also filmed for Eval overlap")
    report = participant_report(benchmark=reviewed_corpus, against=[overlapping_eval, eval_benchmark])
    assert report.shared == [] and report.left_out == {"Train": 2} and report.without_id == {}
    release = release_create(benchmark=reviewed_corpus, tag="v1", user=admin_user)  # against every evaluation set
    assert (release.clip_count, release.item_count) == (1, 2)
    assert [c.clip_name for c in release.clips.all()] == [train_rows.clips[2]]
    assert release.disjoint_from == ["Eval", "Eval overlap"]


def test_including_a_clip_again_brings_its_participant_back(reviewed_corpus, overlapping_eval, admin_user, train_rows):
    first, second = shared_clips(reviewed_corpus, train_rows.people)
    clip_exclude(video_id=first.pk, user=admin_user, reason="shared")
    [shared] = participant_report(benchmark=reviewed_corpus, against=[overlapping_eval]).shared
    assert shared.clips == [second.clip_name]  # the clip still counted
    clip_exclude(video_id=second.pk, user=admin_user, reason="shared")
    clip_include(video_id=first.pk, user=admin_user, reason="wrong participant id, fixed upstream")
    assert Caption.objects.get(video=first).review_status == "imported"  # to be reviewed again
    assert participant_report(benchmark=reviewed_corpus, against=[overlapping_eval]).shared[0].clips == [
        first.clip_name
    ]


def test_an_evaluation_clip_counts_while_it_may_be_released_or_once_it_was(
    reviewed_corpus, overlapping_eval, admin_user, train_rows
):
    items = list(QAItem.objects.filter(benchmark=overlapping_eval))
    for item in items:
        item_exclude(item_id=item.pk, user=admin_user, reason="participant is in a training corpus")
    report = participant_report(benchmark=reviewed_corpus, against=[overlapping_eval])
    assert report.shared == [] and report.left_out == {"Eval overlap": 1}
    # released once, the clip is published: excluding its questions later does not take it back
    for item in items:
        for status in ("imported", "in_review", "accepted"):
            review_status_set(
                model=QAItem, pk=item.pk, status=status, actor=Actor.person(admin_user), expected_version=None
            )
    release_create(benchmark=overlapping_eval, tag="v1", user=admin_user)
    for item in items:
        item_exclude(item_id=item.pk, user=admin_user, reason="again")
    [shared] = participant_report(benchmark=reviewed_corpus, against=[overlapping_eval]).shared
    assert shared.participant_id == train_rows.people[0]


def test_participant_overlap_counts_what_would_be_released(
    reviewed_corpus, overlapping_eval, admin_user, capsys, train_rows
):
    for video in shared_clips(reviewed_corpus, train_rows.people):
        clip_exclude(video_id=video.pk, user=admin_user, reason="shared")
    call_command("participant_overlap", "Train", "--against", "Eval overlap")  # exits 0: nothing shared
    out = capsys.readouterr().out
    assert "0 shared participants" in out and "Train: 2 clips not counted (excluded from the corpus)" in out
    call_command("participant_overlap", "Train", "--against", "Eval overlap", "--json")
    assert json.loads(capsys.readouterr().out)["left_out"] == {"Train": 2}


def test_a_clip_exclusion_is_one_audit_event_and_a_refusal_is_recorded(reviewed_corpus, reviewer, train_rows):
    video = Video.objects.get(clip_name=train_rows.clips[0])
    caption = Caption.objects.get(video=video)
    before = AuditEvent.objects.count()
    clip_exclude(video_id=video.pk, user=reviewer, reason="shared participant")
    event = AuditEvent.objects.order_by("id").last()
    assert AuditEvent.objects.count() == before + 1
    assert (event.event_type, event.target_kind, event.target_id, event.reason) == (
        "status_changed",
        "caption",
        caption.pk,
        "shared participant",
    )
    with pytest.raises(StatusMoveRefused, match=f"the caption of {video.clip_name} is excluded already"):
        clip_exclude(video_id=video.pk, user=reviewer, reason="again")
    refused = AuditEvent.objects.order_by("id").last()
    assert (refused.event_type, refused.target_kind, AuditEvent.objects.count()) == ("refused", "caption", before + 2)
    with pytest.raises(ItemNotFound, match="no clip #0"):
        clip_exclude(video_id=0, user=reviewer, reason="x")


def test_the_api_excludes_and_includes_a_clip(client, reviewed_corpus, reviewer, train_rows):
    client.force_login(reviewer)
    corpus = Benchmark.objects.get(name="Train")
    listed = client.get(f"/api/videos/?benchmark={corpus.pk}&participant={train_rows.people[0]}").json()["results"]
    assert sorted(v["clip_name"] for v in listed) == sorted(train_rows.clips[:2])
    video = listed[0]
    assert video["caption"]["review_status"] == "accepted" and video["participant_id"] == train_rows.people[0]
    url = f"/api/videos/{video['id']}/exclude/"
    no_reason = client.post(url, {}, content_type="application/json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    stale = client.post(url, {"reason": "shared", "version": 1}, content_type="application/json")
    assert stale.status_code == 409  # the caption is at a later version than 1
    done = client.post(
        url, {"reason": "shared", "version": video["caption"]["version"]}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["caption"]["review_status"] == "excluded"
    again = client.post(url, {"reason": "shared"}, content_type="application/json")
    assert again.status_code == 409 and "excluded already" in again.json()["detail"]
    back = client.post(f"/api/videos/{video['id']}/include/", {"reason": "mistake"}, content_type="application/json")
    assert back.status_code == 200 and back.json()["caption"]["review_status"] == "imported"


def test_the_corpus_page_excludes_a_clip_in_its_row(client, reviewed_corpus, reviewer, train_rows):
    client.force_login(reviewer)
    video = Video.objects.get(clip_name=train_rows.clips[0])
    page = client.get(reverse("benchmark-detail", args=[reviewed_corpus.pk])).content.decode()
    assert f'id="clip-{video.pk}"' in page and "Exclude from corpus" in page and train_rows.people[0] in page
    url = reverse("clip-exclude", args=[video.pk])
    missing = client.post(url, {"reason": ""}, HTTP_HX_REQUEST="true")
    assert missing.status_code == 400 and 'role="alert"' in missing.content.decode()
    row = client.post(url, {"reason": "shared participant"}, HTTP_HX_REQUEST="true")
    assert row.status_code == 200 and "Include again" in row.content.decode()
    assert Caption.objects.get(video=video).review_status == "excluded"
    refused = client.post(url, {"reason": "again"})  # without htmx: the failure page with the row
    assert refused.status_code == 409 and "excluded already" in refused.content.decode()
    back = client.post(reverse("clip-include", args=[video.pk]), {"reason": "mistake"})
    assert back.status_code == 302 and Caption.objects.get(video=video).review_status == "imported"


def test_a_clip_held_blind_is_neither_listed_nor_excluded(client, held_blind, make_caption, reviewer):
    make_caption(video=held_blind.video)
    client.force_login(reviewer)
    page = client.get(reverse("benchmark-detail", args=[held_blind.benchmark_id])).content.decode()
    assert "clip_hidden" not in page
    listed = client.get(f"/api/videos/?benchmark={held_blind.benchmark_id}").json()["results"]
    assert listed and "clip_hidden" not in [video["clip_name"] for video in listed]
    response = client.post(f"/api/videos/{held_blind.video_id}/exclude/", {"reason": "peek"})
    assert response.status_code == 404
    with pytest.raises(ItemNotFound, match=f"no clip #{held_blind.video_id}"):
        clip_exclude(video_id=held_blind.video_id, user=reviewer, reason="peek")
    assert Caption.objects.get(video_id=held_blind.video_id).review_status == "imported"
