"""The operator's job in a real browser: `dagster dev` (webserver + daemon) on loopback over the
hand-written landing folder, driven by headless Chromium (Debian's `chromium`, through Playwright
with the system browser as executable; no browser download).

Steps, each with a screenshot in ``test-artifacts/browser/`` (or ``$ADWH_TEST_ARTIFACTS``):
open the global asset lineage (dismissing Dagster's first-visit community dialog), select every
asset (the selection ``*``), click *Materialize all*, type a date range into the partition dialog,
launch the backfill, and wait on the backfill page until its status is *Succeeded*. Then the
backfill (over GraphQL) must have targeted exactly those dates and every asset, and the analyst
database must hold exactly those report dates with the values worked out by hand from the
fixture files (tests/e2e/test_pipeline_handmade.py, EXPECTED).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import REPO_ROOT
from tests.browser.dagster_dev import DagsterDev, graphql
from tests.e2e.test_pipeline_handmade import EXPECTED
from tests.paths import HANDMADE_LANDING

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None)
if CHROMIUM is None:
    pytest.skip(
        "Debian's chromium is not installed (`apt-get install chromium`; .ci/run installs it): "
        "the browser test drives the system browser, Playwright's own download is not used",
        allow_module_level=True,
    )

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402  (after the skip: needs the browser)

# The fixture's report dates; the partitions start a few days earlier, so that the range picked in
# the dialog is a strict subset of the partitions (days before it must stay untouched).
FIRST, LAST = date(2024, 3, 1), date(2024, 3, 2)
PARTITIONS_START = date(2024, 2, 27)
BACKFILL_TIMEOUT = 900  # upper bound only, so a broken build fails instead of hanging (about 2 min on a quiet machine)
UI_TIMEOUT_MS = 30_000
# Playwright's web-first assertions wait 5 s by default, independently of the page's default
# timeout: under a full parallel suite (Spark and PostgreSQL tests beside this one) the launch
# dialog took longer than that to show the picked range's partition count. Same assertions, the
# same patience as the page's actions.
expect.set_options(timeout=UI_TIMEOUT_MS)


def artifacts_dir() -> Path:
    root = os.environ.get("ADWH_TEST_ARTIFACTS")
    folder = Path(root) / "browser" if root else REPO_ROOT / "test-artifacts" / "browser"
    if folder.exists():
        shutil.rmtree(folder)  # this run's screenshots only
    folder.mkdir(parents=True)
    return folder


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("browser")
    shutil.copytree(HANDMADE_LANDING, root / "landing")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")  # the daemon runs the backfill with it
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ADWH_", "DAGSTER_"))}
    env.update(
        {
            "ADWH_DATA_DIR": str(root / "data"),
            "ADWH_LANDING_DIR": str(root / "landing"),
            "ADWH_LAKE_DIR": str(root / "lake"),
            "ADWH_WAREHOUSE": str(root / "warehouse.duckdb"),
            "ADWH_ANALYST_DB": str(root / "analyst.duckdb"),
            "ADWH_START_DATE": PARTITIONS_START.isoformat(),
            # the sources the fixture has exports of (every one of them expected in EXPECTED or ga4)
            "ADWH_SOURCES": ",".join(sorted(p.name for p in HANDMADE_LANDING.iterdir() if p.is_dir())),
            "ADWH_REPORTING_CURRENCY": "USD",
            "ADWH_PII_SALT": "browser-test-salt-0123456789abcdef",
            "ADWH_PULL_SOURCES": "none",  # offline: no pull assets even if the caller has API tokens set
            "DAGSTER_HOME": str(home),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return root, env


@pytest.fixture(scope="module")
def dagster_dev(workspace):
    root, env = workspace
    dev = DagsterDev.start(env, root / "dagster-dev.log")
    try:
        dev.wait_ready()
        yield dev
    finally:
        dev.stop()
        folder = os.environ.get("ADWH_TEST_ARTIFACTS")
        logs = Path(folder) / "browser" if folder else REPO_ROOT / "test-artifacts" / "browser"
        if logs.is_dir():
            shutil.copyfile(root / "dagster-dev.log", logs / "dagster-dev.log")


MATERIALIZABLE_QUERY = "{ assetNodes { assetKey { path } isMaterializable } }"
BACKFILL_QUERY = """
query ($id: String!) { partitionBackfillOrError(backfillId: $id) {
  __typename
  ... on PartitionBackfill { status partitionNames assetSelection { path } }
  ... on PythonError { message }
} }
"""
RUNS_QUERY = """
query ($id: String!) { runsOrError(filter: {tags: [{key: "dagster/backfill", value: $id}]}) {
  ... on Runs { results { runId status
    eventConnection { events { __typename
      ... on ExecutionStepFailureEvent { stepKey error { message } }
      ... on EngineEvent { message error { message } } } } } }
} }
"""


def _failures(base_url: str, backfill_id: str) -> str:
    """The errors of the backfill's runs (for the assertion message)."""
    lines = []
    for run in graphql(base_url, RUNS_QUERY, {"id": backfill_id})["runsOrError"]["results"]:
        lines.append(f"run {run['runId']}: {run['status']}")
        for event in run["eventConnection"]["events"]:
            if event.get("error"):
                lines.append(f"  {event.get('stepKey', '')} {event['error']['message'][:2000]}")
    return "\n".join(lines)


def _shot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _backfill_status(page: Page) -> str:
    """The tag under the "Status" label of the backfill overview ("In progress", "Succeeded", ...)."""
    block = page.get_by_text("Status", exact=True).first.locator("xpath=..")
    return block.inner_text().replace("Status", "", 1).strip()


def test_backfill_launched_in_the_ui_builds_the_marts_of_the_picked_dates(workspace, dagster_dev):
    root, env = workspace
    base = dagster_dev.base_url
    shots = artifacts_dir()
    materializable = [n for n in graphql(base, MATERIALIZABLE_QUERY)["assetNodes"] if n["isMaterializable"]]
    picked = f"[{FIRST.isoformat()}...{LAST.isoformat()}]"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(UI_TIMEOUT_MS)
            dismissed = []
            # Dagster's first-visit "Join the Dagster community" dialog (remembered in DAGSTER_HOME/.nux,
            # so it shows on this fresh instance): skipped whenever it covers the page.
            page.add_locator_handler(
                page.get_by_text("Join the Dagster community"),
                lambda _: (page.get_by_role("button", name="Skip").click(), dismissed.append(True)),
            )

            # 1. The global asset lineage.
            page.goto(f"{base}/asset-groups", wait_until="networkidle")
            expect(page.get_by_text("Global asset lineage")).to_be_visible()
            # (the button's accessible name starts with its icon's label, "materialization")
            materialize_all = page.get_by_role("button", name=re.compile(r"Materialize all"))
            expect(materialize_all).to_be_visible()
            _shot(page, shots, "01-lineage")

            # 2. Every asset: the asset selection `*` in the lineage's search box.
            selection = page.get_by_role("textbox", name="Search and filter assets")
            selection.focus()
            page.keyboard.type("*")
            page.keyboard.press("Enter")
            expect(page).to_have_url(re.compile(r"/asset-groups~\*"))
            _shot(page, shots, "02-all-assets-selected")

            # 3. Materialize -> the launch dialog of a partitioned selection, for every asset.
            materialize_all.click()
            dialog = page.get_by_role("dialog").filter(has_text="Launch runs to materialize")
            expect(dialog).to_be_visible()
            title = dialog.get_by_text(re.compile(r"^Launch runs to materialize \d+ assets$"))
            count = int(re.search(r"(\d+) assets", title.inner_text()).group(1))
            assert count == len(materializable), (
                f"dialog materializes {count} assets, the code location has {len(materializable)}"
            )
            _shot(page, shots, "03-launch-dialog")

            # 4. The date range: the dialog shows the last 90 days until asked for all of them.
            show_all = dialog.get_by_text("Show all partitions")
            if show_all.is_visible():
                show_all.click()
            dialog.get_by_role("textbox").fill(picked)
            dialog.get_by_role("textbox").press("Enter")
            days = (LAST - FIRST).days + 1
            expect(dialog.get_by_text(f"{days} partitions", exact=True)).to_be_visible()
            _shot(page, shots, "04-date-range-picked")

            # 5. Launch: a toast links to the new backfill's page.
            dialog.get_by_role("button", name="Launch backfill").click()
            toast = page.locator("li").filter(has_text=re.compile(r"Created backfill \w+"))
            expect(toast).to_be_visible()
            backfill_id = re.search(r"Created backfill (\w+)", toast.inner_text()).group(1)
            _shot(page, shots, "05-backfill-launched")
            toast.get_by_role("link", name="View").click()
            expect(page).to_have_url(re.compile(rf"/runs/b/{backfill_id}"))
            expect(page.get_by_text(f"{FIRST.isoformat()}...{LAST.isoformat()}")).to_be_visible()
            _shot(page, shots, "06-backfill-page")

            # 6. Wait on the backfill page (it refreshes itself) until the backfill ends.
            deadline = time.monotonic() + BACKFILL_TIMEOUT
            next_shot = time.monotonic() + 30
            status = _backfill_status(page)
            while status in ("In progress", "Canceling", "Failing") or not status:
                assert time.monotonic() < deadline, (
                    f"backfill {backfill_id} still {status!r} after {BACKFILL_TIMEOUT} s:\n"
                    f"{_failures(base, backfill_id)}\n{dagster_dev.output()}"
                )
                if time.monotonic() > next_shot:
                    _shot(page, shots, "07-backfill-in-progress")
                    next_shot = time.monotonic() + 30
                page.wait_for_timeout(2000)
                status = _backfill_status(page)
            _shot(page, shots, f"08-backfill-{status.lower().replace(' ', '-')}")
            assert status == "Succeeded", f"backfill {backfill_id} ended {status!r}:\n{_failures(base, backfill_id)}"
        finally:
            browser.close()

    # What the UI launched, read back over GraphQL: the picked dates, every asset, all runs succeeded.
    backfill = graphql(base, BACKFILL_QUERY, {"id": backfill_id})["partitionBackfillOrError"]
    assert backfill["__typename"] == "PartitionBackfill", backfill
    assert backfill["status"] == "COMPLETED_SUCCESS", backfill["status"]
    wanted = [(FIRST + timedelta(days=i)).isoformat() for i in range(days)]
    assert sorted(backfill["partitionNames"]) == wanted
    assert sorted(tuple(a["path"]) for a in backfill["assetSelection"]) == sorted(
        tuple(n["assetKey"]["path"]) for n in materializable
    )
    runs = graphql(base, RUNS_QUERY, {"id": backfill_id})["runsOrError"]["results"]
    assert runs and all(r["status"] == "SUCCESS" for r in runs), _failures(base, backfill_id)

    # The marts of those dates, against the values worked out by hand from the landing files.
    con = duckdb.connect(env["ADWH_ANALYST_DB"], read_only=True)
    try:
        dates = [
            r[0] for r in con.execute("select distinct report_date from marts.fct_ad_performance_daily").fetchall()
        ]
        assert sorted(dates) == [FIRST + timedelta(days=i) for i in range(days)]
        got = {
            (r[0], r[1]): r[2:]
            for r in con.execute(
                """select platform, report_date, sum(impressions), sum(clicks), sum(all_clicks), sum(spend),
                          sum(conversions_click_through), sum(conversions_view_through),
                          sum(conversion_value_click_through), sum(conversion_value_view_through),
                          sum(deliveries), sum(conversions_unsplit)
                   from marts.fct_ad_performance_daily group by 1, 2"""
            ).fetchall()
        }
        campaign_dates = con.execute(
            "select min(report_date), max(report_date) from marts.mart_campaign_performance_daily"
        ).fetchone()
    finally:
        con.close()
    assert set(got) == set(EXPECTED), sorted(got)
    names = ["impressions", "clicks", "all_clicks", "spend", "conv_ct", "conv_vt", "value_ct", "value_vt"]
    names += ["deliveries", "unsplit"]
    for key, expected in EXPECTED.items():
        for name, actual, want in zip(names, got[key], expected):
            if want is None:
                if name != "spend":  # spend None in EXPECTED = two currencies, not summed by hand
                    assert actual is None, f"{key} {name}: expected NULL, got {actual}"
                continue
            assert actual is not None and abs(float(actual) - float(want)) < 1e-6, f"{key} {name}: {actual} != {want}"
    assert campaign_dates == (FIRST, LAST)
