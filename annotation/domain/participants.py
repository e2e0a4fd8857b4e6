"""Participant ids: who is filmed in a clip, so a training corpus can be kept apart
from the evaluation benchmarks person by person.

A clip's participant id is given by its import row (``participant_id``) or derived
from its clip name by the regular expression in the setting ``PARTICIPANT_ID_PATTERN``
(environment ``MABENCH_PARTICIPANT_ID_PATTERN``), whose named group ``participant``
is the id. The default fits MA-52 / MA-Bench clip names,
``<interview uuid>_<start frame>_<end frame>`` such as
``7a3e3d4d-fd03-44d1-b58e-f38f24a2d997_40_70``: the id is the uuid of the interview
recording the clip was cut from. That treats one recording as one participant; where
a person appears in several recordings, give ``participant_id`` in the import instead.
"""

from __future__ import annotations

import re
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_PATTERN = (
    r"^(?P<participant>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})_\d+_\d+$"
)
PARTICIPANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")


@cache
def _compiled(pattern: str) -> re.Pattern:
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise ImproperlyConfigured(f"PARTICIPANT_ID_PATTERN {pattern!r} is not a regular expression: {error}") from None
    if "participant" not in compiled.groupindex:
        raise ImproperlyConfigured(f"PARTICIPANT_ID_PATTERN {pattern!r} needs a named group (?P<participant>...)")
    return compiled


def participant_pattern() -> re.Pattern:
    return _compiled(getattr(settings, "PARTICIPANT_ID_PATTERN", "") or DEFAULT_PATTERN)


def participant_from_clip_name(clip_name: str) -> str:
    """The participant id the configured pattern finds in ``clip_name``; "" when it does not match."""
    match = participant_pattern().search(clip_name)
    return match.group("participant") or "" if match else ""


def participant_id_problem(value: object) -> str | None:
    """Why ``value`` cannot be a participant id, or None."""
    if not isinstance(value, str):
        return f"must be a string, found {type(value).__name__}"
    if not PARTICIPANT_ID.match(value):
        return f"'{value[:80]}' is not a participant id (letters, digits, '.', '_', '-'; at most 64)"
    return None
