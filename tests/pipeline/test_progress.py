"""Progress of long stages: the time-left estimate, the live display on a terminal,
plain lines in a log, and the steps the model evaluation reports."""

import io
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from earlysignal.cli import app
from earlysignal.data.synth import SynthConfig, write_cohort
from earlysignal.model import evaluate
from earlysignal.pipeline import Progress
from earlysignal.pipeline._progress import remaining_seconds

ROOT = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_time_left_is_the_work_left_at_the_pace_since_the_first_report():
    # by hand: 300 rows in the 12 s since the first report (at 100 rows) is 25 rows
    # a second, so the 600 rows left take 24 s
    assert remaining_seconds(12.0, 400, 1000, start=100) == 24.0
    assert remaining_seconds(12.0, 100, 1000, start=100) is None  # no pace yet
    assert remaining_seconds(12.0, 1000, 1000, start=100) == 0.0

    clock = Clock()
    progress = Progress(Console(file=io.StringIO()), live=False, clock=clock)
    task = progress.task("features")
    clock.now = 5.0
    task("first chunk", 100, 1000)  # setting-up before it is not paced
    assert task.left(clock.now) is None
    clock.now = 17.0
    task("more", 400, 1000)
    assert task.left(17.0) == pytest.approx(24.0)
    # between reports the estimate counts down rather than growing
    assert task.left(20.0) == pytest.approx(21.0)
    assert task.left(60.0) == 0.0


def test_terminal_display_shows_the_fold_the_time_left_and_the_timing():
    clock = Clock()
    console = Console(file=io.StringIO(), force_terminal=True, force_interactive=True,
                      width=160)
    progress = Progress(console, clock=clock)
    assert progress.live
    with progress.running(), progress.stage("model") as step:
        step("fold 1/4: model", 0, 400)
        clock.now = 10.0
        step("fold 1/4 done", 100, 400)  # 10 s a fold, three to go: 30 s
        clock.now = 12.0
        step("fold 2/4: logistic", 100, 400)  # two seconds later, 28 s left
        live = ANSI.sub("", console.file.getvalue())
        clock.now = 15.0
    text = ANSI.sub("", console.file.getvalue())
    assert "fold 2/4: logistic" in live
    assert "0:00:12  about 0:00:28 left" in live
    assert "model" in live and "25%" in live
    # the stage's line ends with its timing and a tick, no estimate left on it
    last = [line for line in text.splitlines() if "model" in line][-1]
    assert "done in 15.0 s" in last and "✓" in last and "left" not in last
    assert "model: started" not in text  # the plain lines are for logs only


def test_a_failed_stage_says_so_with_its_timing():
    clock = Clock()
    console = Console(file=io.StringIO())
    progress = Progress(console, clock=clock)
    assert not progress.live  # not a terminal
    with pytest.raises(RuntimeError), progress.running(), progress.stage("fairness"):
        clock.now = 2.5
        raise RuntimeError("stop")
    assert console.file.getvalue().splitlines() == [
        "fairness: started", "fairness: failed after 2.5 s"]


def test_plain_lines_are_throttled_but_the_steps_after_the_counted_work_are_not():
    clock = Clock()
    console = Console(file=io.StringIO())
    progress = Progress(console, every=5.0, clock=clock)
    with progress.stage("features") as step:
        for i in range(1, 11):
            clock.now = float(i)  # a chunk a second: a line every five seconds
            step(f"{i * 100} of 1,000 rows", i * 100, 1000)
        step("1,000 rows; checking temporal integrity", 1000, 1000)
        clock.now = 14.0
    assert console.file.getvalue().splitlines() == [
        "features: started",
        "features: 500 of 1,000 rows (50%, 0:00:05 elapsed, about 0:00:05 left)",
        "features: 1000 of 1,000 rows (100%, 0:00:10 elapsed)",
        "features: 1,000 rows; checking temporal integrity (100%, 0:00:10 elapsed)",
        "features: done in 14.0 s",
    ]


def test_evaluate_reports_each_fit_and_each_fold_in_training_rows():
    rng = np.random.default_rng(0)
    n = 600
    x = rng.normal(size=n)
    matrix = pd.DataFrame({
        "person_id": [f"p{i % 200}" for i in range(n)],
        "as_of": pd.to_datetime(np.repeat(["2020-09-01", "2021-09-01",
                                           "2022-09-01"], 200)),
        "x": x, "label": (x + rng.normal(size=n) > 1.5).astype(int)})
    calls = []
    evaluate(matrix, {"x": SimpleNamespace(kind="numeric", protected=False)},
             baselines=["base_rate"], calibration=None, n_boot=0,
             model_params={"n_estimators": 5}, progress=lambda *a: calls.append(a))
    # fold 1 trains on 2020 (200 rows), fold 2 on 2020-21 (400), the final model
    # on all 600: 1,200 training rows in all
    one, two = "fold 1/2 (test 2021-09-01)", "fold 2/2 (test 2022-09-01)"
    assert calls == [
        (f"{one}: model", 0, 1200), (f"{one}: base_rate", 0, 1200),
        (f"{one} done", 200, 1200),
        (f"{two}: model", 200, 1200), (f"{two}: base_rate", 200, 1200),
        (f"{two} done", 600, 1200),
        ("final model on all 600 rows", 600, 1200),
    ]


@pytest.fixture(scope="module")
def logged_run(tmp_path_factory):
    """``earlysignal run`` of a tiny cohort, its output captured as a log would."""
    base = tmp_path_factory.mktemp("progress")
    write_cohort(SynthConfig(people=500, seed=3, start="2016-09-01"), base / "data")
    shutil.copytree(ROOT / "pipelines" / "features", base / "features")
    raw = yaml.safe_load((ROOT / "pipelines" / "demo.yaml").read_text())
    raw["cohort"]["as_of"] = {"start": "2018-09-01", "end": "2022-09-01",
                              "every": "12 months"}
    raw["label"]["followup"].pop("extract_date")
    raw["model"].update(calibration=None, test_from="2020-09-01",
                        params={"n_estimators": 10, "num_leaves": 4})
    raw["fairness"] = {"n_boot": 20}
    for section in ("impact", "reports", "tracking"):
        raw[section] = {"enabled": False}
    (base / "run.yaml").write_text(yaml.safe_dump(raw))
    env = {"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None,
           "COLUMNS": "80"}
    result = CliRunner(env=env).invoke(app, [
        "run", str(base / "run.yaml"), "--data", str(base / "data"),
        "--out", str(base / "run")])
    assert result.exit_code == 0, result.output
    return result.output, base / "run"


def test_a_logged_run_has_plain_lines_only(logged_run):
    output, _ = logged_run
    assert "\x1b" not in output and "\r" not in output


def test_each_stage_says_it_started_before_it_says_its_timing(logged_run):
    output, run_dir = logged_run
    lines = output.splitlines()
    stages = ["data", "features", "model", "fairness", "explain"]
    for stage in stages:
        start = lines.index(f"{stage}: started")
        end = next(i for i, line in enumerate(lines)
                   if re.fullmatch(rf"{stage}: done in \d+\.\d s", line))
        assert start < end, stage
        # nothing of a later stage is said before this one ends
        later = stages[stages.index(stage) + 1:]
        assert not any(line.startswith(f"{s}:") for s in later
                       for line in lines[:end]), stage


def _window(fold: dict) -> str:
    start, end = str(fold["test_start"])[:10], str(fold["test_end"])[:10]
    return start if start == end else f"{start} to {end}"


def test_the_model_stage_has_a_line_per_fold(logged_run):
    output, run_dir = logged_run
    folds = yaml.safe_load((run_dir / "metrics.json").read_text())["folds"]
    assert len(folds) >= 2
    lines = [line for line in output.splitlines() if line.startswith("model: fold")]
    n = len(folds)
    # a fold whose test window holds several dates names its first and last
    assert [re.sub(r" \(\d+%.*", "", line) for line in lines] == [
        f"model: fold {k}/{n} (test {_window(f)}) done"
        for k, f in enumerate(folds, start=1)]
    # each line but the last says how much is left; the final model is still to do
    assert all(re.search(r"\d+%, 0:00:\d\d elapsed, about 0:\d\d:\d\d left\)$", line)
               for line in lines)


def test_the_fairness_bootstrap_reports_each_block_over_every_characteristic(
        monkeypatch):
    from earlysignal import fairness
    from earlysignal.fairness import _metrics

    rng = np.random.default_rng(1)
    df = pd.DataFrame({"score": rng.uniform(size=400),
                       "sex": rng.choice(["F", "M"], size=400)})
    df["y"] = (rng.uniform(size=400) < df["score"]).astype(int)
    settings = dict(score="score", label="y", groups="sex", top="25%", n_boot=30,
                    mitigation=True)
    # blocks of 10 resamples for 400 people
    monkeypatch.setattr(_metrics, "BLOCK_ENTRIES", 4_000)
    quiet = fairness.audit(df, **settings)
    calls = []
    told = fairness.audit(df, **settings, progress=lambda *a: calls.append(a))
    assert calls == [
        *[(f"resamples of all people: {k} of 30", k, 60) for k in (10, 20, 30)],
        *[(f"resamples of people by sex: {k} of 30", 30 + k, 60)
          for k in (10, 20, 30)],
        ("comparing mitigation options", 60, 60),
    ]
    # the same draws in blocks: the intervals do not depend on being watched
    pd.testing.assert_frame_equal(quiet.disparities, told.disparities)


def test_the_audit_command_reports_each_block_of_resamples(tmp_path, monkeypatch):
    import functools

    from earlysignal import pipeline
    from earlysignal.fairness import _metrics

    rng = np.random.default_rng(2)
    pd.DataFrame({"score": rng.uniform(size=400), "label": rng.integers(0, 2, 400),
                  "sex": rng.choice(["F", "M"], size=400)}).to_csv(
        tmp_path / "s.csv", index=False)
    monkeypatch.setattr(_metrics, "BLOCK_ENTRIES", 4_000)  # blocks of 10
    # a line per step, as a log would get them with time passing between
    monkeypatch.setattr(pipeline, "Progress",
                        functools.partial(pipeline.Progress, every=0))
    env = {"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None,
           "COLUMNS": "100"}
    result = CliRunner(env=env).invoke(app, [
        "audit", str(tmp_path / "s.csv"), "--score", "score", "--label", "label",
        "--group", "sex", "--top", "25%", "--n-boot", "20",
        "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    lines = [re.sub(r" \(.*\)$", "", line) for line in result.output.splitlines()
             if line.startswith("audit:")]
    assert lines[0] == "audit: started"
    assert lines[1:-1] == [
        "audit: resamples of all people: 10 of 20",
        "audit: resamples of all people: 20 of 20",
        "audit: resamples of people by sex: 10 of 20",
        "audit: resamples of people by sex: 20 of 20",
        "audit: comparing mitigation options"]
    assert re.fullmatch(r"audit: done in \d+\.\d s", lines[-1])
    assert "\x1b" not in result.output


def test_opening_the_mlflow_run_is_shown_before_the_stages_after_the_model(
        logged_run, monkeypatch):
    from earlysignal.pipeline import _run, load_config, run_pipeline

    _, run_dir = logged_run
    opened = {"run_id": "r1", "experiment_id": "1", "tracking_uri": "sqlite://",
              "model_uri": "runs:/r1/scorer", "ui_command": "mlflow ui"}
    monkeypatch.setattr(_run, "open_tracking", lambda config: opened)
    monkeypatch.setattr(_run, "track_stage", lambda *a, **k: opened)
    raw = yaml.safe_load((run_dir.parent / "run.yaml").read_text())
    raw["tracking"] = {"enabled": True}
    (run_dir.parent / "tracked.yaml").write_text(yaml.safe_dump(raw))
    config = load_config(run_dir.parent / "tracked.yaml")
    progress = Progress(Console(file=io.StringIO(), width=100), live=False)
    with progress.running():
        run_pipeline(config, data_dir=run_dir.parent / "data", out=run_dir,
                     stages=("features", "model", "tracking"), progress=progress)
    lines = progress.console.file.getvalue().splitlines()

    def first(prefix: str) -> int:
        return next(i for i, line in enumerate(lines) if line.startswith(prefix))

    # after the model stage, a line of its own while the store is set up
    assert first("model: reused (inputs unchanged) in") < first("mlflow: started") \
        < first("mlflow: done in") < first("tracking: started")
