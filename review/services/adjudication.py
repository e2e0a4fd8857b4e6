"""Adjudication: a reviewer (or admin) settles an item its reviewers disagreed on.

The decision goes through the audited content services with the person as actor, so
the trail shows who settled it and why (reason "adjudicated", plus their note). From
``needs_adjudication`` the transition map allows accepted, rejected and excluded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from annotation.domain.transitions import ReviewStatus
from annotation.errors import InvalidInput, Refused
from annotation.models import QAItem
from annotation.services.audited_writes import Actor, records_refusals
from annotation.services.content import item_edit, review_status_set
from review.models import User

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
) -> QAItem:
    """Accept as is, fix (key, stem, options) then accept, or reject an item awaiting adjudication.

    A stale ``expected_version`` raises ``EditConflict``; a bad fix raises ``ValidationError``
    naming the field; either way nothing is written.
    """
    if not user.may_browse_content:
        raise PermissionDenied("only reviewers and admins adjudicate")
    if decision not in OUTCOMES:
        raise InvalidInput(f"decide one of {', '.join(OUTCOMES)}, not {decision!r}", field="decision")
    if decision == "fix" and not fix:
        raise InvalidInput("a fix needs the corrected fields", field="fix")
    actor = Actor.person(user)
    reason = f"{ADJUDICATED}: {note.strip()}" if note.strip() else ADJUDICATED
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
