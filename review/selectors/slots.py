"""The plain-query reads (``annotation.plain_sql``) of the hottest requests: the claimed slot every review request
starts from, with its queue, the queue's benchmark, the clip and the clip's caption (what
``QueueSlot.objects.select_related("queue__benchmark", "video__caption")`` reads, at a fifth of its CPU), and
the queue a Start claims from."""

from __future__ import annotations

from annotation.models import Benchmark, Caption, Video
from annotation.plain_sql import ModelColumns, fetched, instances, row_parts
from review.models import Queue, QueueSlot, User

_SLOT = ModelColumns(QueueSlot, "s")
_QUEUE = ModelColumns(Queue, "q")
_BENCHMARK = ModelColumns(Benchmark, "b")
_VIDEO = ModelColumns(Video, "v")
_CAPTION = ModelColumns(Caption, "c")
_PARTS: tuple[ModelColumns, ...] = (_SLOT, _QUEUE, _BENCHMARK, _VIDEO, _CAPTION)


def _slot_sql() -> str:
    return (
        f"SELECT {', '.join(part.sql for part in _PARTS)} FROM {QueueSlot._meta.db_table} s"
        f" JOIN {Queue._meta.db_table} q ON q.id = s.queue_id"
        f" JOIN {Benchmark._meta.db_table} b ON b.id = q.benchmark_id"
        f" JOIN {Video._meta.db_table} v ON v.id = s.video_id"
        f" LEFT JOIN {Caption._meta.db_table} c ON c.video_id = v.id"
        " WHERE s.id = %s"
    )


def slot_with_clip(slot_id: int) -> QueueSlot | None:
    """The slot with its queue (and the queue's benchmark) and its clip (and the clip's caption, or None:
    ``slot.video.caption`` then raises ``Caption.DoesNotExist`` as after ``select_related``, without a query)."""
    rows = fetched(_slot_sql(), [slot_id])
    if not rows:
        return None
    *values, caption, _ = row_parts(rows[0], _PARTS)
    slot, queue, benchmark, video = (part.instance(v) for part, v in zip(_PARTS, values, strict=False))
    queue.benchmark = benchmark
    slot.queue, slot.video = queue, video
    if caption[0] is None:  # no caption: remembered as none, as select_related does
        Video.caption.related.set_cached_value(video, None)
    else:
        video.caption = _CAPTION.instance(caption)
    return slot


def queue_to_claim_from(queue_id: int, user: User) -> tuple[Queue | None, bool]:
    """The queue (None: there is none) and whether ``user`` is one of its annotators, in one plain query."""
    through = Queue.annotators.through
    queue_column = Queue.annotators.field.m2m_column_name()
    user_column = Queue.annotators.field.m2m_reverse_name()
    sql = (
        f"SELECT {_QUEUE.sql}, EXISTS (SELECT 1 FROM {through._meta.db_table} a"
        f" WHERE a.{queue_column} = q.id AND a.{user_column} = %s) FROM {Queue._meta.db_table} q WHERE q.id = %s"
    )
    rows = instances(sql, [user.pk, queue_id], _QUEUE)
    if not rows:
        return None, False
    [(queue, annotates)] = rows
    return queue, bool(annotates)
