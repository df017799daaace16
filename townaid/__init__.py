# Load the Celery app with Django, so that `delay_on_commit` and shared tasks use it.
from townaid.celery import app as celery_app

__all__ = ("celery_app",)
