"""The export formats of a release, produced as a stream of byte chunks.

The same functions compute a release's digests at creation and serve its exports
later, so an export is byte-identical every time. Rows are built in a fixed key
order (``mac``: exactly the published shape) or with sorted keys (rich formats),
never in the order a database returns JSON keys.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from annotation.domain.mac_format import join_embedded_options
from annotation.domain.taxonomy import TASKS
from annotation.exports import sft_export

CHUNK_ROWS = 500


class ReleasedRow(Protocol):  # read-only: a stored ReleaseItem, or the values a cut freezes
    @property
    def qid(self) -> str: ...
    @property
    def item_version(self) -> int: ...
    @property
    def content(self) -> dict: ...
    @property
    def caption(self) -> dict | None: ...
    @property
    def provenance(self) -> dict: ...


def mac_row(row: ReleasedRow) -> dict:
    """The published MA-Bench / MAC row: what existing evaluation code reads."""
    c = row.content
    return {
        "video": f"{c['clip']}.mp4",
        "task": c["task"],
        "qid": row.qid,
        "question": join_embedded_options(c["question"], c["options"]),
        "answer": c["answer"],
    }


def questions_only_row(row: ReleasedRow) -> dict:
    """The published full-benchmark shape for blind test sets: no answer key."""
    c = row.content
    return {
        "video_name": c["clip"],
        "task": c["task"],
        "qid": row.qid,
        "question": join_embedded_options(c["question"], c["options"]),
    }


def rich_row(row: ReleasedRow) -> dict:
    c = row.content
    task = TASKS[c["task"]]
    return {
        "qid": row.qid,
        "task": c["task"],
        "tier": task.tier.value,
        "answer_format": task.answer_format.value,
        "video": f"{c['clip']}.mp4",
        "question": c["question"],
        "options": c["options"],
        "answer": c["answer"],
        "item_version": row.item_version,
        "generated_by": c["generated_by"],
        "caption": row.caption,
        "provenance": row.provenance,
    }


_ENCODERS = {  # json.dumps(value, ensure_ascii=False, sort_keys=...), without building an encoder per row
    sorted_keys: json.JSONEncoder(ensure_ascii=False, sort_keys=sorted_keys).encode for sorted_keys in (False, True)
}


def _dumps(value, *, sorted_keys: bool) -> str:
    return _ENCODERS[sorted_keys](value)


def _array(rows: Iterable[ReleasedRow], to_row, *, sorted_keys: bool, opening: str = "[", closing: str = "]\n"):
    yield opening.encode()
    buffer, first = [], True
    for row in rows:
        buffer.append(("\n" if first else ",\n") + _dumps(to_row(row), sorted_keys=sorted_keys))
        first = False
        if len(buffer) >= CHUNK_ROWS:
            yield "".join(buffer).encode()
            buffer = []
    buffer.append("\n" + closing)
    yield "".join(buffer).encode()


def _lines(rows: Iterable[ReleasedRow]) -> Iterator[bytes]:
    buffer = []
    for row in rows:
        buffer.append(_dumps(rich_row(row), sorted_keys=True) + "\n")
        if len(buffer) >= CHUNK_ROWS:
            yield "".join(buffer).encode()
            buffer = []
    if buffer:
        yield "".join(buffer).encode()


def export_chunks(fmt: str, manifest: dict, rows: Iterable[ReleasedRow]) -> Iterator[bytes]:
    """``fmt``'s bytes for a release with ``manifest`` (see ``releases.release_manifest``)."""
    if fmt == "mac":
        return _array(rows, mac_row, sorted_keys=False)
    if fmt == "questions-only":
        return _array(rows, questions_only_row, sorted_keys=False)
    if fmt == "jsonl":
        return _lines(rows)
    if fmt == "json":
        opening = '{"release": ' + _dumps(manifest, sorted_keys=True) + ', "items": ['
        return _array(rows, rich_row, sorted_keys=True, opening=opening, closing="]}\n")
    raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")


FORMATS = ("mac", "questions-only", "jsonl", "json")
CONTENT_TYPES = {
    "mac": "application/json",
    "questions-only": "application/json",
    "jsonl": "application/x-ndjson",
    "json": "application/json",
}
FILE_SUFFIXES = {"mac": ".json", "questions-only": ".questions.json", "jsonl": ".jsonl", "json": ".rich.json"}


def export_digest(fmt: str, manifest: dict, rows: Iterable[ReleasedRow]) -> str:
    digest = hashlib.sha256()
    for chunk in export_chunks(fmt, manifest, rows):
        digest.update(chunk)
    return digest.hexdigest()


def export_digests(manifest: dict, rows: Sequence[ReleasedRow]) -> tuple[dict[str, str], list[str]]:
    """Every format's ``export_digest`` from one pass over ``rows`` (each row's rich JSON made once for
    ``jsonl`` and ``json``), and the rich rows' JSON, so the cut can digest ``json`` again with the
    datasheet in its header without dumping the rows a second time. The same bytes as ``export_chunks``."""
    rich = [_dumps(rich_row(row), sorted_keys=True) for row in rows]
    exported = {
        "mac": _array_text(_dumps(mac_row(row), sorted_keys=False) for row in rows).encode(),
        "questions-only": _array_text(_dumps(questions_only_row(row), sorted_keys=False) for row in rows).encode(),
        "jsonl": "".join(line + "\n" for line in rich).encode(),
        "json": json_export_bytes(manifest, rich),
    }
    return {fmt: hashlib.sha256(exported[fmt]).hexdigest() for fmt in FORMATS}, rich


def _array_text(dumped: Iterable[str], opening: str = "[", closing: str = "]\n") -> str:
    """``_array``'s chunks joined: the rows one a line after ``opening``, comma-separated."""
    body = ",\n".join(dumped)
    return opening + ("\n" + body if body else "") + "\n" + closing


def json_export_bytes(manifest: dict, rich: list[str]) -> bytes:
    """The ``json`` export of rows whose rich JSON is ``rich``: ``export_chunks("json", ...)`` joined."""
    opening = '{"release": ' + _dumps(manifest, sorted_keys=True) + ', "items": ['
    return _array_text(rich, opening, "]}\n").encode()


def formats_of(release) -> tuple[str, ...]:
    """The export formats of a release: an evaluation benchmark's, or a training corpus's (``sft_export``)."""
    return sft_export.FORMATS if release.kind == "train" else FORMATS


def default_format(release) -> str:
    return "sft-video" if release.kind == "train" else "mac"


def release_export_chunks(release, fmt: str, manifest: dict, rows: Iterable) -> Iterator[bytes]:
    """``fmt``'s bytes for ``release``, from its stored rows (``selectors.release_export_rows``)."""
    if release.kind == "train":
        return sft_export.export_chunks(fmt, rows)
    return export_chunks(fmt, manifest, rows)


def content_type_of(fmt: str) -> str:
    return CONTENT_TYPES.get(fmt, "application/x-ndjson")


def file_suffix_of(fmt: str) -> str:
    return FILE_SUFFIXES.get(fmt, f".{fmt}.jsonl")
