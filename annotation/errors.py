"""The project's error family: every error raised on purpose descends from ``MabenchError``.

A ``Refused`` error is an action the rules do not allow (a stale version, an expired lease,
a decision without a blind answer ...). It carries the audit event that records the attempt;
the outermost audited service writes that event after its own transaction has rolled back
(``annotation.services.audited_writes.records_refusals``), so the refusal is kept even though
nothing else of the attempt is.
"""

from __future__ import annotations

from typing import Any


class MabenchError(Exception):
    """Base of the errors this project raises on purpose; its message says what was wrong and where."""


class Refused(MabenchError):
    """An action refused by a rule. ``attempt`` holds the fields of the audit event that records it."""

    attempt: dict[str, Any] | None = None

    def recording(self, *, actor, target_kind: str, target_id: int, after: Any = None, before: Any = None,
                  version: int | None = None, event_type: str = "refused") -> Refused:  # fmt: skip
        """Say what to record for this refusal (``actor`` is an ``Actor``); returns the error to raise."""
        self.attempt = {**actor.event_fields(), "event_type": event_type, "target_kind": target_kind,
                        "target_id": target_id, "target_version": version, "before": before, "after": after,
                        "reason": str(self)}  # fmt: skip
        return self
