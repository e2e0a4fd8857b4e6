"""The datasheet of a release: computed at the cut, inside its transaction, and stored on the
release row (append-only), so it says what was true when the release was cut and never changes.

A datasheet is a JSON object of sections. Each section is one function of the cut
(``CutSubject`` -> a JSON-able dict) in one list, ``DATASHEET_SECTIONS``, kept in the order the
datasheet shows them (each section's ``order``). Sections about the benchmark's content and its models live in
``annotation.selectors.datasheet_sections``; sections about people's work (blind answers,
agreement, caption reviews) live in ``review``, which sits above annotation: the review app
adds its sections to the list in its ``AppConfig.ready()``, so annotation never imports review.
The builder adds one section of its own last, ``digests``: the sha256 of every export format
with the datasheet left out of what is digested (see ``digests_section``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from django.core.exceptions import ImproperlyConfigured

from annotation.models import Benchmark, Release

DATASHEET_FORMAT = 1
EVAL, TRAIN = Benchmark.Kind.EVAL.value, Benchmark.Kind.TRAIN.value
DIGESTS = "digests"
DIGEST_SCOPE = (
    "sha256 of each export format's bytes with the datasheet left out of what is digested. Formats that carry "
    "no datasheet (all but json) digest to their files' sha256, the ETag of their export. The json export "
    "carries this datasheet in its release header, so its digest here is that of the json export without "
    "release.datasheet; the whole json file's sha256 (its ETag) is the release's export_sha256.json, which "
    "cannot be inside the file it digests."
)


@dataclass(frozen=True)
class CutSubject:
    """What the sections read at the cut: the release being cut (not saved yet, its counts set) and what it
    freezes. ``keys``: item id -> (task, key) of each released QA item as released (a corpus: the accepted
    QA items of its clips); ``video_ids``: the released clips; ``against``: a corpus's disjointness check."""

    release: Release
    keys: Mapping[int, tuple[str, str]]
    video_ids: Sequence[int]
    against: Sequence[Benchmark] = ()

    @property
    def benchmark(self) -> Benchmark:
        return self.release.benchmark

    @cached_property
    def item_ids(self) -> list[int]:
        return sorted(self.keys)


@dataclass(frozen=True)
class DatasheetSection:
    name: str
    order: int  # where the datasheet shows it (counts 10 ... excluded 60); digests are always last
    build: Callable[[CutSubject], dict]
    kinds: frozenset[str] = field(default_factory=lambda: frozenset({EVAL, TRAIN}))


DATASHEET_SECTIONS: list[DatasheetSection] = []


def datasheet_sections_add(sections: Sequence[DatasheetSection]) -> None:
    """Add ``sections`` to the datasheet (an app's ``ready()``); adding one of the same name again replaces it."""
    for section in sections:
        if section.name == DIGESTS:
            raise ImproperlyConfigured("the digests section is the builder's own, always last")
        names = [s.name for s in DATASHEET_SECTIONS]
        if section.name in names:
            DATASHEET_SECTIONS[names.index(section.name)] = section
        else:
            DATASHEET_SECTIONS.append(section)
    DATASHEET_SECTIONS.sort(key=lambda s: (s.order, s.name))


def datasheet_section_names(kind: str) -> list[str]:
    return [s.name for s in DATASHEET_SECTIONS if kind in s.kinds] + [DIGESTS]


def datasheet_build(subject: CutSubject, *, digests: Callable[[], dict[str, str]]) -> dict:
    """The datasheet of the cut. ``digests()`` gives each format's sha256 while the release has no datasheet
    yet (``release.datasheet`` is None), which is what leaves the datasheet out of what is digested."""
    kind = subject.release.kind
    sheet: dict = {"format": DATASHEET_FORMAT, "kind": kind, "sections": datasheet_section_names(kind)}
    for section in DATASHEET_SECTIONS:
        if kind in section.kinds:
            sheet[section.name] = section.build(subject)
    assert subject.release.datasheet is None, "digests are taken with the datasheet left out"
    sheet[DIGESTS] = {"scope": DIGEST_SCOPE, "sha256": digests()}
    return stored_form(sheet)


def stored_form(value: dict) -> dict:
    """``value`` as the JSON column gives it back (string keys, lists for tuples, no NaN), so the json export
    made at the cut and the one made later from the stored row are the same bytes."""
    return json.loads(json.dumps(value, allow_nan=False))
