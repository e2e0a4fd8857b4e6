from celery import shared_task

from review.services.claims import expired_leases_sweep


@shared_task(name="review.sweep_expired_leases")
def sweep_expired_leases() -> int:
    return expired_leases_sweep()
