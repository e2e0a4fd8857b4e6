"""A training corpus's release has a datasheet too: counts, caption reviews, flags, exclusions, participant
disjointness and the digests of its formats, frozen at the cut."""

import hashlib

from django.urls import reverse

from annotation.exports.sft_export import FORMATS
from annotation.models import Caption
from annotation.services.exclusions import clip_exclude
from annotation.services.releases import release_create


def test_a_corpus_datasheet_has_its_sections(reviewed_corpus, eval_benchmark, admin_user, train_rows):
    release = release_create(benchmark=reviewed_corpus, tag="v1", user=admin_user, disjoint_from=[eval_benchmark])
    sheet = release.datasheet
    assert sheet["kind"] == "train"
    assert sheet["sections"] == ["counts", "caption_reviews", "flags", "excluded", "disjointness", "digests"]
    assert sheet["counts"]["clips"] == 3 and sheet["counts"]["items"] == 6
    assert sheet["counts"]["by_task"] == {"FMAR": 3, "SAD": 3}
    disjoint = sheet["disjointness"]
    assert disjoint["checked_against"] == ["Eval"] and disjoint["disjoint"] is True
    assert disjoint["participants"] == len({clip.split("_")[0] for clip in train_rows.clips}) == 2
    assert disjoint["shared_participants"] == 0
    assert sheet["caption_reviews"]["reviews"] == 0  # accepted by hand in the fixture, never through a queue
    assert sheet["digests"]["sha256"] == release.export_sha256 and set(release.export_sha256) == set(FORMATS)
    waived = sum(kind["waived"] for kind in sheet["flags"]["by_kind"].values())
    assert waived == sum(len(w["targets"]) for kind in sheet["flags"]["by_kind"].values() for w in kind["waivers"])


def test_an_excluded_caption_is_in_the_corpus_datasheet(
    reviewed_corpus, eval_benchmark, admin_user, reviewer, client, train_rows
):
    caption = Caption.objects.get(video__clip_name=train_rows.clips[2])
    clip_exclude(video_id=caption.video_id, user=reviewer, reason="blurred")
    release = release_create(benchmark=reviewed_corpus, tag="v1", user=admin_user, disjoint_from=[eval_benchmark])
    excluded = release.datasheet["excluded"]
    assert excluded["count"] == 1 and excluded["entries"][0]["clip"] == train_rows.clips[2]
    assert release.datasheet["disjointness"]["participants"] == 1
    client.force_login(admin_user)
    page = client.get(reverse("benchmark-release-datasheet", args=[reviewed_corpus.pk, release.pk]))
    assert page.status_code == 200 and "Participant disjointness" in page.content.decode()
    body = b"".join(client.get(reverse("release-export", args=[release.pk])).streaming_content)
    assert hashlib.sha256(body).hexdigest() == release.datasheet["digests"]["sha256"]["sft-video"]


def test_caption_review_stats_count_the_counted_reviews(
    reviewed_corpus, eval_benchmark, admin_user, make_user, train_rows
):
    from django.utils import timezone

    from review.models import CaptionReview, QueueSlot, User
    from review.services.queues import queue_create

    people = [make_user(User.Role.ANNOTATOR, "c1"), make_user(User.Role.ANNOTATOR, "c2")]
    queue = queue_create(
        benchmark=reviewed_corpus, name="captions", created_by=admin_user, annotators=people, overlap=2
    )
    caption = Caption.objects.get(video__clip_name=train_rows.clips[0])
    decided = (("accept", [], 30), ("reject", ["wrong_phases"], 50))
    for copy, (person, (decision, reasons, seconds)) in enumerate(zip(people, decided, strict=True), start=1):
        slot = QueueSlot.objects.get(queue=queue, video_id=caption.video_id, copy=copy)
        QueueSlot.objects.filter(pk=slot.pk).update(completed_by=person, completed_at=timezone.now())
        CaptionReview.objects.create(
            slot=slot,
            caption=caption,
            caption_version=caption.version,
            reviewer=person,
            stage=queue.stage,
            decision=decision,
            reject_reasons=reasons,
            seconds_spent=seconds,
        )
    release = release_create(benchmark=reviewed_corpus, tag="v1", user=admin_user, disjoint_from=[eval_benchmark])
    stats = release.datasheet["caption_reviews"]
    assert (stats["reviews"], stats["captions_reviewed"], stats["reviewers"]) == (2, 1, 2)
    assert stats["decisions"] == {"accept": 1, "reject": 1} and stats["reject_reasons"] == {"wrong_phases": 1}
    assert stats["median_seconds"] == 40
    assert stats["decision_agreement"]["units"] == 1 and stats["decision_agreement"]["percent"] == 0
