"""A real `adwh run` whose export is mostly bad rows fails, and nothing publishes.

First run over the hand-written landing folder: green, the analyst snapshot exists. Then a
Google Ads export of 2024-03-02 whose rows are nearly all unloadable lands beside the good
one (48 bad of the 52 records read that day): the second run must exit non-zero with a message
naming the source, the date, the rate and the top reject reason; the lake keeps the previous
partition and the analyst snapshot is not replaced."""

from __future__ import annotations

import json
from datetime import date

import pytest

from orchestration.ingestion.lake import Lake
from tests.paths import HANDMADE_LANDING
from tests.reliability.helpers import make_workspace, read_tables

pytestmark = pytest.mark.e2e

D1, D2 = date(2024, 3, 1), date(2024, 3, 2)


def _bad_result(n: int) -> dict:
    return {
        "customer": {"id": "1111111111", "currencyCode": "USD", "timeZone": "America/New_York"},
        "campaign": {"id": "201", "advertisingChannelType": "SEARCH"},
        "adGroup": {"id": "3001"},
        "adGroupAd": {"ad": {"id": str(90000 + n)}},
        "metrics": {"impressions": f"{n}k", "clicks": "1"},  # not an integer: quarantined
        "segments": {"date": D2.isoformat()},
    }


def test_a_mostly_quarantined_partition_fails_the_run_and_nothing_publishes(tmp_path):
    ws = make_workspace(tmp_path, HANDMADE_LANDING)
    first = ws.run(D1, D2, log="first")
    assert first.popen.returncode == 0, first.output()[-4000:]
    snapshot_before = read_tables(ws.analyst)
    snapshot_mtime = ws.analyst.stat().st_mtime_ns
    lake = Lake(ws.lake)
    write_id = lake.read_manifest("google_ads", D2)["write_id"]

    # 1 (JSON) + 2 (CSV) good records already there; 48 bad + 1 good more
    bad = [_bad_result(n) for n in range(48)]
    good = json.loads((HANDMADE_LANDING / "google_ads" / "2024-03-01" / "search_stream.json").read_text())
    extra_good = dict(good[0]["results"][0])
    extra_good["segments"] = {"date": D2.isoformat()}
    extra_good["adGroupAd"] = {"ad": {"id": "99999"}}
    (ws.landing / "google_ads" / D2.isoformat() / "zz_broken_export.json").write_text(
        json.dumps([{"results": [extra_good, *bad]}])
    )

    second = ws.run(D1, D2, log="second")
    output = second.output()
    assert second.popen.returncode != 0, output[-4000:]
    assert "google_ads" in output and "2024-03-02" in output
    assert "quarantined" in output and "metrics.impressions" in output and "not an integer" in output
    # 48 of 52 read = 92.3 %
    assert "92.3%" in output, output[-4000:]
    # the published partition is the previous one and the analysts' snapshot is untouched
    assert lake.read_manifest("google_ads", D2)["write_id"] == write_id
    assert ws.analyst.stat().st_mtime_ns == snapshot_mtime
    assert read_tables(ws.analyst) == snapshot_before
