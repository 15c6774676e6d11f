"""The measuring parts of `adwh bench` on hand-made inputs (no timing asserted)."""

from __future__ import annotations

import json
import os
import sys

from orchestration.bench.measure import dbt_timings, run_measured
from orchestration.bench.report import _target

MIB = 1024 * 1024


def test_peak_rss_counts_grandchildren(tmp_path):
    """A grandchild holding 300 MiB (touched) shows in the tree's peak; the parent alone is small."""
    grandchild = "b = bytearray(300 * 1024 * 1024); import time; time.sleep(1.5)"
    child = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}], check=True)"
    measured = run_measured([sys.executable, "-c", child], env=dict(os.environ), log=tmp_path / "log")
    assert measured.returncode == 0
    assert measured.peak_rss_bytes >= 300 * MIB
    assert measured.peak_rss_bytes < 2000 * MIB


def test_dbt_timings_split_models_tests_seeds(tmp_path):
    path = tmp_path / "run_results.json"
    results = [
        {"unique_id": "model.adwh.stg_a", "execution_time": 1.25},
        {"unique_id": "model.adwh.fct_b", "execution_time": 2.5},
        {"unique_id": "test.adwh.not_null_fct_b_x.abc123", "execution_time": 0.5},
        {"unique_id": "test.adwh.unique_fct_b_y.def456", "execution_time": 0.75},
        {"unique_id": "seed.adwh.fx_rates", "execution_time": 0.1},
    ]
    path.write_text(json.dumps({"elapsed_time": 6.0, "results": results}))
    timings = dbt_timings(path)
    assert timings["models_seconds"] == 3.75
    assert timings["tests_seconds"] == 1.25
    assert timings["seeds_seconds"] == 0.1
    assert timings["elapsed_seconds"] == 6.0
    assert list(timings["models"]) == ["fct_b", "stg_a"]  # slowest first
    assert timings["tests_count"] == 2


def test_targets_met_and_missed_by_how_much():
    met = _target("t", "<= 1.1", 1.0, 1.1, higher_is_better=False)
    assert met["met"] is True and met["margin"] == "met by 9 %"  # (1.1 - 1.0) / 1.1
    missed = _target("t", "<= 30 s", 90.0, 30.0, higher_is_better=False)
    assert missed["met"] is False and missed["margin"] == "missed: 3.00x the limit"
    low = _target("t", ">= 20", 5.0, 20.0, higher_is_better=True)
    assert low["met"] is False and low["margin"] == "missed: needs 4.00x"
    assert _target("t", ">= 20", None, 20.0, higher_is_better=True)["met"] is None
