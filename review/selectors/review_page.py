"""What the review page shows one person about the clip they hold: their own work only, and in a
blind queue nothing machine-made about the clip until their blind answers are in.

``revealed`` is the one switch: False while ``blind_questions_left`` is above 0. Unrevealed
contexts carry the stems and options a person needs to answer from the video and nothing else:
no keys, reference answers, versions, caption fields, flags, predictions or anyone's decisions.
A page loads every card's data in a fixed number of queries, whatever the number of questions.

A card is ``in_scope`` when the queue serves its question (``Queue.questions_served``). The other
questions of the clip (a scoped queue's, or excluded ones) are not on the page before the blind
phase is over, and read-only after it: key, flags and models' answers, no decision, no hand score.
So is the caption of a queue that does not serve it (``read_only``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from annotation.domain.taxonomy import COARSE_LABELS, TASKS, Tier, Trend, fine_labels_of
from annotation.models import BaselineRun, Caption, JudgeScore, Prediction, QAItem, QualityFlag
from annotation.plain_sql import ModelColumns, instances, placeholders
from annotation.predictors.judge import DIMENSIONS
from review.models import CaptionReview, QueueSlot, Review, User
from review.services.blind_answers import answer_choices
from review.services.reviews import slot_query_params, slot_query_sql, slot_work

SCORE_SCALE = range(6)  # a hand score's values, 0-5
TIER_ORDER = (Tier.PERCEPTION, Tier.COMPREHENSION, Tier.REASONING)
BODY_PARTS = (
    "head",
    "neck",
    "face",
    "eyes",
    "mouth",
    "shoulders",
    "torso",
    "arms",
    "elbows",
    "hands",
    "fingers",
    "hips",
    "legs",
    "knees",
    "feet",
)
TEXT_FIELDS = ("dominant_part", "direction_path", "phase_early", "phase_middle", "phase_late", "contact", "description")
FRAME_FIELDS = ("phase_middle_start", "phase_late_start")
# what a card shows of a prediction (and what sorts and matches it): not its prompt or raw reply
PREDICTION_SHOWN = ("item_id", "item_version", "rotation", "run_id", "run__name", "parsed_answer", "correct")
CAPTION_EDITABLE = ("coarse_label", "fine_label", "trend", "other_parts", *TEXT_FIELDS, *FRAME_FIELDS)


@dataclass(frozen=True)
class SlotState:
    """Where one person stands on the clip they hold."""

    blind_left: int
    open_items: int
    caption_open: bool

    @property
    def revealed(self) -> bool:
        return self.blind_left == 0

    def client_data(self) -> dict:
        return {"openItems": self.open_items, "captionOpen": self.caption_open, "blindLeft": self.blind_left}


def slot_state(*, slot: QueueSlot, user: User) -> SlotState:
    work = slot_work(slot, user)
    return SlotState(work.blind_left, work.open_items, work.caption_open)


_ITEM = ModelColumns(QAItem, "i")
_SLOT_QUESTIONS_SQL = (
    "SELECT "
    + _ITEM.sql
    + """, (NOT %(caption_only)s AND {served}) AS served_here,
           (SELECT a.answer FROM {blind_answer} a WHERE a.person_id = %(user)s AND a.item_id = i.id
            AND a.stage = %(stage)s) AS my_blind_answer
    FROM {item} i WHERE i.video_id = %(video)s"""
)


def _slot_questions(slot: QueueSlot, user: User, *, pk: int | None = None) -> list[QAItem]:
    """The clip's questions (or its question ``pk``), each with whether the queue serves it
    (``Queue.questions_served``: ``served_here``) and the person's blind answer to it at the queue's stage
    (``my_blind_answer``), in one plain query (``annotation.plain_sql``: the ORM took 1.8 ms of CPU to build it)."""
    sql = _SLOT_QUESTIONS_SQL + (" AND i.id = %(item)s" if pk is not None else " ORDER BY i.qid")
    params = slot_query_params(slot, user) | {"caption_only": slot.queue.caption_only, "item": pk}
    items = []
    for item, served_here, my_blind_answer in instances(slot_query_sql(sql), params, _ITEM):
        item.served_here, item.my_blind_answer = bool(served_here), my_blind_answer
        items.append(item)
    return items


def slot_items(slot: QueueSlot, user: User) -> list[QAItem]:
    """The clip's questions for ``question_cards``."""
    if slot.queue.caption_only:  # a training corpus's caption queue
        return []
    return _slot_questions(slot, user)


def slot_item(slot: QueueSlot, user: User, pk: int) -> QAItem:
    """One question of the clip as it stands now, for ``question_cards``."""
    found = _slot_questions(slot, user, pk=pk)
    if not found:
        raise QAItem.DoesNotExist("no such question in this clip")
    return found[0]


def question_cards(
    *, slot: QueueSlot, user: User, items: list[QAItem], state: SlotState, fixed_queries: bool = True
) -> list[dict]:
    """Card contexts for ``items`` (from ``slot_items`` or ``slot_item``): a fixed number of queries whatever their
    number; without ``fixed_queries`` (one card re-rendered) the hand scores are read only for an open question."""
    ids = [item.pk for item in items]
    reviews = {r.item_id: r for r in _reviews(slot, user, ids)}
    cards = [  # served_here and my_blind_answer: annotations of _slot_questions
        _card(slot, item, item.served_here, reviews.get(item.pk), item.my_blind_answer or "", state)  # type: ignore[attr-defined]
        for item in items
    ]
    if state.revealed:
        _add_machine_views(cards, ids, user, fixed_queries)
    return cards


_REVIEW = ModelColumns(Review, "r")


def _reviews(slot: QueueSlot, user: User, ids: list[int]) -> list[Review]:
    """The person's reviews of questions ``ids`` in the slot (none read for no ids, as the ORM does)."""
    if not ids:
        return []
    sql = (
        f"SELECT {_REVIEW.sql} FROM {Review._meta.db_table} r"
        f" WHERE r.slot_id = %s AND r.reviewer_id = %s AND r.item_id IN ({placeholders(ids)})"
    )
    return [review for (review,) in instances(sql, [slot.pk, user.pk, *ids], _REVIEW)]


def _card(
    slot: QueueSlot, item: QAItem, in_scope: bool, review: Review | None, blind_answer: str, state: SlotState
) -> dict:
    open_task = TASKS[item.task].is_open
    needs_blind = in_scope and slot.queue.blind and not open_task and not blind_answer
    choices = answer_choices(item)
    return {
        "slot": slot,
        "item": item,
        "in_scope": in_scope,
        "review": review,
        "blind_answer": blind_answer,
        "needs_blind": needs_blind,
        "revealed": state.revealed,
        "blind_left": state.blind_left,
        "choices": choices,
        "blind_buttons": blind_buttons(tuple(choices)),
        "options_list": options_list(item),
        "reject_reasons": Review.RejectReason.choices,
        "reject_checkboxes": reject_checkboxes(),
        # what _add_machine_views fills in once revealed: named here, so that the page's template finds them
        # (a key missing from a card costs the template a dir() of the dict at each lookup)
        "predictions": [],
        "model_answers": "",
        "flags": [],
        "options_text": "",
        "scoring": None,
    }


@cache
def blind_buttons(choices: tuple[str, ...]) -> str:
    """A blind answer's buttons, one per answer letter (or Yes / No): the same on every card of that many options,
    rendered once (nothing of the question in them)."""
    return format_html_join(
        "",
        '<button type="submit" name="answer" value="{}" data-key="{}">{}</button> ',
        ((choice, choice[:1].lower(), choice) for choice in choices),
    )


def options_list(item: QAItem) -> str:
    """A card's lettered options as ``<li>`` items (a template loop over them cost a tenth of a card)."""
    return format_html_join("", "<li><b>{}.</b> {}</li>", item.lettered_options())


@cache
def reject_checkboxes() -> str:
    """The reject reasons' checkboxes of a question's decision form, the same on every card: rendered once."""
    return format_html_join(
        "",
        '<label class="check"><input type="checkbox" name="reject_reasons" value="{}">{} {}</label>',
        (
            (code, format_html(" <kbd>{}</kbd>", number) if number < 10 else "", label)
            for number, (code, label) in enumerate(Review.RejectReason.choices, start=1)
        ),
    )


_PREDICTION = ModelColumns(Prediction, "p", PREDICTION_SHOWN)
_RUN = ModelColumns(BaselineRun, "b", ("id", "name"))
_FLAG = ModelColumns(QualityFlag, "f")
_SCORE = ModelColumns(JudgeScore, "s")


def current_predictions(items: list[QAItem]) -> dict[int, list[Prediction]]:
    """Each item's baseline predictions on its current version, by run name: one query. A circular run shows
    its answer to the item as it is (rotation 0); how its answers moved is the position_sensitive flag."""
    versions = {item.pk: item.version for item in items}
    predictions: dict[int, list[Prediction]] = {item_id: [] for item_id in versions}
    if not versions:
        return predictions
    # sorted here, not by the database: ORDER BY over the join made PostgreSQL walk the big prediction table
    sql = (
        f"SELECT {_PREDICTION.sql}, {_RUN.sql} FROM {Prediction._meta.db_table} p"
        f" JOIN {BaselineRun._meta.db_table} b ON b.id = p.run_id"
        f" WHERE p.rotation = 0 AND p.item_id IN ({placeholders(list(versions))})"  # Prediction.objects.unrotated()
    )
    rows = []
    for prediction, run in instances(sql, list(versions), _PREDICTION, _RUN):
        prediction.run = run
        rows.append(prediction)
    for prediction in sorted(rows, key=lambda p: (p.run.name, p.run_id)):
        if prediction.item_version == versions[prediction.item_id]:
            predictions[prediction.item_id].append(prediction)
    return predictions


def model_answers(predictions: list[Prediction]) -> str:
    """The models' answers to a question, one after the other (``_predictions.html``): each run's parsed answer,
    marked right or wrong, ``?`` when it gave none, cut at 40 characters."""
    return format_html_join(
        "; ",
        '{} → <span class="{}">{}</span>',
        ((p.run.name, _correctness_class(p.correct), Truncator(p.parsed_answer or "?").chars(40)) for p in predictions),
    )


def _correctness_class(correct: bool | None) -> str:
    return "right" if correct else "wrong" if correct is False else ""


def item_flags(ids: list[int], *, statuses=(QualityFlag.Status.OPEN,)) -> dict[int | None, list[QualityFlag]]:
    """The items' flags in ``statuses`` by kind, by item id: one query."""
    flags: dict[int | None, list[QualityFlag]] = {}  # QualityFlag.item_id is nullable
    if not ids:
        return flags
    sql = (
        f"SELECT {_FLAG.sql} FROM {QualityFlag._meta.db_table} f"
        f" WHERE f.item_id IN ({placeholders(ids)}) AND f.status IN ({placeholders(statuses)}) ORDER BY f.kind, f.id"
    )
    for (flag,) in instances(sql, [*ids, *map(str, statuses)], _FLAG):
        flags.setdefault(flag.item_id, []).append(flag)
    return flags


def _hand_scores(ids: list[int], user: User) -> list[JudgeScore]:
    """The person's hand scores of the predictions of questions ``ids``."""
    if not ids:
        return []
    sql = (
        f"SELECT {_SCORE.sql} FROM {JudgeScore._meta.db_table} s"
        f" JOIN {Prediction._meta.db_table} p ON p.id = s.prediction_id"
        f" WHERE s.judge = %s AND p.item_id IN ({placeholders(ids)})"
    )
    return [score for (score,) in instances(sql, [f"human:{user.username}", *ids], _SCORE)]


def _add_machine_views(cards: list[dict], ids: list[int], user: User, fixed_queries: bool) -> None:
    """Keys are in the item; predictions, flags and the person's hand scores are added here."""
    predictions = current_predictions([card["item"] for card in cards])
    flags = item_flags(ids)
    scored = fixed_queries or any(card["in_scope"] and TASKS[card["item"].task].is_open for card in cards)
    mine = {s.prediction_id: s for s in (_hand_scores(ids, user) if scored else ())}
    for card in cards:
        item = card["item"]
        current = predictions[item.pk]
        card |= {
            "predictions": current,
            "model_answers": model_answers(current),
            "flags": flags.get(item.pk, []),
            "options_text": "\n".join(item.options),
        }
        if TASKS[item.task].is_open and card["in_scope"]:
            card["scoring"] = {"rows": [_score_row(p, mine.get(p.pk), item.task) for p in current if p.parsed_answer]}


@cache
def score_options(value: int | None) -> str:
    """A hand score's ``<option>`` list with ``value`` selected, rendered once per value: a template loop over the
    scale in every select of every open question took a sixth of the review page's rendering."""
    return format_html_join(
        "", '<option value="{}"{}>{}</option>', ((n, " selected" if n == value else "", n) for n in SCORE_SCALE)
    )


def _score_row(prediction: Prediction, mine: JudgeScore | None, task: str) -> dict:
    dims = [
        (code.lower(), name, question, score_options(getattr(mine, code.lower()) if mine else None))
        for code, name, question in DIMENSIONS[task]
    ]
    return {"prediction": prediction, "scored": mine is not None, "dims": dims}


def cards_by_tier(cards: list[dict]) -> list[tuple[Tier, list[dict]]]:
    """The cards by tier, in the tiers' order."""
    return [(tier, [c for c in cards if TASKS[c["item"].task].tier == tier]) for tier in TIER_ORDER]


def served_cards(cards: list[dict]) -> list[dict]:
    """The cards the queue asks about."""
    return [c for c in cards if c["in_scope"]]


def context_cards(cards: list[dict], state: SlotState) -> list[dict]:
    """The clip's other questions, read-only: none before the blind phase is over."""
    return [c for c in cards if not c["in_scope"]] if state.revealed else []


def clip_caption(slot: QueueSlot) -> Caption | None:
    try:
        return slot.video.caption
    except Caption.DoesNotExist:
        return None


def caption_context(*, slot: QueueSlot, user: User, state: SlotState, caption: Caption | None = None, **extra) -> dict:
    """The caption pane: nothing of the caption before the person's blind answers are in."""
    caption = caption or clip_caption(slot)
    if caption is None:
        return {"caption": None, "slot": slot}
    if not state.revealed:
        return {"caption": caption, "slot": slot, "revealed": False, "blind_left": state.blind_left}
    mine = (extra.get("conflict") or {}).get("fix") or extra.get("posted") or {}
    return {
        "slot": slot,
        "caption": caption,
        "revealed": True,
        "read_only": not slot.queue.serves_caption(caption),
        "values": caption_values(caption) | mine,
        "review": CaptionReview.objects.filter(slot=slot, caption=caption, reviewer=user).first(),
        "coarse_labels": list(COARSE_LABELS.values()),
        "trends": [t.value for t in Trend],
        "body_parts": BODY_PARTS,
        "fine_groups": [(c, fine_labels_of(c.code)) for c in COARSE_LABELS.values()],
        "reject_reasons": CaptionReview.RejectReason.choices,
        **extra,
    }


def caption_values(caption: Caption, fields=CAPTION_EDITABLE) -> dict:
    return {name: getattr(caption, name) for name in fields}
