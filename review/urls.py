from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("benchmarks/<int:pk>/", views.benchmark_detail, name="benchmark-detail"),
    path("benchmarks/<int:pk>/report/", views.benchmark_report, name="benchmark-report"),
    path("healthz", views.healthz, name="healthz"),
]
