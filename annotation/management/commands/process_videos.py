from django.core.management.base import CommandError

from annotation.dispatch import tasks_run_in_process
from annotation.domain.plurals import counted
from annotation.domain.transitions import VideoStatus
from annotation.management.data_command import DataCommand
from annotation.models import Benchmark, Video
from annotation.services.video_processing import (
    ProcessingOutcome,
    queued_for_frames,
    video_processing_request,
    video_processing_run_here,
)


class Command(DataCommand):
    help = (
        "Run the frame pipeline (probe, scrub frames, model-view frames, browser proxy) for clips with a file. "
        "Clips already complete for their file and the current settings are skipped, and failed ones are left "
        "alone, unless --force. With a broker (CELERY_BROKER_URL) the clips are queued for the workers; on the "
        "embedded default they are processed here, one after another."
    )

    def add_arguments(self, parser):
        parser.add_argument("--benchmark", help="only the clips of this benchmark (its name)")
        parser.add_argument("--force", action="store_true", help="reprocess complete and failed clips too")

    def handle(self, *args, benchmark: str | None, force: bool, **options):
        videos = self._videos(benchmark, force)
        if not videos:
            self.stdout.write("No clips to process.")
            return
        if tasks_run_in_process():
            self._run_here(videos, force)
        else:
            queued = video_processing_request(video_ids=[v.pk for v in videos], force=force)
            forced = " Forced: complete clips are processed again." if force else ""
            self.stdout.write(
                f"{queued_for_frames(queued)}{forced} Follow their status in the admin (Videos, filter by status)."
            )

    def _videos(self, benchmark: str | None, force: bool) -> list[Video]:
        videos = Video.objects.exclude(file="").select_related("benchmark").order_by("benchmark_id", "clip_name")
        if benchmark is not None:
            if not Benchmark.objects.filter(name=benchmark).exists():
                raise CommandError(f"no benchmark named {benchmark!r}")
            videos = videos.filter(benchmark__name=benchmark)
        if not force:
            skipped = videos.filter(status=VideoStatus.FAILED).count()
            if skipped:
                self.stdout.write(
                    f"Leaving {counted(skipped, 'failed clip')} alone (retry them with --force or from the admin)."
                )
            videos = videos.exclude(status=VideoStatus.FAILED)
        return list(videos)

    def _run_here(self, videos: list[Video], force: bool) -> None:
        outcomes: list[tuple[Video, ProcessingOutcome]] = []
        for number, video in enumerate(videos, start=1):
            outcome = video_processing_run_here(video_id=video.pk, force=force)
            outcomes.append((video, outcome))
            self.stdout.write(
                f"[{number}/{len(videos)}] {video.benchmark.name} / {video.clip_name}: "
                f"{outcome.status}: {outcome.detail}"
            )
        self._summary(outcomes)

    def _summary(self, outcomes: list[tuple[Video, ProcessingOutcome]]) -> None:
        counts = {status: sum(o.status == status for _, o in outcomes) for status in ("ready", "failed", "skipped")}
        line = f"Done: {counts['ready']} ready, {counts['failed']} failed, {counts['skipped']} skipped."
        self.stdout.write(self.style.SUCCESS(line) if not counts["failed"] else self.style.WARNING(line))
        for video, outcome in outcomes:
            if outcome.status == "failed":
                self.stdout.write(f"  failed: {video.clip_name}: {outcome.detail}")
