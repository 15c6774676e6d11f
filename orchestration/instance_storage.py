"""The Dagster instance's event log on SQLite, without a new engine, connection and fsync per event.

Dagster's ``SqliteEventLogStorage`` opens a new SQLAlchemy engine and SQLite connection for
every statement it runs, commits with SQLite's default ``synchronous=FULL`` and closes the
connection again (in WAL mode the last close checkpoints the WAL). A nightly run of adwh writes
a few thousand events (one materialisation per asset and partition), and profiling one on the
demo data showed two thirds of the run's wall time in that bookkeeping, not in ingestion or dbt
(``docs/benchmarks.md``, "Where a run's time goes").

This subclass changes only how connections are made, never what is stored:

- one engine per database file (the cross-run index and the run shards), kept open for the
  life of the storage; the least recently used run shards are closed beyond ``MAX_OPEN_SHARDS``
  so a long-lived webserver or daemon does not hold a file per run ever seen;
- ``PRAGMA synchronous=NORMAL`` on each connection: with the WAL journal Dagster already
  enables, a committed event survives the process being killed; only a power loss can roll
  back the last few commits (SQLite's documented trade-off), which for a run log is acceptable.

``adwh run`` (and so ``adwh demo`` and ``adwh bench``) opens its instance through
``pooled_instance_ref``: an instance whose ``dagster.yaml`` stores on SQLite (the default) gets
this event log, any other storage (PostgreSQL in production, ``deploy/dagster.yaml``) is left as
configured. ``dagster dev`` and the daemon read the same files with Dagster's own class (the
tables and rows are the same; ``tests/unit/test_instance_storage.py`` checks it), and writers in
several processes keep working: SQLite's WAL mode serialises them as before. It is not set in
``dagster.yaml`` because a configured class gets no instance folder from Dagster (``dagster dev``
without ``DAGSTER_HOME`` uses a temporary one) and would need a fixed path.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as db
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS  # type: ignore[attr-defined]
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData

MAX_OPEN_SHARDS = 8


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` with kept-open engines and ``synchronous=NORMAL`` (see the module)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, db.engine.Engine] = OrderedDict()
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: dict[str, Any]
    ) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> db.engine.Engine:
        """The shard's engine, opened on first use; called with ``_db_lock`` held (``_connect``)."""
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            db.event.listen(engine, "connect", _on_connect)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        while len(self._engines) > MAX_OPEN_SHARDS:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[db.engine.Connection]:  # type: ignore[override]
        with self._db_lock:
            engine = self._engine(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        with self._db_lock:  # the one lock every connection is made under
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
        super().dispose()


class PooledSqliteStorage(DagsterSqliteStorage):
    """Dagster's default SQLite storage (runs, schedules, event log in ``<base_dir>/history/…``)
    with the event log above; the files and their layout are Dagster's own."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data)
        self._event_log_storage.dispose()
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData, config_value: dict[str, Any]
    ) -> PooledSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)


def pooled_instance_ref(ref: InstanceRef) -> InstanceRef:
    """``ref`` with the pooled SQLite storage when it stores on Dagster's default SQLite storage;
    any other storage (PostgreSQL, MySQL, a custom class) unchanged."""
    data = ref.storage_data
    if data is None or (data.module_name, data.class_name) != (
        "dagster._core.storage.sqlite_storage",
        "DagsterSqliteStorage",
    ):
        return ref
    pooled = ConfigurableClassData(__name__, PooledSqliteStorage.__name__, data.config_yaml)
    return ref._replace(storage_data=pooled)
