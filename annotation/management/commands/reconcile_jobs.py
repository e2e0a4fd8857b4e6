from django.core.management.base import BaseCommand

from annotation.services.job_reconciliation import jobs_reconcile


class Command(BaseCommand):
    help = (
        "One pass of the reconciler that Celery beat runs every RECONCILE_INTERVAL_SECONDS: send the messages "
        "the broker refused (the outbox), then send again the work that has no live task: clips of workers that "
        "stopped beating their heartbeat, owed clips, baseline chunks and generation batches whose message is "
        "nowhere. Safe to run at any time and more than once. Exit status 1 when the broker is still down."
    )

    def handle(self, *args, **options):
        report = jobs_reconcile()
        for line in report.lines():
            self.stdout.write(line)
        if report.broker_down:
            raise SystemExit(1)
