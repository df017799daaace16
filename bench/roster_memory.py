"""Time and weigh the roster reader on hostile files: each read in a fresh process, its own peak memory measured.

    .venv/bin/python bench/roster_memory.py [--rows 1048575] [--people 20000] [--without-row-limit]

Builds, in a temporary folder:
  plain                a realistic roster of --people people (bench/roster_import.py's generator);
  understated          the same file whose sheet claims <dimension ref="A1:X3"/>, as a hostile or broken
                       writer may: it must be read to its last row all the same;
  one-cell rows        the roster's header, then --rows rows of one cell each (about 5 MB for a million): it
                       must be refused from the row count (ROSTER_MAX_ROWS) before any row is parsed.
With --without-row-limit, the one-cell rows are also read with ROSTER_MAX_ROWS lifted, to show what the
limit saves (the reading still streams, and at most 2 x ROSTER_MAX_ISSUES issues are held).

Each case runs `batches.read` (what the worker and the upload run; no database) in a new Python and prints
its outcome, the seconds the reading took, and the process's peak resident memory (VmHWM, its own: a
child's ru_maxrss would also count what its parent held when it forked).
"""

import argparse
import io
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHEET = "xl/worksheets/sheet1.xml"


def understated(source: Path, target: Path, ref: str = "A1:X3") -> None:
    """A copy of the workbook whose first sheet claims to span only `ref`."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for entry in original.infolist():
            content = original.read(entry.filename)
            if entry.filename == SHEET:
                content, found = re.subn(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), content)
                assert found == 1, "the generated sheet has no <dimension>"
            copy.writestr(entry, content)


def one_cell_rows(target: Path, rows: int) -> None:
    """The roster's header, then `rows` rows holding one name each, the sheet's XML written straight into the zip."""
    from openpyxl import Workbook

    from households.roster import columns

    book = Workbook()
    book.active.title = "花名册"
    book.active.append([column.zh for column in columns.COLUMNS])
    header = io.BytesIO()
    book.save(header)
    with zipfile.ZipFile(header) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for entry in original.infolist():
            content = original.read(entry.filename)
            if entry.filename != SHEET:
                copy.writestr(entry, content)
                continue
            head, tail = content.split(b"</sheetData>")
            with copy.open(SHEET, "w") as sheet:
                sheet.write(head)
                for start in range(2, rows + 2, 10_000):
                    numbers = range(start, min(start + 10_000, rows + 2))
                    sheet.write(
                        "".join(
                            f'<row r="{n}"><c r="D{n}" t="inlineStr"><is><t>张三</t></is></c></row>' for n in numbers
                        ).encode()
                    )
                sheet.write(b"</sheetData>" + tail)


def child(path: str) -> None:
    """Read one file, then print what was found, how long it took and the peak memory, as JSON."""
    import time

    import django

    django.setup()
    from households.roster import batches

    started = time.monotonic()
    with open(path, "rb") as file:
        reading = batches.read(file)
    seconds = time.monotonic() - started
    if reading.parsed is None:
        outcome = "refused: " + "; ".join(f"{issue.code} {issue.params}" for issue in reading.issues)
    else:
        issues = reading.parsed.issues
        outcome = f"read {reading.parsed.rows:,} rows of people; {issues.errors:,} errors, {issues.warnings:,} warnings"
        outcome += f" ({issues.held:,} issues held)"
    with open("/proc/self/status") as status:
        peak = int(re.search(r"VmHWM:\s+(\d+) kB", status.read()).group(1)) / 1024
    print(json.dumps({"outcome": outcome, "seconds": seconds, "peak_mb": peak}))


def measure(name: str, path: Path, **environment) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "townaid.settings")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(environment)
    completed = subprocess.run(
        [sys.executable, __file__, "--child", str(path)], capture_output=True, text=True, env=env, check=False
    )
    if completed.returncode:
        print(f"{name:<32} failed:\n{completed.stderr}", flush=True)
        return
    found = json.loads(completed.stdout.strip().splitlines()[-1])
    size, seconds, peak = path.stat().st_size / 1048576, found["seconds"], found["peak_mb"]
    print(f"{name:<32} {size:6.1f} MB file {seconds:8.2f} s {peak:7.0f} MB peak  {found['outcome']}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_048_575, help="one-cell rows below the header")
    parser.add_argument("--people", type=int, default=20_000, help="people in the plain roster")
    parser.add_argument("--without-row-limit", action="store_true", help="also read the one-cell rows unrefused")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child)
        return

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "townaid.settings")
    import roster_import  # sets Django up

    with tempfile.TemporaryDirectory() as folder:
        plain, lying, wide = Path(folder) / "plain.xlsx", Path(folder) / "understated.xlsx", Path(folder) / "rows.xlsx"
        roster_import.generate(plain, options.people, random.Random(2020))
        understated(plain, lying)
        one_cell_rows(wide, options.rows)
        measure(f"plain, {options.people:,} people", plain)
        measure("understated dimension (A1:X3)", lying)
        measure(f"{options.rows:,} one-cell rows", wide)
        if options.without_row_limit:
            measure(f"{options.rows:,} one-cell rows, no limit", wide, ROSTER_MAX_ROWS=str(options.rows * 2))


if __name__ == "__main__":
    main()
