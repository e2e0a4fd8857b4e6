from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .imports import BenchmarkImportView

urlpatterns = [
    path("imports/", BenchmarkImportView.as_view(), name="api-import"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
