"""The project's one error family: every error raised on purpose descends from ``DomainError``.

- ``InvalidInput``: the request asks for something malformed or unknown (a bad choice, a missing
  reason); pages and the API answer 400, naming ``field`` when there is one.
- ``Refused``: a rule does not allow the action (a stale version, an expired lease, a decision
  without a blind answer ...); 409. It carries the audit event that records the attempt; the
  outermost audited service writes that event after its own transaction has rolled back
  (``annotation.services.audited_writes.records_refusals``), so the refusal is kept even though
  nothing else of the attempt is.
- Anything else of the family (a damaged release, a failed clip, a predictor's error) says what
  went wrong where; how it is answered is decided once, in ``error_status``.

A bare ``ValueError`` or ``TypeError`` is a programming error: views and the API let it through
as a server error rather than dress it up as "nothing was written".
"""

from __future__ import annotations

from typing import Any, Self


class DomainError(Exception):
    """Base of the errors raised on purpose; the message says what was wrong and where."""

    status = 400

    def __init__(self, message: str = "", *, field: str | None = None):
        super().__init__(message)
        self.field = field


class InvalidInput(DomainError):
    """A value the caller sent is not one the rules know (``field`` names it)."""


class Refused(DomainError):
    """An action refused by a rule. ``attempt`` holds the fields of the audit event that records it."""

    status = 409
    attempt: dict[str, Any] | None = None

    def recording(
        self,
        *,
        actor,
        target_kind: str,
        target_id: int,
        after: Any = None,
        before: Any = None,
        version: int | None = None,
        event_type: str = "refused",
    ) -> Self:
        """Say what to record for this refusal (``actor`` is an ``Actor``); returns the error to raise."""
        self.attempt = {
            **actor.event_fields(),
            "event_type": event_type,
            "target_kind": target_kind,
            "target_id": target_id,
            "target_version": version,
            "before": before,
            "after": after,
            "reason": str(self),
        }
        return self


def error_status(error: Exception) -> int:
    """The HTTP status for an error of the family (pages and the API alike)."""
    return getattr(error, "status", 400)


def error_body(error: DomainError) -> dict[str, Any]:
    """The API's JSON for an error of the family."""
    body: dict[str, Any] = {"detail": str(error), "code": type(error).__name__}
    if error.field:
        body["field"] = error.field
    return body
