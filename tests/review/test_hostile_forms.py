"""Hostile values on the pages' forms: each a 4xx naming its field, nothing written, never a 500."""

import pytest
from django.urls import reverse

from annotation.models import AuditEvent, Caption, QAItem
from review.models import CaptionReview, Queue, Review

HX = {"HX-Request": "true"}


def decide(client, slot, item, data):
    return client.post(reverse("review-decide", args=[slot.pk, item.pk]), data, headers=HX)


@pytest.fixture
def sad(answered_clip):
    return QAItem.objects.get(qid="SAD_0001")


def _nothing_written(item, events_before):
    assert QAItem.objects.get(pk=item.pk).version == item.version
    assert not Review.objects.filter(item=item).exists()
    assert AuditEvent.objects.filter(event_type__in=["created", "changed", "reviewed"]).count() == events_before


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"decision": "fix", "question": "Does it\x00 move?", "answer": "No", "confirm": "1"}, "question"),
        ({"decision": "fix", "question": "Does it move? <details open ontoggle=alert(1)>", "answer": "No"}, "question"),
        ({"decision": "fix", "question": "Does it move?", "answer": "N\u2028o", "confirm": "1"}, "answer"),
        ({"decision": "fix", "question": "x" * 20_001, "answer": "No", "confirm": "1"}, "question"),
        ({"decision": "accept", "reason": "fine\x00"}, "reason"),
        ({"decision": "reject", "reject_reasons": ["wrong_key"], "reject_note": "<script>x</script>"}, "reject_note"),
    ],
)
def test_text_that_is_not_plain_is_refused_at_its_field(answered_clip, sad, data, named):
    client, slot = answered_clip
    before = AuditEvent.objects.filter(event_type__in=["created", "changed", "reviewed"]).count()
    response = decide(client, slot, sad, {"version": sad.version} | data)
    assert response.status_code == 400
    assert named in response.content.decode()
    _nothing_written(sad, before)


@pytest.mark.parametrize(
    ("version", "says"), [("-1", "version"), ("", "missing"), (str(10**20), "version"), ("1e3", "version")]
)
def test_a_version_is_a_positive_whole_number_and_required(answered_clip, sad, version, says):
    client, slot = answered_clip
    before = AuditEvent.objects.filter(event_type__in=["created", "changed", "reviewed"]).count()
    response = decide(client, slot, sad, {"decision": "accept", "version": version})
    assert response.status_code == 400 and says in response.content.decode()
    _nothing_written(sad, before)


@pytest.mark.parametrize("field", ["description", "phase_early", "contact"])
def test_caption_fields_refuse_nul_and_markup_at_the_field(answered_clip, field):
    client, slot = answered_clip
    caption = Caption.objects.get(video_id=slot.video_id)
    for bad in ("moves\x00", "moves <img src=x onerror=alert(1)>"):
        response = client.post(
            reverse("review-caption", args=[slot.pk]),
            {"decision": "fix", "version": caption.version, field: bad, "confirm": "1"},
            headers=HX,
        )
        assert response.status_code == 400 and field in response.content.decode()
    assert Caption.objects.get(pk=caption.pk).version == caption.version
    assert not CaptionReview.objects.exists()


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lease_seconds": "3000000000"}, "lease_seconds"),
        ({"lease_seconds": "99999999999999999999999"}, "lease_seconds"),
        ({"overlap": "100000000000"}, "overlap"),
        ({"name": "two\nlines"}, "name"),
        ({"name": "<b>queue</b>"}, "name"),
        ({"name": "nul\x00"}, "name"),
    ],
)
def test_queue_settings_out_of_range_are_refused_at_the_field(admin_client, benchmark, change, field):
    data = {"name": "q1", "stage": "first_pass", "overlap": "1", "overlap_sample_percent": "100"}
    data |= {"lease_seconds": "1800", "order": "flagged_first"} | change
    response = admin_client.post(reverse("queue-new", args=[benchmark.pk]), data)
    assert response.status_code in (200, 400)
    assert not Queue.objects.exists()
    assert f'name="{field}"' in response.content.decode()


def test_a_range_with_a_huge_number_is_ignored_not_a_500(claimed_clip):
    client, slot = claimed_clip
    for header in (f"bytes={'9' * 5000}-", f"bytes=0-{'9' * 5000}", f"bytes=-{'9' * 5000}"):
        response = client.get(reverse("review-clip", args=[slot.pk]), headers={"Range": header})
        assert response.status_code == 200
    assert client.get(reverse("review-clip", args=[slot.pk]), headers={"Range": "bytes=0-9"}).status_code == 206
