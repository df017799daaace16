"""Every user-facing string ships in Simplified Chinese and English.

English is the source language; the zh_Hans catalogue must hold every string
the code and templates use, translated and not fuzzy.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

CATALOGUE = Path("locale/zh_Hans/LC_MESSAGES/django.po")
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "node_modules", "var", "__pycache__", "*.mo")


def problems(po: polib.POFile) -> list[str]:
    return [f"untranslated: {e.msgid!r}" for e in po.untranslated_entries()] + [
        f"fuzzy: {e.msgid!r}" for e in po.fuzzy_entries()
    ]


def test_the_committed_chinese_catalogue_is_complete():
    assert problems(polib.pofile(settings.BASE_DIR / CATALOGUE)) == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext is not installed")
def test_no_string_in_code_or_templates_is_missing_from_the_chinese_catalogue(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(settings.BASE_DIR, project, ignore=NOT_SOURCE)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "townaid.settings_test"}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location", "-v0"],
        cwd=project,
        env=env,
        check=True,
    )
    # msgmerge marks a new string that resembles an old one as fuzzy, so this
    # catches both brand-new strings and edited ones.
    assert problems(polib.pofile(project / CATALOGUE)) == []
