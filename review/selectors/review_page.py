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

from annotation.domain.taxonomy import COARSE_LABELS, TASKS, Tier, Trend, fine_labels_of
from annotation.models import Caption, JudgeScore, Prediction, QAItem, QualityFlag
from annotation.predictors.judge import DIMENSIONS
from review.models import CaptionReview, QueueSlot, Review, User
from review.services.blind_answers import answer_choices, blind_answers_of, blind_questions_left
from review.services.reviews import slot_open_work

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
    open_items, caption_open = slot_open_work(slot, user)
    return SlotState(blind_questions_left(slot=slot, user=user), open_items, caption_open)


def slot_items(slot: QueueSlot) -> list[QAItem]:
    if slot.queue.caption_only:  # a training corpus's caption queue
        return []
    return list(QAItem.objects.filter(video_id=slot.video_id).order_by("qid"))


def question_cards(*, slot: QueueSlot, user: User, items: list[QAItem], state: SlotState) -> list[dict]:
    """Card contexts for ``items``: a fixed number of queries whatever their number."""
    ids = [item.pk for item in items]
    served = set(slot.queue.questions_served(slot.video_id).filter(pk__in=ids).values_list("pk", flat=True))
    reviews = {r.item_id: r for r in Review.objects.filter(slot=slot, reviewer=user, item_id__in=ids)}
    blind = {item_id: answer.answer for item_id, answer in blind_answers_of(slot=slot, user=user).items()}
    cards = [
        _card(slot, item, item.pk in served, reviews.get(item.pk), blind.get(item.pk, ""), state) for item in items
    ]
    if state.revealed:
        _add_machine_views(cards, ids, user)
    return cards


def _card(
    slot: QueueSlot, item: QAItem, in_scope: bool, review: Review | None, blind_answer: str, state: SlotState
) -> dict:
    open_task = TASKS[item.task].is_open
    needs_blind = in_scope and slot.queue.blind and not open_task and not blind_answer
    return {
        "slot": slot,
        "item": item,
        "in_scope": in_scope,
        "review": review,
        "blind_answer": blind_answer,
        "needs_blind": needs_blind,
        "revealed": state.revealed,
        "blind_left": state.blind_left,
        "choices": answer_choices(item),
        "reject_reasons": Review.RejectReason.choices,
    }


def current_predictions(items: list[QAItem]) -> dict[int, list[Prediction]]:
    """Each item's baseline predictions on its current version, by run name: one query. A circular run shows
    its answer to the item as it is (rotation 0); how its answers moved is the position_sensitive flag."""
    versions = {item.pk: item.version for item in items}
    predictions: dict[int, list[Prediction]] = {item_id: [] for item_id in versions}
    # sorted here, not by the database: ORDER BY over the join made PostgreSQL walk the big prediction table
    rows = Prediction.objects.unrotated().filter(item_id__in=versions).select_related("run").order_by()
    for prediction in sorted(rows, key=lambda p: (p.run.name, p.run_id)):
        if prediction.item_version == versions[prediction.item_id]:
            predictions[prediction.item_id].append(prediction)
    return predictions


def item_flags(ids: list[int], *, statuses=(QualityFlag.Status.OPEN,)) -> dict[int | None, list[QualityFlag]]:
    """The items' flags in ``statuses`` by kind, by item id: one query."""
    flags: dict[int | None, list[QualityFlag]] = {}  # QualityFlag.item_id is nullable
    for flag in QualityFlag.objects.filter(item_id__in=ids, status__in=statuses).order_by("kind", "pk"):
        flags.setdefault(flag.item_id, []).append(flag)
    return flags


def _add_machine_views(cards: list[dict], ids: list[int], user: User) -> None:
    """Keys are in the item; predictions, flags and the person's hand scores are added here."""
    predictions = current_predictions([card["item"] for card in cards])
    flags = item_flags(ids)
    mine = {
        s.prediction_id: s
        for s in JudgeScore.objects.filter(prediction__item_id__in=ids, judge=f"human:{user.username}")
    }
    for card in cards:
        item = card["item"]
        current = predictions[item.pk]
        card |= {"predictions": current, "flags": flags.get(item.pk, []), "options_text": "\n".join(item.options)}
        if TASKS[item.task].is_open and card["in_scope"]:
            card["scoring"] = {
                "scale": range(6),
                "rows": [_score_row(p, mine.get(p.pk), item.task) for p in current if p.parsed_answer],
            }


def _score_row(prediction: Prediction, mine: JudgeScore | None, task: str) -> dict:
    dims = [
        (code.lower(), name, question, getattr(mine, code.lower()) if mine else None)
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
