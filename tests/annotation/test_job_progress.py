"""The progress a management command prints while it follows a baseline or generation run."""

from io import StringIO

import pytest
from django.core.management.base import OutputWrapper

from annotation.management.job_progress import FINISHED, follow_job
from annotation.models import BaselineRun, GenerationRun


class SteppingJob:
    """A job that advances one state each time it is read again."""

    def __init__(self, *states):
        self.states = list(states)

    def refresh_from_db(self):
        self.done, self.total, self.errors, self.status = self.states.pop(0)


@pytest.mark.parametrize("job", [BaselineRun, GenerationRun])
def test_every_job_ends_in_the_finished_states(job):
    assert set(FINISHED) <= set(job.Status.values)


def test_a_line_per_reading_until_the_job_is_finished():
    out = StringIO()
    job = SteppingJob((0, 4, 0, "running"), (3, 4, 1, "running"), (3, 4, 1, "failed"), (4, 4, 0, "done"))
    follow_job(job, stdout=OutputWrapper(out), label="gen 1.0", unit="clips generated", poll_seconds=0)
    assert out.getvalue().splitlines() == [
        "gen 1.0: 0/4 clips generated, 0 errors (running)",
        "gen 1.0: 3/4 clips generated, 1 errors (running)",
        "gen 1.0: 3/4 clips generated, 1 errors (failed)",
    ]
