from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from annotation.domain.taxonomy import CLOSED_TASKS
from annotation.domain.transitions import ReviewStatus
from annotation.models import QAItem
from review.evidence_span import EvidenceSpan, clip_fps, span_of


class User(AbstractUser):
    """A person using the tool. The role decides what they may see and do."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        REVIEWER = "reviewer", "Reviewer (may adjudicate)"
        ANNOTATOR = "annotator", "Annotator"

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANNOTATOR)

    audit_kind = "user"  # target_kind of its role_changed events

    @property
    def is_admin_role(self) -> bool:
        return self.is_superuser or self.role == self.Role.ADMIN

    @property
    def may_browse_content(self) -> bool:
        """Admins and reviewers see whole benchmarks, answer keys included (less ``clips_withheld``)."""
        return self.is_admin_role or self.role == self.Role.REVIEWER

    def clips_withheld(self) -> list[int]:
        """Video ids whose content must not reach this person now: clips they hold in a blind queue without
        all their blind answers (the blind protocol, ``review.services.blind_answers``)."""
        if not self.is_authenticated:
            return []
        held = QueueSlot.objects.filter(
            claimed_by=self, completed_at__isnull=True, lease_expires__gte=timezone.now(), queue__blind=True
        ).select_related("queue__benchmark")
        return [slot.video_id for slot in held if BlindAnswer.objects.questions_left(slot=slot, person=self)]


class Queue(models.Model):
    """A review queue over (part of) a benchmark: which clips, at which stage, by whom, how."""

    class Stage(models.TextChoices):
        FIRST_PASS = "first_pass", "First pass"
        VERIFICATION = "verification", "Verification"
        ADJUDICATION = "adjudication", "Adjudication"

    class Order(models.TextChoices):
        FLAGGED_FIRST = "flagged_first", "Flagged items first"
        MODEL_DISAGREEMENT = "model_disagreement", "Model disagreement first"
        RANDOM = "random", "Random"
        CLIP = "clip", "Clip order"

    benchmark = models.ForeignKey("annotation.Benchmark", on_delete=models.PROTECT, related_name="queues")
    name = models.CharField(max_length=200)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.FIRST_PASS)
    filters = models.JSONField(default=dict, blank=True, help_text="tasks, tiers, statuses, flags, clips")
    overlap = models.PositiveSmallIntegerField(default=1, help_text="Different people who review each clip")
    overlap_sample_percent = models.PositiveSmallIntegerField(
        default=100,
        help_text="Share of clips (random, seeded by the queue) that get the overlap; the rest get one review",
    )
    blind = models.BooleanField(default=True, help_text="Answer first; keys and predictions shown after")
    scoped = models.BooleanField(
        default=False,
        help_text="Serves only the questions its filters matched when it was made (QueueScopeItem), not the "
        "caption nor every question of its clips",
    )
    lease_seconds = models.PositiveIntegerField(default=1800)
    order = models.CharField(max_length=20, choices=Order.choices, default=Order.FLAGGED_FIRST)
    paused = models.BooleanField(default=False)
    annotators = models.ManyToManyField(User, related_name="queues", blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="queues_created")
    created_at = models.DateTimeField(auto_now_add=True)

    audit_kind = "queue"  # target_kind of its queue_created / queue_changed events
    # set only on the queues that review.selectors.queues_with_progress returns (declared for the type checker)
    review_count: int
    annotator_names: list[str]
    percent_done: float

    class Meta:
        ordering = ("benchmark", "name")
        constraints = [models.UniqueConstraint(fields=("benchmark", "name"), name="queue_name_unique_per_benchmark")]

    def __str__(self) -> str:
        return self.name

    @property
    def reopens_excluded(self) -> bool:
        """Whether excluded questions (and captions) are this queue's work: only when its status filter names
        excluded. Elsewhere an exclusion stands; reviews neither ask for nor move it."""
        return ReviewStatus.EXCLUDED in self.filters.get("statuses", ())

    @property
    def caption_only(self) -> bool:
        """A training corpus's caption queue: it serves the caption alone. A corpus queue with a question filter
        is scoped and serves its QA rows, as a scoped queue of an evaluation benchmark does."""
        return self.benchmark.is_caption_centric and not self.scoped

    def questions_served(self, video_id: int) -> models.QuerySet[QAItem]:
        """The questions of a clip this queue asks a decision on (and, when blind, a blind answer to): its scope,
        or every question of the clip in an unscoped queue, less excluded ones unless it reopens them. None in a
        training corpus's caption queue (``caption_only``). Every rule of what a queue serves reads this or
        ``review.services.reviews.slot_open_work``, which says the same in SQL."""
        if self.caption_only:
            return QAItem.objects.none()
        items = QAItem.objects.filter(video_id=video_id)
        if self.scoped:
            items = items.filter(queue_scopes__queue=self)
        return items if self.reopens_excluded else items.exclude(review_status=ReviewStatus.EXCLUDED)

    def serves_caption(self, caption) -> bool:
        """Whether the clip's caption needs a decision in this queue: not in a scoped queue (it serves its
        questions), nor an excluded caption unless the queue reopens excluded ones."""
        return not self.scoped and (self.reopens_excluded or caption.review_status != ReviewStatus.EXCLUDED)


class QueueScopeItem(models.Model):
    """A question in a scoped queue's scope: one its filters matched when it was made. Fixed then, so a
    decision that settles an item, or a fix that clears its flag, does not take it out of the queue's work."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="scope")
    item = models.ForeignKey("annotation.QAItem", on_delete=models.PROTECT, related_name="queue_scopes")

    class Meta:
        constraints = [models.UniqueConstraint(fields=("queue", "item"), name="queuescopeitem_once_per_queue")]

    def __str__(self) -> str:
        return f"{self.item_id} in {self.queue_id}"


class QueueSlot(models.Model):
    """One review of one clip in a queue; a clip has ``overlap`` slots. Claiming a slot leases it."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="slots")
    video = models.ForeignKey("annotation.Video", on_delete=models.PROTECT, related_name="queue_slots")
    copy = models.PositiveSmallIntegerField(help_text="1..overlap")
    position = models.PositiveIntegerField(help_text="Claim order")
    claimed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="claims")
    lease_expires = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("queue", "position")
        constraints = [
            models.UniqueConstraint(fields=("queue", "video", "copy"), name="queueslot_copy_unique"),
            # A person holds at most one unfinished clip of a queue, however their requests interleave.
            models.UniqueConstraint(
                fields=("queue", "claimed_by"),
                name="queueslot_one_open_claim_per_person",
                condition=models.Q(claimed_by__isnull=False, completed_at__isnull=True),
            ),
        ]
        indexes = [
            models.Index(
                fields=("queue", "position"),
                condition=models.Q(completed_at__isnull=True),
                name="queueslot_open_by_position",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.video_id} #{self.copy} in {self.queue_id}"


class BlindAnswers(models.Manager):
    def questions_left(self, *, slot: QueueSlot, person: User) -> int:
        """Closed questions the slot's queue serves of its clip that the person has still to answer from the
        video (0 outside blind queues and in a training corpus's caption queues)."""
        if not slot.queue.blind or slot.queue.caption_only:
            return 0
        closed = slot.queue.questions_served(slot.video_id).filter(task__in=CLOSED_TASKS)
        answered = self.filter(person=person, stage=slot.queue.stage, item__video_id=slot.video_id)
        return closed.exclude(pk__in=answered.values("item_id")).count()


class BlindAnswer(models.Model):
    """A person's answer to a closed question from the video alone, before anything machine-made was shown.

    Written once and never replaced (unique per person, item and stage; PostgreSQL refuses UPDATE and
    DELETE). It belongs to the person, not to the slot: whoever holds the clip later answers for themselves.
    """

    person = models.ForeignKey(User, on_delete=models.PROTECT, related_name="blind_answers")
    item = models.ForeignKey("annotation.QAItem", on_delete=models.PROTECT, related_name="blind_answers")
    item_version = models.PositiveIntegerField(help_text="The version the person answered")
    slot = models.ForeignKey(QueueSlot, on_delete=models.PROTECT, related_name="blind_answers")
    stage = models.CharField(max_length=16, choices=Queue.Stage.choices)
    answer = models.CharField(max_length=8)
    answered_at = models.DateTimeField(auto_now_add=True)

    objects = BlindAnswers()

    class Meta:
        ordering = ("item", "answered_at")
        constraints = [models.UniqueConstraint(fields=("person", "item", "stage"), name="blindanswer_once_per_stage")]

    def __str__(self) -> str:
        return f"{self.person_id} answered {self.item_id}: {self.answer}"


class CountedReviews(models.QuerySet):
    def counted(self):
        """The reviews that settle items and enter agreement: those of people who completed their copy of the clip."""
        return self.filter(slot__completed_by=models.F("reviewer"))


class Review(models.Model):
    """What one person decided about one item in one slot (with a copy of their blind answer).

    Reviews belong to people: a slot handed to someone else keeps the earlier holder's reviews as
    theirs, and the new holder decides for themselves. An item settles from the reviews of the people
    who completed their slots (``review.services.reviews``).
    """

    class Decision(models.TextChoices):
        ACCEPT = "accept", "Accept"
        FIX = "fix", "Fix"
        REJECT = "reject", "Reject"

    class RejectReason(models.TextChoices):
        WRONG_KEY = "wrong_key", "Wrong key"
        AMBIGUOUS = "ambiguous", "Ambiguous"
        NOT_ANSWERABLE = "not_answerable", "Not answerable from the video"
        LEAKS_ANSWER = "leaks_answer", "Leaks the answer"
        DUPLICATE_OPTION = "duplicate_option", "Duplicate option"
        UNNATURAL_LANGUAGE = "unnatural_language", "Unnatural language"
        OTHER = "other", "Other (see note)"

    slot = models.ForeignKey(QueueSlot, on_delete=models.PROTECT, related_name="reviews")
    item = models.ForeignKey("annotation.QAItem", on_delete=models.PROTECT, related_name="reviews")
    item_version = models.PositiveIntegerField(help_text="The version the reviewer saw")
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="reviews")
    stage = models.CharField(max_length=16, choices=Queue.Stage.choices)
    blind_answer = models.TextField(blank=True)
    decision = models.CharField(max_length=8, choices=Decision.choices)
    reason = models.TextField(blank=True, help_text="Free-text note")
    reject_reasons = models.JSONField(default=list, blank=True, help_text="RejectReason codes")
    seconds_spent = models.PositiveIntegerField(null=True, blank=True)
    evidence_start_frame = models.PositiveIntegerField(
        null=True, blank=True, help_text="First frame (decoded-stream index) that shows the answer"
    )
    evidence_end_frame = models.PositiveIntegerField(
        null=True, blank=True, help_text="Last frame (included) that shows the answer"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CountedReviews.as_manager()

    class Meta:
        ordering = ("item", "created_at")
        constraints = [
            models.UniqueConstraint(fields=("slot", "item", "reviewer"), name="review_once_per_person_slot_item"),
            models.CheckConstraint(
                condition=models.Q(evidence_start_frame__isnull=True, evidence_end_frame__isnull=True)
                | models.Q(
                    evidence_start_frame__isnull=False,
                    evidence_end_frame__isnull=False,
                    evidence_start_frame__lte=models.F("evidence_end_frame"),
                ),
                name="review_evidence_span_both_ends_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer_id}: {self.decision} {self.item_id} in slot {self.slot_id}"

    @property
    def reject_reason_labels(self) -> list[str]:
        return reject_reasons_in_words(self.reject_reasons)

    @property
    def evidence_span(self) -> EvidenceSpan | None:
        """The marked frames, with seconds from the clip's frame rate (read ``item.video``: select it)."""
        if self.evidence_start_frame is None:
            return None
        video = self.item.video
        return span_of(self.evidence_start_frame, self.evidence_end_frame, clip_fps(video.fps_num, video.fps_den))


class CaptionReview(models.Model):
    """What one person decided about a clip's structured caption in one slot."""

    class RejectReason(models.TextChoices):
        """What can be wrong with a caption, by its fields (a question's reasons are ``Review.RejectReason``).
        Rows decided before these existed may hold question codes; ``reject_reasons_in_words`` reads both."""

        WRONG_COARSE_LABEL = "wrong_coarse_label", "Wrong coarse label"
        WRONG_FINE_LABEL = "wrong_fine_label", "Wrong fine label"
        WRONG_BODY_PARTS = "wrong_body_parts", "Wrong body parts"
        WRONG_MOTION = "wrong_motion", "Wrong direction, trend or contact"
        WRONG_PHASES = "wrong_phases", "Wrong phases or phase timing"
        WRONG_DESCRIPTION = "wrong_description", "Description wrong or hallucinated"
        NOT_A_MICRO_ACTION = "not_a_micro_action", "Not a micro-action, or the clip is unusable"
        OTHER = "other", "Other (see note)"

    slot = models.ForeignKey(QueueSlot, on_delete=models.PROTECT, related_name="caption_reviews")
    caption = models.ForeignKey("annotation.Caption", on_delete=models.PROTECT, related_name="reviews")
    caption_version = models.PositiveIntegerField(help_text="The version the reviewer saw (after their fix, if any)")
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="caption_reviews")
    stage = models.CharField(max_length=16, choices=Queue.Stage.choices)
    decision = models.CharField(max_length=8, choices=Review.Decision.choices)
    reject_reasons = models.JSONField(default=list, blank=True)  # RejectReason codes (no choices: old rows stay valid)
    reason = models.TextField(blank=True, help_text="Free-text note")
    seconds_spent = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CountedReviews.as_manager()

    class Meta:
        ordering = ("caption", "created_at")
        constraints = [
            models.UniqueConstraint(fields=("slot", "caption", "reviewer"), name="captionreview_once_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer_id}: {self.decision} caption {self.caption_id} in slot {self.slot_id}"

    @property
    def reject_reason_labels(self) -> list[str]:
        return reject_reasons_in_words(self.reject_reasons)


def reject_reasons_in_words(codes) -> list[str]:
    """Reject reason codes of a question or a caption as the review page words them (an unknown code as it is).
    The two lists share only "other", worded alike, so one lookup serves both and older caption rows."""
    labels = dict(Review.RejectReason.choices) | dict(CaptionReview.RejectReason.choices)
    return [labels.get(code, code) for code in codes]
