"""`adwh report`: the file is produced, is self-contained (works offline), and every number of
every chart equals SQL written here, independently, over the marts of the snapshot."""

from __future__ import annotations

import argparse
import base64
import csv
import json
import re
import shutil
import subprocess
from collections import defaultdict
from html import escape as html_escape
from pathlib import Path

import duckdb
import numpy as np
import pytest
from plotly.offline import get_plotlyjs

from orchestration.report import cli as report_cli
from orchestration.report.build import ReportError, build_report
from orchestration.settings import REPO_ROOT, Settings

FIGURE_RE = re.compile(
    r'<script type="application/json" class="adwh-figure" data-figure="(?P<name>[a-z_]+)">(?P<json>.*?)</script>', re.S
)
MODELS = ["first_touch", "last_touch", "last_non_direct", "linear", "position_based", "time_decay", "markov", "shapley"]


# ----------------------------------------------------------------------------- helpers
def _html(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _decode(value):
    """plotly may encode numeric arrays as {"dtype", "bdata"} (base64): decode to a list."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).tolist()
    return value


def figures(html: str) -> dict[str, dict]:
    return {m["name"]: json.loads(m["json"]) for m in FIGURE_RE.finditer(html)}


def points(fig: dict) -> dict[tuple[str, str], float | None]:
    """(trace name, x) -> y of every bar / point of a figure."""
    out = {}
    for trace in fig["data"]:
        xs, ys = _decode(trace["x"]), _decode(trace["y"])
        assert len(xs) == len(ys)
        for x, y in zip(xs, ys, strict=True):
            key = (trace.get("name"), x)
            assert key not in out, f"duplicate point {key}"
            out[key] = y
    return out


def sql(db: Path, text: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(text).fetchall()
    finally:
        con.close()


def as_points(records: list[tuple]) -> dict[tuple[str, str], float | None]:
    """SQL rows (trace, x, y) -> the same shape as points()."""
    return {(str(r[0]), str(r[1])): (None if r[2] is None else float(r[2])) for r in records}


def assert_same(got: dict, expected: dict, name: str) -> None:
    assert expected, f"{name}: the marts have no rows for this chart (the fixture built too little?)"
    assert set(got) == set(expected), f"{name}: points differ: {set(got) ^ set(expected)}"
    for key, value in expected.items():
        if value is None:
            assert got[key] is None, (name, key)
        else:
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-9), (name, key, got[key], value)


@pytest.fixture(scope="module")
def page(report_path) -> str:
    return _html(report_path)


@pytest.fixture(scope="module")
def figs(page) -> dict[str, dict]:
    return figures(page)


# ----------------------------------------------------------------------------- produced / offline
def test_report_file_is_one_complete_html_page(report_path, page, figs):
    assert report_path.exists() and report_path.stat().st_size > 1_000_000  # plotly.js is inside
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    for section in ("ctr", "spend", "touch", "attribution", "claims", "freshness"):
        assert f'<section id="{section}">' in page, section
    assert set(figs) == set(EXPECTED_SQL) | {"quarantine_by_source"}, "every chart must be checked below"
    for name in figs:
        assert f'<div class="figure" id="fig-{name}"></div>' in page, name


def _without_bundle(page: str) -> tuple[str, str]:
    """(the page with the inlined plotly.js bundle cut out, the bundle)."""
    start = page.index('<script type="text/javascript">') + len('<script type="text/javascript">')
    end = page.index("</script>", start)
    return page[:start] + page[end:], page[start:end]


def test_report_is_self_contained(page):
    rest, bundle = _without_bundle(page)
    # the one inlined script is plotly's own bundle, unchanged (it carries URL strings in its code,
    # e.g. map-tile hosts, that it fetches only for map / geo traces, which the report has none of)
    assert bundle == get_plotlyjs()
    for fig in figures(page).values():
        for trace in fig["data"]:
            assert trace.get("type", "scatter") in ("bar", "scatter"), trace.get("type")
    # no external resource anywhere else: no script/link/img/iframe sources, no CSS imports or urls
    for pattern in (
        r"<script[^>]*\bsrc\s*=",
        r"<link\b",
        r"<img\b",
        r"<iframe\b",
        r"<object\b",
        r"<embed\b",
        r"@import",
        r"url\(",
        r"\bsrc\s*=",
        r"https?://",
        r"//cdn|cdn\.plot\.ly|jsdelivr|unpkg|googleapis",
    ):
        assert not re.search(pattern, rest, re.I), (pattern, re.search(f".{{0,80}}{pattern}.{{0,80}}", rest, re.I))


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium (apt-get install chromium)")
def test_report_renders_offline_in_a_browser(report_path, figs, tmp_path):
    """Headless chromium with every network request sent to a dead proxy draws every chart."""
    proc = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--proxy-server=http://127.0.0.1:9",
            "--virtual-time-budget=20000",
            "--dump-dom",
            report_path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    for name in figs:
        # the chart's div is followed by its JSON: plotly's SVG must be drawn between the two
        start = dom.index(f'id="fig-{name}"')
        end = dom.index(f'data-figure="{name}"', start)
        assert 'class="main-svg"' in dom[start:end], f"chart {name} not drawn"


# ----------------------------------------------------------------------------- numbers = marts
WEEK = "strftime(date_trunc('week', report_date), '%Y-%m-%d')"
EXPECTED_SQL = {
    "ctr_weekly_by_platform": f"""
        select platform, {WEEK}, sum(clicks) * 1.0 / nullif(sum(impressions), 0)
        from marts.fct_ad_performance_daily group by 1, 2""",
    "ctr_weekly_by_channel": f"""
        select channel, {WEEK}, sum(clicks) * 1.0 / nullif(sum(impressions), 0)
        from marts.fct_ad_performance_daily group by 1, 2""",
    "spend_weekly_by_channel": f"""
        select channel, {WEEK}, sum(spend_reporting) from marts.fct_ad_performance_daily
        where channel in (select channel from marts.fct_ad_performance_daily group by 1 having sum(spend_reporting) > 0)
        group by 1, 2""",
    "cpc_cpm_by_platform_channel": """
        select 'CPC', platform || ' · ' || channel, sum(spend_reporting) / nullif(sum(clicks), 0)
        from marts.fct_ad_performance_daily group by platform, channel having sum(spend_reporting) > 0
        union all
        select 'CPM', platform || ' · ' || channel, sum(spend_reporting) * 1000 / nullif(sum(impressions), 0)
        from marts.fct_ad_performance_daily group by platform, channel having sum(spend_reporting) > 0""",
    "conversions_by_touch_type": """
        select touch_type, platform, sum(conversions) from marts.mart_conversions_by_touch_type
        where is_default_window group by 1, 2""",
    "conversions_by_window": """
        select touch_type, platform || ' · ' || attribution_window, sum(conversions)
        from marts.mart_conversions_by_touch_type group by touch_type, platform, attribution_window""",
    "attribution_conversions_by_model": """
        select model, channel, sum(attributed_conversions) from marts.mart_attribution group by 1, 2""",
    "attribution_roas_by_model": """
        select model, channel, sum(attributed_revenue) / sum(spend_reporting) from marts.mart_attribution
        group by 1, 2 having sum(spend_reporting) > 0""",
    "claims_vs_first_party": """
        select 'claimed by the platform', platform, sum(claimed_conversions_total)
        from marts.mart_platform_claims_reconciliation group by 2 having count(claimed_conversions_total) > 0
        union all
        select 'first-party (GA4, de-duplicated)', platform, sum(first_party_conversions)
        from marts.mart_platform_claims_reconciliation where claimed_conversions_total is not null group by 2""",
    "over_claim_ratio": """
        select 'over-claim ratio', platform, sum(claimed_conversions_total) / sum(first_party_conversions)
        from marts.mart_platform_claims_reconciliation where claimed_conversions_total is not null
        group by 2 having sum(first_party_conversions) > 0""",
    "over_claim_ratio_weekly": f"""
        select platform, {WEEK}, sum(claimed_conversions_total) / nullif(sum(first_party_conversions), 0)
        from marts.mart_platform_claims_reconciliation where claimed_conversions_total is not null group by 1, 2""",
    # video: per platform over the fact's video-measured rows (the mart's own rows are not used here)
    "video_view_rate_by_platform": """
        select 'view rate', platform, sum(video_views) * 1.0 / sum(impressions)
        from marts.fct_ad_performance_daily where video_views is not null group by 2""",
    "video_cost_per_view_by_platform": """
        select 'cost per view', platform, sum(spend_reporting) / sum(video_views)
        from marts.fct_ad_performance_daily where video_views is not null group by 2 having sum(video_views) > 0""",
    # completions over the impressions of the rows that report them (equal to the mart's per-campaign-day
    # figure where a campaign's video ads all report completions, as in the sample data)
    "video_completion_rate_by_platform": """
        select 'completion rate', platform, sum(video_completions) * 1.0 / sum(impressions)
        from marts.fct_ad_performance_daily where video_completions is not null group by 2""",
}


@pytest.mark.parametrize("name", sorted(EXPECTED_SQL))
def test_chart_numbers_equal_the_marts(name, figs, built):
    assert name in figs, f"chart {name} missing from the report"
    assert_same(points(figs[name]), as_points(sql(built.analyst_db, EXPECTED_SQL[name])), name)


def test_video_section_rates_and_definitions(page, figs, built):
    """Each platform's definition of a view stands in the table beside its view rate (from the fact)."""
    assert '<section id="video">' in page
    # the three platforms of the sample data measure video, each under its own definition
    with open(REPO_ROOT / "seeds" / "metric_definitions.csv", newline="") as handle:
        definitions = {
            r["platform"]: r["definition"] for r in csv.DictReader(handle) if r["unified_metric"] == "video_views"
        }
    shown = {platform for _, platform in points(figs["video_view_rate_by_platform"])}
    assert shown == {"google_ads", "meta_ads", "linkedin_ads"}
    for platform in shown:
        view_rate = sql(
            built.analyst_db,
            f"""select sum(video_views) * 1.0 / sum(impressions) from marts.fct_ad_performance_daily
                where video_views is not null and platform = '{platform}'""",
        )[0][0]
        cells = re.escape(html_escape(definitions[platform]))
        assert re.search(
            rf'<td class="txt">{platform}</td><td class="txt">{cells}</td><td class="txt">[^<]*</td>'
            rf'(<td class="num">[^<]*</td>){{2}}<td class="num">{view_rate * 100:.2f} %</td>',
            page,
        ), platform


def test_models_side_by_side_credit_the_same_conversions(figs, built):
    """Each model's bars add up to the same total: the day's first-party conversions."""
    per_model = defaultdict(float)
    for (model, _channel), value in points(figs["attribution_conversions_by_model"]).items():
        per_model[model] += value
    assert sorted(per_model) == sorted(MODELS)
    (first_party,) = sql(
        built.analyst_db,
        "select sum(t) from (select max(total_first_party_conversions) t"
        " from marts.mart_platform_claims_reconciliation group by report_date)",
    )[0]
    for model, total in per_model.items():
        assert total == pytest.approx(first_party, rel=1e-9), model


def test_quarantine_counts_equal_the_lake(figs, built):
    got = points(figs["quarantine_by_source"])
    lake = built.lake_dir
    expected = {}
    for source_dir in sorted((lake / "raw").iterdir()):
        files = sorted((lake / "quarantine" / source_dir.name).glob("report_date=*/rejects.parquet"))
        count = (
            duckdb.sql(f"select count(*) from read_parquet({[str(f) for f in files]!r})").fetchone()[0] if files else 0
        )
        expected[("rows quarantined", source_dir.name)] = float(count)
    assert_same(got, expected, "quarantine_by_source")


def test_headline_tiles_and_tables_show_ratios_of_sums(page, built):
    impressions, clicks, spend = sql(
        built.analyst_db,
        "select sum(impressions), sum(clicks), sum(spend_reporting) from marts.fct_ad_performance_daily",
    )[0]
    assert f'<div class="kpi-value">{clicks / impressions * 100:.3f} %</div><div class="kpi-label">CTR</div>' in page
    assert f'<div class="kpi-value">{impressions:,}</div><div class="kpi-label">impressions</div>' in page
    assert f"{spend:,.2f} USD" in page
    # the over-claim ratio column of the claims table
    for platform, ratio in sql(
        built.analyst_db,
        """select platform, sum(claimed_conversions_total) / sum(first_party_conversions)
           from marts.mart_platform_claims_reconciliation where claimed_conversions_total is not null
           group by 1 having sum(first_party_conversions) > 0""",
    ):
        assert re.search(
            rf'<td class="txt">{platform}</td>(<td class="num">[^<]*</td>){{5}}<td class="num">{ratio:.2f}×</td>', page
        ), platform


# ----------------------------------------------------------------------------- CLI and errors
def test_cli_writes_default_path_and_out(built, tmp_path, capsys):
    settings = Settings.from_env(
        {"ADWH_DATA_DIR": str(tmp_path), "ADWH_ANALYST_DB": str(built.analyst_db), "ADWH_LAKE_DIR": str(built.lake_dir)}
    )
    assert report_cli.run(argparse.Namespace(out=None), settings) == 0
    assert (tmp_path / "report.html").exists()
    assert "report written to" in capsys.readouterr().out
    out = tmp_path / "sub" / "r.html"
    assert report_cli.run(argparse.Namespace(out=out), settings) == 0
    assert out.exists() and not list(out.parent.glob(".report-*"))  # written atomically, no temp left


def test_cli_parser_has_report_with_out():
    parser = argparse.ArgumentParser(prog="adwh")
    sub = parser.add_subparsers(dest="command")
    report_cli.add_parser(sub)
    args = parser.parse_args(["report", "--out", "x.html"])
    assert args.command == "report" and args.out == Path("x.html")


def test_no_snapshot_is_a_clear_error(tmp_path, capsys):
    settings = Settings.from_env({"ADWH_DATA_DIR": str(tmp_path)})
    assert report_cli.run(argparse.Namespace(out=None), settings) == 2
    assert "no analyst snapshot" in capsys.readouterr().err
    with pytest.raises(ReportError):
        build_report(tmp_path / "missing.duckdb", tmp_path / "r.html")
    assert not (tmp_path / "report.html").exists()


def test_report_without_lake_still_builds(built, tmp_path):
    report = build_report(built.analyst_db, tmp_path / "r.html", lake_dir=tmp_path / "no-lake")
    page = _html(report.path)
    assert "freshness from the marts only" in page
    assert "quarantine_by_source" not in report.figures


def test_adwh_report_command(built, tmp_path, monkeypatch, capsys):
    from orchestration.cli import main

    monkeypatch.setenv("ADWH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ADWH_ANALYST_DB", str(built.analyst_db))
    monkeypatch.setenv("ADWH_LAKE_DIR", str(built.lake_dir))
    assert main(["report"]) == 0
    assert (tmp_path / "report.html").exists()
    assert main(["report", "--out", str(tmp_path / "x.html")]) == 0
    assert figures(_html(tmp_path / "x.html")).keys() == figures(_html(tmp_path / "report.html")).keys()
