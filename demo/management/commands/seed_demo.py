from django.core.management.base import BaseCommand

from annotation.models import Benchmark
from demo.queues import demo_queue_ensure
from demo.seeding import demo_benchmark_seed
from demo.users import demo_users_ensure


class Command(BaseCommand):
    help = "Render synthetic demo clips and write a demo benchmark with captions, questions and demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--benchmark", default="MA-Bench Demo", help="benchmark name (default: %(default)s)")
        parser.add_argument("--clips", type=int, default=12, help="number of clips, 1-12 (default: %(default)s)")

    def handle(self, *args, benchmark: str, clips: int, **options):
        if Benchmark.objects.filter(name=benchmark).exists():
            self.stdout.write(f"Benchmark {benchmark!r} already exists; nothing to seed.")
        else:
            created = demo_benchmark_seed(
                name=benchmark, clip_count=clips, progress=lambda line: self.stdout.write(f"  {line}")
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"Seeded {created.name!r}: {created.videos.count()} clips, {created.items.count()} questions."
                )
            )
        logins = demo_users_ensure()
        demo_queue_ensure(benchmark=Benchmark.objects.get(name=benchmark))
        self.stdout.write("Demo logins (username / password / role):")
        for username, password, role in logins:
            self.stdout.write(f"  {username} / {password} / {role}")
