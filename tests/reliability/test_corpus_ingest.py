"""Every case of the broken-input corpus (tests/fixtures/corpus) through ``ingest_partition``.

The expected outcomes come from tests/fixtures/corpus/manifest.json, written from the format spec
independently of the parsers. For every partition: either a partition failure
(``IngestError`` naming file, position and field; nothing of the partition written) or
records = loaded + quarantined, checked against the hand-counted records AND against the
row counts of the published Parquet files; each expected reject reason / warning is there.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from orchestration.ingestion.lake import REJECTS, Lake
from orchestration.ingestion.pipeline import IngestError, ingest_partition, source_module
from tests.fixtures.corpus import build_corpus
from tests.paths import CORPUS

MANIFEST = json.loads((CORPUS / "manifest.json").read_text())["cases"]


def test_corpus_is_large_and_covers_every_source():
    assert len(MANIFEST) >= 30
    assert {case["source"] for case in MANIFEST.values()} == {
        "google_ads",
        "meta_ads",
        "linkedin_ads",
        "mailchimp",
        "klaviyo",
        "ga4",
    }
    on_disk = {p.name for p in (CORPUS / "cases").iterdir()}
    assert on_disk == {name for name, case in MANIFEST.items() if "generated" not in case}


def _landing(case_name: str, case: dict, tmp_path: Path) -> Path:
    if case.get("generated") == "giant_line":
        landing = tmp_path / "landing"
        path = build_corpus.write_giant_line(landing)
        assert path.read_bytes().count(b"\n") == 0 and path.stat().st_size > 10_000_000
        return landing
    return CORPUS / "cases" / case_name


def _contains_all(text: str, parts: list[str]) -> bool:
    return all(part in text for part in parts)


@pytest.mark.parametrize("case_name", sorted(MANIFEST))
def test_corpus_case(case_name, tmp_path, monkeypatch):
    monkeypatch.setenv("ADWH_PII_SALT", "corpus-test-salt")
    case = MANIFEST[case_name]
    source = case["source"]
    module = source_module(source)
    landing = _landing(case_name, case, tmp_path)
    lake = Lake(tmp_path / "lake")
    for day_text, expect in sorted(case["expect"].items()):
        day = date.fromisoformat(day_text)
        if "failure" in expect:
            with pytest.raises(IngestError) as info:
                ingest_partition(source=source, day=day, landing_dir=landing, lake=lake)
            message = str(info.value)
            assert _contains_all(message, expect["failure"]), message
            assert "Traceback" not in message
            # nothing of the failed partition is published
            assert lake.read_manifest(source, day) is None
            assert not lake.quarantine_dir(source, day).exists()
            continue

        report = ingest_partition(source=source, day=day, landing_dir=landing, lake=lake)
        assert report.status == "ingested"
        # zero rows unaccounted for: hand-counted records, the report and the files agree
        assert report.records_read == expect["records"], report
        assert report.rows_loaded == expect["loaded"], report
        assert report.rows_quarantined == expect["quarantined"], report
        loaded = lake.row_count(source, day, module.PRIMARY_TABLE)
        quarantined = lake.row_count(source, day, REJECTS)
        assert (loaded, quarantined) == (expect["loaded"], expect["quarantined"])
        assert loaded + quarantined == expect["records"]
        assert lake.is_complete(source, day)

        rejects = pq.read_table(lake.quarantine_dir(source, day) / f"{REJECTS}.parquet").to_pylist()
        for reject in rejects:
            assert reject["reject_reason"] and reject["raw_record"] is not None and reject["record_number"] >= 1
            assert reject["source_file"].startswith(f"{source}/{day_text}/")
        reasons = [r["reject_reason"] for r in rejects]
        for parts in expect.get("reasons", []):
            assert any(_contains_all(reason, parts) for reason in reasons), (parts, reasons)
        for parts in expect.get("warnings", []):
            assert any(_contains_all(w, parts) for w in report.warnings), (parts, report.warnings)
        if "counter_decreases" in expect:
            assert len(report.counter_decreases) == expect["counter_decreases"], report.counter_decreases

    forbidden = case.get("forbidden_in_lake")
    if forbidden:
        for path in lake.root.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                for text in forbidden:
                    assert text.encode() not in data, f"{text!r} found in {path}"
