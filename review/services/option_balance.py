"""Balancing the key letters of a choice task (CMAR, FMAR): reorder the options of chosen items so that
every letter is the key about equally often (lint's ``option_position_balance`` flag says when it is not).

A move swaps the key's option with the option at the target letter: the option texts stay (in another
order) and so does the key's text; only the key letter changes. Each moved item is one audited edit
(``edited``: options and answer, with the reason) through ``change_audited``. Its review status stays,
and the review rules treat such an edit as no change of content (``is_pure_reorder``).

Which items move (``balancing_moves``): the target counts are as uniform as the number of items allows
(n = q k + r: the r letters with the most keys now get q + 1, ties in letter order, the others q); every
letter above its target hands its surplus, its items in qid order, to the letters below theirs, taken in
turn. A move changes one item's letter, so it lowers the total surplus by at most one: the number of
moves is the least that reaches uniform letters, and a rerun finds nothing to move.

Counted but never moved: items whose clip is in review (held by someone, a queue's round on it half
done, or a blind answer waiting in an unfinished slot: the letters people answered refer to the order
they saw), items in review or awaiting adjudication, items with a waived flag (a waiver holds for the
version it was given on; a new version would reopen it) and items whose options do not fit the task.
The summary names them. A person holding a clip of the benchmark blind gets no plan (it shows keys).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from annotation.benchmark_locks import MutexPurpose, benchmark_mutex
from annotation.domain.plurals import counted
from annotation.domain.taxonomy import CHOICE_LETTERS, TASKS, AnswerFormat
from annotation.domain.transitions import ReviewStatus
from annotation.errors import InvalidInput, Refused
from annotation.models import Benchmark, QAItem, QualityFlag, Video
from annotation.services.audited_writes import Actor, EditConflict, change_audited, records_refusals, refusal_record
from annotation.services.flags import lint_run
from review.models import BlindAnswer, QueueSlot

HELD_STATUSES: dict[str, str] = {
    ReviewStatus.IN_REVIEW: "in review",
    ReviewStatus.NEEDS_ADJUDICATION: "awaiting adjudication",
}
CLIP_IN_REVIEW = "on a clip in review"
WAIVED = "with a waived flag"
MISFIT = "with options that do not fit the task"
CHANGED = "changed meanwhile"


@dataclass(frozen=True)
class Key:
    item_id: int
    qid: str
    letter: str
    version: int = 1  # the item's version the plan saw


@dataclass(frozen=True)
class Move:
    item_id: int
    qid: str
    from_letter: str
    to_letter: str
    version: int = 1  # a move applies to this version only


@dataclass
class Rebalance:
    """A plan for one task, and once applied what it did: ``moves`` are the items moved (or to move)."""

    task: str
    letters: str
    before: dict[str, int]
    moves: list[Move]
    held: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # why -> qids
    applied: bool = False
    seen: dict[int, tuple[list[str], int]] = field(default_factory=dict, repr=False)  # id -> (options, clip)

    @property
    def per_letter(self) -> list[tuple[str, int, int]]:
        """(letter, keys before, keys after), in letter order."""
        after = self.after
        return [(letter, self.before[letter], after[letter]) for letter in self.letters]

    @property
    def after(self) -> dict[str, int]:
        counts = Counter(self.before)
        for move in self.moves:
            counts[move.from_letter] -= 1
            counts[move.to_letter] += 1
        return {letter: counts[letter] for letter in self.letters}

    def summary(self) -> str:
        verb = "moved" if self.applied else "would move"
        text = (
            f"{self.task}: {verb} the key of {counted(len(self.moves), 'item')}; keys {self.letters[0]}-{self.letters[-1]} "
            f"{_spread(self.before, self.letters)} before, {_spread(self.after, self.letters)} after"
        )
        if self.held:
            groups = [f"{len(qids)} {why} ({', '.join(qids)})" for why, qids in self.held.items()]
            text += "; not moved: " + "; ".join(groups)
        return text + "."


def _spread(counts: Mapping[str, int], letters: str) -> str:
    return "/".join(str(counts.get(letter, 0)) for letter in letters)


# --- pure rules ------------------------------------------------------------------------------------


def letter_targets(counts: Mapping[str, int], letters: str) -> dict[str, int]:
    """How many keys each letter should have: q or q + 1, the extra ones to the letters that have most now."""
    q, r = divmod(sum(counts.get(letter, 0) for letter in letters), len(letters))
    fullest = sorted(letters, key=lambda letter: (-counts.get(letter, 0), letter))[:r]
    return {letter: q + (letter in fullest) for letter in letters}


def balancing_moves(keys: Sequence[Key], letters: str, movable: Collection[int]) -> list[Move]:
    """The fewest moves of ``movable`` items (ids) that bring the key letters of ``keys`` to the targets."""
    counts = Counter(key.letter for key in keys)
    targets = letter_targets(counts, letters)
    missing = {letter: max(targets[letter] - counts[letter], 0) for letter in letters}
    # one slot per missing key, the letters taken in turn, so a plan cut short by unmovable items spreads
    slots = [letter for rank in range(max(missing.values(), default=0)) for letter in letters if missing[letter] > rank]
    moves: list[Move] = []
    for letter in letters:
        surplus = counts[letter] - targets[letter]
        candidates = sorted(
            (key for key in keys if key.letter == letter and key.item_id in movable), key=lambda k: (k.qid, k.item_id)
        )
        for key in candidates[: max(surplus, 0)]:
            if not slots:
                return moves
            moves.append(Move(key.item_id, key.qid, letter, slots.pop(0), key.version))
    return moves


def options_with_key_at(options: Sequence[str], answer: str, to_letter: str) -> list[str]:
    """The options with the key's option and the option at ``to_letter`` swapped."""
    reordered = list(options)
    i, j = CHOICE_LETTERS.index(answer), CHOICE_LETTERS.index(to_letter)
    reordered[i], reordered[j] = reordered[j], reordered[i]
    return reordered


def is_pure_reorder(before: Mapping | None, after: Mapping | None) -> bool:
    """Whether an ``edited`` event's values (its changed fields) only reorder the options and move the key
    letter with its option: the option texts and the key's text are those of before, so the content a
    person judged is unchanged. Anything else (a text, or the key's text, changed) is a real edit."""
    if not before or not after or set(after) != {"options", "answer"} or set(before) != set(after):
        return False
    old, new = before["options"], after["options"]
    if not isinstance(old, list) or not isinstance(new, list) or sorted(old) != sorted(new):
        return False
    old_key, new_key = _key_text(old, before["answer"]), _key_text(new, after["answer"])
    return old_key is not None and old_key == new_key


def _key_text(options: list, answer) -> str | None:
    letters = CHOICE_LETTERS[: len(options)]
    return (
        options[letters.index(answer)] if isinstance(answer, str) and len(answer) == 1 and answer in letters else None
    )


# --- reads ------------------------------------------------------------------------------------------


def _choice_letters(task: str) -> str:
    if task not in TASKS or TASKS[task].answer_format != AnswerFormat.CHOICE:
        choice = ", ".join(code for code, t in TASKS.items() if t.answer_format == AnswerFormat.CHOICE)
        raise InvalidInput(f"task: {task!r} is not a choice task ({choice})", field="task")
    return CHOICE_LETTERS[: TASKS[task].option_count]


def _clips_in_review(video_ids: Iterable[int]) -> set[int]:
    """Clips with review work under way: held now, a queue's round on them half done, or a blind answer
    waiting in a slot not completed."""
    video_ids = list(video_ids)
    slots = QueueSlot.objects.filter(video_id__in=video_ids).order_by()
    live = slots.filter(claimed_by__isnull=False, completed_at__isnull=True, lease_expires__gte=timezone.now())
    rounds = (
        slots.values("queue_id", "video_id")
        .annotate(copies=Count("id"), done=Count("id", filter=Q(completed_at__isnull=False)))
        .filter(done__gt=0, done__lt=F("copies"))
    )
    waiting = BlindAnswer.objects.filter(item__video_id__in=video_ids, slot__completed_at__isnull=True).order_by()
    return (
        set(live.values_list("video_id", flat=True))
        | {row["video_id"] for row in rounds}
        | set(waiting.values_list("item__video_id", flat=True))
    )


def rebalance_plan(*, benchmark: Benchmark, task: str, item_ids: Collection[int] | None = None) -> Rebalance:
    """What ``options_rebalance`` would do now (no checks of who asks: its callers make them)."""
    letters = _choice_letters(task)
    rows = list(
        QAItem.objects.filter(benchmark=benchmark, task=task, answer__in=list(letters))
        .order_by("qid", "pk")
        .values_list("pk", "qid", "video_id", "options", "answer", "review_status", "version")
    )
    if item_ids is not None:
        unknown = sorted(set(item_ids) - {row[0] for row in rows})
        if unknown:
            raise InvalidInput(
                f"item_ids: #{', #'.join(map(str, unknown))} are not keyed {task} items of {benchmark.name}",
                field="item_ids",
            )
    in_review = _clips_in_review({row[2] for row in rows})
    waived = set(
        QualityFlag.objects.filter(item__in=[row[0] for row in rows], status=QualityFlag.Status.WAIVED).values_list(
            "item_id", flat=True
        )
    )
    chosen = None if item_ids is None else set(item_ids)
    movable, held = set(), defaultdict(list)
    for pk, qid, video_id, options, _answer, status, _version in rows:
        if chosen is not None and pk not in chosen:
            continue
        why = (
            HELD_STATUSES.get(status)
            or (CLIP_IN_REVIEW if video_id in in_review else "")
            or (WAIVED if pk in waived else "")
            or (MISFIT if len(options) != len(letters) else "")
        )
        if why:
            held[why].append(qid)
        else:
            movable.add(pk)
    keys = [Key(pk, qid, answer, version) for pk, qid, _, _, answer, _, version in rows]
    before = {letter: sum(key.letter == letter for key in keys) for letter in letters}
    moves = balancing_moves(keys, letters, movable)
    moved = {move.item_id for move in moves}
    seen = {pk: (options, video_id) for pk, _, video_id, options, *_ in rows if pk in moved}
    return Rebalance(task=task, letters=letters, before=before, moves=moves, held=held, seen=seen)


# --- the action ------------------------------------------------------------------------------------


class HoldsClipBlind(Refused):
    """A plan shows key letters: not to a person holding a clip of the benchmark blind."""


@records_refusals
def options_rebalance(
    *,
    benchmark: Benchmark,
    task: str,
    user,
    item_ids: Collection[int] | None = None,
    dry_run: bool = False,
    note: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> Rebalance:
    """Reorder the options of ``item_ids`` (every item of the task when None) that the plan moves, one audited
    edit each, in one transaction; ``dry_run`` returns the plan and writes nothing. Admins only.

    ``progress(done, total)`` is called after each item. The clips of the planned moves are locked, and those
    that went into review meanwhile dropped; an item edited by someone between the plan and its turn is not
    moved (its ``edit_refused`` event is recorded). Both are named in the summary."""
    if not user.is_admin_role:
        raise PermissionDenied("only admins reorder options")
    actor = Actor.person(user)
    _choice_letters(task)
    with transaction.atomic():
        if not dry_run:
            benchmark_mutex(benchmark.pk, MutexPurpose.CONTENT_WRITES)  # two runs would overshoot together
        _blind_check(benchmark, user, task)
        plan = rebalance_plan(benchmark=benchmark, task=task, item_ids=item_ids)
        if dry_run:
            return plan
        _lock_clips({clip for _, clip in plan.seen.values()})
        _drop_moves_under_review(plan)
        moved = _apply(plan, actor=actor, note=note, progress=progress)
        lint_run(benchmark=benchmark, video_ids=moved)
        plan.applied = True
    return plan


def _blind_check(benchmark: Benchmark, user, task: str) -> None:
    withheld = Video.objects.filter(benchmark=benchmark, pk__in=user.clips_withheld())
    names = sorted(withheld.values_list("clip_name", flat=True))
    if names:
        raise HoldsClipBlind(
            f"you hold {', '.join(names)} blind: balancing the key letters shows keys; answer the clip's "
            "questions from the video first"
        ).recording(
            actor=Actor.person(user),
            target_kind=benchmark.audit_kind,
            target_id=benchmark.pk,
            after={"action": "options rebalance", "task": task, "clips_held_blind": names},
        )


def _lock_clips(video_ids: set[int]) -> None:
    """The queue slots of the clips, then the clips (docs/locking.md: slots before content, each in ascending
    id): claimers pass over their slots (SKIP LOCKED) until the reorder is committed, so whoever takes such a
    clip next answers on the new order; a decision completing one takes turns with the reorder."""
    list(
        QueueSlot.objects.select_for_update(no_key=True)
        .filter(video_id__in=video_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    list(Video.objects.select_for_update(no_key=True).filter(pk__in=video_ids).order_by("pk").values_list("pk"))


def _drop_moves_under_review(plan: Rebalance) -> None:
    """Read again under the locks: a clip claimed, or an item's flag waived, since the plan was made."""
    in_review = _clips_in_review({clip for _, clip in plan.seen.values()})
    waived = set(
        QualityFlag.objects.filter(item__in=plan.seen, status=QualityFlag.Status.WAIVED).values_list("item", flat=True)
    )
    kept = []
    for move in plan.moves:
        why = CLIP_IN_REVIEW if plan.seen[move.item_id][1] in in_review else WAIVED if move.item_id in waived else ""
        if why:
            plan.held[why].append(move.qid)
        else:
            kept.append(move)
    plan.moves = kept


def _apply(plan: Rebalance, *, actor: Actor, note: str, progress) -> set[int]:
    """Edit each moved item (ascending id, the lock order); returns the clips whose items changed."""
    done, moved_clips = [], set()
    for n, move in enumerate(sorted(plan.moves, key=lambda m: m.item_id), start=1):
        options, clip = plan.seen[move.item_id]
        if _move_one(move, options, task=plan.task, actor=actor, note=note):
            done.append(move)
            moved_clips.add(clip)
        else:
            plan.held[CHANGED].append(move.qid)
        if progress is not None:
            progress(n, len(plan.moves))
    plan.moves = sorted(done, key=lambda m: (m.qid, m.item_id))
    return moved_clips


def _move_one(move: Move, options: list[str], *, task: str, actor: Actor, note: str) -> bool:
    """One audited edit of the version the plan saw (``options`` are its options); False when the item was
    edited since: the refusal is recorded (``edit_refused``) and nothing else changes."""
    reason = (
        f"options reordered to balance the {task} key letters: key {move.from_letter} -> {move.to_letter}, "
        "option texts and the key's text unchanged" + (f"; {note.strip()}" if note.strip() else "")
    )
    changes = {"options": options_with_key_at(options, move.from_letter, move.to_letter), "answer": move.to_letter}
    try:
        change_audited(
            model=QAItem, pk=move.item_id, actor=actor, changes=changes, expected_version=move.version, reason=reason
        )
    except EditConflict as conflict:  # its savepoint rolled back; the refusal commits with the rest
        refusal_record(conflict)
        return False
    return True
