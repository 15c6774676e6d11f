"""Parser throughput in MB/s (uncompressed input), columnar ``parse`` against the per-record reference.

    python -m orchestration.bench.parse_throughput [--scales 1 5] [--repeat 3] [--single-thread]

Generates one day of sample GA4 and Google Ads exports per scale in a temporary folder, then
times ``parse`` and ``parse_reference`` of each file (best of ``--repeat``), and
``ingest_partition`` (parse, Arrow tables, Parquet write) of the GA4 day. ``--single-thread``
sets pyarrow's CPU and I/O pools to one thread (the per-core figure).
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
import time
from datetime import date
from pathlib import Path

import pyarrow as pa

DAY = date(2024, 3, 1)


def _best(function, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--single-thread", action="store_true")
    args = parser.parse_args(argv)
    if args.single_thread:
        pa.set_cpu_count(1)
        pa.set_io_thread_count(1)

    from orchestration.ingestion import pipeline
    from orchestration.ingestion.lake import Lake
    from orchestration.sample.generate import generate

    print(f"pyarrow threads: {pa.cpu_count()}")
    for scale in args.scales:
        with tempfile.TemporaryDirectory() as tmp:
            landing = Path(tmp) / "landing"
            generate(landing, DAY, DAY, scale=scale, sources=("ga4", "google_ads"))
            for source in ("ga4", "google_ads"):
                module = pipeline.source_module(source)
                for path in sorted((landing / source / DAY.isoformat()).iterdir()):
                    data = path.read_bytes()
                    size = len(gzip.decompress(data)) if path.name.endswith(".gz") else len(data)
                    mb = size / 1e6
                    times = {}
                    for name in ("parse_reference", "parse"):
                        function = getattr(module, name, None)
                        if function is None:
                            continue
                        times[name] = _best(
                            lambda f=function, d=data, n=path.name: f(d, file_name=n, report_date=DAY), args.repeat
                        )
                    figures = ", ".join(f"{name} {mb / seconds:6.1f} MB/s" for name, seconds in times.items())
                    print(f"scale {scale} {source}/{path.name} ({mb:.2f} MB): {figures}")
            size = sum(len(gzip.decompress(p.read_bytes())) for p in (landing / "ga4" / DAY.isoformat()).iterdir())
            lake = Lake(Path(tmp) / "lake")
            seconds = _best(
                lambda landing=landing, lake=lake: pipeline.ingest_partition(
                    source="ga4", day=DAY, landing_dir=landing, lake=lake, force=True
                ),
                args.repeat,
            )
            print(f"scale {scale} ingest_partition ga4 ({size / 1e6:.2f} MB): {size / 1e6 / seconds:6.1f} MB/s")


if __name__ == "__main__":
    main()
