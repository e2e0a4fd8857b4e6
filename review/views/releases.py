"""The release page of a benchmark (reviewers and admins read it; admins cut): what blocks a
release, grouped by kind with counts and the action that clears each; the cut form; the
releases with their counts, digests, datasheet and a download link per export format; the
diff between two of them. A fixed number of queries, whatever the number of items or blockers."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from annotation.domain.release_blockers import Blocker, BlockerGroup, BlockerKind
from annotation.errors import InvalidInput
from annotation.exports.release_export import formats_of
from annotation.models import Benchmark, Release
from annotation.selectors import benchmark_releases as releases_of
from annotation.selectors import excluded_count
from annotation.services.releases import ReleaseBlocked, release_blocker_groups, release_create, release_diff
from review.forms import ReleaseCutForm, ReleaseDiffForm
from review.permissions import is_admin_role, may_browse_content, role_required

SHOWN_PER_GROUP = 10
GROUP_PAGE = 100  # blockers per page of a group shown whole (?group=)
DIFF_SHOWN = 50
EXCLUDED_SHOWN = 50
K = BlockerKind
PAGE = "review/admin/benchmark_releases.html"


@dataclass(frozen=True)
class Link:
    url: str
    label: str


@dataclass
class BlockerRow:
    blocker: Blocker
    clip_url: str = ""
    action: Link | None = None


@dataclass
class GroupView:
    group: BlockerGroup
    rows: list[BlockerRow]
    actions: list[Link]
    withheld: int = 0  # on clips the reader holds blind: counted, not listed
    more: int = 0
    more_url: str = ""
    page: Page | None = None  # when the whole group is shown, page by page


@dataclass
class ReleaseView:
    release: Release
    downloads: list[Link]
    excluded_shown: list[dict] = field(default_factory=list)


def _url(name: str, *args, query: dict | None = None, anchor: str = "") -> str:
    url = reverse(name, args=args)
    return url + (f"?{urlencode(query)}" if query else "") + (f"#{anchor}" if anchor else "")


def _clip_url(video_id: int | None) -> str:
    """The read-only clip view of a blocker's clip, when it has one."""
    return reverse("clip-detail", args=[video_id]) if video_id is not None else ""


def _group_actions(group: BlockerGroup, benchmark: Benchmark, *, admin: bool) -> list[Link]:
    """Where a person clears the group's blockers."""
    page = "benchmark-detail"
    if group.kind == K.REVIEW_STATUS:
        links = [Link(_url(page, benchmark.pk, query={"status": group.detail}), "exclude them on the benchmark page")]
        if group.detail == "needs_adjudication":
            links.insert(0, Link(_url("adjudication-list", query={"benchmark": benchmark.pk}), "adjudicate them"))
        elif admin:
            links.append(Link(_url("queue-new", benchmark.pk), "review them in a new queue"))
        return links
    if group.kind == K.ITEM_FLAG:
        filtered = _url(page, benchmark.pk, query={"status": "accepted", "flag": group.detail})
        return [Link(filtered, "waive the flags or exclude the items on the benchmark page")]
    if group.kind == K.BENCHMARK_FLAG:
        return [Link(_url(page, benchmark.pk), "see the flag on the benchmark page")]
    if group.kind == K.CAPTION_STATUS and admin:
        return [Link(_url("queue-new", benchmark.pk), "review the captions in a new queue")]
    return []


def _row_action(blocker: Blocker, benchmark: Benchmark) -> Link | None:
    if blocker.kind == K.REVIEW_STATUS and blocker.detail == "needs_adjudication":
        query = {"benchmark": benchmark.pk}
        return Link(_url("adjudication-list", query=query, anchor=f"adjudicate-{blocker.item_id}"), "adjudicate")
    return None


def _group_view(group: BlockerGroup, benchmark: Benchmark, *, request, withheld: set[int]) -> GroupView:
    """``group`` lists all its blockers, or its first SHOWN_PER_GROUP; those of clips held blind are not listed."""
    listed = [b for b in group.blockers if b.video_id not in withheld]
    view = GroupView(
        group=group,
        rows=[],
        actions=_group_actions(group, benchmark, admin=request.user.is_admin_role),
        withheld=len(group.blockers) - len(listed),
    )
    if request.GET.get("group") == group.key:
        view.page = Paginator(listed, GROUP_PAGE).get_page(request.GET.get("page"))
        shown = list(view.page)
    else:
        shown = listed[:SHOWN_PER_GROUP]
        view.more = group.count - view.withheld - len(shown)
        view.more_url = _url("benchmark-releases", benchmark.pk, query={"group": group.key}, anchor=group.key)
    view.rows = [BlockerRow(b, clip_url=_clip_url(b.video_id), action=_row_action(b, benchmark)) for b in shown]
    return view


def _release_view(release: Release) -> ReleaseView:
    export = reverse("release-export", args=[release.pk])
    downloads = [Link(f"{export}?{urlencode({'format': fmt})}", fmt) for fmt in formats_of(release)]
    return ReleaseView(release=release, downloads=downloads, excluded_shown=(release.excluded or [])[:EXCLUDED_SHOWN])


def _diff(request, releases: list[Release]) -> tuple[ReleaseDiffForm, dict | None]:
    if not {"old", "new"} <= request.GET.keys():
        return ReleaseDiffForm(releases=releases), None
    form = ReleaseDiffForm(request.GET, releases=releases)
    if not form.is_valid():
        return form, None
    old, new = form.pair()
    diff = release_diff(old=old, new=new)
    lists = {"added": diff.added, "removed": diff.removed, "changed": list(diff.changed.items())}
    return form, {
        "old": old,
        "new": new,
        "lists": {
            name: {"shown": rows[:DIFF_SHOWN], "count": len(rows), "more": max(0, len(rows) - DIFF_SHOWN)}
            for name, rows in lists.items()
        },
        "api_url": _url("release-diff", new.pk, query={"against": old.tag}),
    }


def _page(request, benchmark: Benchmark, *, form=None, groups: list[BlockerGroup] | None = None, status: int = 200):
    if groups is None:  # every blocker only when one group is listed whole
        listed = None if request.GET.get("group") else SHOWN_PER_GROUP
        groups = release_blocker_groups(benchmark=benchmark, listed=listed)
    withheld = set(request.user.clips_withheld())
    releases = list(releases_of(benchmark=benchmark))
    diff_form, diff = _diff(request, releases)
    admin = request.user.is_admin_role
    context = {
        "benchmark": benchmark,
        "groups": [_group_view(g, benchmark, request=request, withheld=withheld) for g in groups],
        "blocker_count": sum(g.count for g in groups),
        "excluded_count": excluded_count(benchmark=benchmark),
        "releases": [_release_view(r) for r in releases],
        "cut_form": (form or ReleaseCutForm(benchmark=benchmark)) if admin else None,
        "diff_form": diff_form if len(releases) > 1 else None,
        "diff": diff,
        "shown_per_group": SHOWN_PER_GROUP,
    }
    return render(request, PAGE, context, status=status)


@require_GET
@role_required(may_browse_content)
def benchmark_releases(request, pk: int):
    return _page(request, get_object_or_404(Benchmark, pk=pk))


@require_POST
@role_required(is_admin_role)
def release_cut(request, pk: int):
    benchmark = get_object_or_404(Benchmark, pk=pk)
    form = ReleaseCutForm(request.POST, benchmark=benchmark)
    if not form.is_valid():
        return _page(request, benchmark, form=form, status=400)
    try:
        release = release_create(
            benchmark=benchmark,
            tag=form.cleaned_data["tag"],
            notes=form.cleaned_data["notes"],
            user=request.user,
            disjoint_from=form.chosen_benchmarks(),
        )
    except InvalidInput as error:  # nothing was written
        form.add_error(error.field if error.field in form.fields else None, str(error))
        return _page(request, benchmark, form=form, status=400)
    except ReleaseBlocked as blocked:  # recorded as a refusal
        return _blocked_page(request, benchmark, form, blocked)
    messages.success(request, f"Released {benchmark.name} {release.tag}: sha256 {release.sha256}.")
    return redirect(_url("benchmark-releases", benchmark.pk, anchor=f"release-{release.pk}"))


def _blocked_page(request, benchmark: Benchmark, form: ReleaseCutForm, blocked: ReleaseBlocked):
    about_the_request = {K.TAG_TAKEN: "tag", K.WRONG_REQUEST: "disjoint_from"}
    for blocker in blocked.found:
        if blocker.kind in about_the_request:
            name = about_the_request[blocker.kind]
            form.add_error(name if name in form.fields else None, blocker.message)
    if form.errors:
        return _page(request, benchmark, form=form, status=409)
    form.add_error(
        None, f"Not released: {len(blocked.found)} blocker{pluralize(len(blocked.found))}, listed above by kind."
    )
    return _page(request, benchmark, form=form, groups=blocked.groups, status=409)
