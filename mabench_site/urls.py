from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from review.views import account

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", account.password_change, name="password-change"),
    path("admin/", admin.site.urls),
    path("api/", include("annotation.api.urls")),
    path("", include("review.urls")),
]

handler404 = "annotation.api.errors.not_found"
