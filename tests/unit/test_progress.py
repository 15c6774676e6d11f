"""The run's progress display and summary (orchestration/progress.py), fed the run events a run announces."""

from __future__ import annotations

import io
from types import SimpleNamespace

from orchestration.progress import RunProgress, check_counts


def _feed(progress: RunProgress) -> None:
    report = SimpleNamespace(status="ingested", rows_loaded=10, rows_quarantined=2)
    unchanged = SimpleNamespace(status="unchanged", rows_loaded=5, rows_quarantined=0)
    progress("ingest:google_ads:2024-01-01", {"report": report})
    progress("ingest:google_ads:2024-01-02", {"report": unchanged})
    progress("ingest:ga4:2024-01-01", {"report": report})
    for kind in ("seed", "model", "model", "test"):
        progress("dbt:node", {"resource_type": kind})
    progress("published", {"path": "/x/analyst.duckdb"})
    progress("run-locked", {})  # not a step of the display: ignored


def test_summary_counts_rows_models_and_checks():
    progress = RunProgress({"google_ads": 2, "ga4": 1}, total_dbt_nodes=4, stream=io.StringIO(), live=False)
    _feed(progress)
    lines = progress.summary({"passed": 5, "warned": 1, "failed": 0}, ok=True)
    assert lines[0].startswith("adwh run succeeded in ")
    assert "google_ads   2 partition(s) (1 unchanged), 15 rows loaded, 2 quarantined" in lines[1]
    assert "ga4          1 partition(s) (0 unchanged), 10 rows loaded, 2 quarantined" in lines[2]
    assert "2 model(s) rebuilt, 1 seed(s), 1 test(s)" in lines[3]
    assert "5 passed, 1 warned, 0 failed" in lines[4]
    assert lines[5].endswith("published")


def test_no_bars_when_not_a_terminal():
    stream = io.StringIO()
    progress = RunProgress({"ga4": 1}, total_dbt_nodes=4, stream=stream)
    assert progress.live is False
    with progress:
        _feed(progress)
    assert stream.getvalue() == ""


def test_bars_on_a_terminal_show_each_step_done():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    progress = RunProgress({"google_ads": 2, "ga4": 1}, total_dbt_nodes=4, stream=stream)
    assert progress.live is True
    with progress:
        _feed(progress)
    screen = stream.getvalue()
    assert "ingest google_ads" in screen and "2/2" in screen
    assert "dbt build" in screen and "4/4" in screen
    assert "publish snapshot" in screen and "1/1" in screen


def test_check_counts_by_outcome_and_severity():
    import dagster as dg

    def evaluation(passed, severity=dg.AssetCheckSeverity.ERROR):
        return SimpleNamespace(
            event_type_value="ASSET_CHECK_EVALUATION",
            event_specific_data=SimpleNamespace(passed=passed, severity=severity),
        )

    events = [
        evaluation(True),
        evaluation(True),
        evaluation(False, dg.AssetCheckSeverity.WARN),
        evaluation(False),
        SimpleNamespace(event_type_value="STEP_SUCCESS", event_specific_data=None),
    ]
    assert check_counts(events) == {"passed": 2, "warned": 1, "failed": 1}
