#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townaid.settings")
    # manage.py is the developer's tool: without a DEBUG setting it works on the local
    # defaults. The web server (wsgi.py) and the worker keep DEBUG off unless told.
    os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
