"""The datasheet page of a release: what was true at the cut, section by section (reviewers and admins)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from annotation.exports.datasheet_tables import datasheet_views
from annotation.models import Release
from review.permissions import may_browse_content, role_required


@require_GET
@role_required(may_browse_content)
def release_datasheet(request, pk: int, release_id: int):
    release = get_object_or_404(
        Release.objects.select_related("benchmark", "created_by"), pk=release_id, benchmark_id=pk
    )
    context = {
        "release": release,
        "benchmark": release.benchmark,
        "sections": datasheet_views(release.datasheet) if release.datasheet is not None else None,
        "api_url": reverse("release-datasheet", args=[release.pk]),
        "json_url": reverse("release-export", args=[release.pk]) + "?format=json",
    }
    return render(request, "review/admin/release_datasheet.html", context)
