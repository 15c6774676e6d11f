"""Secrets and personal data: fake API tokens in the environment and raw e-mail addresses
in the exports must appear nowhere a run writes: stdout/stderr, the Dagster instance
(event log, run storage, compute logs), the lake, the warehouse, the analyst snapshot."""

from __future__ import annotations

import gzip
import json
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.paths import HANDMADE_LANDING
from tests.reliability.helpers import make_workspace

pytestmark = pytest.mark.e2e

E2E_LANDING = HANDMADE_LANDING
TOKENS = {
    "ADWH_GOOGLE_ADS_DEVELOPER_TOKEN": "gads-DEVTOKEN-7f3a9c1e55b2",
    "ADWH_META_ACCESS_TOKEN": "EAAGfakeMetaAccessToken0123456789ZZ",
    "ADWH_MAILCHIMP_API_KEY": "0fakemailchimpkey9d8c7b6a5-us21",
    "ADWH_KLAVIYO_API_KEY": "pk_fakeklaviyo_4e5d6c7b8a9f",
}
EMAIL = re.compile(rb"[A-Za-z0-9._+\-]+(?:@|%40)[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")


def _landing_emails(landing: Path) -> set[str]:
    found = set()
    for path in landing.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            found |= {m.decode() for m in EMAIL.findall(data)}
    return found


def _strings_in_duckdb(con, relation_sql: str) -> str:
    """All text of the VARCHAR columns of a relation, concatenated (compression-proof search)."""
    cols = [r[0] for r in con.execute(f"describe select * from {relation_sql}").fetchall()]
    if not cols:
        return ""
    parts = " || '\u0001' || ".join(f"coalesce(cast(\"{c}\" as varchar), '')" for c in cols)
    rows = con.execute(f"select string_agg({parts}, '\u0002') from {relation_sql}").fetchone()
    return rows[0] or ""


def test_tokens_and_email_addresses_never_leak(tmp_path):
    ws = make_workspace(tmp_path, E2E_LANDING)
    ws.env.update(TOKENS)
    ws.env["ADWH_PULL_SOURCES"] = "none"  # tokens set, but this run is offline: no pull assets
    # hostile inputs: a Meta paging URL carrying the access token (as the Graph API writes it),
    # GA4 events with addresses in user_id, in a URL, and in a line that is quarantined
    meta = ws.landing / "meta_ads" / "2024-03-01" / "insights.json"
    doc = json.loads(meta.read_text())
    page = doc[0] if isinstance(doc, list) else doc
    page.setdefault("paging", {})["next"] = (
        f"https://graph.facebook.com/v19.0/act_9001/insights?access_token={TOKENS['ADWH_META_ACCESS_TOKEN']}&after=b"
    )
    meta.write_text(json.dumps(doc))
    ga4 = ws.landing / "ga4" / "2024-03-01" / "events_20240301.ndjson"
    extra = [
        {
            "event_date": "20240301",
            "event_timestamp": "1709290000000000",
            "event_name": "page_view",
            "user_pseudo_id": "u9",
            "user_id": "Alice.Private@Example.com",
            "event_params": [
                {
                    "key": "page_location",
                    "value": {"string_value": "https://shop.example/?email=bob.private%40example.org&mc_eid=zz9"},
                }
            ],
        },
        {
            "event_date": "20240301",
            "event_timestamp": "not-a-timestamp",
            "event_name": "page_view",
            "user_pseudo_id": "u10",
            "user_id": "carol.private@example.net",
        },
    ]
    with open(ga4, "a") as handle:
        for event in extra:
            handle.write(json.dumps(event) + "\n")
    emails = _landing_emails(ws.landing)
    assert {"Alice.Private@Example.com", "bob.private%40example.org", "carol.private@example.net"} <= emails

    ok = ws.run(date(2024, 3, 1), date(2024, 3, 2), log="ok")
    assert ok.popen.returncode == 0, ok.output()[-4000:]

    # an API error document that echoes the developer token fails its partition; the message is redacted
    (ws.landing / "google_ads" / "2024-03-02" / "error.json").write_text(
        json.dumps(
            [
                {
                    "error": {
                        "code": 403,
                        "status": "PERMISSION_DENIED",
                        "message": f"The developer token {TOKENS['ADWH_GOOGLE_ADS_DEVELOPER_TOKEN']} is not approved.",
                    }
                }
            ]
        )
    )
    failed = ws.run(date(2024, 3, 2), date(2024, 3, 2), log="failed")
    assert failed.popen.returncode == 1
    err = failed.err.read_text()
    assert "error.json" in err and "***" in err, err[-3000:]

    needles = [v.encode() for v in TOKENS.values()]
    needles += [e.encode() for e in emails] + [e.lower().encode() for e in emails]
    needles += [e.replace("%40", "@").encode() for e in emails if "%40" in e]
    # 1. bytes of every file a run wrote (logs, Dagster storage, lake, warehouse, snapshot)
    for root in (
        ws.root / "ok.out",
        ws.root / "ok.err",
        ws.root / "failed.out",
        ws.root / "failed.err",
        ws.home,
        ws.lake,
        ws.warehouse,
        ws.analyst,
    ):
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        assert files, root
        for path in files:
            data = path.read_bytes()
            for needle in needles:
                assert needle not in data, f"{needle!r} found in {path}"
    # 2. decoded text of the Parquet lake and of every table (DuckDB/Parquet compress strings)
    con = duckdb.connect()
    try:
        for path in ws.lake.rglob("*.parquet"):
            text = _strings_in_duckdb(con, f"read_parquet('{path}')")
            for needle in needles:
                assert needle.decode() not in text, f"{needle!r} in {path}"
    finally:
        con.close()
    for db in (ws.warehouse, ws.analyst):
        con = duckdb.connect(str(db), read_only=True)
        try:
            tables = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
            assert tables
            for schema, table in tables:
                text = _strings_in_duckdb(con, f'"{schema}"."{table}"')
                for needle in needles:
                    assert needle.decode() not in text, f"{needle!r} in {db}:{schema}.{table}"
        finally:
            con.close()


def test_credentials_resource_reads_env_vars_and_never_shows_values(monkeypatch):
    from orchestration.defs.resources import PlatformCredentials, platform_credentials
    from orchestration.security import redact

    for var, value in TOKENS.items():
        monkeypatch.setenv(var, value)
    resource = platform_credentials()
    # bound to the variables, not to their values (Dagster shows the variable names)
    assert "EnvVar" in repr(resource.meta_access_token) or resource.meta_access_token == "ADWH_META_ACCESS_TOKEN"
    configured = PlatformCredentials(meta_access_token=TOKENS["ADWH_META_ACCESS_TOKEN"])
    assert configured.token("meta_access_token") == TOKENS["ADWH_META_ACCESS_TOKEN"]
    text = f"GET ...?access_token={TOKENS['ADWH_META_ACCESS_TOKEN']} key={TOKENS['ADWH_KLAVIYO_API_KEY']}"
    assert redact(text) == "GET ...?access_token=*** key=***"
    monkeypatch.delenv("ADWH_META_ACCESS_TOKEN")
    assert platform_credentials().meta_access_token is None
