"""The re-ingestion fingerprint covers everything a parse depends on: every ``orchestration``
module the parser imports (transitively) and the settings that change its output
(a digest of ``ADWH_PII_SALT`` for the parsers that hash personal data).

The first test changes a helper module for real: it runs on a copy of the package in a
subprocess, so the work tree is never touched."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

from orchestration.ingestion import pipeline
from orchestration.ingestion.lake import Lake
from orchestration.ingestion.pipeline import (
    IngestError,
    ingest_partition,
    parser_dependencies,
    parser_fingerprint,
    parser_settings,
    source_module,
)
from orchestration.settings import REPO_ROOT
from tests.paths import HANDMADE_LANDING

D1, D2 = date(2024, 3, 1), date(2024, 3, 2)
PARSERS = "orchestration.ingestion.parsers"

_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from datetime import date
    from pathlib import Path

    root, landing, lake_dir = (Path(p) for p in sys.argv[1:4])
    from orchestration.ingestion import pipeline
    from orchestration.ingestion.lake import Lake

    assert Path(pipeline.__file__).resolve().is_relative_to(root), pipeline.__file__  # the copy, not the work tree
    meta = pipeline.source_module("meta_ads")
    lake = Lake(lake_dir)
    day = date(2024, 3, 1)
    out = {"before": pipeline.parser_fingerprint(meta)}
    out["first"] = pipeline.ingest_partition(source="meta_ads", day=day, landing_dir=landing, lake=lake).status

    unrelated = root / "orchestration/ingestion/parsers/klaviyo.py"
    unrelated.write_text(unrelated.read_text() + "\\n# a change meta_ads does not depend on\\n")
    out["after_unrelated"] = pipeline.parser_fingerprint(meta)
    out["second"] = pipeline.ingest_partition(source="meta_ads", day=day, landing_dir=landing, lake=lake).status

    helper = root / "orchestration/ingestion/parsers/google_ads.py"  # meta_ads imports currency_code, int64
    helper.write_text(helper.read_text() + "\\n# a new version of a helper meta_ads imports\\n")
    out["after_helper"] = pipeline.parser_fingerprint(meta)
    out["third"] = pipeline.ingest_partition(source="meta_ads", day=day, landing_dir=landing, lake=lake).status
    print(json.dumps(out))
    """
)


def test_a_change_in_an_imported_helper_module_reingests_unchanged_inputs(tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(REPO_ROOT / "orchestration", copy / "orchestration", ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADWH_")}
    env["PYTHONPATH"] = str(copy)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(copy), str(HANDMADE_LANDING), str(tmp_path / "lake")],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["first"] == "ingested"
    # a module meta_ads does not import: same fingerprint, nothing re-parsed
    assert out["after_unrelated"] == out["before"] and out["second"] == "unchanged"
    # google_ads.py is imported by meta_ads.py: a new version re-ingests the Meta partition
    assert out["after_helper"] != out["before"]
    assert out["third"] == "ingested"


def test_dependencies_are_found_from_the_imports_not_from_a_list():
    deps = {
        name: set(parser_dependencies(source_module(name))) for name in ("google_ads", "meta_ads", "ga4", "mailchimp")
    }
    assert {f"{PARSERS}.meta_ads", f"{PARSERS}.google_ads", f"{PARSERS}.base"} <= deps["meta_ads"]
    assert f"{PARSERS}.pii" not in deps["meta_ads"] and f"{PARSERS}.ga4" not in deps["meta_ads"]
    assert {f"{PARSERS}.ga4", f"{PARSERS}.base", f"{PARSERS}.pii"} <= deps["ga4"]
    assert f"{PARSERS}.google_ads" not in deps["mailchimp"]
    # the packages whose __init__ runs on import are inputs too; nothing outside orchestration is
    assert {"orchestration", "orchestration.ingestion", PARSERS} <= deps["meta_ads"]
    assert all(name == "orchestration" or name.startswith("orchestration.") for d in deps.values() for name in d)


def test_dependencies_follow_relative_and_function_level_imports(tmp_path, monkeypatch):
    package = tmp_path / "fpkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "helpers.py").write_text("from ..leaf import VALUE\n")
    (package / "leaf.py").write_text("VALUE = 1\n")
    (package / "late.py").write_text("X = 2\n")
    (package / "sub" / "parser.py").write_text(
        "from . import helpers\nimport json\n\ndef parse():\n    from fpkg import late\n    return late.X\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    module = importlib.import_module("fpkg.sub.parser")
    found = set(pipeline.module_dependencies(module.__name__, package="fpkg"))
    assert found == {"fpkg", "fpkg.sub", "fpkg.sub.parser", "fpkg.sub.helpers", "fpkg.leaf", "fpkg.late"}


def test_the_pii_salt_is_in_the_fingerprint_of_the_parsers_that_hash_as_a_digest(monkeypatch):
    monkeypatch.setenv("ADWH_PII_SALT", "first-secret-salt")
    ga4, gads = source_module("ga4"), source_module("google_ads")
    ga4_first, gads_first = parser_fingerprint(ga4), parser_fingerprint(gads)
    settings = parser_settings(ga4)
    assert set(settings) == {"ADWH_PII_SALT"}
    assert "first-secret-salt" not in json.dumps(settings)
    assert parser_settings(gads) == {}
    monkeypatch.setenv("ADWH_PII_SALT", "second-secret-salt")
    assert parser_fingerprint(ga4) != ga4_first
    assert parser_fingerprint(gads) == gads_first


def _ga4_landing(tmp_path: Path) -> Path:
    landing = tmp_path / "landing"
    shutil.copytree(HANDMADE_LANDING / "ga4", landing / "ga4")
    return landing


def test_a_new_salt_is_refused_for_every_partition_not_only_those_already_ingested(tmp_path, monkeypatch):
    landing, lake = _ga4_landing(tmp_path), Lake(tmp_path / "lake")
    monkeypatch.setenv("ADWH_PII_SALT", "the-salt-of-day-one")
    assert ingest_partition(source="ga4", day=D1, landing_dir=landing, lake=lake).status == "ingested"
    first_write = lake.read_manifest("ga4", D1)["write_id"]
    assert "the-salt-of-day-one" not in (lake.root / "_pii_salt.json").read_text()

    monkeypatch.setenv("ADWH_PII_SALT", "a-different-salt")
    # D2 was never ingested: with the new salt it would hash people differently from D1
    with pytest.raises(IngestError) as info:
        ingest_partition(source="ga4", day=D2, landing_dir=landing, lake=lake)
    message = str(info.value)
    assert "ADWH_PII_SALT" in message and "restore" in message and "rehash" in message
    assert "a-different-salt" not in message and "the-salt-of-day-one" not in message
    assert lake.read_manifest("ga4", D2) is None
    with pytest.raises(IngestError):
        ingest_partition(source="ga4", day=D1, landing_dir=landing, lake=lake)
    assert lake.read_manifest("ga4", D1)["write_id"] == first_write  # untouched
    # sources that hash nothing are not affected by the salt
    shutil.copytree(HANDMADE_LANDING / "google_ads", landing / "google_ads")
    assert ingest_partition(source="google_ads", day=D1, landing_dir=landing, lake=lake).status == "ingested"

    monkeypatch.setenv("ADWH_PII_SALT", "the-salt-of-day-one")  # restored: fine again
    assert ingest_partition(source="ga4", day=D1, landing_dir=landing, lake=lake).status == "unchanged"
    assert ingest_partition(source="ga4", day=D2, landing_dir=landing, lake=lake).status == "ingested"


def test_rehash_rewrites_the_whole_history_with_the_new_salt(tmp_path, monkeypatch):
    landing, lake = _ga4_landing(tmp_path), Lake(tmp_path / "lake")
    monkeypatch.setenv("ADWH_PII_SALT", "old-salt")
    for day in (D1, D2):
        ingest_partition(source="ga4", day=day, landing_dir=landing, lake=lake)
    old = {day: lake.read_manifest("ga4", day)["fingerprint"]["settings"] for day in (D1, D2)}

    monkeypatch.setenv("ADWH_PII_SALT", "new-salt")
    reports = pipeline.rehash_pii_history(landing_dir=landing, lake=lake)
    assert sorted((r.source, r.report_date, r.status) for r in reports) == [
        ("ga4", "2024-03-01", "ingested"),
        ("ga4", "2024-03-02", "ingested"),
    ]
    for day in (D1, D2):
        assert lake.read_manifest("ga4", day)["fingerprint"]["settings"] != old[day]
    assert "rotating_from" not in json.loads((lake.root / "_pii_salt.json").read_text())
    assert ingest_partition(source="ga4", day=D2, landing_dir=landing, lake=lake).status == "unchanged"


def test_rehash_refuses_before_writing_when_a_landing_folder_is_gone(tmp_path, monkeypatch):
    landing, lake = _ga4_landing(tmp_path), Lake(tmp_path / "lake")
    monkeypatch.setenv("ADWH_PII_SALT", "old-salt")
    for day in (D1, D2):
        ingest_partition(source="ga4", day=day, landing_dir=landing, lake=lake)
    writes = {day: lake.read_manifest("ga4", day)["write_id"] for day in (D1, D2)}
    shutil.rmtree(landing / "ga4" / D2.isoformat())
    monkeypatch.setenv("ADWH_PII_SALT", "new-salt")
    with pytest.raises(IngestError) as info:
        pipeline.rehash_pii_history(landing_dir=landing, lake=lake)
    assert "2024-03-02" in str(info.value) and "landing" in str(info.value)
    assert {day: lake.read_manifest("ga4", day)["write_id"] for day in (D1, D2)} == writes


def test_an_interrupted_rehash_blocks_ingestion_until_it_is_finished(tmp_path, monkeypatch):
    landing, lake = _ga4_landing(tmp_path), Lake(tmp_path / "lake")
    monkeypatch.setenv("ADWH_PII_SALT", "old-salt")
    for day in (D1, D2):
        ingest_partition(source="ga4", day=day, landing_dir=landing, lake=lake)
    monkeypatch.setenv("ADWH_PII_SALT", "new-salt")
    real = pipeline.ingest_partition
    calls = []

    def dies_on_second(**kwargs):
        calls.append(kwargs["day"])
        if len(calls) == 2:
            raise IngestError("simulated crash")
        return real(**kwargs)

    monkeypatch.setattr(pipeline, "ingest_partition", dies_on_second)
    with pytest.raises(IngestError):
        pipeline.rehash_pii_history(landing_dir=landing, lake=lake)
    monkeypatch.setattr(pipeline, "ingest_partition", real)
    # half the history has the new salt: ordinary ingestion refuses, with either salt
    for salt in ("new-salt", "old-salt"):
        monkeypatch.setenv("ADWH_PII_SALT", salt)
        with pytest.raises(IngestError, match="interrupted"):
            ingest_partition(source="ga4", day=D1, landing_dir=landing, lake=lake, force=True)
    monkeypatch.setenv("ADWH_PII_SALT", "new-salt")
    pipeline.rehash_pii_history(landing_dir=landing, lake=lake)  # finishing it
    assert ingest_partition(source="ga4", day=D1, landing_dir=landing, lake=lake).status == "unchanged"


def test_a_lake_without_the_salt_record_is_checked_against_its_manifests(tmp_path, monkeypatch):
    landing, lake = _ga4_landing(tmp_path), Lake(tmp_path / "lake")
    monkeypatch.setenv("ADWH_PII_SALT", "old-salt")
    ingest_partition(source="ga4", day=D1, landing_dir=landing, lake=lake)
    (lake.root / "_pii_salt.json").unlink()  # e.g. a lake copied without its root files
    monkeypatch.setenv("ADWH_PII_SALT", "new-salt")
    with pytest.raises(IngestError, match="ADWH_PII_SALT"):
        ingest_partition(source="ga4", day=D2, landing_dir=landing, lake=lake)


def test_a_lake_from_before_the_salt_record_adopts_the_current_salt_with_a_warning(tmp_path, monkeypatch):
    landing, lake = _ga4_landing(tmp_path), Lake(tmp_path / "lake")
    monkeypatch.setenv("ADWH_PII_SALT", "the-salt")
    ingest_partition(source="ga4", day=D1, landing_dir=landing, lake=lake)
    (lake.root / "_pii_salt.json").unlink()
    manifest_path = lake.raw_dir("ga4", D1) / "_manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["fingerprint"]["settings"]  # written by a version that did not record the salt
    manifest_path.write_text(json.dumps(manifest))
    report = ingest_partition(source="ga4", day=D2, landing_dir=landing, lake=lake)
    assert report.status == "ingested"
    assert any("ADWH_PII_SALT" in w and "1 partition" in w for w in report.warnings), report.warnings
    assert (lake.root / "_pii_salt.json").exists()
