import random

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from annotation.audit.replay import replay_mismatches, replayed_state, stored_state
from annotation.domain.transitions import REVIEW_TRANSITIONS, IllegalTransition, ReviewStatus
from annotation.models import Caption, QAItem
from annotation.services.audited_writes import Actor, EditConflict, create_audited_many
from annotation.services.content import caption_edit, item_edit, review_status_set


@pytest.fixture
def content(benchmark, video, make_item, generator):
    items = [make_item(f"SAD_{n:04d}") for n in range(6)] + [make_item(f"FMAR_{n:04d}", task="FMAR") for n in range(4)]
    [caption] = create_audited_many(
        model=Caption,
        actor=generator,
        rows=[
            {
                "video": video,
                "coarse_label": "B",
                "fine_label": "B1",
                "dominant_part": "head",
                "trend": "repetitive",
            }
        ],
    )
    return items, caption


def random_operation(rng, items, caption, actors):
    actor = Actor.person(rng.choice(actors))
    target = rng.choice(items + [caption])
    model = type(target)
    target.refresh_from_db()
    seen = target.version - (1 if rng.random() < 0.15 else 0)  # sometimes stale
    roll = rng.random()
    if roll < 0.4:
        allowed = REVIEW_TRANSITIONS.allowed[target.review_status]
        refused = sorted(set(ReviewStatus.values) - allowed - {target.review_status})  # an illegal move, sometimes
        status = rng.choice(sorted(allowed) + refused[:1])
        review_status_set(model=model, pk=target.pk, status=status, actor=actor, expected_version=seen)
    elif model is Caption:
        caption_edit(
            caption_id=target.pk,
            actor=actor,
            expected_version=seen,
            changes={"description": f"edit {rng.random():.6f}", "other_parts": ["left hand"][: rng.randint(0, 1)]},
        )
    elif target.task == "FMAR":
        item_edit(
            item_id=target.pk,
            actor=actor,
            expected_version=seen,
            changes={"answer": rng.choice("ABCDEF"), "options": rng.sample(target.options, 5)},
        )
    else:
        item_edit(
            item_id=target.pk,
            actor=actor,
            expected_version=seen,
            changes={"answer": rng.choice(["Yes", "No", ""]), "question": f"Q {rng.randint(0, 9)}?"},
        )


def test_replaying_the_trail_rebuilds_every_row_exactly(content, annotator, reviewer, admin_user):
    items, caption = content
    rng, outcomes = random.Random(20261125), {"ok": 0, "conflict": 0, "illegal": 0, "invalid": 0}
    for _ in range(400):
        try:
            random_operation(rng, items, caption, [annotator, reviewer, admin_user])
            outcomes["ok"] += 1
        except EditConflict:
            outcomes["conflict"] += 1
        except IllegalTransition:
            outcomes["illegal"] += 1
        except ValidationError:
            outcomes["invalid"] += 1
    assert all(outcomes.values()), outcomes  # every kind of outcome was exercised
    assert replay_mismatches() == []
    replayed = replayed_state(QAItem)
    assert replayed == stored_state(QAItem)
    assert sum(state["version"] for state in replayed.values()) > len(items) * 5


def test_a_write_that_bypasses_the_service_is_caught_by_replay(content):
    items, _ = content
    QAItem.objects.filter(pk=items[0].pk).update(answer="No")
    [mismatch] = replay_mismatches()
    assert (mismatch.kind, mismatch.target_id, mismatch.field) == ("qaitem", items[0].pk, "answer")
    assert (mismatch.replayed, mismatch.stored) == ("Yes", "No")
    with pytest.raises(CommandError, match="1 field"):
        call_command("verify_audit_trail")


def test_verify_command_reports_a_clean_trail(content, capsys):
    call_command("verify_audit_trail")
    assert "rebuilds all 13 rows exactly" in capsys.readouterr().out  # benchmark, video, caption, 10 items
