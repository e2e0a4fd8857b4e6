from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
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

# Swagger UI sets style attributes from its own script: the docs page alone allows inline styles
# (still no inline script; its setup script is served as a file by the split view).
SWAGGER_UI = csp_update({"style-src": [UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema"))

urlpatterns = [
    path("imports/", BenchmarkImportView.as_view(), name="api-import"),
    path("imports/<int:pk>/", ImportJobView.as_view(), name="api-import-job"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SWAGGER_UI, name="api-docs"),
    path("", include(router.urls)),
]
