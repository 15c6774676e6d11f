"""``adwh pull --source S --start D --end D``: pull exports into landing/ without ingesting.

It calls the clients directly (``orchestration.pull.runner``), the same code the Dagster pull
assets run, without a Dagster run: pulling needs neither the instance nor the warehouse run
lock (landing writes are atomic, and an identical re-pull leaves the file untouched), and an
operator gets one line per file and per failure. The next ``adwh run`` / nightly run ingests
what landed. Exit status: 0 all pulled; 1 an account-day failed or a date was not pulled (the
e-mail platforms' as-of-call rule); 2 a configuration error.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from orchestration.pull import PLATFORMS, configured_sources
from orchestration.pull.http import PullConfigError, scrub
from orchestration.pull.runner import pull_source


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "pull",
        help="pull the platforms' exports for report dates START..END into landing/ (no ingest)",
        description="Pull the exports of the sources whose credentials are set (docs/connect-accounts.md).",
    )
    parser.add_argument(
        "--source",
        action="append",
        default=None,
        help=f"source to pull ({', '.join(PLATFORMS)}); repeat or comma-separate; default: all with credentials",
    )
    parser.add_argument("--start", type=_date, required=True)
    parser.add_argument("--end", type=_date, required=True)
    return parser


class _Printer:
    """A logger-like sink for the runner: info to stdout, warnings and errors to stderr, redacted."""

    def info(self, message: str) -> None:
        print(scrub(message), flush=True)

    def warning(self, message: str) -> None:
        print(scrub(message), file=sys.stderr, flush=True)

    error = warning


def _sources(args: argparse.Namespace, settings: Any) -> list[str]:
    if not args.source:
        found = list(configured_sources(settings.sources))
        if not found:
            raise PullConfigError(
                "no source has credentials set (see .env.example and docs/connect-accounts.md); nothing to pull"
            )
        return found
    names = [name.strip() for value in args.source for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in PLATFORMS]
    if unknown:
        raise PullConfigError(f"--source {', '.join(unknown)}: no API pull; pullable: {', '.join(PLATFORMS)}")
    return list(dict.fromkeys(names))


def run(args: argparse.Namespace, settings: Any) -> int:
    if args.end < args.start:
        print(f"adwh: --end {args.end} is before --start {args.start}", file=sys.stderr)
        return 2
    days = [date.fromordinal(n) for n in range(args.start.toordinal(), args.end.toordinal() + 1)]
    log = _Printer()
    try:
        sources = _sources(args, settings)
    except PullConfigError as exc:
        print(f"adwh: {scrub(str(exc))}", file=sys.stderr)
        return 2
    status = 0
    for source in sources:
        try:
            report = pull_source(
                source, days, landing_dir=settings.landing_dir, timezone_name=settings.schedule_timezone, log=log
            )
        except PullConfigError as exc:
            print(f"adwh: {source}: {scrub(str(exc))}", file=sys.stderr)
            status = 2
            continue
        print(
            f"{source}: {report.count('written')} written, {report.count('replaced')} replaced, "
            f"{report.count('unchanged')} unchanged, {len(report.errors)} failed, {len(report.not_pulled)} date(s) "
            f"not pulled ({report.requests} requests)"
        )
        if report.errors or report.not_pulled:
            status = max(status, 1)
    return status
