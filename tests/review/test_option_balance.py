"""Balancing a choice task's key letters by reordering options: the fewest moves, one audited edit each, texts
and the key's text unchanged, review statuses kept, nothing moved under people reviewing the clip; the command
and the admin page."""

import io
import itertools
import random
from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotation.errors import InvalidInput
from annotation.models import AuditEvent, QAItem, QualityFlag
from annotation.services.audited_writes import Actor
from annotation.services.content import item_edit, review_status_set
from annotation.services.flags import flag_waive, lint_run
from review.services import option_balance
from review.services.claims import claim_next
from review.services.option_balance import (
    HoldsClipBlind,
    Key,
    balancing_moves,
    is_pure_reorder,
    letter_targets,
    options_rebalance,
    options_with_key_at,
)
from review.services.queues import queue_create
from review.services.reviews import _edited_since_status_set

FINE = ["Nodding", "Shaking head", "Waving", "Shrugging", "Tiptoe"]
SKEWED = "A" * 18 + "B" * 3 + "C" * 3 + "D" * 3 + "E" * 3  # 30 items: 18 keyed A


# --- the rules --------------------------------------------------------------------------------------


def test_targets_are_as_uniform_as_the_count_allows_the_extra_keys_to_the_fullest_letters():
    assert letter_targets(Counter(A=14, B=4, C=4, D=4, E=4), "ABCDE") == dict.fromkeys("ABCDE", 6)
    assert letter_targets(Counter(A=3, D=9, E=1), "ABCDE") == {"A": 3, "B": 2, "C": 2, "D": 3, "E": 3}


def _keys(letters: str) -> list[Key]:
    return [Key(n, f"FMAR_{n:04d}", letter) for n, letter in enumerate(letters, start=1)]


def _after(keys, moves) -> Counter:
    after = Counter(key.letter for key in keys)
    for move in moves:
        after[move.from_letter] -= 1
        after[move.to_letter] += 1
    return after


def test_the_moves_are_the_fewest_that_reach_uniform_letters_and_are_deterministic():
    rng = random.Random(7)
    for _ in range(200):
        k = rng.choice((5, 7))
        keys = _keys("".join(rng.choice("ABCDEFG"[:k]) for _ in range(rng.randint(0, 60))))
        moves = balancing_moves(keys, "ABCDEFG"[:k], movable={key.item_id for key in keys})
        counts = Counter(key.letter for key in keys)
        targets = letter_targets(counts, "ABCDEFG"[:k])
        # each move changes one item's letter: at least the total surplus must move, and no more does
        assert len(moves) == sum(max(counts[letter] - targets[letter], 0) for letter in targets)
        after = _after(keys, moves)
        assert all(after[letter] == targets[letter] for letter in targets)
        assert len({move.item_id for move in moves}) == len(moves)
        assert moves == balancing_moves(list(reversed(keys)), "ABCDEFG"[:k], {key.item_id for key in keys})


def test_items_that_may_not_move_stay_and_the_others_are_taken_in_qid_order():
    keys = _keys("AAAAAAB")  # 7 over 5 letters: A and B (the fullest) keep 2, the others get 1
    moves = balancing_moves(keys, "ABCDE", movable={2, 3, 4, 5, 6})
    assert [(m.qid, m.to_letter) for m in moves] == [
        ("FMAR_0002", "B"),
        ("FMAR_0003", "C"),
        ("FMAR_0004", "D"),
        ("FMAR_0005", "E"),
    ]
    assert [m.qid for m in balancing_moves(keys, "ABCDE", movable={6})] == ["FMAR_0006"]


def test_a_move_swaps_the_keys_option_with_the_option_at_the_new_letter():
    assert options_with_key_at(FINE, "A", "D") == ["Shrugging", "Shaking head", "Waving", "Nodding", "Tiptoe"]


def test_only_a_reorder_that_keeps_every_text_and_the_keys_text_is_pure():
    before = {"options": FINE, "answer": "A"}
    assert is_pure_reorder(before, {"options": options_with_key_at(FINE, "A", "D"), "answer": "D"})
    assert not is_pure_reorder(before, {"options": options_with_key_at(FINE, "A", "D"), "answer": "B"})  # key moved
    assert not is_pure_reorder(before, {"options": ["Tiptoe", *FINE[1:4], "Nodding"], "answer": "A"})  # key text
    assert not is_pure_reorder(before, {"options": ["Rising up", *FINE[1:]], "answer": "A"})  # a text changed
    assert not is_pure_reorder({"options": FINE}, {"options": list(reversed(FINE))})  # key letter unknown
    assert not is_pure_reorder({"question": "a"}, {"question": "b"})


# --- the service --------------------------------------------------------------------------------------


@pytest.fixture
def skewed(make_clip):
    """30 FMAR items on clips of their own, 18 keyed A and 3 each B-E."""
    return [make_clip(f"bal_{n:03d}", {f"FMAR_{n:04d}": ("FMAR", letter)})[1][0] for n, letter in enumerate(SKEWED, 1)]


def _state(items):
    rows = QAItem.objects.filter(pk__in=[item.pk for item in items]).order_by("pk")
    return {i.pk: (sorted(i.options), i.options["ABCDE".index(i.answer)], i.review_status) for i in rows}


def test_rebalancing_moves_the_fewest_keys_one_audited_edit_each_and_keeps_texts_and_statuses(skewed, admin_user):
    benchmark = skewed[0].benchmark
    for item in skewed[:3]:
        for status in ("in_review", "accepted"):
            review_status_set(
                model=QAItem, pk=item.pk, status=status, actor=Actor.person(admin_user), expected_version=None
            )
    before = _state(skewed)
    lint_run(benchmark=benchmark)
    assert (
        QualityFlag.objects.get(kind="option_position_balance").status == "open"
    )  # 18/3/3/3/3: chi-square 30, p < 0.001
    steps = []
    done = options_rebalance(benchmark=benchmark, task="FMAR", user=admin_user, progress=lambda *s: steps.append(s))

    assert len(done.moves) == 12 and done.applied and steps[-1] == (12, 12)
    assert done.after == dict.fromkeys("ABCDE", 6) == dict(Counter(QAItem.objects.values_list("answer", flat=True)))
    assert _state(skewed) == before  # same texts, same key texts, same review statuses
    assert {QAItem.objects.get(pk=m.item_id).review_status for m in done.moves if m.qid <= "FMAR_0003"} == {"accepted"}
    edits = AuditEvent.objects.filter(event_type="edited", actor_user=admin_user, target_kind="qaitem")
    assert sorted(edits.values_list("target_id", flat=True)) == sorted(m.item_id for m in done.moves)
    for event in edits:
        assert set(event.after) == {"options", "answer"} and is_pure_reorder(event.before, event.after)
        assert "option texts and the key's text unchanged" in event.reason
    assert QualityFlag.objects.get(kind="option_position_balance").status == "resolved"

    again = options_rebalance(benchmark=benchmark, task="FMAR", user=admin_user)
    assert again.moves == [] and edits.count() == 12
    assert "moved the key of 0 items; keys A-E 6/6/6/6/6 before, 6/6/6/6/6 after." in again.summary()


def test_a_dry_run_and_a_plan_for_chosen_items_change_nothing_outside_them(skewed, admin_user):
    benchmark = skewed[0].benchmark
    plan = options_rebalance(benchmark=benchmark, task="FMAR", user=admin_user, dry_run=True)
    assert len(plan.moves) == 12 and not plan.applied and "would move the key of 12 items" in plan.summary()
    assert not AuditEvent.objects.filter(event_type="edited").exists()
    chosen = [skewed[0].pk, skewed[1].pk, skewed[20].pk]  # two A items and a B item (B is below its target)
    done = options_rebalance(benchmark=benchmark, task="FMAR", user=admin_user, item_ids=chosen)
    assert sorted(m.item_id for m in done.moves) == chosen[:2]
    with pytest.raises(InvalidInput, match="item_ids") as unknown:
        options_rebalance(benchmark=benchmark, task="FMAR", user=admin_user, item_ids=[10**9])
    assert unknown.value.field == "item_ids"
    with pytest.raises(InvalidInput, match="not a choice task") as not_choice:
        options_rebalance(benchmark=benchmark, task="SAD", user=admin_user)
    assert not_choice.value.field == "task"


def test_only_admins_rebalance(skewed, reviewer):
    with pytest.raises(PermissionDenied):
        options_rebalance(benchmark=skewed[0].benchmark, task="FMAR", user=reviewer, dry_run=True)


def test_nothing_moves_under_people_reviewing_and_the_summary_names_what_stayed(
    skewed, admin_user, annotator, reviewer
):
    benchmark = skewed[0].benchmark
    held_clip = skewed[0]
    queue = queue_create(
        benchmark=benchmark, name="blind", created_by=admin_user, annotators=[annotator], filters={"clips": ["bal_001"]}
    )
    claim_next(queue=queue, user=annotator)  # holds FMAR_0001's clip blind
    in_review = review_status_set(
        model=QAItem, pk=skewed[1].pk, status="in_review", actor=Actor.person(admin_user), expected_version=None
    )
    QualityFlag.objects.create(
        benchmark=benchmark,
        item=skewed[2],
        target_key=f"item:{skewed[2].pk}",
        kind="label_leak",
        source="lint",
        message="leak",
        target_version=skewed[2].version,
    )
    flag_waive(flag=QualityFlag.objects.get(kind="label_leak"), user=reviewer, reason="not a leak")
    held_versions = {i.pk: QAItem.objects.get(pk=i.pk).version for i in (held_clip, in_review, skewed[2])}

    done = options_rebalance(benchmark=benchmark, task="FMAR", user=admin_user)
    assert done.held == {
        "on a clip in review": ["FMAR_0001"],
        "in review": ["FMAR_0002"],
        "with a waived flag": ["FMAR_0003"],
    }
    assert len(done.moves) == 12 and done.after == dict.fromkeys("ABCDE", 6)  # other A items moved instead
    assert {pk: QAItem.objects.get(pk=pk).version for pk in held_versions} == held_versions
    assert "not moved: 1 on a clip in review (FMAR_0001); 1 in review (FMAR_0002)" in done.summary()


def test_a_person_holding_a_clip_of_the_benchmark_blind_gets_no_plan(skewed, admin_user):
    queue = queue_create(benchmark=skewed[0].benchmark, name="blind", created_by=admin_user, annotators=[admin_user])
    claim_next(queue=queue, user=admin_user)
    with pytest.raises(HoldsClipBlind, match="blind"):
        options_rebalance(benchmark=skewed[0].benchmark, task="FMAR", user=admin_user, dry_run=True)
    event = AuditEvent.objects.filter(event_type="refused", target_kind="benchmark").latest("id")
    assert event.actor_user == admin_user and event.after["action"] == "options rebalance"


def test_an_item_edited_after_the_plan_is_not_moved_and_its_refusal_is_recorded(
    skewed, admin_user, reviewer, monkeypatch
):
    plan_now = option_balance.rebalance_plan

    def plan_then_edit(**kwargs):
        plan = plan_now(**kwargs)
        first = QAItem.objects.get(pk=plan.moves[0].item_id)
        item_edit(
            item_id=first.pk,
            actor=Actor.person(reviewer),
            expected_version=first.version,
            changes={"question": "Which fine-grained label fits best?"},
            reason="wording",
        )
        return plan

    monkeypatch.setattr(option_balance, "rebalance_plan", plan_then_edit)
    done = options_rebalance(benchmark=skewed[0].benchmark, task="FMAR", user=admin_user)
    assert done.held == {"changed meanwhile": ["FMAR_0001"]} and len(done.moves) == 11
    refused = AuditEvent.objects.get(event_type="edit_refused", target_id=skewed[0].pk)
    assert refused.actor_user == admin_user and refused.after["answer"] != "A"
    assert QAItem.objects.get(pk=skewed[0].pk).answer == "A"


def test_a_pure_reorder_is_no_fix_of_a_rejected_item_but_a_real_edit_is(skewed, admin_user, reviewer):
    item = skewed[0]
    for status in ("in_review", "rejected"):
        item = review_status_set(
            model=QAItem, pk=item.pk, status=status, actor=Actor.person(admin_user), expected_version=None
        )
    options_rebalance(benchmark=item.benchmark, task="FMAR", user=admin_user, item_ids=[item.pk])
    item.refresh_from_db()
    assert item.answer != "A" and item.review_status == "rejected"
    assert not _edited_since_status_set(QAItem, item.pk)
    item_edit(
        item_id=item.pk,
        actor=Actor.person(reviewer),
        expected_version=item.version,
        changes={"options": ["Rising up", *item.options[1:]]},
        reason="fix",
    )
    assert _edited_since_status_set(QAItem, item.pk)


# --- the command and the page --------------------------------------------------------------------------


def test_the_command_plans_with_dry_run_and_moves_as_the_named_admin(skewed, admin_user):
    name = skewed[0].benchmark.name
    out = io.StringIO()
    call_command("rebalance_options", "--benchmark", name, "--task", "FMAR", "--dry-run", stdout=out)
    assert "FMAR: would move the key of 12 items; keys A-E 18/3/3/3/3 before, 6/6/6/6/6 after." in out.getvalue()
    assert "  FMAR_0001: A -> B" in out.getvalue()
    assert not AuditEvent.objects.filter(event_type="edited").exists()
    with pytest.raises(CommandError, match="--user is needed"):
        call_command("rebalance_options", "--benchmark", name, "--task", "FMAR", stdout=io.StringIO())
    out = io.StringIO()
    call_command("rebalance_options", "--benchmark", name, "--task", "FMAR", "--user", admin_user.username, stdout=out)
    assert "reordered 12/12" in out.getvalue() and "FMAR: moved the key of 12 items" in out.getvalue()
    assert AuditEvent.objects.filter(event_type="edited", actor_user=admin_user).count() == 12
    with pytest.raises(CommandError, match="no FMAR item"):
        call_command("rebalance_options", "--benchmark", name, "--task", "FMAR", "--qid", "FMAR_9999", stdout=out)


def test_the_admin_page_plans_and_moves_one_task_confirmed_with_its_count(client, skewed, admin_user):
    client.force_login(admin_user)
    url = reverse("options-rebalance", args=[skewed[0].benchmark_id])
    page = client.get(url).content.decode()
    assert 'id="rebalance-FMAR"' in page and 'id="rebalance-CMAR"' in page
    assert "Reorder the options of 12 FMAR items" in page
    stale = client.post(url, {"task": "FMAR", "moves": "5"})
    assert stale.status_code == 409 and "the plan now moves 12 items, not 5" in stale.content.decode()
    assert client.post(url, {"task": "SAD", "moves": "1"}).status_code == 400
    assert not AuditEvent.objects.filter(event_type="edited").exists()
    done = client.post(url, {"task": "FMAR", "moves": "12", "note": "before v1"})
    assert done.status_code == 302 and done["Location"] == url
    assert "FMAR: moved the key of 12 items" in client.get(url).content.decode()
    reasons = set(AuditEvent.objects.filter(event_type="edited").values_list("reason", flat=True))
    assert all(reason.endswith("; before v1") for reason in reasons) and len(reasons) >= 1
    assert sorted(Counter(QAItem.objects.values_list("answer", flat=True)).values()) == [6] * 5


def test_the_page_shows_no_plan_to_an_admin_holding_a_clip_blind(client, skewed, admin_user):
    queue = queue_create(benchmark=skewed[0].benchmark, name="blind", created_by=admin_user, annotators=[admin_user])
    claim_next(queue=queue, user=admin_user)
    client.force_login(admin_user)
    response = client.get(reverse("options-rebalance", args=[skewed[0].benchmark_id]))
    assert response.status_code == 409 and "Keys now" not in response.content.decode()


def test_every_plan_reaches_uniform_letters_for_small_cases():
    for letters in itertools.product("ABC", repeat=5):
        keys = _keys("".join(letters))
        after = _after(keys, balancing_moves(keys, "ABCDE", {key.item_id for key in keys}))
        assert all(after[letter] == 1 for letter in "ABCDE")
