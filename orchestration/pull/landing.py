"""Write one pulled export into ``<landing>/<source>/<YYYY-MM-DD>/<name>`` (no Dagster here).

- Byte-identical content leaves the file untouched (ingest then finds the partition
  unchanged and skips it); different content replaces it (a restatement).
- On a file system the new content goes to a hidden temp file in the same folder
  (``.<name>.<random>.tmp``: ingest skips hidden files), is fsynced, and is renamed over
  the old file, so a reader sees the old or the new file, never half of one.
- On object storage (``s3://``, ``gs://`` through fsspec / universal-pathlib) one PUT of
  the whole object is atomic by the store's own semantics (readers see the old or the new
  object); there is no rename to do.
"""

from __future__ import annotations

import os
import uuid
from datetime import date
from pathlib import Path
from typing import Any

WRITTEN, REPLACED, UNCHANGED = "written", "replaced", "unchanged"


def is_local(path: Any) -> bool:
    return isinstance(path, Path)


def landing_file(landing_dir: Any, source: str, day: date, name: str) -> Any:
    return landing_dir / source / day.isoformat() / name


def write_landing_file(landing_dir: Any, source: str, day: date, name: str, data: bytes) -> tuple[str, Any]:
    """Write ``data`` as the landing file; returns (``written`` | ``replaced`` | ``unchanged``, path)."""
    if name.startswith(".") or "/" in name:
        raise ValueError(f"landing file name must be a plain, visible name: {name!r}")
    target = landing_file(landing_dir, source, day, name)
    existed = target.exists()
    if existed and target.read_bytes() == data:
        return UNCHANGED, target
    if is_local(target):
        _write_local_atomically(target, data)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)  # a single PUT: atomic on S3 / GCS
    return (REPLACED if existed else WRITTEN), target


def _write_local_atomically(target: Path, data: bytes) -> None:
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".{target.name}.{uuid.uuid4().hex}.tmp"
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
