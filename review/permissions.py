"""Who may open which page: role checks shared by the views."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def role_required(allowed: Callable[[object], bool]):
    """Let logged-in users through when ``allowed(user)``; others get 403."""

    def decorate(view):
        @login_required
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not allowed(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return guarded

    return decorate


def may_browse_content(user) -> bool:
    return user.may_browse_content


def is_admin_role(user) -> bool:
    return user.is_admin_role
