from rest_framework.permissions import BasePermission


class IsAdminRole(BasePermission):
    message = "Only admins may do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_admin_role)


class IsAdminOrReviewer(BasePermission):
    """Whole-benchmark content (answer keys included) and exports: admins and reviewers."""

    message = "Only admins and reviewers may read benchmark content."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.may_browse_content)


class AdminWrites(IsAdminOrReviewer):
    """Reviewers read; only admins write."""

    def has_permission(self, request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return super().has_permission(request, view)
        return bool(request.user and request.user.is_authenticated and request.user.is_admin_role)


def clips_withheld(request) -> list[int]:
    """Clips whose content must not reach this requester now (held blind, not yet answered; see review's
    blind protocol). Nothing for anonymous requests, e.g. while the OpenAPI schema is generated."""
    user = getattr(request, "user", None)
    return user.clips_withheld() if user is not None and user.is_authenticated else []
