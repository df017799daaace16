"""The Celery app: settings come from Django's (the CELERY_* names), tasks from each app's tasks.py.

Run a worker with embedded beat: `celery -A townaid worker --beat` (`make run` starts one).

The worker and beat log through the project's LOGGING, as the web does: with LOG_FORMAT=json (production)
every line is one JSON object, a task's lines with its task_name and task_id (common.logs.TaskFilter).
Celery's own start-up banner is printed, not logged: `celery --quiet` leaves it out, as the systemd units do.
"""

import logging
import os

from celery import Celery
from celery.signals import celeryd_init, setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townaid.settings")

app = Celery("townaid")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def log_as_the_project_does(loglevel=None, **kwargs):
    """Configure logging from settings.LOGGING instead of Celery's plain-text handlers.

    A receiver of this signal is how Celery is told to leave logging alone (it then neither replaces the
    root logger's handlers nor redirects stdout). The level stays the one given by --loglevel.
    """
    from django.conf import settings
    from django.utils.log import configure_logging

    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)


@celeryd_init.connect
def warnings_to_the_log(**kwargs):
    """Python warnings go through the log, so they are JSON lines too.

    Celery does this once it has set up logging, but the worker warns before that (started as root, say).
    """
    logging.captureWarnings(True)
