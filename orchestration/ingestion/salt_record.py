"""The lake's record of the PII salt: one salt for every hashed partition, or a refusal.

Personal values are stored as ``sha256(salt + value)`` (``parsers/pii.py``). Two partitions
hashed with two salts give one person two identities: attribution paths split silently.
A run only touches the partitions of its date range, so re-ingesting "the partitions of this
run" after a salt change is not enough. Hence a lake-level record, checked before any write
of a source whose parser hashes personal data (found from its imports, see
``pipeline.parser_settings``)::

    <lake>/_pii_salt.json   {"setting": "ADWH_PII_SALT", "digest": "<16 hex>", "recorded_at": "..."}

It holds ``pii.salt_digest(salt)`` (never the salt) and is written atomically (temporary file,
fsync, then a hard link that fails if another writer was first, or a rename when replaced).

- No record yet: the manifests of the hashed partitions already in the lake are read; a
  digest different from the current salt's is refused (the record was lost, the salt changed);
  partitions written before salts were recorded carry no digest and are assumed to use the
  current salt (with a warning). Then the record is written.
- Record with another digest: refused (``PiiSaltError``), naming the variable and the two ways
  out: restore the previous ``ADWH_PII_SALT``, or re-hash the whole history with the new one
  (``python -m orchestration.ingestion.salt_record rehash``).
- Re-hash (``pipeline.rehash_pii_history``): first checks that every hashed partition still has
  its landing folder (else refuses, nothing written), records ``{"digest": new,
  "rotating_from": old}``, re-ingests every hashed partition of the lake with the new salt,
  then drops ``rotating_from``. While ``rotating_from`` is there (an interrupted re-hash) every
  ordinary ingestion of a hashed source is refused; running the re-hash again finishes it
  (partitions already re-hashed are unchanged and skipped).
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestration.ingestion.parsers.pii import PII_SALT_ENV

RECORD = "_pii_salt.json"
REHASH_COMMAND = "python -m orchestration.ingestion.salt_record rehash"


class PiiSaltError(RuntimeError):
    """The current ADWH_PII_SALT does not match the salt of the lake's hashed partitions."""


def record_path(lake_root: Path) -> Path:
    return Path(lake_root) / RECORD


def read(lake_root: Path) -> dict[str, Any] | None:
    path = record_path(lake_root)
    if not path.exists():
        return None
    return json.loads(path.read_text())


def _record(digest: str, **extra: Any) -> dict[str, Any]:
    return {
        "setting": PII_SALT_ENV,
        "digest": digest,
        "note": "a digest of the salt (orchestration.ingestion.parsers.pii.salt_digest), never the salt",
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **extra,
    }


def _write_temp(lake_root: Path, record: dict[str, Any]) -> Path:
    root = Path(lake_root)
    root.mkdir(parents=True, exist_ok=True)
    temp = root / f".{RECORD}.{uuid.uuid4().hex}.tmp"
    with open(temp, "w") as handle:
        handle.write(json.dumps(record, indent=2, sort_keys=True))
        handle.flush()
        os.fsync(handle.fileno())
    return temp


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create(lake_root: Path, digest: str) -> bool:
    """Write the record unless one exists (atomic, first writer wins); True when written here."""
    temp = _write_temp(lake_root, _record(digest))
    try:
        os.link(temp, record_path(lake_root))
    except FileExistsError:
        return False
    finally:
        temp.unlink(missing_ok=True)
    _fsync_dir(Path(lake_root))
    return True


def replace(lake_root: Path, digest: str, **extra: Any) -> None:
    """Replace the record atomically (used by the re-hash only)."""
    temp = _write_temp(lake_root, _record(digest, **extra))
    os.replace(temp, record_path(lake_root))
    _fsync_dir(Path(lake_root))


def mismatch_message(lake_root: Path, *, recorded: str, current: str, sources: Iterable[str], where: str) -> str:
    names = ", ".join(sources)
    return (
        f"{PII_SALT_ENV} has changed: the lake {lake_root} holds personal-data hashes ({names}) made with "
        f"another salt (salt digest {recorded}, {where}); the current {PII_SALT_ENV} has digest {current}. "
        "Writing with it would leave partitions hashed with two salts, so the same person would no longer "
        "join across them (attribution paths would split). Nothing was written. Either restore the previous "
        f"{PII_SALT_ENV}, or re-hash the whole history with the new salt: `{REHASH_COMMAND}` (re-ingests "
        f"every {names} partition of the lake from its landing folder; then rebuild the marts over the whole "
        "history)."
    )


def check(
    lake_root: Path,
    digest: str,
    *,
    sources: tuple[str, ...],
    manifests: Iterable[dict[str, Any]],
    rehashing: bool = False,
) -> list[str]:
    """Refuse (``PiiSaltError``) unless ``digest`` is the salt of every hashed partition of the lake.

    ``manifests``: the manifests of the hashed sources' partitions, read only when there is no
    record yet. ``rehashing``: the caller is the re-hash, which has recorded the new digest.
    Returns warnings (a lake from before salts were recorded).
    """
    record = read(lake_root)
    if record is not None:
        if "rotating_from" in record and not rehashing:
            raise PiiSaltError(
                f"an interrupted re-hash of the lake {lake_root}: some partitions of {', '.join(sources)} are hashed "
                f"with the salt of digest {record['rotating_from']}, others with the salt of digest {record['digest']}. "
                f"Nothing was written. Finish it with {PII_SALT_ENV} set to the new salt (digest {record['digest']}): "
                f"`{REHASH_COMMAND}`."
            )
        if record["digest"] != digest:
            raise PiiSaltError(
                mismatch_message(
                    lake_root,
                    recorded=record["digest"],
                    current=digest,
                    sources=sources,
                    where=f"recorded in {record_path(lake_root)}",
                )
            )
        return []

    found: Counter[str] = Counter()
    unrecorded = 0
    for manifest in manifests:
        recorded = (manifest.get("fingerprint") or {}).get("settings", {}).get(PII_SALT_ENV)
        if recorded is None:
            unrecorded += 1
        else:
            found[recorded] += 1
    others = sorted(d for d in found if d != digest)
    if others:
        raise PiiSaltError(
            mismatch_message(
                lake_root,
                recorded=others[0],
                current=digest,
                sources=sources,
                where=f"in the manifests of {sum(found[d] for d in others)} partition(s); "
                f"{record_path(lake_root)} is missing",
            )
        )
    if not create(lake_root, digest):
        return check(lake_root, digest, sources=sources, manifests=(), rehashing=rehashing)  # another writer was first
    if unrecorded:
        return [
            f"{PII_SALT_ENV}: the lake's {unrecorded} partition(s) of {', '.join(sources)} written before the salt was "
            f"recorded are assumed to be hashed with the current salt (digest {digest}, now recorded in "
            f"{record_path(lake_root)}); if the salt was changed since, re-hash them: `{REHASH_COMMAND}`"
        ]
    return []


def main(argv: list[str] | None = None) -> int:
    """``python -m orchestration.ingestion.salt_record rehash``: re-hash the whole lake with the
    current ``ADWH_PII_SALT`` (under the warehouse run lock, so no run writes meanwhile)."""
    args = sys.argv[1:] if argv is None else argv
    if args != ["rehash"]:
        print(f"usage: {REHASH_COMMAND}", file=sys.stderr)
        return 2
    from orchestration.ingestion.lake import Lake
    from orchestration.ingestion.pipeline import IngestError, rehash_pii_history
    from orchestration.security import redact
    from orchestration.settings import Settings
    from orchestration.warehouse.run_lock import warehouse_run_lock

    settings = Settings.from_env()
    with warehouse_run_lock(settings):
        try:
            reports = rehash_pii_history(landing_dir=settings.landing_dir, lake=Lake(settings.lake_dir))
        except IngestError as exc:
            print(f"adwh: re-hash failed: {redact(str(exc))}", file=sys.stderr)
            return 1
    rewritten = sum(r.status == "ingested" for r in reports)
    print(
        f"re-hashed {rewritten} partition(s) ({len(reports) - rewritten} already had the current salt); "
        "rebuild the marts over the whole history (adwh run --start <first day> --end <last day>)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
