"""Settings from the environment (docs/settings.md). Paths are resolved to absolute paths.

| variable | default | meaning |
|---|---|---|
| ADWH_DATA_DIR | ./data | parent of the defaults below |
| ADWH_LANDING_DIR | $ADWH_DATA_DIR/landing | native exports, `<source>/<YYYY-MM-DD>/<file>`; a path or an `s3://` / `gs://` URL |
| ADWH_LAKE_DIR | $ADWH_DATA_DIR/lake | Parquet raw layer and quarantine |
| ADWH_WAREHOUSE | $ADWH_DATA_DIR/warehouse.duckdb | DuckDB file written by dbt |
| ADWH_ANALYST_DB | beside $ADWH_WAREHOUSE: analyst.duckdb (or <name>.analyst.duckdb) | read-only snapshot analysts query |
| ADWH_REPORTING_CURRENCY | USD | currency of every *_reporting column |
| ADWH_START_DATE | 2024-01-01 | first daily partition |
| ADWH_SOURCES | every source of the registry | comma-separated sources switched on |
| ADWH_RESTATEMENT_DAYS | 28 | trailing window the nightly run re-processes |
| ADWH_RESTATEMENT_DAYS_<SOURCE> | ADWH_RESTATEMENT_DAYS | that source's window (e.g. ADWH_RESTATEMENT_DAYS_GOOGLE_ADS=90) |
| ADWH_SCHEDULE_TIMEZONE | UTC | time zone of the 02:00 nightly schedule |
| ADWH_DBT_TARGET | duckdb | profiles.yml target (`duckdb` or `spark`) |
| ADWH_SPARK_DIR | $ADWH_DATA_DIR/spark | target `spark`: the Spark warehouse (managed tables) and its Derby metastore |
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from orchestration.registry import ALL_SOURCES

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


class SettingsError(ValueError):
    """A setting in the environment is invalid; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    landing_dir: Path
    lake_dir: Path
    warehouse: Path
    analyst_db: Path
    reporting_currency: str
    start_date: date
    sources: tuple[str, ...]
    restatement_days: int
    schedule_timezone: str
    dbt_target: str
    spark_dir: Path
    # ADWH_RESTATEMENT_DAYS_<SOURCE> overrides (sources absent here use restatement_days)
    source_restatement_days: dict[str, int] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("ADWH_DATA_DIR") or "data").resolve()

        def path(var: str, default: Path) -> Path:
            return Path(env[var]).resolve() if env.get(var) else default

        currency = env.get("ADWH_REPORTING_CURRENCY") or "USD"
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise SettingsError(f"ADWH_REPORTING_CURRENCY must be an ISO 4217 code like USD, got {currency!r}")
        start_text = env.get("ADWH_START_DATE") or "2024-01-01"
        try:
            start = date.fromisoformat(start_text)
        except ValueError:
            raise SettingsError(f"ADWH_START_DATE must be YYYY-MM-DD, got {start_text!r}") from None
        sources = parse_sources(env.get("ADWH_SOURCES"))
        days_text = env.get("ADWH_RESTATEMENT_DAYS") or "28"
        if not days_text.isdigit() or int(days_text) < 1:
            raise SettingsError(f"ADWH_RESTATEMENT_DAYS must be a positive whole number, got {days_text!r}")
        per_source: dict[str, int] = {}
        for source in ALL_SOURCES:
            var = f"ADWH_RESTATEMENT_DAYS_{source.upper()}"
            text = (env.get(var) or "").strip()
            if text:
                if not text.isdigit() or int(text) < 1:
                    raise SettingsError(f"{var} must be a positive whole number, got {text!r}")
                per_source[source] = int(text)
        lake_text = env.get("ADWH_LAKE_DIR") or ""
        if is_url(lake_text):
            raise SettingsError(
                f"ADWH_LAKE_DIR={lake_text!r}: the lake must be a local or mounted file system path. dbt reads the "
                "lake with DuckDB, whose S3/GCS reader (the httpfs extension) is not part of the duckdb wheel and is "
                "downloaded from the internet on first use, and a lake partition is swapped in with renames, which "
                "object stores do not have. ADWH_LANDING_DIR may be an s3:// or gs:// URL (docs/settings.md)."
            )
        target = env.get("ADWH_DBT_TARGET") or "duckdb"
        if target not in ("duckdb", "spark"):
            raise SettingsError(f"ADWH_DBT_TARGET must be 'duckdb' or 'spark', got {target!r}")
        warehouse = path("ADWH_WAREHOUSE", data_dir / "warehouse.duckdb")
        landing_text = env.get("ADWH_LANDING_DIR") or ""
        return cls(
            data_dir=data_dir,
            landing_dir=url_path(landing_text)
            if is_url(landing_text)
            else path("ADWH_LANDING_DIR", data_dir / "landing"),
            lake_dir=path("ADWH_LAKE_DIR", data_dir / "lake"),
            warehouse=warehouse,
            analyst_db=path("ADWH_ANALYST_DB", default_analyst_db(warehouse)),
            reporting_currency=currency,
            start_date=start,
            sources=sources,
            restatement_days=int(days_text),
            schedule_timezone=env.get("ADWH_SCHEDULE_TIMEZONE") or "UTC",
            dbt_target=target,
            spark_dir=path("ADWH_SPARK_DIR", data_dir / "spark"),
            source_restatement_days=per_source,
        )

    @property
    def dbt_runs_dir(self) -> Path:
        """Where this data dir's dbt invocations write (one folder per invocation,
        ``adwh_dbt-<run>-<suffix>/``: compiled SQL, run_results.json, dbt.log) and the partial
        parse they hand on to the next run (orchestration/defs/dbt.py)."""
        return self.data_dir / "dbt"

    def restatement_days_for(self, source: str) -> int:
        """The nightly re-processing window of ``source`` (ADWH_RESTATEMENT_DAYS_<SOURCE>, else ADWH_RESTATEMENT_DAYS)."""
        return self.source_restatement_days.get(source, self.restatement_days)

    def dbt_env(self) -> dict[str, str]:
        """The environment dbt reads (profiles.yml and sources use these, always absolute)."""
        return {
            "ADWH_LAKE_DIR": str(self.lake_dir),
            "ADWH_WAREHOUSE": str(self.warehouse),
            "ADWH_SPARK_DIR": str(self.spark_dir),
            "ADWH_REPORTING_CURRENCY": self.reporting_currency,
            "ADWH_SOURCES": ",".join(self.sources),
        }

    def export(self) -> None:
        """Put the resolved values into os.environ so that dbt subprocesses see the same paths."""
        os.environ.update(self.dbt_env())
        # dagster-dbt looks `dbt` up on PATH: make the interpreter's own bin folder (the venv) win,
        # so `.venv/bin/adwh` works without an activated virtual environment.
        bin_dir = str(Path(sys.executable).parent)
        if os.environ.get("PATH", "").split(os.pathsep)[0] != bin_dir:
            os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
        for path in (self.landing_dir, self.lake_dir, self.warehouse.parent, self.analyst_db.parent):
            if isinstance(path, Path):  # an object-storage landing URL has no folders to make
                path.mkdir(parents=True, exist_ok=True)
        if self.dbt_target == "spark":
            self.spark_dir.mkdir(parents=True, exist_ok=True)
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # the in-process Spark binds to loopback only


_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(text: str) -> bool:
    """Whether a path setting is a URL (``s3://bucket/prefix``, ``gs://…``) rather than a file system path."""
    return bool(_URL.match(text or "")) and not text.startswith("file://")


def url_path(text: str) -> Any:
    """An object-storage URL as a universal-pathlib path (fsspec: s3fs for s3://, gcsfs for gs://).

    It supports what the landing readers and the pull use (``/``, ``exists``, ``is_dir``, ``iterdir``,
    ``read_bytes``, ``write_bytes``, ``name``). Credentials and endpoints come from the store's usual
    environment (``AWS_*``, ``AWS_ENDPOINT_URL_S3``; ``GOOGLE_APPLICATION_CREDENTIALS``)."""
    from upath import UPath

    return UPath(text.rstrip("/"))


def default_analyst_db(warehouse: Path) -> Path:
    """The snapshot of a warehouse lives beside it and is named after it, so two warehouses
    never publish over one snapshot: ``warehouse.duckdb`` -> ``analyst.duckdb`` (the default
    layout), ``prod.duckdb`` -> ``prod.analyst.duckdb``."""
    stem = warehouse.name.removesuffix(".duckdb")
    return warehouse.with_name("analyst.duckdb" if stem == "warehouse" else f"{stem}.analyst.duckdb")


def parse_sources(text: str | None) -> tuple[str, ...]:
    """``ADWH_SOURCES`` -> the enabled sources in canonical order; unknown names are an error."""
    if text is None or not text.strip():
        return ALL_SOURCES
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(names) - set(ALL_SOURCES))
    if unknown:
        raise SettingsError(
            f"ADWH_SOURCES names unknown source(s) {', '.join(unknown)}; known: {', '.join(ALL_SOURCES)}"
        )
    return tuple(source for source in ALL_SOURCES if source in names)


_active: list[Settings] = []


def current_settings() -> Settings:
    """The settings the Dagster definitions are built for: those given to ``use_settings``
    (the CLI and the tests), else the environment's (``dagster dev``, the code server)."""
    return _active[-1] if _active else Settings.from_env()


@contextmanager
def use_settings(settings: Settings) -> Iterator[Settings]:
    _active.append(settings)
    try:
        yield settings
    finally:
        _active.pop()
