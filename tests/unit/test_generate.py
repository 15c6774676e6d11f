"""Tests of the sample-data generator (orchestration/sample/: generate.py and one module per platform).

Every expectation is computed from the *written files* with plain json / csv / gzip
code, never from the generator's internal numbers: the tests check what a consumer
of the landing zone would see.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib
import io
import json
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from orchestration import cli
from orchestration.registry import ALL_SOURCES
from orchestration.sample.generate import GenerateSummary, generate, restate

START, END = date(2024, 3, 1), date(2024, 3, 28)  # 4 weeks: several e-mail sends, 4 UI-CSV days
DAYS = [START + timedelta(days=i) for i in range((END - START).days + 1)]


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landing")
    summary = generate(out, START, END)
    assert isinstance(summary, GenerateSummary)
    return out


# ----------------------------------------------------------------------------- plain readers
def files(root: Path, source: str, day: date) -> list[Path]:
    return sorted((root / source / day.isoformat()).iterdir())


def google_rows(root: Path, day: date) -> list[dict]:
    """Google Ads rows of a day as flat dicts, from API JSON and UI CSV alike."""
    rows = []
    for path in files(root, "google_ads", day):
        if path.suffix == ".json":
            for batch in json.loads(path.read_bytes()):
                for r in batch["results"]:
                    m = r["metrics"]
                    rows.append(
                        {
                            "format": "json",
                            "customer_id": r["customer"]["id"],
                            "currency": r["customer"]["currencyCode"],
                            "channel": r["campaign"]["advertisingChannelType"],
                            "campaign_id": r["campaign"]["id"],
                            "ad_id": r["adGroupAd"]["ad"]["id"],
                            "date": r["segments"]["date"],
                            "impressions": int(m.get("impressions", "0")),
                            "clicks": int(m.get("clicks", "0")),
                            "interactions": int(m.get("interactions", "0")),
                            "cost_micros": int(m.get("costMicros", "0")),
                            "conversions": m.get("conversions", 0.0),
                            "conversions_value": m.get("conversionsValue", 0.0),
                            "view_through": int(m.get("viewThroughConversions", "0")),
                            "metrics": m,
                        }
                    )
        else:
            for r in ui_csv_rows(path):
                number = lambda key: 0.0 if r[key] == "--" else float(r[key].replace(",", ""))  # noqa: E731, B023
                rows.append(
                    {
                        "format": "csv",
                        "customer_id": r["Customer ID"].replace("-", ""),
                        "currency": r["Currency code"],
                        "channel": r["Campaign type"].upper(),
                        "campaign_id": r["Campaign ID"],
                        "ad_id": r["Ad ID"],
                        "date": r["Day"],
                        "impressions": int(number("Impr.")),
                        "clicks": int(number("Clicks")),
                        "interactions": int(number("Interactions")),
                        "cost_micros": round(number("Cost") * 1e6),
                        "conversions": number("Conversions"),
                        "conversions_value": number("Conv. value"),
                        "view_through": int(number("View-through conv.")),
                    }
                )
    return rows


def ui_csv_rows(path: Path) -> list[dict]:
    lines = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    header = lines[2]
    return [dict(zip(header, line)) for line in lines[3:] if line and not line[0].startswith("Total")]


def meta_rows(root: Path, day: date) -> list[dict]:
    (path,) = files(root, "meta_ads", day)
    return [row for page in json.loads(path.read_bytes()) for row in page["data"]]


def mailchimp_reports(root: Path, day: date) -> dict[str, dict]:
    (path,) = files(root, "mailchimp", day)
    return {r["id"]: r for r in json.loads(path.read_bytes())["reports"]}


def klaviyo_results(root: Path, day: date) -> dict[str, dict]:
    (path,) = files(root, "klaviyo", day)
    results = json.loads(path.read_bytes())["data"]["attributes"]["results"]
    return {r["groupings"]["campaign_id"]: r["statistics"] for r in results}


def ga4_events(root: Path, day: date) -> list[dict]:
    (path,) = files(root, "ga4", day)
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()]


def params(event: dict) -> dict:
    return {p["key"]: next(iter(p["value"].values())) for p in event["event_params"]}


def query(event: dict) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(params(event)["page_location"]).query).items()}


def all_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ----------------------------------------------------------------------------- layout & determinism
def test_writes_one_folder_per_source_and_day(landing: Path) -> None:
    for source in ALL_SOURCES:
        assert sorted(p.name for p in (landing / source).iterdir()) == [d.isoformat() for d in DAYS]
    day = date(2024, 3, 5)
    assert [p.name for p in files(landing, "ga4", day)] == ["events_20240305.ndjson.gz"]
    assert [p.name for p in files(landing, "mailchimp", day)] == ["reports.json"]
    assert [p.name for p in files(landing, "klaviyo", day)] == ["campaign_values_report.json"]


def test_same_arguments_give_identical_bytes(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", date(2024, 3, 1), date(2024, 3, 8), seed=11)
    b = generate(tmp_path / "b", date(2024, 3, 1), date(2024, 3, 8), seed=11)
    assert a.records == b.records and len(a.files) == len(b.files)
    assert all_files(tmp_path / "a") == all_files(tmp_path / "b")
    c = generate(tmp_path / "c", date(2024, 3, 1), date(2024, 3, 8), seed=12)
    assert all_files(tmp_path / "c") != all_files(tmp_path / "a")
    assert c.records != a.records


def test_gzip_header_has_no_timestamp_or_name(landing: Path) -> None:
    data = files(landing, "ga4", START)[0].read_bytes()
    assert data[:2] == b"\x1f\x8b" and data[4:8] == b"\x00\x00\x00\x00"  # MTIME = 0
    assert data[3] & 0x08 == 0  # no FNAME field


def test_a_days_content_does_not_depend_on_start(tmp_path: Path) -> None:
    generate(tmp_path / "long", date(2024, 3, 1), date(2024, 3, 10))
    generate(tmp_path / "short", date(2024, 3, 8), date(2024, 3, 10))
    for source in ALL_SOURCES:
        for day in ("2024-03-08", "2024-03-10"):
            long_files = all_files(tmp_path / "long" / source / day)
            assert long_files and long_files == all_files(tmp_path / "short" / source / day), (source, day)


def test_scale_multiplies_campaigns_and_users(tmp_path: Path) -> None:
    one = generate(tmp_path / "one", date(2024, 3, 1), date(2024, 3, 2))
    two = generate(tmp_path / "two", date(2024, 3, 1), date(2024, 3, 2), scale=2)
    for source in ("google_ads", "meta_ads", "ga4"):
        assert two.records[source] > 1.6 * one.records[source], source
    campaigns = {r["campaign_id"] for r in meta_rows(tmp_path / "two", date(2024, 3, 1))}
    assert len(campaigns) == 2 * len({r["campaign_id"] for r in meta_rows(tmp_path / "one", date(2024, 3, 1))})


def test_sources_selects_what_is_written(tmp_path: Path) -> None:
    summary = generate(tmp_path, date(2024, 3, 1), date(2024, 3, 1), sources=["meta_ads", "ga4"])
    assert summary.sources == ("meta_ads", "ga4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ga4", "meta_ads"]


@pytest.mark.parametrize(
    "kwargs",
    [dict(start=date(2024, 3, 2), end=date(2024, 3, 1)), dict(scale=0), dict(sources=["google_ads", "tiktok"])],
)
def test_bad_arguments_are_refused(tmp_path: Path, kwargs: dict) -> None:
    args = dict(start=date(2024, 3, 1), end=date(2024, 3, 1)) | kwargs
    with pytest.raises(ValueError):
        generate(tmp_path, args.pop("start"), args.pop("end"), **args)


# ----------------------------------------------------------------------------- parallel generation
def moved(summary: GenerateSummary, root: Path) -> GenerateSummary:
    """``summary`` as if it had been written into ``root`` (to compare runs into two folders)."""
    return replace(summary, out_dir=root, files=tuple(root / p.relative_to(summary.out_dir) for p in summary.files))


def test_workers_write_the_same_bytes_and_summary_as_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import orchestration.sample.generate as module

    pools: list[int | None] = []

    class CountingPool(ProcessPoolExecutor):  # proves the days really went to worker processes
        def __init__(self, *args: object, **kwargs: object) -> None:
            pools.append(kwargs.get("max_workers"))  # type: ignore[arg-type]
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "ProcessPoolExecutor", CountingPool)
    # 5 days (one of them a UI-CSV day of Google Ads) on 2 processes: an uneven split, every source
    start, end = date(2024, 3, 1), date(2024, 3, 5)
    one = generate(tmp_path / "one", start, end, workers=1)
    assert pools == []
    two = generate(tmp_path / "two", start, end, workers=2)
    assert pools == [2]

    assert all_files(tmp_path / "two") == all_files(tmp_path / "one")
    assert (tmp_path / "two" / "google_ads" / "2024-03-03" / "ui_report.csv").exists()
    assert moved(two, one.out_dir) == one  # same files in the same order, same records
    assert list(two.records) == list(one.records) == list(ALL_SOURCES)
    # the order is the sequential one: day by day, source by source (registry order)
    order = [(p.parent.name, ALL_SOURCES.index(p.parent.parent.name)) for p in two.files]
    assert order == sorted(order) and len(two.files) == len(all_files(tmp_path / "two"))
    # more workers than days: one process per day, at most; a subset of sources (GA4 without LinkedIn)
    few = dict(sources=["ga4", "meta_ads"], seed=11)
    seq = generate(tmp_path / "seq", start, start + timedelta(days=1), workers=1, **few)
    par = generate(tmp_path / "par", start, start + timedelta(days=1), workers=8, **few)
    assert pools == [2, 2]
    assert all_files(tmp_path / "par") == all_files(tmp_path / "seq") and moved(par, seq.out_dir) == seq


def test_workers_must_be_at_least_one(tmp_path: Path) -> None:
    for workers in (0, -2):
        with pytest.raises(ValueError, match=f"workers must be >= 1 .*got {workers}"):
            generate(tmp_path, date(2024, 3, 1), date(2024, 3, 2), workers=workers)
    assert list(tmp_path.iterdir()) == []  # refused before anything is written


def test_a_failing_day_in_a_worker_names_its_source_and_day(tmp_path: Path) -> None:
    (tmp_path / "ga4").write_text("a file where the ga4 folder goes")
    with pytest.raises(OSError) as failure:  # the worker's error, its type kept
        generate(tmp_path, date(2024, 3, 1), date(2024, 3, 3), sources=["meta_ads", "ga4"], workers=2)
    assert "failed writing ga4 for report date 2024-03-01" in "\n".join(getattr(failure.value, "__notes__", []))


def test_cli_generate_takes_workers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import orchestration.sample.generate as module

    calls: list[dict] = []
    real = module.generate

    def recording(*args: object, **kwargs: object) -> GenerateSummary:
        calls.append(kwargs)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "generate", recording)
    argv = ["generate", "--start", "2024-03-01", "--end", "2024-03-03", "--sources", "meta_ads,mailchimp"]
    assert cli.main([*argv, "--out", str(tmp_path / "par"), "--workers", "2"]) == 0
    assert calls[-1]["workers"] == 2
    assert "meta_ads 36" in capsys.readouterr().out
    assert cli.main([*argv, "--out", str(tmp_path / "seq")]) == 0
    assert calls[-1]["workers"] == 1  # the default
    assert all_files(tmp_path / "par") == all_files(tmp_path / "seq")
    assert cli.main([*argv, "--out", str(tmp_path / "zero"), "--workers", "0"]) == 2
    assert "--workers must be >= 1, got 0" in capsys.readouterr().err
    assert len(calls) == 2 and not (tmp_path / "zero").exists()


# Digests of every file of 2024-01-01..03 (seed 7, scale 1), per source. The refactor into one
# module per platform kept the output byte-identical; a platform's files change only when that
# platform's model changes on purpose (then update its digest here, and only its digest). Google
# Ads and Meta changed once since, when they gained their video fields (drawn from their own
# streams: with those fields taken out, the files are the ones of before).
DIGESTS = {
    "google_ads": "607c5f0f4411742e",
    "meta_ads": "bb7ab38847654223",
    "mailchimp": "ce15d640e32c3e20",
    "klaviyo": "06efe4694ecc10c4",
    "ga4": "dc00fcb3ccc7d779",
}


def source_digest(root: Path, source: str) -> str:
    digest = hashlib.sha256()
    for path in sorted((root / source).rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def test_output_is_pinned_per_source(tmp_path: Path) -> None:
    generate(tmp_path, date(2024, 1, 1), date(2024, 1, 3), sources=list(DIGESTS))
    assert {source: source_digest(tmp_path, source) for source in DIGESTS} == DIGESTS


def test_cli_generate_takes_sources(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["generate", "--out", str(tmp_path), "--start", "2024-03-01", "--end", "2024-03-02"]
    assert cli.main([*argv, "--sources", "ga4, meta_ads"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ga4", "meta_ads"]
    assert "meta_ads 24" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:  # validated against the registry, like ADWH_SOURCES
        cli.main([*argv, "--sources", "meta_ads,tiktok"])
    assert exit_info.value.code == 2
    assert "--sources names unknown source(s) tiktok" in capsys.readouterr().err


def test_one_generate_command_line() -> None:
    import orchestration.sample.generate as module

    assert not hasattr(module, "main")  # the only command line is `adwh generate` (orchestration/cli.py)
    assert (
        cli.build_parser()
        .parse_args(["generate", "--out", "x", "--start", "2024-01-01", "--end", "2024-01-01"])
        .sources
        == ALL_SOURCES
    )


# ----------------------------------------------------------------------------- Google Ads
def test_google_api_json_shape(landing: Path) -> None:
    day = date(2024, 3, 4)
    json_files = [p for p in files(landing, "google_ads", day) if p.suffix == ".json"]
    assert json_files
    for path in json_files:
        batches = json.loads(path.read_bytes())
        assert isinstance(batches, list) and len(batches) >= 2  # rows are split into several batches
        for batch in batches:
            assert set(batch) == {"results", "fieldMask", "requestId"}
            assert "metrics.costMicros" in batch["fieldMask"]
            for r in batch["results"]:
                assert r["segments"]["date"] == day.isoformat()
                assert isinstance(r["customer"]["id"], str) and r["customer"]["id"].isdigit()
                for key, value in r["metrics"].items():  # int64 as strings, doubles as numbers, zeros absent
                    if key in ("conversions", "conversionsValue", "videoQuartileP100Rate"):
                        assert isinstance(value, float) and value > 0
                    else:
                        assert isinstance(value, str) and int(value) > 0, (key, value)
    customers = {(r["customer_id"], r["currency"]) for r in google_rows(landing, day)}
    assert {c for _, c in customers} == {"USD", "EUR"} and len(customers) == 2


def test_google_zero_metrics_are_absent_and_fractional_conversions_exist(landing: Path) -> None:
    rows = [r for d in DAYS for r in google_rows(landing, d) if r["format"] == "json"]
    assert any("conversions" not in r["metrics"] for r in rows)
    assert any("viewThroughConversions" not in r["metrics"] for r in rows)
    assert any(r["conversions"] != int(r["conversions"]) for r in rows)
    assert all(r["interactions"] >= r["clicks"] for r in rows)
    vtc = defaultdict(int)
    for r in rows:
        vtc[r["channel"]] += r["view_through"]
    assert vtc["SEARCH"] == 0 and vtc["DISPLAY"] > 0 and vtc["VIDEO"] > 0


def test_google_ctr_per_channel(landing: Path) -> None:
    impressions, clicks = defaultdict(int), defaultdict(int)
    for day in DAYS:
        for r in google_rows(landing, day):
            impressions[r["channel"]] += r["impressions"]
            clicks[r["channel"]] += r["clicks"]
    ctr = {channel: clicks[channel] / impressions[channel] for channel in impressions}
    assert set(ctr) == {"SEARCH", "DISPLAY", "VIDEO"}
    assert 0.03 <= ctr["SEARCH"] <= 0.07
    assert 0.001 <= ctr["DISPLAY"] <= 0.005


def test_google_eur_account_comes_as_ui_csv_every_seventh_day(landing: Path) -> None:
    csv_days = [d for d in DAYS if (landing / "google_ads" / d.isoformat() / "ui_report.csv").exists()]
    assert len(csv_days) == 4 and all((b - a).days == 7 for a, b in zip(csv_days, csv_days[1:]))
    path = landing / "google_ads" / csv_days[0].isoformat() / "ui_report.csv"
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert lines[0] == ["Ad performance report"]
    label = f"{csv_days[0]:%B} {csv_days[0].day}, {csv_days[0].year}"
    assert lines[1] == [f"{label} - {label}"]
    assert lines[2] == [
        "Day",
        "Account",
        "Customer ID",
        "Currency code",
        "Campaign",
        "Campaign ID",
        "Campaign type",
        "Ad group",
        "Ad group ID",
        "Ad ID",
        "Impr.",
        "Clicks",
        "Interactions",
        "Cost",
        "Conversions",
        "Conv. value",
        "View-through conv.",
    ]
    assert lines[-1][0].startswith("Total: ") and lines[-4][0] == "Total: Account"
    assert '"1,' in data.decode("utf-8") or '"2,' in data.decode("utf-8")  # quoted thousands separators
    assert "--" in {cell for line in lines[3:] for cell in line}
    # the CSV account is the EUR customer of the JSON days (same id through "Customer ID")
    csv_ids = {r["Customer ID"].replace("-", "") for r in ui_csv_rows(path)}
    json_day = csv_days[0] + timedelta(days=1)
    eur_ids = {r["customer_id"] for r in google_rows(landing, json_day) if r["currency"] == "EUR"}
    assert csv_ids == eur_ids
    # the Total: Account row adds up the data rows
    rows = ui_csv_rows(path)
    total = next(line for line in lines if line[0] == "Total: Account")
    assert int(total[10].replace(",", "")) == sum(int(r["Impr."].replace(",", "")) for r in rows)


def test_google_video_metrics_only_on_video_campaigns(landing: Path) -> None:
    rows = [r for d in DAYS for r in google_rows(landing, d) if r["format"] == "json"]
    for r in rows:
        m = r["metrics"]
        if r["channel"] != "VIDEO":
            assert "videoTrueviewViews" not in m and "videoQuartileP100Rate" not in m
    video = [r["metrics"] for r in rows if r["channel"] == "VIDEO"]
    assert video and all("videoTrueviewViews" in m for m in video)
    views = sum(int(m["videoTrueviewViews"]) for m in video)
    impressions = sum(int(m["impressions"]) for m in video)
    completions = sum(m["videoQuartileP100Rate"] * int(m["impressions"]) for m in video)
    assert 0.1 <= views / impressions <= 0.35 and completions < views
    for m in video:  # a TrueView view is an interaction
        assert int(m["interactions"]) >= int(m["videoTrueviewViews"])


# ----------------------------------------------------------------------------- Meta
def test_meta_video_fields_only_on_video_ads(landing: Path) -> None:
    seen = 0
    for day in DAYS:
        for row in meta_rows(landing, day):
            video_view = [a for a in row.get("actions", []) if a["action_type"] == "video_view"]
            fields = [
                f
                for f in ("video_play_actions", "video_thruplay_watched_actions", "video_p100_watched_actions")
                if f in row
            ]
            if not row["ad_name"].startswith(("Video", "Reel")):
                assert not video_view and not fields
                continue
            seen += 1
            counts = [int(row[f][0]["value"]) for f in fields]
            assert len(fields) == 3 and all(row[f][0]["action_type"] == "video_view" for f in fields)
            plays, thruplays, p100 = counts
            assert plays >= int(video_view[0]["value"]) >= thruplays >= p100 > 0  # 3 s view >= 15 s >= 100 %
    assert seen


def test_meta_pages_and_string_numbers(landing: Path) -> None:
    page_counts = set()
    for day in DAYS:
        (path,) = files(landing, "meta_ads", day)
        pages = json.loads(path.read_bytes())
        page_counts.add(len(pages))
        assert 1 <= len(pages) <= 3
        for i, page in enumerate(pages):
            assert set(page["paging"]["cursors"]) == {"before", "after"}
            assert ("next" in page["paging"]) == (i < len(pages) - 1)
        for row in meta_rows(landing, day):
            assert row["date_start"] == row["date_stop"] == day.isoformat()
            assert row["account_currency"] == "USD" and row["attribution_setting"] == "7d_click_1d_view"
            for key in ("impressions", "reach", "clicks", "inline_link_clicks", "spend"):
                assert isinstance(row[key], str), key
            for entry in row.get("actions", []) + row.get("action_values", []):
                assert all(isinstance(v, str) for v in entry.values())
    assert len(page_counts) > 1


def test_meta_link_ctr_and_all_clicks(landing: Path) -> None:
    impressions = link = 0
    for day in DAYS:
        for row in meta_rows(landing, day):
            assert int(row["clicks"]) > int(row["inline_link_clicks"])
            assert int(row["reach"]) <= int(row["impressions"])
            impressions += int(row["impressions"])
            link += int(row["inline_link_clicks"])
    assert 0.005 <= link / impressions <= 0.016


def test_meta_windows_are_monotone_and_purchase_types_agree(landing: Path) -> None:
    seen_types = set()
    for day in DAYS:
        for row in meta_rows(landing, day):
            for array in ("actions", "action_values"):
                entries = {e["action_type"]: e for e in row.get(array, [])}
                seen_types |= set(entries)
                for e in entries.values():
                    if e["action_type"] == "video_view":  # an engagement count, not split by window
                        assert set(e) == {"action_type", "value"}
                        continue
                    w = {k: float(e.get(k, "0")) for k in ("1d_click", "7d_click", "28d_click", "1d_view")}
                    assert w["1d_click"] <= w["7d_click"] <= w["28d_click"], e
                    assert float(e["value"]) == pytest.approx(w["7d_click"] + w["1d_view"], abs=0.011), e
                purchases = [
                    entries.get(t) for t in ("purchase", "omni_purchase", "offsite_conversion.fb_pixel_purchase")
                ]
                if any(purchases):
                    stripped = [{k: v for k, v in p.items() if k != "action_type"} for p in purchases]
                    assert stripped[0] == stripped[1] == stripped[2]
    assert {
        "link_click",
        "landing_page_view",
        "add_to_cart",
        "purchase",
        "omni_purchase",
        "offsite_conversion.fb_pixel_purchase",
    } <= seen_types


# ----------------------------------------------------------------------------- e-mail
def test_mailchimp_counters_only_grow(landing: Path) -> None:
    counters = (
        "emails_sent",
        "unsubscribed",
        "bounces.hard_bounces",
        "bounces.soft_bounces",
        "opens.opens_total",
        "opens.unique_opens",
        "opens.proxy_excluded_opens",
        "opens.proxy_excluded_unique_opens",
        "clicks.clicks_total",
        "clicks.unique_clicks",
        "clicks.unique_subscriber_clicks",
    )

    def get(report: dict, path: str) -> int:
        node = report
        for part in path.split("."):
            node = node[part]
        return node

    grew = 0
    for before, after in zip(DAYS, DAYS[1:]):
        old, new = mailchimp_reports(landing, before), mailchimp_reports(landing, after)
        for cid in set(old) - set(new):  # listed for 90 days after the send (since_send_time)
            assert date.fromisoformat(old[cid]["send_time"][:10]) == after - timedelta(days=90)
        for cid, report in old.items():
            if cid not in new:
                continue
            for counter in counters:
                assert get(new[cid], counter) >= get(report, counter), (cid, counter, after)
            grew += get(new[cid], "clicks.unique_subscriber_clicks") > get(report, "clicks.unique_subscriber_clicks")
    assert grew > 0
    sends = {r["send_time"][:10] for r in mailchimp_reports(landing, END).values()}
    assert len([s for s in sends if s >= START.isoformat()]) >= 2  # a new campaign about every 10 days


def test_mailchimp_apple_mpp_proxy_opens(landing: Path) -> None:
    reports = mailchimp_reports(landing, END).values()
    assert reports
    for r in reports:
        opens = r["opens"]
        assert opens["proxy_excluded_unique_opens"] < opens["unique_opens"] <= opens["opens_total"]
        assert opens["proxy_excluded_opens"] < opens["opens_total"]
        proxy_share = 1 - opens["proxy_excluded_unique_opens"] / opens["unique_opens"]
        assert 0.25 <= proxy_share <= 0.55
        assert r["clicks"]["unique_subscriber_clicks"] <= r["clicks"]["unique_clicks"] <= r["clicks"]["clicks_total"]
        assert r["send_time"].endswith("+00:00") and r["list_id"]


def test_email_unique_click_rate(landing: Path) -> None:
    """Unique clicks / delivered between 1.5 % and 3.5 % over a settled campaign's life."""
    settled = (END - timedelta(days=10)).isoformat()
    mc = [r for r in mailchimp_reports(landing, END).values() if r["send_time"][:10] <= settled]
    assert mc
    for r in mc:
        b = r["bounces"]
        delivered = r["emails_sent"] - b["hard_bounces"] - b["soft_bounces"] - b["syntax_errors"]
        assert 0.015 <= r["clicks"]["unique_subscriber_clicks"] / delivered <= 0.035
    kl = klaviyo_results(landing, END)
    assert kl
    for stats in kl.values():
        assert 0.015 * 0.5 <= stats["clicks_unique"] / stats["delivered"] <= 0.035  # young sends still growing
    # over the range: daily clicks (snapshot differences) / deliveries of the campaigns sent in it
    clicks = delivered_total = 0
    previous: dict[str, dict] = {}
    for day in DAYS:
        current = mailchimp_reports(landing, day)
        for cid, r in current.items():
            if r["send_time"][:10] >= START.isoformat():
                old = previous.get(cid)
                clicks += r["clicks"]["unique_subscriber_clicks"] - (
                    old["clicks"]["unique_subscriber_clicks"] if old else 0
                )
                if old is None:
                    b = r["bounces"]
                    delivered_total += r["emails_sent"] - b["hard_bounces"] - b["soft_bounces"] - b["syntax_errors"]
        previous = current
    assert 0.015 <= clicks / delivered_total <= 0.035


def test_klaviyo_lifetime_totals_grow_and_rates_are_fractions(landing: Path) -> None:
    for before, after in zip(DAYS, DAYS[1:]):
        old, new = klaviyo_results(landing, before), klaviyo_results(landing, after)
        for cid, stats in old.items():
            if cid not in new:  # out of the 90-day listing window
                continue
            for key in (
                "recipients",
                "delivered",
                "opens",
                "opens_unique",
                "clicks",
                "clicks_unique",
                "unsubscribes",
                "conversions",
                "conversion_value",
            ):
                assert new[cid][key] >= stats[key], (cid, key)
    for stats in klaviyo_results(landing, END).values():
        assert stats["delivered"] == stats["recipients"] - stats["bounced"]
        assert 0 < stats["open_rate"] < 1 and 0 < stats["click_rate"] < 1
        assert stats["click_rate"] == pytest.approx(stats["clicks_unique"] / stats["delivered"], abs=1e-6)
        assert stats["clicks_unique"] <= stats["clicks"] and stats["opens_unique"] <= stats["opens"]
    document = json.loads(files(landing, "klaviyo", END)[0].read_bytes())
    assert document["data"]["type"] == "campaign-values-report" and "links" in document
    groupings = document["data"]["attributes"]["results"][0]["groupings"]
    assert groupings["send_channel"] == "email" and set(groupings) == {
        "send_channel",
        "campaign_id",
        "campaign_message_id",
    }


# ----------------------------------------------------------------------------- GA4
def test_ga4_rows_shape_and_volume(landing: Path) -> None:
    for day in (START, END):
        events = ga4_events(landing, day)
        assert 300 <= len(events) <= 5000
        assert {e["event_name"] for e in events} == {"session_start", "page_view", "purchase"}
        for e in events:
            assert e["event_date"] == f"{day:%Y%m%d}" and e["event_timestamp"].isdigit()
            p = params(e)
            assert p["page_location"].startswith("https://") and p["ga_session_id"].isdigit()
            assert e["user_id"] is None or "@" not in e["user_id"]
        assert any(e["user_id"] is None for e in events) and any(e["user_id"] for e in events)


def test_ga4_sessions_carry_the_platforms_click_ids_and_campaigns(landing: Path) -> None:
    google_campaigns = {r["campaign_id"] for d in DAYS for r in google_rows(landing, d)}
    meta_campaigns = {r["campaign_id"] for d in DAYS for r in meta_rows(landing, d)}
    mailchimp_campaigns = set(mailchimp_reports(landing, END))
    klaviyo_campaigns = set(klaviyo_results(landing, END))
    linkedin_campaigns = {
        str(c["id"])
        for d in DAYS
        for f in (landing / "linkedin_ads" / d.isoformat()).glob("ad_campaigns_*.json")
        for c in json.loads(f.read_text())["elements"]
    }
    seen = defaultdict(set)
    for day in DAYS:
        gclid_sessions = 0
        for e in ga4_events(landing, day):
            if e["event_name"] != "session_start":
                continue
            q, traffic = query(e), e["collected_traffic_source"]
            if "gclid" in q:
                gclid_sessions += 1
                assert (q["utm_source"], q["utm_medium"]) == ("google", "cpc") and traffic["gclid"] == q["gclid"]
                assert q["utm_campaign"] in google_campaigns
                seen["google"].add(q["utm_campaign"])
            elif "fbclid" in q:
                assert (q["utm_source"], q["utm_medium"]) == ("facebook", "paid_social")
                assert q["utm_campaign"] in meta_campaigns
                seen["meta"].add(q["utm_campaign"])
            elif "mc_cid" in q:
                assert q["utm_medium"] == "email" and q["utm_source"] == "mailchimp"
                assert q["mc_cid"] == q["utm_campaign"] and q["mc_cid"] in mailchimp_campaigns
                seen["mailchimp"].add(q["mc_cid"])
            elif "li_fat_id" in q:  # LinkedIn is generated by default (a registered source)
                assert (q["utm_source"], q["utm_medium"]) == ("linkedin", "paid_social")
                assert q["utm_campaign"] in linkedin_campaigns
                seen["linkedin"].add(q["utm_campaign"])
            elif q.get("utm_source") == "klaviyo":
                assert q["utm_medium"] == "email" and q["utm_campaign"] in klaviyo_campaigns
                seen["klaviyo"].add(q["utm_campaign"])
            else:
                assert not q
                seen[(traffic["manual_source"], traffic["manual_medium"])].add(None)
        # sessions are a share of the day's Google clicks
        google_clicks = sum(r["clicks"] for r in google_rows(landing, day))
        assert 0.4 * google_clicks <= gclid_sessions <= google_clicks
    assert seen["google"] and seen["meta"] and seen["linkedin"] and seen["mailchimp"] and seen["klaviyo"]
    assert {("google", "organic"), ("(direct)", "(none)")} <= set(seen)
    assert any(medium == "referral" for key in seen if isinstance(key, tuple) for medium in key[1:])


def test_ga4_purchases_duplicates_and_cross_channel_journeys(landing: Path) -> None:
    transactions: dict[str, list[dict]] = defaultdict(list)
    touches: dict[str, list[tuple[int, str]]] = defaultdict(list)  # user -> [(ts, channel)]
    days_seen: dict[str, set] = defaultdict(set)
    for day in DAYS:
        for e in ga4_events(landing, day):
            days_seen[e["user_pseudo_id"]].add(day)
            if e["event_name"] == "purchase":
                assert e["ecommerce"]["purchase_revenue"] > 0
                transactions[e["ecommerce"]["transaction_id"]].append(e)
            elif e["event_name"] == "session_start":
                q = query(e)
                channel = "google" if "gclid" in q else "meta" if "fbclid" in q else q.get("utm_medium", "other")
                touches[e["user_pseudo_id"]].append((int(e["event_timestamp"]), channel))
    duplicates = [tid for tid, events in transactions.items() if len(events) > 1]
    assert duplicates and len(duplicates) < 0.1 * len(transactions)
    for tid in duplicates:  # GA4 re-sends: same transaction, not a byte-identical line
        first, second = transactions[tid][:2]
        assert first["ecommerce"] == second["ecommerce"] and first["event_timestamp"] != second["event_timestamp"]
    assert sum(len(d) > 1 for d in days_seen.values()) > 100  # users come back on other days
    both = 0
    multi_day = 0
    for events in transactions.values():
        e = events[0]
        ts = int(e["event_timestamp"])
        before = [(t, c) for t, c in touches[e["user_pseudo_id"]] if ts - 30 * 86_400_000_000 <= t <= ts]
        channels = {c for _, c in before}
        both += {"google", "meta"} <= channels
        multi_day += len(before) > 1 and (ts - min(t for t, _ in before)) > 86_400_000_000
    assert both > 0  # conversions both Google and Meta can claim
    assert multi_day > 0  # journeys with several touches over several days


# ----------------------------------------------------------------------------- restatement
def test_restate_adds_late_conversions_only(tmp_path: Path) -> None:
    day = date(2024, 3, 10)
    generate(tmp_path, date(2024, 3, 9), day)
    before_google, before_meta = google_rows(tmp_path, day), meta_rows(tmp_path, day)
    untouched = all_files(tmp_path / "ga4") | all_files(tmp_path / "mailchimp")
    written = restate(tmp_path, day)
    assert {p.parent.parent.name for p in written} == {"google_ads", "meta_ads", "linkedin_ads"}
    after_google, after_meta = google_rows(tmp_path, day), meta_rows(tmp_path, day)

    assert [r["ad_id"] for r in after_google] == [r["ad_id"] for r in before_google]
    for old, new in zip(before_google, after_google):
        for key in ("impressions", "clicks", "interactions", "cost_micros"):
            assert new[key] == old[key], key
        for key in ("conversions", "conversions_value", "view_through"):
            assert new[key] >= old[key], key
    assert sum(r["conversions"] for r in after_google) > sum(r["conversions"] for r in before_google)

    def purchases(rows: list[dict], window: str) -> float:
        return sum(
            float(a.get(window, "0")) for r in rows for a in r.get("actions", []) if a["action_type"] == "purchase"
        )

    for old, new in zip(before_meta, after_meta):
        assert old["ad_id"] == new["ad_id"]
        for key in ("impressions", "reach", "clicks", "inline_link_clicks", "spend"):
            assert new[key] == old[key], key
        assert purchases([new], "7d_click") >= purchases([old], "7d_click")
        assert purchases([new], "28d_click") >= purchases([old], "28d_click")
    assert purchases(after_meta, "28d_click") > purchases(before_meta, "28d_click")
    assert purchases(after_meta, "1d_click") == purchases(before_meta, "1d_click")

    # deterministic and idempotent; the other sources are untouched
    once = all_files(tmp_path / "google_ads") | all_files(tmp_path / "meta_ads")
    restate(tmp_path, day)
    assert all_files(tmp_path / "google_ads") | all_files(tmp_path / "meta_ads") == once
    assert all_files(tmp_path / "ga4") | all_files(tmp_path / "mailchimp") == untouched


def test_restate_of_a_csv_day_and_refusals(tmp_path: Path) -> None:
    csv_day = date(2024, 3, 3)  # toordinal() % 7 == 0
    generate(tmp_path, csv_day, csv_day)
    assert (tmp_path / "google_ads" / "2024-03-03" / "ui_report.csv").exists()
    before = google_rows(tmp_path, csv_day)
    restate(tmp_path, csv_day)
    after = google_rows(tmp_path, csv_day)
    assert [r["impressions"] for r in after] == [r["impressions"] for r in before]
    assert sum(r["conversions"] for r in after) >= sum(r["conversions"] for r in before)
    with pytest.raises(ValueError):
        restate(tmp_path, csv_day, scale=2)  # not what generate wrote
    with pytest.raises(FileNotFoundError):
        restate(tmp_path, date(2024, 3, 4))


# ----------------------------------------------------------------------------- LinkedIn
def linkedin_folder(day: date, *, lag: int = 1, seed: int = 7, scale: int = 1) -> dict[str, object]:
    from orchestration.sample import linkedin_ads

    content, _ = linkedin_ads.files(seed, scale, day, lag)
    return {name: json.loads(data) for name, data in content.items()}


def test_linkedin_files_are_the_marketing_api_responses() -> None:
    folder = linkedin_folder(date(2024, 3, 5))
    account_ids = {name.rsplit("_", 1)[1] for name in folder}
    assert sorted(name.rsplit("_", 1)[0] for name in folder) == [
        "ad_accounts",
        "ad_analytics",
        "ad_campaigns",
        "creatives",
    ]
    analytics = next(v for k, v in folder.items() if k.startswith("ad_analytics"))
    account = next(v for k, v in folder.items() if k.startswith("ad_accounts"))
    campaigns = next(v for k, v in folder.items() if k.startswith("ad_campaigns"))["elements"]
    pages = next(v for k, v in folder.items() if k.startswith("creatives"))
    assert account["currency"] == "GBP" and account_ids == {f"{account['id']}.json"}
    assert len(pages) == 2 and "nextPageToken" in pages[0]["metadata"] and pages[1]["metadata"] == {}
    creatives = {c["id"]: c for page in pages for c in page["elements"]}
    formats = {c["id"]: c["format"] for c in campaigns}
    assert sorted(formats.values()) == ["CAROUSEL", "SINGLE_VIDEO", "STANDARD_UPDATE"]
    assert {c["account"] for c in campaigns} == {f"urn:li:sponsoredAccount:{account['id']}"}
    impressions = clicks = landing = 0
    for e in analytics["elements"]:
        assert e["dateRange"]["start"] == e["dateRange"]["end"] == {"year": 2024, "month": 3, "day": 5}
        [urn] = e["pivotValues"]
        campaign_id = int(creatives[urn]["campaign"].rsplit(":", 1)[1])
        assert isinstance(e["costInLocalCurrency"], str) and float(e["costInLocalCurrency"]) > 0
        assert e["landingPageClicks"] <= e["clicks"]
        assert e["externalWebsiteConversions"] == (
            e["externalWebsitePostClickConversions"] + e["externalWebsitePostViewConversions"]
        )
        if formats[campaign_id] == "SINGLE_VIDEO":
            assert e["videoStarts"] > e["videoViews"] > e["videoCompletions"] > 0
        else:  # LinkedIn reports 0 video metrics for an image ad
            assert e["videoStarts"] == e["videoViews"] == e["videoCompletions"] == 0
        impressions += e["impressions"]
        clicks += e["clicks"]
        landing += e["landingPageClicks"]
    assert 0.003 <= clicks / impressions <= 0.008 and landing < clicks


def test_linkedin_conversions_mature_and_delivery_stays() -> None:
    day = date(2024, 3, 5)

    def elements(lag: int) -> list[dict]:
        return next(v for k, v in linkedin_folder(day, lag=lag).items() if k.startswith("ad_analytics"))["elements"]

    young, old = elements(1), elements(10_000)
    for a, b in zip(young, old):
        assert (a["pivotValues"], a["impressions"], a["clicks"], a["costInLocalCurrency"]) == (
            b["pivotValues"],
            b["impressions"],
            b["clicks"],
            b["costInLocalCurrency"],
        )
        assert a["externalWebsitePostClickConversions"] <= b["externalWebsitePostClickConversions"]
    assert sum(e["externalWebsiteConversions"] for e in young) <= sum(e["externalWebsiteConversions"] for e in old)


def test_linkedin_generated_files_parse_with_zero_rejects() -> None:
    from orchestration.ingestion.parsers import linkedin_ads as parser
    from orchestration.sample import linkedin_ads

    for day in (date(2024, 3, 1), date(2024, 3, 2)):
        content, records = linkedin_ads.files(7, 2, day, 1)
        results = [parser.parse(data, file_name=name, report_date=day) for name, data in content.items()]
        assert all(r.rejects == [] and r.warnings == [] for r in results)
        assert sum(r.records_read for r in results) == sum(len(r.tables["elements"]) for r in results) == records
        assert len(next(r for r in results if r.tables["ad_analytics"]).tables["ad_analytics"]) == 10  # 5 x scale 2


def test_ga4_gains_linkedin_sessions_only_beside_linkedin_and_keeps_every_other_event() -> None:
    from orchestration.sample import ga4

    day = date(2024, 3, 5)

    def lines(generated: tuple[str, ...]) -> list[str]:
        (data,) = ga4.files(7, 1, day, 1, generated=generated)[0].values()
        return gzip.decompress(data).decode("utf-8").splitlines()

    without, beside = lines(("ga4",)), lines(("ga4", "linkedin_ads"))
    assert without == lines(())
    assert not any("li_fat_id" in line for line in without)
    known = set(without)
    assert [line for line in beside if line in known] == without  # same events, same order
    added = [json.loads(line) for line in beside if line not in known]
    sessions = [e for e in added if e["event_name"] == "session_start"]
    assert sessions and len(added) == len(beside) - len(without)
    for e in sessions:
        q = query(e)
        assert (q["utm_source"], q["utm_medium"]) == ("linkedin", "paid_social") and len(q["li_fat_id"]) == 36
        assert e["collected_traffic_source"]["manual_source"] == "linkedin"
    ids = [
        e["ecommerce"]["transaction_id"]
        for e in json.loads("[" + ",".join(without) + "]")
        if e["event_name"] == "purchase"
    ]
    new_ids = {e["ecommerce"]["transaction_id"] for e in added if e["event_name"] == "purchase"}
    assert not new_ids & set(ids)  # numbered after the day's other purchases


# ----------------------------------------------------------------------------- the parsers read it all
@pytest.mark.parametrize("source", ALL_SOURCES)
def test_every_generated_file_parses_with_zero_rejects(landing: Path, source: str) -> None:
    try:
        parser = importlib.import_module(f"orchestration.ingestion.parsers.{source}")
    except ModuleNotFoundError:
        pytest.skip(f"parser orchestration.ingestion.parsers.{source} does not exist yet")
    read = loaded = 0
    for day in DAYS:
        for path in files(landing, source, day):
            result = parser.parse(path.read_bytes(), file_name=path.name, report_date=day)
            assert result.rejects == [], (path, result.rejects[:3])
            read += result.records_read
            loaded += len(result.tables[parser.PRIMARY_TABLE])
    assert read == loaded > 0
