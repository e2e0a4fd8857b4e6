"""The base of the commands that do data work (import, export, release, lint, runs).

Django runs its system checks before every command unless the command says otherwise; here they
cost more than a second (URL, template and model checks, with every view imported for the URL
check) before a command reads its first row. They belong to ``check``, ``migrate`` and the deploy
(``manage.py check --deploy``), which keep them; a data command starts its work at once."""

from django.core.management.base import BaseCommand


class DataCommand(BaseCommand):
    requires_system_checks: list[str] = []
