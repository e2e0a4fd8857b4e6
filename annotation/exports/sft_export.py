"""A training-corpus release as a supervised fine-tuning data set.

Shape: LLaMA-Factory's ``sharegpt`` formatting with OpenAI-style message tags (also
read by ms-swift), one JSON object per line::

    {"messages": [{"role": "user", "content": "<video>Describe ..."},
                  {"role": "assistant", "content": "[Body part (coarse-grained)] Head | ..."}],
     "videos": ["media/<clip>.mp4"]}

or, for the model-view frames, ``"<image>"`` once per frame before the instruction and
``"images": ["media/<clip>/000012.jpg", ...]``. With QA, each accepted QA item of the
clip that has an answer key is one user turn (the question, options embedded as
``A. ...`` lines) and assistant turn (the key), and the caption comes last (``qa_turns``
says why and in which order); the media placeholders open the first user turn. Paths are relative to the
export folder, which holds the JSONL, ``media/`` and a ``dataset_info.json`` for
LLaMA-Factory. Rows come in the release's order (clip names), so line n of every
format is clip n of ``corpus-jsonl``.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.core.files.storage import Storage, default_storage

from annotation.domain.mac_format import join_embedded_options
from annotation.domain.taxonomy import TASKS
from annotation.errors import DomainError
from annotation.exports.json_encoding import ENCODERS as _ENCODERS
from annotation.exports.json_encoding import json_string as _STRING
from annotation.frames.outputs import local_root, read_manifest

CHUNK_ROWS = 500
FRAME_STRATEGY = "mac2026"  # the frames the MAC 2026 runner shows a model
INSTRUCTION = (
    "Describe the micro-action in this clip: its body-part category and micro-action label, the dominant and other "
    "body parts involved, the direction and path of the motion, what happens early, in the middle and late, the "
    "temporal trend, any contact between body parts, and a short overall description."
)
CAPTION_LINES = (  # label, caption field; empty fields are left out
    ("Dominant body part", "dominant_part"),
    ("Other body parts", "other_parts"),
    ("Direction and path", "direction_path"),
    ("Early phase", "phase_early"),
    ("Middle phase", "phase_middle"),
    ("Late phase", "phase_late"),
    ("Temporal trend", "trend"),
    ("Contact", "contact"),
    ("Description", "description"),
)


class ReleasedClip(Protocol):
    clip_name: str
    participant_id: str
    caption_version: int
    content: dict
    qa: list
    media: dict
    provenance: dict


@dataclass(frozen=True)
class SftFormat:
    media: str  # "video" or "frames"
    with_qa: bool


SFT_FORMATS = {
    "sft-video": SftFormat("video", False),
    "sft-video-qa": SftFormat("video", True),
    "sft-frames": SftFormat("frames", False),
    "sft-frames-qa": SftFormat("frames", True),
}
FORMATS = (*SFT_FORMATS, "corpus-jsonl")
CANONICAL = "corpus-jsonl"


def caption_text(caption: dict) -> str:
    """The structured caption as the assistant's answer; the first line is MA-Bench's MARE label line."""
    lines = [
        f"[Body part (coarse-grained)] {caption['coarse_name']} | [Micro-action (fine-grained)] {caption['fine_name']}"
    ]
    for label, name in CAPTION_LINES:
        value = caption.get(name)
        value = ", ".join(value) if isinstance(value, list) else value
        if value:
            lines.append(f"{label}: {value}")
    return "\n".join(lines)


def video_path(row: ReleasedClip) -> str:
    return f"media/{row.clip_name}{posixpath.splitext(row.media['file'])[1].lower()}"


def frame_paths(row: ReleasedClip) -> list[str]:
    return [f"media/{row.clip_name}/{index:06d}.jpg" for index in row.media["model_view"][FRAME_STRATEGY]]


TURN_ORDER = {task: place for place, task in enumerate(TASKS)}  # CMAR, FMAR, the yes/no tasks, MADU, MARE


def qa_turns(qa: list[dict]) -> list[dict]:
    """The QA items with a key, in the order no earlier turn states a later one's answer: the caption states
    both labels (CMAR's and FMAR's keys) and most of what the yes/no and open questions ask, so it comes after
    them all; FMAR's options (fine labels of mostly one body part) give CMAR's key away, so CMAR comes first;
    the closed tasks come before the open ones, whose reference answers describe the action (MARE's names
    both labels). Within a task, qid order."""
    keyed = [item for item in qa if item["answer"]]
    return sorted(keyed, key=lambda item: (TURN_ORDER.get(item["task"], len(TURN_ORDER)), item["qid"]))


def conversation(row: ReleasedClip, fmt: SftFormat) -> dict:
    qa = _qa_pairs(row) if fmt.with_qa else []
    return _conversation(row, fmt, qa, caption_text(row.content), _media(row, fmt))


def _qa_pairs(row: ReleasedClip) -> list[tuple[str, str]]:
    return [
        (join_embedded_options(qa["question"], qa["options"]) if qa["options"] else qa["question"], qa["answer"])
        for qa in qa_turns(row.qa)
    ]


def _media(row: ReleasedClip, fmt: SftFormat) -> tuple[str, list[str], str]:
    if fmt.media == "video":
        return "videos", [video_path(row)], "<video>"
    paths = frame_paths(row)
    return "images", paths, "<image>" * len(paths)


def _conversation(
    row: ReleasedClip, fmt: SftFormat, qa: list[tuple[str, str]], caption: str, media: tuple[str, list[str], str]
) -> dict:
    media_key, paths, tokens = media
    turns = [*qa, (INSTRUCTION, caption)]
    messages = []
    for asked, answered in turns:
        messages += [{"role": "user", "content": asked}, {"role": "assistant", "content": answered}]
    messages[0]["content"] = tokens + messages[0]["content"]
    return {"messages": messages, media_key: paths}


def corpus_row(row: ReleasedClip, caption: str | None = None) -> dict:
    return {
        "clip": row.clip_name,
        "participant_id": row.participant_id,
        "caption_version": row.caption_version,
        "caption": row.content,
        "caption_text": caption_text(row.content) if caption is None else caption,
        "qa": row.qa,
        "video": video_path(row),
        "model_view": {FRAME_STRATEGY: row.media["model_view"][FRAME_STRATEGY]},
        "provenance": row.provenance,
    }


def _message(role: str, content) -> str:
    """``_ENCODERS[False]({"role": role, "content": content})``, put together (``role`` needs no escaping)."""
    text = _STRING(content) if type(content) is str else _ENCODERS[False](content)
    return f'{{"role": "{role}", "content": {text}}}'


INSTRUCTION_MESSAGE = _message("user", INSTRUCTION)


@dataclass(frozen=True, slots=True)
class ClipJson:
    """A clip's ``content``, ``qa`` and ``provenance`` dumped with sorted keys, as its ``corpus-jsonl`` line holds
    them (a cut stores the same text)."""

    content: str
    qa: str
    provenance: str


def export_lines(row: ReleasedClip, dumped: ClipJson | None = None) -> dict[str, str]:
    """Every format's line of ``row`` (``export_chunks``' bytes, decoded), what a cut digests in one pass. The
    conversations are put together from JSON dumped once: the QA turns after the first message are the same
    in ``sft-video-qa`` and ``sft-frames-qa``. json.dumps writes a list as ``[a, b]`` and an object as
    ``{"k": v, ...}`` in insertion order, which is how the pieces are joined. ``dumped``: the row's JSON columns
    when the caller has them (the cut reads the QA so from the database)."""
    dump = _ENCODERS[False]
    caption, qa = caption_text(row.content), _qa_pairs(row)
    closing = [INSTRUCTION_MESSAGE, _message("assistant", caption)]
    after_first = [_message("assistant", qa[0][1])] if qa else []
    for asked, answered in qa[1:]:
        after_first += [_message("user", asked), _message("assistant", answered)]
    lines, media = {}, {}  # media: the placeholders and the paths' JSON of each kind, made once
    for name, fmt in SFT_FORMATS.items():
        if fmt.media not in media:
            media_key, paths, tokens = _media(row, fmt)
            media[fmt.media] = (tokens, f"{dump(media_key)}: {dump(paths)}")
        tokens, media_json = media[fmt.media]
        if fmt.with_qa and qa:
            messages = [_message("user", tokens + qa[0][0]), *after_first, *closing]
        else:
            messages = [_message("user", tokens + INSTRUCTION), closing[1]]
        lines[name] = f'{{"messages": [{", ".join(messages)}], {media_json}}}\n'
    lines[CANONICAL] = (
        _ENCODERS[True](corpus_row(row, caption)) if dumped is None else _corpus_line(row, caption, dumped)
    ) + "\n"
    return lines


def _corpus_line(row: ReleasedClip, caption: str, dumped: ClipJson) -> str:
    """``_ENCODERS[True](corpus_row(row, caption))`` put together from ``dumped``, in ``corpus_row``'s keys sorted."""
    dumps = _ENCODERS[True]
    return (
        f'{{"caption": {dumped.content}, "caption_text": {_STRING(caption)}, '
        f'"caption_version": {dumps(row.caption_version)}, "clip": {dumps(row.clip_name)}, '
        f'"model_view": {dumps({FRAME_STRATEGY: row.media["model_view"][FRAME_STRATEGY]})}, '
        f'"participant_id": {dumps(row.participant_id)}, "provenance": {dumped.provenance}, "qa": {dumped.qa}, '
        f'"video": {_STRING(video_path(row))}}}'
    )


def _row_builder(fmt: str) -> Callable[[ReleasedClip], dict]:
    if fmt == CANONICAL:
        return corpus_row
    if fmt in SFT_FORMATS:
        return lambda row: conversation(row, SFT_FORMATS[fmt])
    raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")


def export_chunks(fmt: str, rows: Iterable[ReleasedClip]) -> Iterator[bytes]:
    """``fmt``'s bytes: one JSON object per line (keys sorted for the corpus, as built for the conversations)."""
    build, sorted_keys = _row_builder(fmt), fmt == CANONICAL
    buffer = []
    for row in rows:
        buffer.append(_ENCODERS[sorted_keys](build(row)) + "\n")
        if len(buffer) >= CHUNK_ROWS:
            yield "".join(buffer).encode()
            buffer = []
    if buffer:
        yield "".join(buffer).encode()


class MediaMissing(DomainError):
    """A released clip's media are no longer where the release recorded them."""


def dataset_info(*, dataset: str, fmt: str) -> dict:
    """LLaMA-Factory's dataset description for the folder (``--dataset_dir <folder> --dataset <name>``)."""
    media_key = "videos" if SFT_FORMATS[fmt].media == "video" else "images"
    return {
        dataset: {
            "file_name": f"{fmt}.jsonl",
            "formatting": "sharegpt",
            "columns": {"messages": "messages", media_key: media_key},
            "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant"},
        }
    }


def dataset_name(benchmark: str, tag: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", f"{benchmark}_{tag}").strip("_").lower()


@dataclass
class FolderSummary:
    rows: int = 0
    media_files: int = 0
    linked: int = 0
    copied: int = 0


def write_folder(
    *,
    out: Path,
    fmt: str,
    dataset: str,
    rows: Iterable[ReleasedClip],
    link: bool = True,
    storage: Storage = default_storage,
    chunks_of: Callable[[Iterable[ReleasedClip]], Iterator[bytes]] | None = None,
) -> FolderSummary:
    """Write ``<fmt>.jsonl``, ``dataset_info.json`` and ``media/`` into ``out`` (which must not exist).

    Media are hard-linked from local storage when ``link`` (copied across file systems
    or from remote storage). Built in a hidden sibling folder and renamed into place,
    so ``out`` never holds half an export. ``chunks_of`` turns the rows into the JSONL
    bytes (default ``export_chunks``; ``export_sft`` passes one that checks the release's
    digest and raises before the end when it differs).
    """
    chunks_of = chunks_of or (lambda clips: export_chunks(fmt, clips))
    if fmt not in SFT_FORMATS:
        raise ValueError(f"a fine-tuning folder is one of {', '.join(SFT_FORMATS)}, not {fmt!r}")
    if out.exists():
        raise FileExistsError(f"{out} exists; choose a new folder")
    staging = out.with_name(f".{out.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "media").mkdir(parents=True)
    summary = FolderSummary()
    try:
        with (staging / f"{fmt}.jsonl").open("wb") as jsonl:
            for chunk in chunks_of(_placing_media(rows, staging, SFT_FORMATS[fmt], link, storage, summary)):
                jsonl.write(chunk)
        (staging / "dataset_info.json").write_text(json.dumps(dataset_info(dataset=dataset, fmt=fmt), indent=2) + "\n")
        staging.replace(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return summary


def _placing_media(rows, folder: Path, fmt: SftFormat, link: bool, storage: Storage, summary: FolderSummary):
    """The rows, each after its media are in ``folder`` (so memory stays bounded)."""
    root = local_root(storage)
    for row in rows:
        for relative, name in _media_of(row, fmt, storage):
            _place(name, folder / relative, root=root, link=link, storage=storage, summary=summary)
        summary.rows += 1
        yield row


def _media_of(row: ReleasedClip, fmt: SftFormat, storage: Storage) -> list[tuple[str, str]]:
    if fmt.media == "video":
        name, size = row.media["file"], row.media.get("size_bytes")
        if not storage.exists(name) or (size is not None and storage.size(name) != size):
            raise MediaMissing(f"{row.clip_name}: the clip file released ({name}) is gone or changed since the release")
        return [(video_path(row), name)]
    manifest = read_manifest(row.media["frames_manifest"], storage)
    if manifest is None:
        raise MediaMissing(
            f"{row.clip_name}: the model-view frames released ({row.media['frames_manifest']}) are gone; "
            "the clip was reprocessed since the release"
        )
    folder, files = posixpath.dirname(row.media["frames_manifest"]), manifest["model_view"]["files"]
    return [
        (path, f"{folder}/{files[str(index)]}")
        for path, index in zip(frame_paths(row), row.media["model_view"][FRAME_STRATEGY], strict=False)
    ]


def _place(name: str, target: Path, *, root: Path | None, link: bool, storage: Storage, summary: FolderSummary) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    summary.media_files += 1
    if root is not None and link:
        try:
            os.link(storage.path(name), target)
            summary.linked += 1
            return
        except OSError:
            pass  # another file system: copy
    with storage.open(name, "rb") as source, target.open("wb") as copy:
        shutil.copyfileobj(source, copy, 1 << 20)
    summary.copied += 1
