"""Gunicorn settings for TownAid in production: `gunicorn -c deploy/gunicorn.conf.py townaid.wsgi`.

Every value can be overridden from the environment (the systemd unit reads /etc/townaid/env).
"""

import multiprocessing
import os

wsgi_app = "townaid.wsgi:application"

# Behind nginx on the same host by default; GUNICORN_BIND=0.0.0.0:8000 for a proxy on another host.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers: the pages are database-bound and short. 2 x cores + 1 is Gunicorn's rule of thumb;
# WEB_CONCURRENCY caps it (a small VM with much RAM per core, or several instances on one host).
workers = 2 * multiprocessing.cpu_count() + 1
if os.environ.get("WEB_CONCURRENCY"):
    workers = max(1, min(workers, int(os.environ["WEB_CONCURRENCY"])))

# Longer than the slowest page: a village's cards as one PDF can take about 15 s.
timeout = 60
graceful_timeout = 30
keepalive = 5  # nginx keeps upstream connections briefly; a little above its own idle time is not needed

# Recycle each worker after about a thousand requests (jitter so they do not all restart at once):
# a slow leak in a library never grows into an outage.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = max_requests // 10

# The heartbeat file lives in memory where it can: on a disk-backed /tmp a slow disk stalls workers.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# X-Forwarded-* are trusted only from these addresses (the nginx host); comma-separated.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Access log to stdout (journald keeps it). %(U)s is the path WITHOUT its query string: searches
# carry names and ID numbers, which must never reach a log. Request id as nginx set it.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}i)s'
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "townaid-web"
