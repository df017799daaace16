"""The Celery app: settings come from Django's (the CELERY_* names), tasks from each app's tasks.py.

Run a worker with embedded beat: `celery -A townaid worker --beat` (`make run` starts one).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townaid.settings")

app = Celery("townaid")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
