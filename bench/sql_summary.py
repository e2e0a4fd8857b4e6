"""Short names for captured SQL statements: what a request does to which table, in order."""

from __future__ import annotations

import re
from itertools import groupby


def statement_brief(sql: str) -> str:
    """'SELECT review_queueslot', 'UPDATE annotation_qaitem', 'BEGIN' ..."""
    verb = sql.split(None, 1)[0].upper()
    table = re.search(r'(?:FROM|UPDATE|INTO)\s+"?(\w+)"?', sql, re.IGNORECASE) if verb != "SAVEPOINT" else None
    return f"{verb} {table.group(1)}" if table else verb


def statements_brief(queries) -> str:
    """'SELECT django_session; 2x SELECT review_review; ...' for a CaptureQueriesContext."""
    briefs = [statement_brief(q["sql"]) for q in queries]
    return "; ".join(f"{n}x {b}" if n > 1 else b for b, n in ((b, len(list(g))) for b, g in groupby(briefs)))
