"""The one rule for a generator revising an item or caption, as imports and generation runs call it."""

import pytest

from annotation.domain.transitions import ReviewStatus
from annotation.models import AuditEvent, Caption, QAItem, QualityFlag
from annotation.services.audited_writes import Actor, create_audited
from annotation.services.content import caption_edit, review_status_set
from annotation.services.machine_revisions import RevisionOutcome, machine_revise, machine_versions_of_human_edited

REGENERATOR = Actor.machine("regenerator 2.0")


def revise(target, values, **how):
    human_edited = machine_versions_of_human_edited(target.audit_kind, [target.pk])
    return machine_revise(target, values, human_edited=human_edited, actor=REGENERATOR, **how)


@pytest.fixture
def caption(video, generator):
    return create_audited(
        model=Caption,
        actor=generator,
        values={
            "video": video,
            "coarse_label": "B",
            "fine_label": "B1",
            "dominant_part": "head",
            "trend": "repetitive",
            "description": "The head nods twice.",
            "generated_by": generator.source,
        },
    )


@pytest.mark.django_db
def test_a_changed_reviewed_item_is_revised_by_the_source_with_the_callers_reason(make_item, generator):
    item = make_item("SAD_0001")
    for status in (ReviewStatus.IN_REVIEW, ReviewStatus.ACCEPTED):
        review_status_set(model=QAItem, pk=item.pk, status=status, actor=generator, expected_version=None)
    item.refresh_from_db()
    assert revise(item, {"question": item.question}, reason="again", origin="generation") is RevisionOutcome.UNCHANGED
    outcome = revise(item, {"question": "Does the head move up?"}, reason="regenerated", origin="generation")
    item.refresh_from_db()
    assert outcome is RevisionOutcome.REVISED
    assert (item.question, item.review_status) == ("Does the head move up?", "imported")
    assert item.generated_by == REGENERATOR.source
    last = AuditEvent.objects.filter(target_kind="qaitem", target_id=item.pk).last()
    assert (last.actor_source, last.reason) == (REGENERATOR.source, "regenerated")


@pytest.mark.django_db
def test_a_caption_a_person_edited_is_kept_and_flagged_with_the_callers_origin(caption, annotator):
    caption_edit(
        caption_id=caption.pk,
        actor=Actor.person(annotator),
        expected_version=1,
        changes={"description": "The head nods once."},
    )
    caption.refresh_from_db()
    same = revise(caption, {"description": "The head nods twice."}, reason="re-import", origin="import")
    assert same is RevisionOutcome.UNCHANGED and not QualityFlag.objects.exists()  # the generator repeated itself
    changed = revise(caption, {"description": "The head nods three times."}, reason="re-import", origin="import")
    caption.refresh_from_db()
    assert changed is RevisionOutcome.KEPT_HUMAN_EDIT and caption.description == "The head nods once."
    flag = QualityFlag.objects.get(kind="import_conflict", caption=caption)
    assert flag.source == f"import: {REGENERATOR.source}"
    assert flag.details["incoming"] == {"description": "The head nods three times."}
