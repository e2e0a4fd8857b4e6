"""Work units of machine jobs (baseline chunks, generated clips): one claim rule for both."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from annotation.models import BaselineRun, GeneratedClip, RunChunk
from annotation.models.jobs import ClaimableUnit


@pytest.mark.parametrize("unit", [RunChunk, GeneratedClip])
def test_each_unit_has_the_claimed_status(unit):
    assert issubclass(unit, ClaimableUnit) and unit.Status.RUNNING == ClaimableUnit.CLAIMED


@pytest.mark.django_db
def test_a_unit_is_claimed_once_and_again_only_once_its_claim_outlived_the_hard_time_limit(benchmark):
    run = BaselineRun.objects.create(benchmark=benchmark, name="random", predictor="random", settings_hash="h")
    chunk = RunChunk.objects.create(run=run, item_ids=[])
    claimable = Q(status=RunChunk.Status.PENDING) | RunChunk.claim_outlived()
    assert RunChunk.claim(chunk.pk, claimable=claimable)
    assert not RunChunk.claim(chunk.pk, claimable=claimable)  # a live claim
    chunk.refresh_from_db()
    assert chunk.status == "running" and timezone.now() - chunk.claimed_at < timedelta(seconds=60)
    long_ago = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    RunChunk.objects.filter(pk=chunk.pk).update(claimed_at=long_ago)  # its worker was killed
    assert RunChunk.claim(chunk.pk, claimable=claimable)
    assert not RunChunk.claim(chunk.pk, claimable=claimable)
