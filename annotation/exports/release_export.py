"""The export formats of a release, produced as a stream of byte chunks.

The same functions compute a release's digests at creation and serve its exports
later, so an export is byte-identical every time. Rows are built in a fixed key
order (``mac``: exactly the published shape) or with sorted keys (rich formats),
never in the order a database returns JSON keys.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from annotation.domain.mac_format import join_embedded_options
from annotation.domain.taxonomy import TASKS
from annotation.exports import sft_export
from annotation.exports.json_encoding import ENCODERS as _ENCODERS
from annotation.exports.json_encoding import json_string as _STRING

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


def _dumps(value, *, sorted_keys: bool) -> str:
    return _ENCODERS[sorted_keys](value)


def _json(value, *, sorted_keys: bool) -> str:
    return _STRING(value) if type(value) is str else _ENCODERS[sorted_keys](value)


@dataclass(frozen=True, slots=True)
class RowJson:
    """One row's line in each format and its JSON columns, put together from its values each encoded once:
    ``mac``, ``questions_only`` and ``rich`` are ``_dumps`` of ``mac_row``, ``questions_only_row`` and
    ``rich_row`` (keys sorted), byte for byte; ``content`` and ``provenance`` are the row's values as JSON
    (keys in any order), for a cut to store as they are."""

    mac: str
    questions_only: str
    rich: str
    content: str
    provenance: str


TASK_JSON = {code: (_STRING(task.answer_format.value), _STRING(task.tier.value)) for code, task in TASKS.items()}
CONTENT_KEYS = {"clip", "task", "question", "options", "answer", "generated_by"}  # a released item's content


def row_json(row: ReleasedRow, caption: str | None = None) -> RowJson:
    """``RowJson`` of ``row``; ``caption``: ``row.caption`` dumped with sorted keys when the caller has it (a
    clip's caption is the same in each of its items). json.dumps writes an object as ``{"k": v, ...}``, which
    is how the pieces are joined; a str is written by the encoders' own string function."""
    c, text, dumps = row.content, _STRING, _ENCODERS[True]
    answer_format, tier = TASK_JSON[c["task"]]
    clip, task, stem, answer, generated_by = c["clip"], c["task"], c["question"], c["answer"], c["generated_by"]
    task = _json(task, sorted_keys=False)
    qid = _json(row.qid, sorted_keys=False)
    question = text(join_embedded_options(stem, c["options"]))
    if type(answer) is str:
        mac_answer = rich_answer = text(answer)
    else:
        mac_answer, rich_answer = _json(answer, sorted_keys=False), _json(answer, sorted_keys=True)
    video = text(f"{clip}.mp4")
    clip = _json(clip, sorted_keys=False)
    stem = _json(stem, sorted_keys=False)
    generated_by = _json(generated_by, sorted_keys=False)
    options, provenance = dumps(c["options"]), dumps(row.provenance)
    rich = (
        f'{{"answer": {rich_answer}, "answer_format": {answer_format}, '
        f'"caption": {dumps(row.caption) if caption is None else caption}, '
        f'"generated_by": {generated_by}, "item_version": {dumps(row.item_version)}, '
        f'"options": {options}, "provenance": {provenance}, "qid": {qid}, '
        f'"question": {stem}, "task": {task}, "tier": {tier}, "video": {video}}}'
    )
    content = (  # a JSON column keeps no key order, nor the order of an object's keys within the options
        f'{{"clip": {clip}, "task": {task}, "question": {stem}, "options": {options}, "answer": {rich_answer}, '
        f'"generated_by": {generated_by}}}'
        if c.keys() == CONTENT_KEYS
        else _dumps(c, sorted_keys=True)
    )
    return RowJson(
        mac=f'{{"video": {video}, "task": {task}, "qid": {qid}, "question": {question}, "answer": {mac_answer}}}',
        questions_only=f'{{"video_name": {clip}, "task": {task}, "qid": {qid}, "question": {question}}}',
        rich=rich,
        content=content,
        provenance=provenance,
    )


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


SPOOL_BYTES = 32 * 2**20  # a cut's json rows held in memory up to this, then in a temporary file


class ReleaseDigests:
    """Every format's ``export_digest`` of rows given batch by batch as ``RowJson`` (in export order), the
    same bytes as ``export_chunks`` without holding them. The ``json`` rows are kept (in memory up to
    ``SPOOL_BYTES``, then in a temporary file) to be digested once the manifest is known, with or without the
    datasheet in its header (``digests``, ``json_digest``)."""

    def __init__(self) -> None:
        self._hashes = {"mac": hashlib.sha256(b"["), "questions-only": hashlib.sha256(b"["), "jsonl": hashlib.sha256()}
        self._json_rows = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115  # closed by __exit__
        self._rows = 0

    def __enter__(self) -> ReleaseDigests:
        return self

    def __exit__(self, *exc) -> None:
        self._json_rows.close()

    def add(self, rows: Sequence[RowJson]) -> None:
        if not rows:
            return
        lead = "\n" if self._rows == 0 else ",\n"
        self._rows += len(rows)
        self._hashes["mac"].update((lead + ",\n".join(row.mac for row in rows)).encode())
        self._hashes["questions-only"].update((lead + ",\n".join(row.questions_only for row in rows)).encode())
        self._hashes["jsonl"].update("".join(row.rich + "\n" for row in rows).encode())
        self._json_rows.write((lead + ",\n".join(row.rich for row in rows)).encode())

    def digests(self, manifest: dict) -> dict[str, str]:
        """Every format's digest, the ``json`` export's with ``manifest`` in its header."""
        found = {}
        for fmt, digest in self._hashes.items():
            ending = digest.copy()
            if fmt != "jsonl":
                ending.update(b"\n]\n")
            found[fmt] = ending.hexdigest()
        found["json"] = self.json_digest(manifest)
        return {fmt: found[fmt] for fmt in FORMATS}

    def json_digest(self, manifest: dict) -> str:
        digest = hashlib.sha256(('{"release": ' + _dumps(manifest, sorted_keys=True) + ', "items": [').encode())
        self._json_rows.seek(0)
        while block := self._json_rows.read(2**20):
            digest.update(block)
        self._json_rows.seek(0, 2)
        digest.update(b"\n]}\n")
        return digest.hexdigest()


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
