"""Every decision's response tells the page where the person stands (``slotProgress``), so the progress line and
the "still yours to finish" banner follow the last decision, whichever it is, without a reload."""

import json

import pytest
from django.urls import reverse

from annotation.models import Caption, QAItem

DONE = {"openItems": 0, "captionOpen": False, "blindLeft": 0}


def progress(response) -> dict:
    return json.loads(response["HX-Trigger"])["slotProgress"]


def decide_questions(client, slot) -> list:
    return [
        client.post(
            reverse("review-decide", args=[slot.pk, item.pk]),
            {"decision": "accept", "version": item.version},
            headers={"HX-Request": "true"},
        )
        for item in QAItem.objects.filter(video=slot.video).order_by("qid")
    ]


def decide_caption(client, slot):
    caption = Caption.objects.get(video=slot.video)
    return client.post(
        reverse("review-caption", args=[slot.pk]),
        {"decision": "accept", "version": caption.version},
        headers={"HX-Request": "true"},
    )


@pytest.mark.parametrize("last", ["caption", "question"])
def test_the_last_decision_says_the_clip_is_done(answered_clip, last):
    client, slot = answered_clip
    if last == "caption":
        *_, question = decide_questions(client, slot)
        assert progress(question) == {"openItems": 0, "captionOpen": True, "blindLeft": 0}
        final = decide_caption(client, slot)
    else:
        assert progress(decide_caption(client, slot)) == {"openItems": 2, "captionOpen": False, "blindLeft": 0}
        *_, final = decide_questions(client, slot)
    assert final.status_code == 200 and progress(final) == DONE


def test_a_refused_caption_save_says_where_the_person_still_stands(answered_clip):
    client, slot = answered_clip
    decide_questions(client, slot)
    refused = client.post(reverse("review-caption", args=[slot.pk]), {"decision": "reject", "version": 1})
    assert refused.status_code == 400 and progress(refused) == {"openItems": 0, "captionOpen": True, "blindLeft": 0}


def test_the_banner_of_a_clip_handed_back_is_marked_for_the_page_to_drop(answered_clip):
    client, slot = answered_clip
    page = client.post(reverse("queue-start", args=[slot.queue_id]), follow=True).content.decode()
    assert '<p class="notice slot-unfinished" role="status">This clip is still yours to finish' in page
