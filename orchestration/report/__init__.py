"""`adwh report`: one static, offline HTML file built from the analyst snapshot (docs/report.md).

- ``queries``      the SQL over the marts every figure and table is drawn from (ratios of sums)
- ``lake_status``  data freshness and quarantine counts per source, read from the lake's manifests
- ``build``        plotly figures + the self-contained HTML page (plotly.js inlined, no CDN)
- ``cli``          ``adwh report [--out PATH]``
"""

from orchestration.report.build import build_report

__all__ = ["build_report"]
