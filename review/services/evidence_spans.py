"""The rules of an evidence span on a question review: both ends or neither, each a frame index of the
clip's decoded stream (0 to its frame count - 1), the start not after the end. A span that breaks one is
bad input (400) naming the field, and nothing of the decision is written."""

from __future__ import annotations

from annotation.errors import InvalidInput
from review.evidence_span import EvidenceSpan

START, END = "evidence_start_frame", "evidence_end_frame"


def evidence_span_checked(
    *, start_frame: int | None, end_frame: int | None, frame_count: int | None
) -> EvidenceSpan | None:
    """The span as given, once it keeps the rules; None when neither end is given."""
    if start_frame is None and end_frame is None:
        return None
    if start_frame is None or end_frame is None:
        missing = START if start_frame is None else END
        raise InvalidInput(
            f"{missing}: a span needs both ends (mark in with i and out with o), or neither (clear it)", field=missing
        )
    for field, frame in ((START, start_frame), (END, end_frame)):
        if type(frame) is not int or frame < 0:
            raise InvalidInput(f"{field}: {frame!r} is not a frame index (0 or more)", field=field)
    if not frame_count:
        raise InvalidInput(f"{START}: this clip's frames are not decoded yet, so no frame can be marked", field=START)
    for field, frame in ((START, start_frame), (END, end_frame)):
        if frame >= frame_count:
            raise InvalidInput(f"{field}: frame {frame} is past the clip's last frame ({frame_count - 1})", field=field)
    if start_frame > end_frame:
        raise InvalidInput(
            f"{END}: frame {end_frame} is before the span's start (frame {start_frame}); mark out after in",
            field=END,
        )
    return EvidenceSpan(start_frame, end_frame)
