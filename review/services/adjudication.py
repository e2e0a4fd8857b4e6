"""Adjudication: a reviewer (or admin) settles an item its reviewers disagreed on.

The decision goes through the audited content services with the person as actor, so
the trail shows who settled it and why: the status change's reason is "adjudicated", then a
rejection's reason codes in words ("adjudicated (wrong key, ambiguous)"), then the note after
a colon. A rejection takes the review page's reason codes, by the same rule (at least one;
"other" needs a note). From ``needs_adjudication`` the transition map allows accepted,
rejected and excluded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from annotation.domain.transitions import ReviewStatus
from annotation.errors import InvalidInput, Refused
from annotation.models import QAItem
from annotation.services.audited_writes import Actor, records_refusals
from annotation.services.content import item_edit, review_status_set
from review.models import User

from .reviews import reject_reasons_checked

ADJUDICATED = "adjudicated"
OUTCOMES = {"accept": ReviewStatus.ACCEPTED, "fix": ReviewStatus.ACCEPTED, "reject": ReviewStatus.REJECTED}


class NotAwaitingAdjudication(Refused):
    """The item was settled meanwhile, or never needed adjudication."""


@records_refusals
def item_adjudicate(
    *,
    item_id: int,
    user: User,
    decision: str,
    expected_version: int,
    fix: Mapping[str, Any] | None = None,
    note: str = "",
    reject_reasons: Sequence[str] = (),
) -> QAItem:
    """Accept as is, fix (key, stem, options) then accept, or reject (with reason codes) an item awaiting
    adjudication.

    A stale ``expected_version`` raises ``EditConflict``; a bad fix raises ``ValidationError``
    naming the field; missing or unknown reject reasons raise ``InvalidInput``; nothing is written then.
    """
    if not user.may_browse_content:
        raise PermissionDenied("only reviewers and admins adjudicate")
    if decision not in OUTCOMES:
        raise InvalidInput(f"decide one of {', '.join(OUTCOMES)}, not {decision!r}", field="decision")
    if decision == "fix" and not fix:
        raise InvalidInput("a fix needs the corrected fields", field="fix")
    codes = reject_reasons_checked(reject_reasons, note=note, note_field="note") if decision == "reject" else []
    actor = Actor.person(user)
    reason = adjudication_reason(codes, note)
    with transaction.atomic():
        item = QAItem.objects.select_for_update(no_key=True).get(pk=item_id)
        if item.review_status != ReviewStatus.NEEDS_ADJUDICATION:
            raise NotAwaitingAdjudication(
                f"{item.qid} is {item.get_review_status_display().lower()}, not awaiting adjudication"
            ).recording(
                actor=actor,
                target_kind=QAItem.audit_kind,
                target_id=item.pk,
                version=expected_version,
                after={"adjudication": decision},
            )
        if decision == "fix":
            assert fix is not None  # refused above without it
            item = item_edit(
                item_id=item_id, actor=actor, expected_version=expected_version, changes=fix, reason=reason
            )
            expected_version = item.version
        return review_status_set(
            model=QAItem,
            pk=item_id,
            status=OUTCOMES[decision],
            actor=actor,
            expected_version=expected_version,
            reason=reason,
        )


def adjudication_reason(reject_reasons: Sequence[str], note: str) -> str:
    """The trail's reason of an adjudication: ``adjudicated (wrong key, other): the note``."""
    reason = ADJUDICATED + (
        f" ({', '.join(code.replace('_', ' ') for code in reject_reasons)})" if reject_reasons else ""
    )
    return f"{reason}: {note.strip()}" if note.strip() else reason


def adjudication_parts(reason: str) -> tuple[list[str], str]:
    """The reject reason codes and the note in an adjudication's reason (``adjudication_reason`` read back)."""
    rest, codes = reason.removeprefix(ADJUDICATED), []
    if rest.startswith(" ("):
        words, _, rest = rest[2:].partition(")")
        codes = [word.replace(" ", "_") for word in words.split(", ")]
    return codes, rest.removeprefix(": ")
