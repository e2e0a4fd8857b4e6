"""What a fix changes, field by field, for the page to show before it is saved (and in a conflict).

Word-level marks are built from escaped words only, so machine text stays text."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str
    after: str

    @property
    def marked(self) -> SafeString:
        old, new = self.before.split(" "), self.after.split(" ")
        parts = []
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
            if op in ("delete", "replace"):
                parts.append(f"<del>{escape(' '.join(old[i1:i2]))}</del>")
            if op in ("insert", "replace"):
                parts.append(f"<ins>{escape(' '.join(new[j1:j2]))}</ins>")
            if op == "equal":
                parts.append(escape(" ".join(old[i1:i2])))
        return mark_safe(" ".join(parts))


def as_text(value) -> str:
    if isinstance(value, list):
        return " | ".join(str(v) for v in value)
    return "" if value is None else str(value)


def field_changes(before: dict, after: dict) -> list[FieldChange]:
    """The fields of ``after`` whose value differs from ``before``, in ``after``'s order."""
    return [
        FieldChange(field, as_text(before.get(field)), as_text(value))
        for field, value in after.items()
        if before.get(field) != value
    ]
