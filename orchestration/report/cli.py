"""``adwh report [--out PATH]``: the static HTML report of the analyst snapshot (docs/report.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orchestration.settings import Settings


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "report",
        help="write one static, offline HTML report of the marts (default <data dir>/report.html)",
    )
    parser.add_argument("--out", type=Path, default=None, help="output file (default: <data dir>/report.html)")
    return parser


def run(args: argparse.Namespace, settings: Settings) -> int:
    from orchestration.report.build import ReportError, build_report

    out = (args.out or settings.data_dir / "report.html").resolve()
    try:
        report = build_report(settings.analyst_db, out, lake_dir=settings.lake_dir)
    except ReportError as exc:
        print(f"adwh report: {exc}", file=sys.stderr)
        return 2
    size_mb = report.path.stat().st_size / 1e6
    print(f"report written to {report.path} ({len(report.figures)} charts, {size_mb:.1f} MB, works offline)")
    return 0
