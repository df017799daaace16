"""Log lines that carry the request they belong to: one JSON object a line in production, plain text locally.

RequestIdMiddleware (common.middleware) puts each request's id in `request_id`; RequestIdFilter, on the
handler, copies it onto every record written while the request runs, whichever logger wrote it. In a Celery
worker (which logs through the same settings, townaid.celery), TaskFilter does the same with the task's
name and id.
"""

import contextvars
import datetime as dt
import json
import logging

from celery import current_task

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# The attributes every LogRecord has; anything else on a record came from `extra=` (or a filter). Django's
# own `request` extra is left out too: its repr holds the query string, where a search keeps names and ID numbers.
# Celery's `data` extra repeats the arguments of its message (TaskFilter takes the task's name and id from it).
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "request",
    "data",
}


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request being served, "-" outside one (a job, a command)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        return True


class TaskFilter(logging.Filter):
    """Stamps each record written in a Celery task with task_name and task_id, as the worker's own lines are.

    The worker's "received" and "succeeded" lines are written around the task rather than in it; Celery puts
    the task's name and id in their `data` extra.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        data = getattr(record, "data", None)
        if isinstance(data, dict) and {"id", "name"} <= data.keys():
            record.task_name, record.task_id = data["name"], data["id"]
        elif current_task and current_task.request.id:
            record.task_name, record.task_id = current_task.name, current_task.request.id
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts, level, logger, message, then the record's extras (request_id among them)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line |= {key: value for key, value in vars(record).items() if key not in _STANDARD and key not in line}
        if line.get("request_id") == "-":
            del line["request_id"]
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)
