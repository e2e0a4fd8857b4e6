from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from .content import BenchmarkViewSet, ItemViewSet, VideoViewSet
from .imports import BenchmarkImportView, ImportJobView
from .releases import FlagViewSet, ReleaseViewSet
from .runs import RunViewSet

router = DefaultRouter()
router.include_format_suffixes = False  # no ".json" twins of each URL: ?format= names an export format
router.register("benchmarks", BenchmarkViewSet, basename="benchmark")
router.register("videos", VideoViewSet, basename="video")
router.register("items", ItemViewSet, basename="item")
router.register("flags", FlagViewSet, basename="flag")
router.register("releases", ReleaseViewSet, basename="release")
router.register("runs", RunViewSet, basename="run")

urlpatterns = [
    path("imports/", BenchmarkImportView.as_view(), name="api-import"),
    path("imports/<int:pk>/", ImportJobView.as_view(), name="api-import-job"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]
