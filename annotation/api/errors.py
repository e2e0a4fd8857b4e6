"""The API's one answer to an error of the domain family: its status (400 bad input, 409 refused ...)
and ``{"detail", "code", "field"}``; everything else goes to DRF's own handler."""

from django.http import JsonResponse
from django.views.defaults import page_not_found
from rest_framework.response import Response
from rest_framework.views import exception_handler

from annotation.errors import DomainError, error_body, error_status


def domain_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(error_body(exc), status=error_status(exc))
    return exception_handler(exc, context)


def not_found(request, exception=None):
    """Django's 404 for a URL no pattern matches: JSON under /api/ (a client reads the body), the page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "no such URL in this API", "code": "NotFound"}, status=404)
    return page_not_found(request, exception)
