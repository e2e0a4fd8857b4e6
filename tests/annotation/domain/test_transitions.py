import itertools

import pytest

from annotation.domain.transitions import (
    REVIEW_TRANSITIONS,
    ROUND_SETTLES,
    VIDEO_TRANSITIONS,
    IllegalTransition,
    ReviewStatus,
    RoundOutcome,
    VideoStatus,
    round_settles,
)
from annotation.models import AuditEvent, QAItem, Video
from annotation.services.audited_writes import Actor, change_audited
from annotation.services.content import review_status_set

S = ReviewStatus
O = RoundOutcome


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
        review_status_set(
            model=QAItem, pk=item.pk, status=S.IN_REVIEW, actor=Actor.person(reviewer), expected_version=2
        )
    assert "QA item SAD_0002" in str(raised.value)
    assert "from 'excluded' to 'in_review'" in str(raised.value)
    assert raised.value.allowed == {"imported", "accepted", "rejected", "needs_adjudication"}
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


def test_every_move_a_review_round_makes_is_one_the_transition_map_allows():
    assert set(ROUND_SETTLES) == set(ReviewStatus.values)
    for current, row in ROUND_SETTLES.items():
        assert set(row) <= set(RoundOutcome.values)
        for target in row.values():
            REVIEW_TRANSITIONS.check(target="x", current=current, requested=target)


def settle(current, outcome, *, changed=False, reopens_excluded=False):
    return round_settles(
        current=current, outcome=outcome, reopens_excluded=reopens_excluded, content_changed=lambda: changed
    )


@pytest.mark.parametrize(
    ("current", "outcome", "changed", "expected"),
    [
        # a first round (imported, or in review until its k copies are in)
        (S.IMPORTED, O.ACCEPT, False, S.ACCEPTED),
        (S.IN_REVIEW, O.ACCEPT, True, S.ACCEPTED),
        (S.IN_REVIEW, O.REJECT, False, S.REJECTED),
        (S.IMPORTED, O.DISPUTED, False, S.NEEDS_ADJUDICATION),
        # a later round over a settled item: confirming changes nothing; disagreeing goes to adjudication
        (S.ACCEPTED, O.ACCEPT, False, None),
        (S.ACCEPTED, O.ACCEPT, True, None),
        (S.ACCEPTED, O.REJECT, False, S.NEEDS_ADJUDICATION),
        (S.ACCEPTED, O.DISPUTED, False, S.NEEDS_ADJUDICATION),
        (S.REJECTED, O.ACCEPT, True, S.ACCEPTED),  # fixed since it was rejected
        (S.REJECTED, O.ACCEPT, False, S.NEEDS_ADJUDICATION),  # the same content, judged both ways
        (S.REJECTED, O.REJECT, False, None),
        (S.REJECTED, O.DISPUTED, True, S.NEEDS_ADJUDICATION),
        # only an adjudication settles a dispute
        (S.NEEDS_ADJUDICATION, O.ACCEPT, True, None),
        (S.NEEDS_ADJUDICATION, O.REJECT, False, None),
        (S.NEEDS_ADJUDICATION, O.DISPUTED, False, None),
    ],
)
def test_a_rounds_outcome_moves_a_target_from_the_status_it_has(current, outcome, changed, expected):
    assert settle(current, outcome, changed=changed) == expected


def test_an_exclusion_stands_unless_the_queue_reopens_excluded_items():
    for outcome in (O.ACCEPT, O.REJECT, O.DISPUTED):
        assert settle(S.EXCLUDED, outcome, changed=True) is None
    assert settle(S.EXCLUDED, O.ACCEPT, reopens_excluded=True) == S.ACCEPTED
    assert settle(S.EXCLUDED, O.REJECT, reopens_excluded=True) == S.REJECTED
    assert settle(S.EXCLUDED, O.DISPUTED, reopens_excluded=True) == S.NEEDS_ADJUDICATION


def test_whether_the_content_changed_is_asked_only_where_it_decides():
    asked = []

    def changed():
        asked.append(True)
        return True

    for current in (S.IMPORTED, S.ACCEPTED, S.NEEDS_ADJUDICATION):
        round_settles(current=current, outcome=O.ACCEPT, reopens_excluded=False, content_changed=changed)
    assert not asked
    round_settles(current=S.REJECTED, outcome=O.ACCEPT, reopens_excluded=False, content_changed=changed)
    assert asked == [True]
