"""A person's own account: changing their password (every role)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from annotation.services.audited_writes import Actor
from review.services.users import user_password_set


@require_http_methods(["GET", "POST"])
@login_required
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_password_set(
            user=request.user, password=form.cleaned_data["new_password1"], by=Actor.person(request.user)
        )
        update_session_auth_hash(request, user)  # this session stays logged in; the others end
        messages.success(request, "Your password has been changed.")
        return redirect("home")
    status = 400 if request.method == "POST" else 200
    return render(request, "registration/password_change.html", {"form": form}, status=status)
