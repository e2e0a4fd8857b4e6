"""A corpus cut takes each clip's QA list as JSON text written by PostgreSQL, keys sorted: the exports made later
from the stored rows are the same bytes, whatever the strings hold, and where options hold anything but strings
the list is dumped again."""

import hashlib

import pytest

from annotation.exports.sft_export import FORMATS, export_chunks
from annotation.models import QAItem
from annotation.selectors import release_clip_rows
from annotation.services.release_integrity import release_check
from annotation.services.releases import release_create

pytestmark = pytest.mark.postgresql

AWKWARD = 'quote " backslash \\ tab \t newline \n bell \x07 \x1f del \x7f é ✓ \u2028 😀'


@pytest.mark.parametrize("options", [["Nodding", AWKWARD, "Waving"], [1.5, 100.0, {"b": 1, "a": [2, None]}, True]])
def test_the_cut_digests_the_bytes_the_stored_rows_export(reviewed_corpus, eval_benchmark, admin_user, options):
    items = QAItem.objects.filter(benchmark=reviewed_corpus)
    items.filter(task="SAD").update(question=f"Does {AWKWARD} move?", answer=f"Yes {AWKWARD}")
    items.filter(task="FMAR").update(options=options)
    release = release_create(benchmark=reviewed_corpus, tag="v1", user=admin_user, disjoint_from=[eval_benchmark])
    assert release_check(release).intact
    for fmt in FORMATS:
        exported = b"".join(export_chunks(fmt, release_clip_rows(release=release)))
        assert hashlib.sha256(exported).hexdigest() == release.export_sha256[fmt]
    stored = [qa for clip in release.clips.all() for qa in clip.qa]
    assert {qa["question"] for qa in stored if qa["task"] == "SAD"} == {f"Does {AWKWARD} move?"}
    assert all(qa["options"] == options for qa in stored if qa["task"] == "FMAR")
