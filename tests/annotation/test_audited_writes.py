import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection

from annotation.models import AuditEvent
from annotation.services.audited_writes import Actor, EditConflict
from annotation.services.content import item_edit


def events_of(item):
    return list(AuditEvent.objects.filter(target_kind="qaitem", target_id=item.pk).order_by("id"))


def test_creation_records_the_whole_row_attributed_to_the_generator(make_item):
    item = make_item("SAD_0001", question="Does the <b>head</b> move?")
    [created] = events_of(item)
    assert created.event_type == "created"
    assert (created.actor_user, created.actor_source) == (None, "test-generator 0.1")
    assert created.after["question"] == "Does the <b>head</b> move?"
    assert created.after["qid"] == "SAD_0001" and created.target_version == 1


def test_an_edit_records_only_the_changed_fields_before_and_after(make_item, annotator):
    item = make_item("SAD_0002", answer="Yes")
    item = item_edit(
        item_id=item.pk,
        actor=Actor.person(annotator),
        expected_version=1,
        changes={"answer": "No", "question": item.question},
        reason="the head moves up",
    )
    assert (item.answer, item.version) == ("No", 2)
    edit = events_of(item)[-1]
    assert (edit.event_type, edit.before, edit.after) == ("edited", {"answer": "Yes"}, {"answer": "No"})
    assert (edit.actor_user, edit.reason, edit.target_version) == (annotator, "the head moves up", 2)


def test_an_edit_that_changes_nothing_writes_nothing(make_item, annotator):
    item = make_item("SAD_0003")
    item = item_edit(item_id=item.pk, actor=Actor.person(annotator), expected_version=1, changes={"answer": "Yes"})
    assert item.version == 1 and len(events_of(item)) == 1


def test_a_stale_edit_is_refused_and_both_versions_survive_in_the_trail(make_item, annotator, reviewer):
    item = make_item("SAD_0004", question="Does the head move down?")
    seen = item.version  # both people opened version 1
    item_edit(
        item_id=item.pk,
        actor=Actor.person(annotator),
        expected_version=seen,
        changes={"question": "Does the head move down twice?"},
    )
    with pytest.raises(EditConflict) as raised:
        item_edit(
            item_id=item.pk,
            actor=Actor.person(reviewer),
            expected_version=seen,
            changes={"question": "Does the head nod once?"},
        )
    assert (raised.value.seen_version, raised.value.current_version) == (1, 2)
    assert "changed meanwhile" in str(raised.value)
    item.refresh_from_db()
    assert (item.question, item.version) == ("Does the head move down twice?", 2)
    won, lost = events_of(item)[-2:]
    assert (won.event_type, won.actor_user, won.after) == (
        "edited",
        annotator,
        {"question": "Does the head move down twice?"},
    )
    assert (lost.event_type, lost.actor_user, lost.target_version) == ("edit_refused", reviewer, 1)
    assert lost.after == {"question": "Does the head nod once?"}
    assert lost.before == {"question": "Does the head move down twice?"}


def test_an_invalid_edit_is_refused_whole_and_leaves_no_event(make_item, annotator):
    item = make_item("FMAR_0001", task="FMAR")
    with pytest.raises(ValidationError) as raised:
        item_edit(
            item_id=item.pk,
            actor=Actor.person(annotator),
            expected_version=1,
            changes={"question": "Which label?", "answer": "F"},
        )
    assert "'F' is not one of the option letters A, B, C, D, E" in str(raised.value)
    item.refresh_from_db()
    assert (item.question, item.answer, item.version) == ("Which fine-grained label fits?", "A", 1)
    assert len(events_of(item)) == 1


def test_fields_outside_the_editable_set_are_refused(make_item, annotator):
    item = make_item("SAD_0005")
    with pytest.raises(ValueError, match="review_status cannot be edited here"):
        item_edit(
            item_id=item.pk, actor=Actor.person(annotator), expected_version=1, changes={"review_status": "accepted"}
        )


@pytest.mark.parametrize("kwargs", [{}, {"user": object(), "source": "gen"}])
def test_an_actor_is_a_person_or_a_machine(kwargs):
    with pytest.raises(ValueError, match="either a user or a machine source"):
        Actor(**kwargs)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_edits_of_one_version_let_exactly_one_win(make_item, annotator, reviewer):
    assert connection.vendor == "postgresql", "row locks are only meaningful on PostgreSQL"
    item = make_item("SAD_0006")
    barrier, outcomes = threading.Barrier(2), []

    def edit(user, question):
        try:
            barrier.wait()
            item_edit(item_id=item.pk, actor=Actor.person(user), expected_version=1, changes={"question": question})
            outcomes.append(("won", question))
        except EditConflict:
            outcomes.append(("refused", question))
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(target=edit, args=args) for args in ((annotator, "Left hand?"), (reviewer, "Right hand?"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(kind for kind, _ in outcomes) == ["refused", "won"]
    winner = next(question for kind, question in outcomes if kind == "won")
    item.refresh_from_db()
    assert (item.question, item.version) == (winner, 2)
    assert [e.event_type for e in events_of(item)] == ["created", "edited", "edit_refused"]
