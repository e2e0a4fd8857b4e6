"""Data commands start their work without Django's system checks; `check` (and `migrate`) still run them."""

import pytest
from django.core import checks
from django.core.management import get_commands, load_command_class
from django.core.management.base import CommandError, SystemCheckError

from annotation.management.data_command import DataCommand

DATA_COMMANDS = [
    "create_release",
    "export_release",
    "export_sft",
    "generate_questions",
    "import_benchmark",
    "import_predictions",
    "judge_run",
    "lint_benchmark",
    "participant_overlap",
    "process_videos",
    "rebalance_options",
    "run_baseline",
    "verify_audit_trail",
    "verify_releases",
]


@pytest.fixture
def failing_check():
    def broken(app_configs, **kwargs):
        return [checks.Error("a check that always fails", id="tests.E001")]

    checks.register(broken)
    yield
    checks.registry.registry.registered_checks.discard(broken)


@pytest.mark.parametrize("name", DATA_COMMANDS)
def test_every_data_command_skips_the_system_checks(name):
    command = load_command_class(get_commands()[name], name)
    assert isinstance(command, DataCommand) and command.requires_system_checks == []


def _run(name: str, *argv: str) -> None:
    """As ``manage.py NAME ARGV`` runs it (``call_command`` skips the checks of every command)."""
    command = load_command_class(get_commands()[name], name)
    options = vars(command.create_parser("manage.py", name).parse_args(list(argv)))
    command.execute(*options.pop("args", ()), **options)


def test_a_failing_check_stops_check_but_not_a_data_command(db, failing_check):
    with pytest.raises(SystemCheckError, match="a check that always fails"):
        _run("check")
    with pytest.raises(CommandError, match="no benchmark named 'no such benchmark'") as stopped:  # its own work
        _run("lint_benchmark", "no such benchmark")
    assert not isinstance(stopped.value, SystemCheckError)
