"""bench/run.py: each script's figures, or why it has none, become one RESULTS.md; no county needed."""

import datetime as dt
import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).resolve().parent.parent / "run.py"
spec = importlib.util.spec_from_file_location("bench_run", RUNNER)
run = importlib.util.module_from_spec(spec)
sys.modules["bench_run"] = run  # dataclasses look their module up by name
spec.loader.exec_module(run)

MACHINE = {"cores": "2", "memory": "23.5 GB", "CPU": "a test CPU", "Python": "3.11", "PostgreSQL": "16.4"}
WHEN = dt.datetime(2026, 12, 4, 9, 30, tzinfo=dt.UTC)


def figure(name, measured, met, **fields) -> dict:
    return {"name": name, "measured": measured, "unit": "ms", "goal": "<= 100 ms", "met": met, **fields}


def fake_script(folder: Path, name: str, *, figures=None, exit_code=0, prints="", profile=None) -> run.Script:
    """A bench script that prints, writes the figures given to its --json file (unless None), and exits."""
    body = [
        "import json, sys",
        f"print({prints!r})",
        "path = sys.argv[sys.argv.index('--json') + 1]",
    ]
    if figures is not None:
        written = {"figures": figures, **({"profile": profile} if profile is not None else {})}
        body.append(f"open(path, 'w').write({json.dumps(written)!r})")
    body.append(f"sys.exit({exit_code})")
    (folder / f"{name}.py").write_text("\n".join(body) + "\n")
    return run.Script(name, f"{name}.py", (f"{name} figure",))


def outcome_of(script, folder) -> "run.Outcome":
    return run.run_script(script, env=dict(os.environ), bench_dir=folder)


def results(outcomes) -> str:
    return run.render(outcomes, when=WHEN, commit="abc1234 (abc1234ffff), clean", machine=MACHINE, county="x")


def test_a_script_that_writes_its_figures_is_reported_by_them_with_its_details(tmp_path):
    script = fake_script(
        tmp_path, "dashboard", figures=[figure("town dashboard", 84.5, True, detail="24 queries, median of 20")]
    )
    outcome = outcome_of(script, tmp_path)
    text = results([outcome])
    assert "| town dashboard | 84.5 ms | <= 100 ms | yes |" in text
    assert "- town dashboard: 24 queries, median of 20" in text
    assert run.verdict([outcome]) is True
    assert "every goal met" in text.splitlines()[2]


def test_a_figure_over_its_goal_is_marked_and_fails_the_verdict_even_when_the_script_exits_1(tmp_path):
    script = fake_script(tmp_path, "load", figures=[figure("p95", 1600, False)], exit_code=1)
    outcome = outcome_of(script, tmp_path)
    text = results([outcome])
    assert "| p95 | 1,600 ms | <= 100 ms | **no** |" in text
    assert "exit status 1" in text
    assert run.verdict([outcome]) is False
    assert "NOT every goal met" in text


def test_a_goal_not_met_is_shown_with_why_and_what_would_meet_it_and_the_script_profile_in_its_details(tmp_path):
    missed = figure("p95", 465, False, why="household page 29 ms of CPU, 26 queries", remedy="fewer queries")
    script = fake_script(
        tmp_path, "load", figures=[missed, figure("p50", 80, True, why="unused")], profile=["page  29 ms  26 q"]
    )
    text = results([outcome_of(script, tmp_path)])
    section = text.split("## Goals not met: why, and what would meet them")[1].split("## Details")[0]
    assert "### p95: 465 ms (goal <= 100 ms)" in section
    assert "Why: household page 29 ms of CPU, 26 queries" in section
    assert "What would meet it: fewer queries" in section
    assert "p50" not in section  # a goal met needs no excuse
    assert "Profile of this run:\n\n```\npage  29 ms  26 q\n```" in text.split("## Details")[1]


def test_when_every_goal_is_met_there_is_no_section_of_goals_not_met(tmp_path):
    script = fake_script(tmp_path, "dashboard", figures=[figure("town dashboard", 84.5, True)])
    assert "Goals not met" not in results([outcome_of(script, tmp_path)])


def test_a_script_that_fails_without_figures_is_not_measured_with_its_last_lines(tmp_path):
    script = fake_script(tmp_path, "roster", prints="Traceback: the roster would not open", exit_code=2)
    outcome = outcome_of(script, tmp_path)
    text = results([outcome])
    assert "| roster figure | not measured |  | — |" in text
    assert "Not measured: exit status 2, and it wrote no --json file." in text
    assert "Traceback: the roster would not open" in text
    assert run.verdict([outcome]) is False


def test_a_script_whose_json_is_not_the_contract_is_not_measured(tmp_path):
    script = fake_script(tmp_path, "odd", figures=[{"measured": 3}])
    outcome = outcome_of(script, tmp_path)
    assert "is not readable" in outcome.failure
    assert [f.measured for f in outcome.figures] == [None]


def test_a_missing_script_is_not_measured_and_names_its_figures(tmp_path):
    outcome = outcome_of(run.Script("load", "load.py", ("req/s", "p95")), tmp_path)
    text = results([outcome])
    assert "| req/s | not measured |  | — |" in text
    assert "| p95 | not measured |  | — |" in text
    assert "Not measured: bench/load.py does not exist (yet)." in text


def test_results_name_the_date_the_commit_and_the_machine(tmp_path):
    outcome = outcome_of(fake_script(tmp_path, "a", figures=[figure("x", 1, True)]), tmp_path)
    text = results([outcome])
    for expected in ("2026-12-04 09:30", "abc1234 (abc1234ffff), clean", "cores: 2", "CPU: a test CPU", "16.4"):
        assert expected in text


def test_one_unmet_figure_among_met_ones_fails_the_whole_verdict(tmp_path):
    good = outcome_of(fake_script(tmp_path, "good", figures=[figure("a", 1, True)]), tmp_path)
    bad = outcome_of(fake_script(tmp_path, "bad", figures=[figure("b", 200, False)]), tmp_path)
    assert run.verdict([good]) is True
    assert run.verdict([good, bad]) is False


@pytest.mark.parametrize(("gaps", "longest"), [([], 0.0), ([1.0, 4.0, 2.0], 4.0)])
def test_the_longest_silence_of_the_seed_is_the_widest_gap_between_its_lines(gaps, longest):
    stamps, now = [], 100.0
    for gap in gaps:
        now += gap
        stamps.append(now)
    assert run.longest_silence(100.0, stamps) == longest
