"""The opt-in build profile (autotariffs.timings): nothing is written unless AUTOTARIFFS_PROFILE
names a file; then each record is one JSON line naming its step, and figure saving adds one."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt

from autotariffs import figures, timings


def test_off_by_default_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv(timings.PROFILE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    timings.record("step", step="x", wall_s=1.0)
    assert not timings.enabled() and list(tmp_path.iterdir()) == []


def test_records_append_one_line_each_with_the_step(tmp_path, monkeypatch):
    prof = tmp_path / "profile.jsonl"
    monkeypatch.setenv(timings.PROFILE_ENV, str(prof))
    monkeypatch.setenv(timings.STEP_ENV, "03_descriptives")
    timings.record("figure", figure="a", seconds=0.5)
    timings.record("step", step="validation", wall_s=2.0)
    lines = [json.loads(x) for x in prof.read_text().splitlines()]
    assert [(r["kind"], r["step"]) for r in lines] == [("figure", "03_descriptives"),
                                                       ("step", "validation")]
    assert lines[0]["seconds"] == 0.5 and lines[1]["wall_s"] == 2.0


def test_figure_saving_records_its_time_and_writes_the_same_png(tmp_path, monkeypatch):
    def draw() -> plt.Figure:
        figures.set_style()
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.plot([0, 1, 2], [1, 3, 2])
        return fig

    monkeypatch.delenv(timings.PROFILE_ENV, raising=False)
    off = figures.save(draw(), "sim", tmp_path / "off", pdf=False)
    prof = tmp_path / "profile.jsonl"
    monkeypatch.setenv(timings.PROFILE_ENV, str(prof))
    on = figures.save(draw(), "sim", tmp_path / "on", pdf=False)
    plt.close("all")
    (rec,) = [json.loads(x) for x in prof.read_text().splitlines()]
    assert rec["kind"] == "figure" and rec["figure"] == "sim" and rec["seconds"] > 0
    assert on["png"].read_bytes() == off["png"].read_bytes()


def test_process_age_and_usage():
    age = timings.process_age()
    assert age is None or 0 < age < 24 * 3600
    use = timings.usage()
    assert use["cpu_self_s"] > 0 and use["rss_self_mb"] > 10
