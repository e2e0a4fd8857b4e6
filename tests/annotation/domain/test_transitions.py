import itertools

import pytest

from annotation.domain.transitions import (
    REVIEW_TRANSITIONS,
    VIDEO_TRANSITIONS,
    IllegalTransition,
    ReviewStatus,
    VideoStatus,
)
from annotation.models import AuditEvent, QAItem, Video
from annotation.services.audited_writes import Actor, change_audited
from annotation.services.content import review_status_set

S = ReviewStatus


@pytest.mark.parametrize(
    ("machine", "states"), [(REVIEW_TRANSITIONS, ReviewStatus.values), (VIDEO_TRANSITIONS, VideoStatus.values)]
)
def test_every_pair_of_states_is_allowed_exactly_when_the_map_says(machine, states):
    for current, requested in itertools.product(states, states):
        if requested in machine.allowed[current]:
            machine.check(target="x", current=current, requested=requested)
        else:
            with pytest.raises(IllegalTransition):
                machine.check(target="x", current=current, requested=requested)


def test_every_state_has_a_way_out_and_every_target_is_a_known_state():
    for machine, states in (
        (REVIEW_TRANSITIONS, set(ReviewStatus.values)),
        (VIDEO_TRANSITIONS, set(VideoStatus.values)),
    ):
        assert set(machine.allowed) == states
        for targets in machine.allowed.values():
            assert targets and targets <= states


def test_review_walks_the_allowed_path_and_records_each_step(make_item, reviewer):
    item = make_item("SAD_0001")
    actor = Actor.person(reviewer)
    for step, status in enumerate((S.IN_REVIEW, S.NEEDS_ADJUDICATION, S.ACCEPTED), start=1):
        item = review_status_set(model=QAItem, pk=item.pk, status=status, actor=actor, expected_version=item.version)
        assert item.review_status == status and item.version == 1 + step
    events = AuditEvent.objects.filter(target_kind="qaitem", target_id=item.pk, event_type="status_changed")
    assert [(e.before["review_status"], e.after["review_status"]) for e in events] == [
        ("imported", "in_review"),
        ("in_review", "needs_adjudication"),
        ("needs_adjudication", "accepted"),
    ]
    assert {e.actor_user_id for e in events} == {reviewer.pk}


def test_an_illegal_transition_raises_a_named_error_and_changes_nothing(make_item, reviewer):
    item = make_item("SAD_0002")
    review_status_set(model=QAItem, pk=item.pk, status=S.EXCLUDED, actor=Actor.person(reviewer), expected_version=1)
    events_before = AuditEvent.objects.count()
    with pytest.raises(IllegalTransition) as raised:
        review_status_set(model=QAItem, pk=item.pk, status=S.ACCEPTED, actor=Actor.person(reviewer), expected_version=2)
    assert "QA item SAD_0002" in str(raised.value)
    assert "from 'excluded' to 'accepted'" in str(raised.value)
    assert raised.value.allowed == {"imported"}
    item.refresh_from_db()
    assert (item.review_status, item.version) == (S.EXCLUDED, 2)
    assert AuditEvent.objects.count() == events_before


def test_video_status_follows_its_own_map(video):
    worker = Actor.machine("frame worker")
    with pytest.raises(IllegalTransition, match="video status cannot go from 'pending' to 'ready'"):
        change_audited(model=Video, pk=video.pk, actor=worker, changes={"status": "ready"}, expected_version=None)
    for status in (VideoStatus.PROCESSING, VideoStatus.FAILED, VideoStatus.PENDING):
        video = change_audited(
            model=Video, pk=video.pk, actor=worker, changes={"status": status}, expected_version=None
        )
    assert video.status == VideoStatus.PENDING and video.version == 4
