"""The append-only audit trail every change to benchmark content is written to."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AuditEvent(models.Model):
    """One row per change or refused attempt, never updated or deleted (PostgreSQL enforces it).

    The actor is a person or the machine source that generated the content.
    ``before``/``after`` hold the changed fields; a created row's ``after`` is
    its whole snapshot, so replaying a target's events rebuilds its state.
    Content (benchmark, video, caption, qaitem) is replayed from created / edited /
    status_changed events; the other kinds (queue, queueslot, qualityflag, user,
    release, prediction) record what people and machines did around it.
    """

    class EventType(models.TextChoices):
        CREATED = "created", "Created"
        EDITED = "edited", "Edited"
        STATUS_CHANGED = "status_changed", "Status changed"
        EDIT_REFUSED = "edit_refused", "Edit refused (stale version)"
        IMPORTED = "imported", "Import recorded"
        REFUSED = "refused", "Action refused"
        CLAIMED = "claimed", "Clip claimed"
        CLAIM_RELEASED = "claim_released", "Claim released"
        BLIND_ANSWERED = "blind_answered", "Blind answer given"
        REVIEWED = "reviewed", "Review decision"
        REVIEW_UNDONE = "review_undone", "Review decision undone"
        QUEUE_CREATED = "queue_created", "Queue created"
        QUEUE_CHANGED = "queue_changed", "Queue changed"
        FLAG_WAIVED = "flag_waived", "Flag waived"
        FLAG_UNWAIVED = "flag_unwaived", "Flag waiver withdrawn"
        SCORED = "scored", "Answer scored by hand"
        ROLE_CHANGED = "role_changed", "Role changed"
        RELEASE_CUT = "release_cut", "Release cut"
        PASSWORD_CHANGED = "password_changed", "Password changed"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    actor_source = models.CharField(max_length=200, blank=True, help_text="Machine source, when no person acted")
    event_type = models.CharField(max_length=20, choices=EventType.choices)
    target_kind = models.CharField(max_length=16)
    target_id = models.BigIntegerField()
    target_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="Version after the change; for a refused edit, the stale version sent"
    )
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ("id",)
        indexes = [models.Index(fields=("target_kind", "target_id", "id"))]
        constraints = [
            models.CheckConstraint(
                condition=(Q(actor_user__isnull=False) & Q(actor_source=""))
                | (Q(actor_user__isnull=True) & ~Q(actor_source="")),
                name="auditevent_exactly_one_actor",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.target_kind}#{self.target_id} by {self.actor_display}"

    @property
    def actor_display(self) -> str:
        return self.actor_user.username if self.actor_user_id else f"machine: {self.actor_source}"
