"""Is a release still what was cut? Its stored rows must give its row count and, format by
format, the digest recorded at the cut (the export's ETag).

The tables are append-only, but a superuser, the owner or a restored backup can still
change rows. ``verify_releases`` recomputes every digest of every release
(``release_check``). An export checks cheaply: the row count before it starts
(``refuse_wrong_row_count``), and the digest of the bytes while they stream, before the
last chunk leaves (``verified_export_chunks``): a damaged release never arrives whole.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from annotation.errors import DomainError
from annotation.exports.release_export import formats_of, release_export_chunks
from annotation.models import Benchmark, Release, ReleaseClip, ReleaseItem
from annotation.selectors import release_export_rows
from annotation.services.releases import release_manifest


class ReleaseDamaged(DomainError):
    """A release's stored rows no longer give its row count or its digest."""

    status = 503  # the server's data is damaged, not the request

    def __init__(self, release: Release, problems: list[str]):
        self.release, self.problems = release, problems
        super().__init__(
            f"release {release_name(release)} does not match what was cut: {'; '.join(problems)}; "
            "its export is refused (`manage.py verify_releases` lists every damaged release)"
        )


@dataclass(frozen=True)
class DigestMismatch:
    fmt: str
    expected: str
    found: str

    def __str__(self) -> str:
        return f"{self.fmt} sha256 expected {self.expected}, found {self.found}"


@dataclass(frozen=True)
class ReleaseCheck:
    release: Release
    rows_found: int
    problems: list[str]

    @property
    def intact(self) -> bool:
        return not self.problems


def release_name(release: Release) -> str:
    return f"{release.benchmark.name} {release.tag} (#{release.pk})"


def row_noun(release: Release) -> str:
    return "clips" if release.kind == Benchmark.Kind.TRAIN else "items"


def expected_rows(release: Release) -> int:
    return release.clip_count if release.kind == Benchmark.Kind.TRAIN else release.item_count


def stored_rows(release: Release) -> int:
    model = ReleaseClip if release.kind == Benchmark.Kind.TRAIN else ReleaseItem
    return model.objects.filter(release_id=release.pk).count()


def _row_count_problems(release: Release, found: int) -> list[str]:
    return (
        []
        if found == expected_rows(release)
        else [f"{row_noun(release)} expected {expected_rows(release)}, found {found}"]
    )


def refuse_wrong_row_count(release: Release) -> None:
    """Raise ``ReleaseDamaged`` when the stored rows are not as many as the release says (one COUNT)."""
    problems = _row_count_problems(release, stored_rows(release))
    if problems:
        raise ReleaseDamaged(release, problems)


def release_check(release: Release) -> ReleaseCheck:
    """Recompute every format's digest from the stored rows (one pass over them per format)."""
    mismatches, rows_found = [], 0
    for fmt in formats_of(release):
        counted, digest = _Counted(release_export_rows(release=release)), hashlib.sha256()
        for chunk in release_export_chunks(release, fmt, release_manifest(release), counted):
            digest.update(chunk)
        rows_found = counted.count
        if digest.hexdigest() != release.export_sha256.get(fmt):
            mismatches.append(
                str(DigestMismatch(fmt, release.export_sha256.get(fmt, "(none recorded)"), digest.hexdigest()))
            )
    return ReleaseCheck(
        release=release, rows_found=rows_found, problems=_row_count_problems(release, rows_found) + mismatches
    )


def verified_export_chunks(release: Release, fmt: str, rows: Iterable | None = None) -> Iterator[bytes]:
    """``fmt``'s bytes from the stored rows (or ``rows``, read from them), each chunk held
    back until the next is made; the last is given only when the rows and the digest
    match the release, otherwise ``ReleaseDamaged`` is raised in its place (a file is
    then not renamed into place, a streamed response is cut short)."""
    counted = _Counted(release_export_rows(release=release) if rows is None else rows)
    digest, held = hashlib.sha256(), None
    for chunk in release_export_chunks(release, fmt, release_manifest(release), counted):
        digest.update(chunk)
        if held is not None:
            yield held
        held = chunk
    problems = _row_count_problems(release, counted.count)
    if digest.hexdigest() != release.export_sha256[fmt]:
        problems.append(str(DigestMismatch(fmt, release.export_sha256[fmt], digest.hexdigest())))
    if problems:
        raise ReleaseDamaged(release, problems)
    if held is not None:
        yield held


class _Counted:
    """The rows, counted as they are read."""

    def __init__(self, rows: Iterable):
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row
