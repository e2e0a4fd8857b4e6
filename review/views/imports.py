"""The admins' import page: upload questions and/or captions; the import runs as a job on a worker and its page
shows a progress bar (the fragment polls itself with htmx while the job runs) and then the summary or the
problems (the first 1,000, and every one counted by kind)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from annotation.models import ImportJob
from annotation.services.import_jobs import import_job_create
from review.forms import ImportForm
from review.permissions import is_admin_role, role_required

RECENT_JOBS = 20


@require_http_methods(["GET", "POST"])
@role_required(is_admin_role)
def import_start(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        job = import_job_create(
            benchmark_name=data["benchmark"],
            source=data["source"],
            questions=data["questions"],
            captions=data["captions"],
            dry_run=data["dry_run"],
            kind=data["kind"] or None,
            user=request.user,
        )
        return redirect("import-job", job.pk)
    status = 400 if form.errors else 200
    jobs = ImportJob.objects.select_related("created_by")[:RECENT_JOBS]
    return render(request, "review/admin/imports.html", {"form": form, "jobs": jobs}, status=status)


@require_GET
@role_required(is_admin_role)
def import_job(request, job_id: int):
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=job_id)
    template = "review/admin/_import_progress.html" if request.htmx else "review/admin/import_job.html"
    return render(request, template, {"job": job})
