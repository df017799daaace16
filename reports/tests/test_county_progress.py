"""seed_county shows its progress within a long step: rows so far, of how many when known, and the rate."""

import pytest
from django.utils import timezone

from households.models import Town
from reports.county.writer import Progress, Writer


def test_progress_says_rows_so_far_of_the_total_and_the_rate():
    lines = []
    progress = Progress(lines.append, "households.Member", total=200, every=0)
    progress.update(50)
    (line,) = lines
    assert "households.Member" in line
    assert "50 rows of 200 (25%) so far" in line
    assert line.endswith("rows/s")


def test_progress_stays_quiet_until_its_interval_has_passed():
    lines = []
    progress = Progress(lines.append, "visits.Visit", every=3600)
    progress.update(10_000)
    assert lines == []


@pytest.mark.django_db
def test_the_writer_reports_progress_after_each_batch_once_the_interval_has_passed():
    lines = []
    writer = Writer(now=timezone.now(), batch_size=2, use_copy=False, say=lines.append, progress_every=0)
    rows = ((f"进度镇{n}", f"progress-{n}") for n in range(5))
    assert writer.write(Town, ("name", "code"), rows, total=5) == 5
    counts = [line.split(" so far")[0].split("households.Town")[1].split() for line in lines]
    assert counts == [
        ["2", "rows", "of", "5", "(40%)"],
        ["4", "rows", "of", "5", "(80%)"],
        ["5", "rows", "of", "5", "(100%)"],
    ]
