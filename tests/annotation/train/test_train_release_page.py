"""The release page of a training corpus: its blockers grouped by kind, and the cut form with disjoint_from."""

from django.urls import reverse

from annotation.models import Caption, Release
from annotation.services.audited_writes import Actor
from annotation.services.content import review_status_set


def test_a_corpus_page_groups_caption_blockers_and_cuts_against_chosen_benchmarks(
    client, admin_user, reviewer, reviewed_corpus, eval_benchmark, overlapping_eval, train_rows
):
    caption = Caption.objects.filter(video__benchmark=reviewed_corpus).order_by("video__clip_name").first()
    review_status_set(
        model=Caption, pk=caption.pk, status="in_review", actor=Actor.person(reviewer), expected_version=caption.version
    )
    client.force_login(admin_user)
    page = client.get(reverse("benchmark-releases", args=[reviewed_corpus.pk])).content.decode()
    assert 'name="disjoint_from"' in page and "Clips · QA items" in page
    group = page[page.index('id="caption_status.in_review"') :].split("</article>")[0]
    assert "Caption review status in review" in group and caption.video.clip_name in group
    assert f"/benchmarks/{reviewed_corpus.pk}/queues/new/" in group  # review the captions in a queue
    shared = page[page.index('id="shared_participant"') :].split("</article>")[0]
    assert f"participant {train_rows.people[0]}" in shared  # checked against every evaluation benchmark

    for version, status in ((caption.version + 1, "rejected"), (caption.version + 2, "excluded")):
        review_status_set(
            model=Caption,
            pk=caption.pk,
            status=status,
            actor=Actor.person(reviewer),
            expected_version=version,
            reason="two people in view",
        )
    cut = reverse("benchmark-release-cut", args=[reviewed_corpus.pk])
    refused = client.post(cut, {"tag": "v1"})  # all evaluation benchmarks: a participant is shared
    assert refused.status_code == 409 and f"participant {train_rows.people[0]}" in refused.content.decode()
    response = client.post(cut, {"tag": "v1", "disjoint_from": [eval_benchmark.pk]})
    assert response.status_code == 302
    release = Release.objects.get()
    assert (release.kind, release.clip_count, release.disjoint_from) == ("train", 2, ["Eval"])
    assert [(e["clip"], e["reason"]) for e in release.excluded] == [(caption.video.clip_name, "two people in view")]
    page = client.get(response["Location"]).content.decode()
    for fmt in ("sft-video", "corpus-jsonl"):
        assert f"/api/releases/{release.pk}/export/?format={fmt}" in page
