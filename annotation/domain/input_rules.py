"""The one set of rules for content that people and machines write: text, versions, numbers, tags
and names. Imports, review fixes, caption edits, adjudication notes, generation and the API all
ask these functions, so that each problem is reported the same way, naming its field.

Text is plain text by allowlist: any printable character, line breaks and tabs where the field
allows several lines, and nothing that can open HTML (``<`` followed by a letter, ``/``, ``!`` or
``?``). ``a < b`` and ``x<3`` stay plain; ``<details open ontoggle=...>`` does not. Control characters,
NUL and the Unicode line and paragraph separators (which split a line for some readers but not
others) are refused everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

MAX_TEXT = 20_000  # a question, option list, answer, caption field or note
MAX_LINE = 500  # a one-line field: a reason, a label, a name
INT32_MAX = 2**31 - 1  # the range of PostgreSQL's integer columns (versions, seconds, counts)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_LINE_BREAK = re.compile(r"[\n\r\t]")
_MARKUP_OPENER = re.compile(r"<[A-Za-z/!?]")  # what an HTML tokenizer reads as a tag, comment or declaration

TAG_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}"
_TAG = re.compile(rf"^{TAG_PATTERN}$")
_NAME_EDGE = r"[^\s\x00-\x1f\x7f<>]"
NAME_PATTERN = rf"{_NAME_EDGE}(?:[^\x00-\x1f\x7f<>]{{0,198}}{_NAME_EDGE})?"
_NAME = re.compile(rf"^{NAME_PATTERN}$")


def _describe(char: str) -> str:
    return f"U+{ord(char):04X}"


def text_problem(value: object, *, required: bool, max_length: int = MAX_TEXT, multiline: bool = True) -> str | None:
    """What is wrong with ``value`` as plain text, or None."""
    if value is None or value == "":
        return "missing" if required else None
    if not isinstance(value, str):
        return f"must be a string, found {type(value).__name__}"
    if required and not value.strip():
        return "missing (only spaces)"
    if len(value) > max_length:
        return f"is {len(value)} characters; the limit is {max_length}"
    control = _CONTROL.search(value)
    if control:
        return f"contains the control character {_describe(control.group(0))}"
    if not multiline and _LINE_BREAK.search(value):
        return "must be one line (no line breaks or tabs)"
    markup = _MARKUP_OPENER.search(value)
    if markup:
        return f"contains markup {value[markup.start() : markup.start() + 40]!r}; plain text only"
    return None


def tag_problem(tag: object) -> str | None:
    """A release tag: letters, digits, ``.``, ``_``, ``+``, ``-``; starts with a letter or digit; 1-64."""
    if not isinstance(tag, str) or not tag.strip():
        return "a release needs a tag, e.g. v1.0"
    if len(tag) > 64:
        return f"the tag has {len(tag)} characters; at most 64"
    if not _TAG.match(tag):
        return f"{tag[:40]!r} is not a tag: letters, digits, '.', '_', '+', '-', starting with a letter or digit (e.g. v1.0, 2026-12-rc1)"
    return None


def name_problem(name: object, *, what: str = "name") -> str | None:
    """A benchmark or queue name: one line, 1-200 characters, no markup brackets, no edge spaces."""
    if not isinstance(name, str) or not name.strip():
        return f"a {what} is required"
    if len(name) > 200:
        return f"the {what} has {len(name)} characters; at most 200"
    if not _NAME.match(name):
        return f"a {what} is one line without control characters, '<' or '>', and without spaces at either end"
    return None


def int_problem(value: object, *, minimum: int = 0, maximum: int = INT32_MAX) -> str | None:
    """``value`` as a whole number within [minimum, maximum]; strings must be plain decimal digits."""
    number = int_parsed(value)
    if number is None:
        return "must be a whole number"
    if not minimum <= number <= maximum:
        return f"must be between {minimum} and {maximum}"
    return None


def int_parsed(value: object) -> int | None:
    """A strictly parsed integer: an int (not a bool) or a string of at most 12 ASCII digits with an optional '-'."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,12}", value.strip()):
        return int(value)
    return None


def version_problem(value: object) -> str | None:
    """A content version as sent back by a form or a client: a positive whole number."""
    if value is None or value == "":
        return "missing: send the version you saw"
    return int_problem(value, minimum=1)


def content_problem(changes: Mapping[str, object]) -> tuple[str, str] | None:
    """The first (field, problem) among a write's values: strings and lists of strings are text,
    whole numbers stay within an integer column; None when every value keeps the rules."""
    for field, value in changes.items():
        problem = _value_problem(value)
        if problem:
            return field, problem
    return None


def _value_problem(value: object) -> str | None:
    if isinstance(value, str):
        return text_problem(value, required=False)
    if isinstance(value, (list, tuple)):
        for position, part in enumerate(value, start=1):
            problem = _value_problem(part)
            if problem:
                return f"line {position} {problem}"
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return int_problem(value, minimum=-INT32_MAX)
    return None
