"""An ambiguous key (two right answers) is never waived: the benchmark page offers no waiver for it, and a waiver
posted anyway, on the page or through the API, is refused (409) and recorded; other flags are waived as before."""

import pytest
from django.urls import reverse

from annotation.models import AuditEvent, QualityFlag
from annotation.services.flags import lint_run

TWICE_NODDING = ["Nodding", "Waving", "Nodding - B1", "Tiptoe", "Shrugging"]  # key A; C is A with its code


@pytest.fixture
def flags(make_item):
    item = make_item("FMAR_0001", task="FMAR", options=TWICE_NODDING)
    lint_run(benchmark=item.benchmark)
    return QualityFlag.objects.get(kind="ambiguous_key"), QualityFlag.objects.get(kind="label_leak")


def test_the_page_offers_a_waiver_of_the_leak_but_not_of_the_ambiguous_key(client, reviewer, flags):
    ambiguous, leak = flags
    client.force_login(reviewer)
    page = client.get(reverse("benchmark-detail", args=[ambiguous.benchmark_id])).content.decode()
    assert reverse("flag-waive", args=[leak.pk]) in page
    assert reverse("flag-waive", args=[ambiguous.pk]) not in page
    assert "not waivable: fix the content" in page


def test_a_waiver_of_an_ambiguous_key_is_refused_on_the_page_and_in_the_api(client, reviewer, flags):
    ambiguous, leak = flags
    client.force_login(reviewer)
    page = client.post(reverse("flag-waive", args=[ambiguous.pk]), {"reason": "fine"}, headers={"HX-Request": "true"})
    assert page.status_code == 409 and "cannot be waived" in page.content.decode()
    api = client.post(f"/api/flags/{ambiguous.pk}/waive/", {"reason": "fine"})
    assert api.status_code == 409 and api.json()["code"] == "FlagNotWaivable"
    assert QualityFlag.objects.get(pk=ambiguous.pk).status == "open"
    refusals = AuditEvent.objects.filter(target_kind="qualityflag", target_id=ambiguous.pk, event_type="refused")
    assert refusals.count() == 2 and all(event.actor_user == reviewer for event in refusals)
    assert client.post(f"/api/flags/{leak.pk}/waive/", {"reason": "the code is the label"}).status_code == 200
