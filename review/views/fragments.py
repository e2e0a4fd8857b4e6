"""The one response helper of the review page's fragments (question cards and the caption pane).

Every fragment response tells the page where the person stands (``slotProgress``: questions and
caption still to decide, questions still to answer blind). When the person's blind phase on the
clip ends with this request, the page reloads whole, so keys, references and the caption arrive
together in one render of the revealed page.
"""

from __future__ import annotations

import json
import time

from django.shortcuts import render

from review.models import QueueSlot
from review.selectors.review_page import SlotState, caption_context, question_cards, slot_item, slot_state

SAVED_HEADER = "X-Mabench-Saved"
MAX_SECONDS_SPENT = 3600  # a card left open overnight is not an hour of work


def seen_key(slot: QueueSlot, item=None) -> str:
    """The session key holding when a question (or, without one, the caption) was first shown to judge."""
    return f"seen:{slot.pk}:{item.pk}" if item is not None else f"seen-caption:{slot.pk}"


def seconds_spent(request, key: str) -> int | None:
    """Seconds since ``key`` was first shown, capped; None when it never was."""
    seen = request.session.get(key)
    return None if seen is None else int(min(MAX_SECONDS_SPENT, max(0.0, time.time() - seen)))


def fragment_response(
    request,
    slot: QueueSlot,
    template: str,
    context: dict,
    *,
    state: SlotState,
    status: int = 200,
    was_revealed: bool | None = None,
    saved: str = "",
):
    response = render(request, template, context, status=status)
    if saved:  # the browser drops its autosaved edits of this form
        response[SAVED_HEADER] = saved
    response["HX-Trigger"] = json.dumps({"slotProgress": state.client_data()})
    if was_revealed is False and state.revealed:
        response["HX-Refresh"] = "true"
    return response


def card_response(
    request,
    slot: QueueSlot,
    item,
    *,
    status: int = 200,
    saved: bool = False,
    was_revealed: bool | None = None,
    unchanged: bool = False,
    **extra,
):
    """The card re-rendered; ``unchanged``: ``item`` came from ``slot_item`` and is as the request's save left it
    unless that save completed the clip (which settles its items), so it is read again only then."""
    state = slot_state(slot=slot, user=request.user)
    completed = not state.open_items and not state.caption_open
    if not unchanged or completed:
        item = slot_item(slot, request.user, item.pk)
    [card] = question_cards(slot=slot, user=request.user, items=[item], state=state, fixed_queries=False)
    return fragment_response(
        request,
        slot,
        "review/_question_card.html",
        card | extra,
        state=state,
        status=status,
        was_revealed=was_revealed,
        saved=f"item:{slot.pk}:{item.pk}" if saved else "",
    )


def caption_response(request, slot: QueueSlot, caption, *, status: int = 200, saved: bool = False, **extra):
    state = slot_state(slot=slot, user=request.user)
    context = caption_context(
        slot=slot, user=request.user, state=state, caption=type(caption).objects.get(pk=caption.pk), **extra
    )
    return fragment_response(
        request,
        slot,
        "review/_caption_pane.html",
        context,
        state=state,
        status=status,
        saved=f"caption:{slot.pk}:{caption.pk}" if saved else "",
    )
