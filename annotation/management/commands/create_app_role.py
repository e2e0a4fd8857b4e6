import os

from django.core.management.base import BaseCommand, CommandError

from annotation.services.database_roles import AppRoleRefused, app_role_grant


class Command(BaseCommand):
    help = (
        "Create or update the PostgreSQL login role the site runs as: it owns nothing, may read and write the "
        "ordinary tables and only SELECT and INSERT the append-only ones, and has no TRUNCATE anywhere. Run it as "
        "the owner of the tables (the role that runs migrate), again after each migrate. Refused on SQLite."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="role name, e.g. mabench_app")
        parser.add_argument(
            "--password-env",
            metavar="VARIABLE",
            help="set the role's password from this environment variable (not from the command line, "
            "where other users could read it); without it an existing password is kept",
        )

    def handle(self, *args, role, password_env, **options):
        password = None
        if password_env:
            password = os.environ.get(password_env)
            if not password:
                raise CommandError(f"environment variable {password_env} is not set or empty; nothing was done")
        try:
            grants = app_role_grant(role=role, password=password)
        except AppRoleRefused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(
            f"{'created' if grants.created else 'updated'} role {grants.role}: CONNECT on {grants.database}, USAGE on "
            f"schema {grants.schema}; SELECT, INSERT, UPDATE, DELETE on {grants.tables - len(grants.append_only)} "
            f"tables; only SELECT, INSERT on {', '.join(grants.append_only)}; USAGE, SELECT on {grants.sequences} "
            f"sequences; the same by default for what {grants.owner} creates later (run this again after migrate)"
            f"{'; password set' if password else ''}"
        )
        for warning in grants.warnings:
            self.stderr.write(f"warning: {warning}")
