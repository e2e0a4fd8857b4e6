"""Schemathesis against the live schema, with each role's token: no generated request may get a 5xx,
and every response must be one the schema documents (status, content type, body)."""

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import ignored_auth, negative_data_rejection, positive_data_acceptance

from annotation.services.releases import release_create

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES_PER_OPERATION = 12


@pytest.fixture(params=["admin", "reviewer", "annotator"])
def token(request, make_user) -> str:
    return Token.objects.create(user=make_user(request.param, f"fuzz-{request.param}")).key


@pytest.fixture
def seeded(benchmark, make_item, admin_user, reviewer):
    from annotation.models import QAItem
    from annotation.services.audited_writes import Actor
    from annotation.services.content import review_status_set

    for qid in ("SAD_0001", "SAD_0002"):
        item = make_item(qid, answer="Yes" if qid.endswith("1") else "No")
        for status in ("in_review", "accepted"):
            item = review_status_set(
                model=QAItem, pk=item.pk, status=status, actor=Actor.person(reviewer), expected_version=item.version
            )
    release_create(benchmark=benchmark, tag="v1.0", user=admin_user)


def _live_schema() -> dict:
    """The schema the site serves at /api/schema/, built in-process so the tests exist at collection."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(_live_schema()).exclude(path="/api/schema/")  # drf-spectacular's own view

# Checked: no 5xx, every status, content type, header and body as documented. Left out, as heuristics
# that do not fit this API: ignored_auth swaps one credential for garbage while the token sent here
# stays valid; positive_data_acceptance expects every schema-valid body accepted, but the rules of the
# services (a blank reason, an unknown benchmark, a taken tag) answer a documented 400 or 409;
# negative_data_rejection expects unknown query parameters refused, which HTTP clients add freely.
HEURISTIC_CHECKS = [ignored_auth, positive_data_acceptance, negative_data_rejection]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_every_response_as_documented(case, live_server, token, seeded):
    case.call_and_validate(
        base_url=live_server.url, headers={"Authorization": f"Token {token}"}, excluded_checks=HEURISTIC_CHECKS
    )
