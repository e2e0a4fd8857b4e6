"""The datasheet page of a release: what was true at the cut, section by section (reviewers and admins).
Waivers and exclusions on clips the reader holds blind are counted, not listed (their reasons may speak
of the key), as on the release page."""

from __future__ import annotations

import copy

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from annotation.exports.datasheet_tables import datasheet_views
from annotation.models import QAItem, Release, Video
from review.permissions import may_browse_content, role_required


def _withheld_names(release: Release, video_ids: list[int]) -> set[str]:
    """The qids and clip names of the release's benchmark on the clips ``video_ids``."""
    if not video_ids:
        return set()
    qids = QAItem.objects.filter(benchmark_id=release.benchmark_id, video_id__in=video_ids)
    clips = Video.objects.filter(benchmark_id=release.benchmark_id, pk__in=video_ids)
    return set(qids.values_list("qid", flat=True)) | set(clips.values_list("clip_name", flat=True))


def shown_datasheet(datasheet: dict, withheld: set[str]) -> tuple[dict, int]:
    """The datasheet less the waivers and exclusions that name a withheld item or clip, and how many were left out."""
    if not withheld:
        return datasheet, 0
    shown, hidden = copy.deepcopy(datasheet), 0
    for kind in shown.get("flags", {}).get("by_kind", {}).values():
        kept = [w for w in kind["waivers"] if not withheld & set(w["targets"])]
        hidden += len(kind["waivers"]) - len(kept)
        kind["waivers"] = kept
    if "excluded" in shown:
        entries = shown["excluded"]["entries"]
        kept_entries = [e for e in entries if not withheld & {e.get("qid"), e.get("clip")}]
        hidden += len(entries) - len(kept_entries)
        shown["excluded"]["entries"] = kept_entries
    return shown, hidden


@require_GET
@role_required(may_browse_content)
def release_datasheet(request, pk: int, release_id: int):
    release = get_object_or_404(
        Release.objects.select_related("benchmark", "created_by"), pk=release_id, benchmark_id=pk
    )
    sections, hidden = None, 0
    if release.datasheet is not None:
        datasheet, hidden = shown_datasheet(release.datasheet, _withheld_names(release, request.user.clips_withheld()))
        sections = datasheet_views(datasheet)
    context = {
        "release": release,
        "benchmark": release.benchmark,
        "sections": sections,
        "hidden": hidden,
        "api_url": reverse("release-datasheet", args=[release.pk]),
        "json_url": reverse("release-export", args=[release.pk]) + "?format=json",
    }
    return render(request, "review/admin/release_datasheet.html", context)
