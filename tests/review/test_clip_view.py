"""The read-only clip view (reviewers and admins): scrubber on the clip's own media URLs, the caption, every
question with its key, flags, current predictions and its history in words; withheld clips are a 404
everywhere under clips/<id>/; a fixed number of queries; clip names elsewhere link to it."""

import json
import re

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotation.models import AuditEvent, BaselineRun, Prediction, QualityFlag
from annotation.services.audited_writes import Actor
from annotation.services.content import item_edit, video_register
from annotation.services.flags import flag_waive
from review.models import QueueSlot
from review.scrubber import scrub_view
from review.selectors.history import event_in_words
from review.services.blind_answers import blind_answer_record
from review.services.claims import claim_next
from review.services.queues import queue_create
from review.services.reviews import review_record


def scrub_data(page: str) -> dict:
    return json.loads(re.search(r'<script id="scrub-data" type="application/json">(.*?)</script>', page, re.S).group(1))


def _flag(benchmark, *, kind: str, message: str, item=None, caption=None) -> QualityFlag:
    target = f"item:{item.pk}" if item else f"caption:{caption.pk}"
    return QualityFlag.objects.create(
        benchmark=benchmark, item=item, caption=caption, target_key=target, kind=kind, source="lint", message=message
    )


@pytest.fixture
def clip_with_history(processed_clip, make_caption, make_item, benchmark, admin_user, annotator, reviewer):
    """A processed clip whose questions were answered blind, reviewed, edited, flagged, waived and predicted."""
    caption = make_caption(description="Nods <b>twice</b>")
    sad = make_item("SAD_0001", answer="Yes", question="Does the <script>alert(1)</script> head move?")
    fmar = make_item("FMAR_0001", task="FMAR", answer="A")
    make_item("MADU_0001", task="MADU", answer="The head moves down then up.", question="Describe the head movement.")
    queue = queue_create(benchmark=benchmark, name="first pass", created_by=admin_user, annotators=[annotator])
    slot = claim_next(queue=queue, user=annotator)
    blind_answer_record(slot_id=slot.pk, item_id=sad.pk, user=annotator, answer="No")
    blind_answer_record(slot_id=slot.pk, item_id=fmar.pk, user=annotator, answer="B")
    sad.refresh_from_db()
    review_record(
        slot=slot,
        item=sad,
        user=annotator,
        decision="reject",
        reject_reasons=["wrong_key"],
        reason="it does not <i>move</i>",
        seen_version=sad.version,
    )
    fmar.refresh_from_db()
    item_edit(
        item_id=fmar.pk,
        actor=Actor.person(reviewer),
        expected_version=fmar.version,
        changes={"answer": "B"},
        reason="key was off",
    )
    _flag(benchmark, item=sad, kind="label_leak", message="leaks <b>B1</b>")
    waived = _flag(benchmark, item=fmar, kind="duplicate_options", message="two alike")
    flag_waive(flag=waived, user=reviewer, reason="they differ in <i>tone</i>")
    _flag(benchmark, caption=caption, kind="import_conflict", message="generator changed it")
    run = BaselineRun.objects.create(benchmark=benchmark, name="random", predictor="random", settings_hash="x")
    sad.refresh_from_db()
    Prediction.objects.create(run=run, item=sad, item_version=sad.version, outcome="parsed", parsed_answer="No")
    Prediction.objects.create(run=run, item=fmar, item_version=1, outcome="parsed", parsed_answer="E")  # stale
    return processed_clip


def test_the_clip_view_shows_keys_caption_flags_predictions_and_history_in_words(client, clip_with_history, reviewer):
    client.force_login(reviewer)
    response = client.get(reverse("clip-detail", args=[clip_with_history.pk]))
    page = response.content.decode()
    assert response.status_code == 200 and "read-only" in page
    assert "Key: <b>Yes</b>" in page and "Key: <b>B</b>" in page  # FMAR's key as edited
    assert "Reference answer: <b>The head moves down then up.</b>" in page
    assert "Nods &lt;b&gt;twice&lt;/b&gt;" in page and "B1 · Nodding" in page  # the caption, every field
    assert 'title="leaks &lt;b&gt;B1&lt;/b&gt;"' in page and "Label leaked into the question</span>" in page
    assert "Duplicate options · waived" in page and "(waived: they differ in &lt;i&gt;tone&lt;/i&gt;)" in page
    assert "Generator changed a human-edited item" in page
    assert page.count("Models:") == 1 and "random → " in page  # the stale prediction of FMAR is not shown
    history = [
        "created as version 1",
        "machine: test-generator 0.1",
        "first pass: answered No from the video",
        "first pass: rejected (Wrong key), noting “it does not &lt;i&gt;move&lt;/i&gt;”",
        "edited answer “A” → “B”: key was off",
        "waived the flag Duplicate options: they differ in &lt;i&gt;tone&lt;/i&gt;",
    ]
    for line in history:
        assert line in page
    assert "Does the &lt;script&gt;alert(1)&lt;/script&gt; head move?" in page and "<script>alert(1)" not in page
    data = scrub_data(page)
    assert data["frameUrl"].startswith(f"/clips/{clip_with_history.pk}/frames/{{index}}.jpg?v=")
    assert f'src="/clips/{clip_with_history.pk}/clip.mp4"' in page
    for index in clip_with_history.model_view_indices["mac2026"]:
        assert f'data-frame="{index}"' in page


def test_the_clips_media_are_served_from_the_same_code_with_ranges_and_no_file_name(
    client, clip_with_history, reviewer
):
    client.force_login(reviewer)
    view = scrub_view(clip_with_history)
    frame = client.get(reverse("clip-frame", args=[clip_with_history.pk, 17]))
    with default_storage.open(view.scrub_file(17), "rb") as stored:
        assert frame.status_code == 200 and b"".join(frame.streaming_content) == stored.read()
    assert client.get(reverse("clip-frame", args=[clip_with_history.pk, 60])).status_code == 404
    url = reverse("clip-file", args=[clip_with_history.pk])
    part = client.get(url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part["Content-Range"].startswith("bytes 0-99/")
    whole = client.get(url)
    assert whole.status_code == 200 and "Content-Disposition" not in whole  # a stored name can carry the label


def test_the_review_pages_clip_does_not_name_its_file_either(client, clip_with_history, annotator):
    """The whole-file response used to carry FileResponse's Content-Disposition with the stored file name."""
    client.force_login(annotator)
    slot = QueueSlot.objects.get(claimed_by=annotator, video=clip_with_history)
    response = client.get(reverse("review-clip", args=[slot.pk]))
    assert response.status_code == 200 and "Content-Disposition" not in response


CLIP_URLS = ("clip-detail", "clip-player", "clip-file")


def test_a_clip_held_blind_is_a_404_everywhere_under_clips_until_the_blind_answers_are_in(
    client, processed_clip, make_item, benchmark, admin_user, reviewer
):
    item = make_item("SAD_0001", answer="Yes")
    queue = queue_create(benchmark=benchmark, name="verify", created_by=admin_user, annotators=[reviewer])
    slot = claim_next(queue=queue, user=reviewer)
    client.force_login(reviewer)
    urls = [reverse(name, args=[processed_clip.pk]) for name in CLIP_URLS]
    urls.append(reverse("clip-frame", args=[processed_clip.pk, 0]))
    assert [client.get(url).status_code for url in urls] == [404] * 4
    blind_answer_record(slot_id=slot.pk, item_id=item.pk, user=reviewer, answer="No")
    assert [client.get(url).status_code for url in urls] == [200] * 4


def test_the_player_is_the_compact_scrubber_that_fetches_the_clip_only_when_played(client, clip_with_history, reviewer):
    client.force_login(reviewer)
    html = client.get(reverse("clip-player", args=[clip_with_history.pk])).content.decode()
    assert "<html" not in html and 'class="scrubber compact"' in html and 'preload="none"' in html
    assert scrub_data(html)["frameCount"] == 60
    assert f'href="{reverse("clip-detail", args=[clip_with_history.pk])}"' in html


def _busy_clip(benchmark, make_item, generator, reviewer, name: str, questions: int):
    video = video_register(benchmark=benchmark, clip_name=name, actor=generator)
    for n in range(questions):
        item = make_item(f"SAD_{name}_{n}", video=video)
        item = item_edit(
            item_id=item.pk, actor=Actor.person(reviewer), expected_version=item.version, changes={"answer": "No"}
        )
        flag_waive(flag=_flag(benchmark, item=item, kind="label_leak", message="x"), user=reviewer, reason="fine")
    return video


def test_the_clip_view_reads_a_fixed_number_of_queries_whatever_its_questions_and_events(
    client, benchmark, make_item, generator, reviewer
):
    small = _busy_clip(benchmark, make_item, generator, reviewer, "small", 1)
    big = _busy_clip(benchmark, make_item, generator, reviewer, "big", 6)
    assert AuditEvent.objects.filter(target_kind="qaitem").count() >= 14
    client.force_login(reviewer)
    counts = []
    for video in (small, big):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("clip-detail", args=[video.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 10, counts


def test_clip_names_on_the_benchmark_page_link_to_the_clip_view(client, benchmark, make_item, reviewer):
    item = make_item("SAD_0001")
    client.force_login(reviewer)
    page = client.get(reverse("benchmark-detail", args=[benchmark.pk])).content.decode()
    link = f'<a href="{reverse("clip-detail", args=[item.video_id])}">clip_001</a>'
    assert page.count(link) == 2  # the clips table and the questions table


def test_events_in_words(db, reviewer):
    def said(**fields) -> str:
        return event_in_words(AuditEvent(actor_user=reviewer, target_kind="qaitem", target_id=1, **fields))

    assert (
        said(
            event_type="status_changed",
            before={"review_status": "needs_adjudication"},
            after={"review_status": "rejected"},
            reason="adjudicated (wrong key): no",
        )
        == "status needs adjudication → rejected: adjudicated (wrong key): no"
    )
    assert said(event_type="edited", before={"options": ["a", "b"]}, after={"options": ["a", "c"]}) == (
        "edited options “a / b” → “a / c”"
    )
    assert said(event_type="edit_refused", target_version=3, reason="") == (
        "edit refused: made on version 3, no longer the current one"
    )
    assert said(event_type="refused", reason="answer the clip's 2 remaining questions") == (
        "refused: answer the clip's 2 remaining questions"
    )
    assert said(event_type="edited", before={"question": "q"}, after={"question": "x" * 200}).endswith("x…”")
