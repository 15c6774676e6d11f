"""How the dbt tests hand dbt its vars: the way the orchestration layer does.

dbt learns which sources are switched on from ``--vars {"<source>_enabled": bool, ...}``
(``orchestration.warehouse.dbt_args.source_vars``, one var per source of the registry), and
the incremental window from ``min_date`` / ``max_date`` in the same ``--vars``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from orchestration.registry import ALL_SOURCES
from orchestration.warehouse.dbt_args import source_vars, vars_arg


def with_source_vars(args: list[str], sources: Iterable[str] = ALL_SOURCES) -> list[str]:
    """``args`` with one ``--vars``: the source switches for ``sources`` merged with the
    ``--vars`` already in ``args`` (e.g. the window ``min_date`` / ``max_date``)."""
    args = list(args)
    vars_: dict = dict(source_vars(sources))
    if "--vars" in args:
        at = args.index("--vars")
        vars_.update(json.loads(args[at + 1]))
        del args[at : at + 2]
    return [*args, *vars_arg(vars_)]
