"""`manage.py healthcheck`: the checks of /healthz (common/health.py), for cron and the monitoring."""

from django.core.management.base import BaseCommand, CommandError

from common.health import OK, run_checks


class Command(BaseCommand):
    help = "Checks the database, the cache and the Celery broker; prints one line each and exits 1 if any failed."

    def handle(self, *args, **options):
        checks = run_checks()
        for name, result in checks.items():
            self.stdout.write(f"{name}: {result}")
        failed = [name for name, result in checks.items() if result != OK]
        if failed:
            raise CommandError(f"failed: {', '.join(failed)}", returncode=1)
