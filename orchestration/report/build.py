"""Build the static report: SQL over the analyst snapshot -> plotly figures -> one HTML file.

The page is self-contained and works offline: plotly.js is inlined once (no CDN, no
``<script src>``), every figure is embedded as plotly JSON in a
``<script type="application/json" class="adwh-figure" data-figure="NAME">`` element and
drawn by a few lines of inline JavaScript. The same JSON is what the tests parse back to
check that the numbers in the page equal the marts.
"""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import plotly
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from orchestration.report import queries as q
from orchestration.report.lake_status import SourceStatus, read_lake_status
from orchestration.warehouse.snapshot import connect_read_only

TEMPLATE = "plotly_white"
MODEL_LABELS = {
    "first_touch": "first touch",
    "last_touch": "last touch",
    "last_non_direct": "last non-direct",
    "linear": "linear",
    "position_based": "position-based",
    "time_decay": "time decay",
    "markov": "Markov",
    "shapley": "Shapley",
}


class ReportError(Exception):
    """The report cannot be built (no snapshot, no fact table)."""


@dataclass
class Section:
    key: str
    title: str
    intro: str
    figures: list[tuple[str, go.Figure]] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)  # rendered HTML
    missing: str | None = None  # why the section is empty (mart not built)


@dataclass
class Report:
    path: Path
    figures: dict[str, go.Figure]
    sections: list[Section]


# ----------------------------------------------------------------------------- values
def _plain(value: Any) -> Any:
    """JSON-friendly values: dates as ISO strings, Decimals/HUGEINTs as float/int."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _col(records: Iterable[dict[str, Any]], name: str) -> list[Any]:
    return [_plain(r[name]) for r in records]


def _fmt_int(value: Any) -> str:
    return "–" if value is None else f"{round(float(value)):,}"


def _fmt_num(value: Any, digits: int = 1) -> str:
    return "–" if value is None else f"{float(value):,.{digits}f}"


def _fmt_money(value: Any, currency: str) -> str:
    return "–" if value is None else f"{float(value):,.2f} {currency}"


def _fmt_pct(value: Any, digits: int = 2) -> str:
    return "–" if value is None else f"{float(value) * 100:.{digits}f} %"


def _fmt_ratio(value: Any) -> str:
    return "–" if value is None else f"{float(value):.2f}×"


def _table(headers: list[str], body: list[list[str]], *, caption: str | None = None, numeric_from: int = 1) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    lines = []
    for row in body:
        cells = "".join(
            f'<td class="{"num" if i >= numeric_from else "txt"}">{html.escape(str(v))}</td>' for i, v in enumerate(row)
        )
        lines.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def _layout(
    fig: go.Figure,
    title: str,
    *,
    y_title: str | None = None,
    y_format: str | None = None,
    height: int = 420,
    legend_y: float = -0.18,
) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0, "xanchor": "left"},
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 60},
        legend={"orientation": "h", "y": legend_y},
        hovermode="closest",
    )
    fig.update_xaxes(automargin=True)
    if y_title is not None:
        fig.update_yaxes(title_text=y_title)
    if y_format is not None:
        fig.update_yaxes(tickformat=y_format)
    return fig


# ----------------------------------------------------------------------------- sections
def _ctr_section(con, currency: str) -> Section:
    section = Section(
        "ctr",
        "CTR trend by platform and channel",
        "CTR = sum(clicks) / sum(impressions) of the rows in each week (Monday-based; the first and last "
        "week may be partial: hover shows the days covered). Clicks are link clicks (the CTR numerator); "
        "for e-mail, impressions are unique opens with Apple-MPP proxy opens excluded, so e-mail CTR is a "
        "click-to-open rate.",
    )
    for dim in ("platform", "channel"):
        data = q.ctr_weekly(con, dim)
        fig = go.Figure()
        for value in dict.fromkeys(r[dim] for r in data):
            part = [r for r in data if r[dim] == value]
            fig.add_trace(
                go.Scatter(
                    name=value,
                    x=_col(part, "week"),
                    y=_col(part, "ctr"),
                    customdata=[[_plain(r["impressions"]), _plain(r["clicks"]), r["days"]] for r in part],
                    mode="lines+markers",
                    hovertemplate="week of %{x}<br>CTR %{y:.3%}<br>%{customdata[1]:,} clicks / "
                    "%{customdata[0]:,} impressions<br>%{customdata[2]} days<extra>%{fullData.name}</extra>",
                )
            )
        section.figures.append(
            (f"ctr_weekly_by_{dim}", _layout(fig, f"Weekly CTR by {dim}", y_title="CTR", y_format=".2%"))
        )
    totals = q.rows(con, q.PLATFORM_CHANNEL_TOTALS)
    section.tables.append(
        _table(
            ["platform", "channel", "impressions", "clicks", "CTR", f"spend ({currency})", "CPC", "CPM"],
            [
                [
                    r["platform"],
                    r["channel"],
                    _fmt_int(r["impressions"]),
                    _fmt_int(r["clicks"]),
                    _fmt_pct(r["ctr"], 3),
                    _fmt_num(r["spend_reporting"], 2),
                    _fmt_num(r["cpc"], 2),
                    _fmt_num(r["cpm"], 2),
                ]
                for r in totals
            ],
            caption="Whole period, by platform and channel (ratios of sums)",
            numeric_from=2,
        )
    )
    return section


def _spend_section(con, currency: str) -> Section:
    section = Section(
        "spend",
        "Spend, CPC and CPM",
        f"Spend in the reporting currency ({currency}, converted with the fx_rates seed). "
        "CPC = sum(spend) / sum(clicks), CPM = 1000 × sum(spend) / sum(impressions), over the paid rows "
        "(e-mail is not billed per campaign and is left out).",
    )
    weekly = q.rows(con, q.SPEND_WEEKLY_BY_CHANNEL)
    fig = go.Figure()
    for channel in dict.fromkeys(r["channel"] for r in weekly):
        part = [r for r in weekly if r["channel"] == channel]
        fig.add_trace(
            go.Bar(
                name=channel,
                x=_col(part, "week"),
                y=_col(part, "spend_reporting"),
                hovertemplate="week of %{x}<br>%{y:,.2f} " + currency + "<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_layout(barmode="stack")
    section.figures.append(("spend_weekly_by_channel", _layout(fig, "Weekly spend by channel", y_title=currency)))

    paid = q.rows(con, q.CPC_CPM_PAID)
    labels = [f"{r['platform']} · {r['channel']}" for r in paid]
    fig = make_subplots(rows=1, cols=2, subplot_titles=(f"CPC ({currency})", f"CPM ({currency})"))
    fig.add_trace(
        go.Bar(name="CPC", x=labels, y=_col(paid, "cpc"), hovertemplate="%{x}<br>CPC %{y:,.2f}<extra></extra>"),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Bar(name="CPM", x=labels, y=_col(paid, "cpm"), hovertemplate="%{x}<br>CPM %{y:,.2f}<extra></extra>"),
        row=1,
        col=2,
    )
    fig.update_layout(showlegend=False)
    section.figures.append(
        ("cpc_cpm_by_platform_channel", _layout(fig, "CPC and CPM by platform and channel", height=460))
    )

    campaigns = q.rows(con, q.TOP_CAMPAIGNS)
    section.tables.append(
        _table(
            ["platform", "campaign", f"spend ({currency})", "CTR", "CPC", "CPM", "conversions", "CVR", "CPA", "ROAS"],
            [
                [
                    r["platform"],
                    r["campaign_name"] or r["campaign_id"],
                    _fmt_num(r["spend_reporting"], 2),
                    _fmt_pct(r["ctr"], 3),
                    _fmt_num(r["cpc"], 2),
                    _fmt_num(r["cpm"], 2),
                    _fmt_num(r["conversions"], 1),
                    _fmt_pct(r["cvr"], 2),
                    _fmt_num(r["cpa"], 2),
                    _fmt_num(r["roas"], 2),
                ]
                for r in campaigns
            ],
            caption="Top campaigns by spend (mart_campaign_performance_daily; conversions = the platform's "
            "click-through conversions, ROAS = their value / spend)",
            numeric_from=2,
        )
    )
    return section


def _touch_section(con) -> Section:
    section = Section(
        "touch",
        "View-through vs click-through conversions",
        "Conversions as each platform claims them, by touch type. The first chart adds up only each "
        "platform's default window (Meta's windows nest: 1d_click ⊂ 7d_click ⊂ 28d_click, so they must not "
        "be added); Google Ads reports no window (labelled click / view); Klaviyo does not split by touch "
        "(unsplit, its own open-or-click window). The second chart shows every window reported.",
    )
    default = q.rows(con, q.TOUCH_TYPE_DEFAULT)
    fig = go.Figure()
    for touch in q.TOUCH_TYPES:
        window_col = {"click_through": "click_window", "view_through": "view_window", "unsplit": "unsplit_window"}[
            touch
        ]
        part = [r for r in default if r[touch] is not None]
        if not part:
            continue
        fig.add_trace(
            go.Bar(
                name=touch,
                x=_col(part, "platform"),
                y=_col(part, touch),
                text=[r[window_col] for r in part],
                textposition="inside",
                hovertemplate="%{x}<br>%{y:,.1f} conversions<br>window %{text}<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_layout(barmode="group")
    section.figures.append(
        (
            "conversions_by_touch_type",
            _layout(fig, "Conversions by touch type (default windows)", y_title="conversions"),
        )
    )

    windows = q.rows(con, q.TOUCH_TYPE_WINDOWS)
    fig = go.Figure()
    for touch in q.TOUCH_TYPES:
        part = [r for r in windows if r["touch_type"] == touch]
        if not part:
            continue
        fig.add_trace(
            go.Bar(
                name=touch,
                x=[f"{r['platform']} · {r['attribution_window']}" for r in part],
                y=_col(part, "conversions"),
                text=["default" if r["is_default_window"] else "" for r in part],
                textposition="outside",
                hovertemplate="%{x}<br>%{y:,.1f} conversions<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_layout(barmode="relative")
    section.figures.append(
        (
            "conversions_by_window",
            _layout(fig, "Conversions by attribution window", y_title="conversions", height=460, legend_y=-0.45),
        )
    )

    section.tables.append(
        _table(
            [
                "platform",
                "click-through",
                "window",
                "view-through",
                "window",
                "unsplit",
                "window",
                "view-through share",
            ],
            [
                [
                    r["platform"],
                    _fmt_num(r["click_through"]),
                    r["click_window"] or "–",
                    _fmt_num(r["view_through"]),
                    r["view_window"] or "–",
                    _fmt_num(r["unsplit"]),
                    r["unsplit_window"] or "–",
                    _fmt_pct(r["view_through_share"], 1),
                ]
                for r in default
            ],
            caption="Default windows; view-through share = view-through / (click-through + view-through)",
        )
    )
    return section


def _attribution_section(con, currency: str, marts: set[str]) -> Section:
    section = Section(
        "attribution",
        "Attribution models side by side",
        "First-party (GA4) purchases, de-duplicated by transaction, credited to channels by eight models "
        "(docs/analyst-guide.md explains each). Every model credits the same conversions, so each model's "
        "bars add up to the same total; where they disagree is where the model choice matters. "
        f"ROAS = attributed revenue / spend ({currency}), for the channels with spend.",
    )
    data = q.rows(con, q.ATTRIBUTION_BY_CHANNEL_MODEL)
    for key, column, title, y_title in (
        (
            "attribution_conversions_by_model",
            "attributed_conversions",
            "Attributed conversions by channel and model",
            "conversions",
        ),
        ("attribution_roas_by_model", "roas", "ROAS by channel and model", "ROAS"),
    ):
        fig = go.Figure()
        for model in q.MODELS:
            part = [r for r in data if r["model"] == model and (column != "roas" or r["roas"] is not None)]
            if not part:
                continue
            fig.add_trace(
                go.Bar(
                    name=model,
                    x=_col(part, "channel"),
                    y=_col(part, column),
                    hovertemplate="%{x}<br>%{y:,.2f}<extra>" + MODEL_LABELS[model] + "</extra>",
                )
            )
        fig.update_layout(barmode="group")
        section.figures.append((key, _layout(fig, title, y_title=y_title)))

    by_channel: dict[str, dict[str, Any]] = {}
    for r in data:
        by_channel.setdefault(r["channel"], {})[r["model"]] = r["attributed_conversions"]
    section.tables.append(
        _table(
            ["channel", *[MODEL_LABELS[m] for m in q.MODELS]],
            [[channel, *[_fmt_num(models.get(m)) for m in q.MODELS]] for channel, models in by_channel.items()],
            caption="Attributed conversions (each column sums to the same total)",
        )
    )
    if "mart_attribution_channel_weights" in marts:
        weights = q.rows(con, q.CHANNEL_WEIGHTS)
        section.tables.append(
            _table(
                ["model", "channel", "removal effect", "Shapley value", "share", "window"],
                [
                    [
                        r["model"],
                        r["channel"],
                        _fmt_num(r["removal_effect"], 4),
                        _fmt_num(r["shapley_value"], 4),
                        _fmt_pct(r["share"], 1),
                        f"{_plain(r['window_start'])} – {_plain(r['window_end'])}",
                    ]
                    for r in weights
                ],
                caption="Data-driven channel weights (mart_attribution_channel_weights)",
                numeric_from=2,
            )
        )
    return section


def _claims_section(con) -> Section:
    section = Section(
        "claims",
        "Platform claims vs de-duplicated first-party conversions",
        "What each platform claims (click- plus view-through in its default windows; Klaviyo: unsplit) next "
        "to the GA4 purchases, de-duplicated by transaction, that the last non-direct model credits to that "
        "platform. Over-claim ratio = claimed / first-party over the days the platform made claims "
        "(Mailchimp claims no conversions). Platforms count a purchase once per ad they touched, so together "
        "they claim more than there were.",
    )
    data = q.rows(con, q.CLAIMS_BY_PLATFORM)
    fig = go.Figure()
    claimed = [r for r in data if r["claimed_total"] is not None]
    fig.add_trace(go.Bar(name="claimed by the platform", x=_col(claimed, "platform"), y=_col(claimed, "claimed_total")))
    fig.add_trace(
        go.Bar(
            name="first-party (GA4, de-duplicated)",
            x=_col(claimed, "platform"),
            y=_col(claimed, "first_party_conversions_claimed_days"),
        )
    )
    fig.update_layout(barmode="group")
    section.figures.append(
        ("claims_vs_first_party", _layout(fig, "Claimed vs first-party conversions", y_title="conversions"))
    )

    ratios = [r for r in data if r["over_claim_ratio"] is not None]
    fig = go.Figure(
        go.Bar(
            name="over-claim ratio",
            x=_col(ratios, "platform"),
            y=_col(ratios, "over_claim_ratio"),
            text=[_fmt_ratio(r["over_claim_ratio"]) for r in ratios],
            textposition="outside",
        )
    )
    fig.add_hline(y=1, line_dash="dot", annotation_text="claims = first-party")
    section.figures.append(
        ("over_claim_ratio", _layout(fig, "Over-claim ratio by platform", y_title="claimed / first-party"))
    )

    weekly = q.rows(con, q.CLAIMS_WEEKLY)
    fig = go.Figure()
    for platform in dict.fromkeys(r["platform"] for r in weekly):
        part = [r for r in weekly if r["platform"] == platform]
        fig.add_trace(
            go.Scatter(name=platform, x=_col(part, "week"), y=_col(part, "over_claim_ratio"), mode="lines+markers")
        )
    section.figures.append(
        ("over_claim_ratio_weekly", _layout(fig, "Weekly over-claim ratio", y_title="claimed / first-party"))
    )

    total = q.rows(con, q.CLAIMS_TOTAL)[0]
    section.tables.append(
        _table(
            [
                "platform",
                "claimed click-through",
                "claimed view-through",
                "claimed unsplit",
                "claimed total",
                "first-party",
                "over-claim ratio",
            ],
            [
                [
                    r["platform"],
                    _fmt_num(r["claimed_click_through"]),
                    _fmt_num(r["claimed_view_through"]),
                    _fmt_num(r["claimed_unsplit"]),
                    _fmt_num(r["claimed_total"]),
                    _fmt_num(r["first_party_conversions"]),
                    _fmt_ratio(r["over_claim_ratio"]),
                ]
                for r in data
            ]
            + [
                [
                    "all platforms",
                    "",
                    "",
                    "",
                    _fmt_num(total["claimed_total"]),
                    _fmt_num(total["first_party_total"]),
                    "",
                ]
            ],
            caption="Whole period (first-party: every day; the ratio uses the days with claims). "
            "Last row: all claims together vs all first-party conversions.",
        )
    )
    return section


def _video_section(con, currency: str) -> Section:
    section = Section(
        "video",
        "Video: view rate, cost per view and completion rate by platform",
        "Each platform counts a video view its own way (a 3-second play on Meta, a 30-second or complete "
        "TrueView view on Google Ads, 2 seconds at 50 % in view on LinkedIn): the bars are labelled with "
        "the definition and are not comparable as if they measured the same thing. Rates are ratios of sums "
        "over the ads that measure video; completion rate is completions per impression of the ads that "
        "report completions (Google: estimated from its p100 rate).",
    )
    data = q.rows(con, q.VIDEO_BY_PLATFORM)

    def labelled(rows: list[dict[str, Any]]) -> list[str]:
        """The platform with the start of its definition of a view under it (the full text on hover)."""
        return [f"{r['platform']}<br><sub>{html.escape((r['video_view_definition'] or '')[:48])}…</sub>" for r in rows]

    for name, column, title, y_title, y_format, fmt in (
        ("video_view_rate_by_platform", "view_rate", "View rate (views / impressions)", "view rate", ".0%", _fmt_pct),
        (
            "video_cost_per_view_by_platform",
            "cost_per_view",
            f"Cost per view ({currency})",
            currency,
            None,
            lambda v: _fmt_money(v, currency),
        ),
        (
            "video_completion_rate_by_platform",
            "completion_rate",
            "Completion rate (completions / impressions)",
            "completion rate",
            ".0%",
            _fmt_pct,
        ),
    ):
        shown = [r for r in data if r[column] is not None]
        fig = go.Figure(
            go.Bar(
                name=column.replace("_", " "),
                x=_col(shown, "platform"),
                y=_col(shown, column),
                text=[fmt(r[column]) for r in shown],
                textposition="outside",
                hovertext=[r["video_view_definition"] for r in shown],
            )
        )
        fig.update_xaxes(tickmode="array", tickvals=_col(shown, "platform"), ticktext=labelled(shown))
        section.figures.append((name, _layout(fig, title, y_title=y_title, y_format=y_format)))

    section.tables.append(
        _table(
            [
                "platform",
                "a view is",
                "a completion is",
                "impressions",
                "views",
                "view rate",
                f"cost per view ({currency})",
                "completions",
                "completion rate",
            ],
            [
                [
                    r["platform"],
                    r["video_view_definition"] or "–",
                    r["video_completion_definition"] or "–",
                    _fmt_int(r["impressions"]),
                    _fmt_int(r["video_views"]),
                    _fmt_pct(r["view_rate"]),
                    _fmt_num(r["cost_per_view"], 4),
                    _fmt_int(r["video_completions"]),
                    _fmt_pct(r["completion_rate"]),
                ]
                for r in data
            ],
            caption="Whole period, video-measured ads only. A platform's view rate compares with itself over "
            "time, not with another platform's.",
            numeric_from=3,
        )
    )
    return section


def _freshness_section(con, lake: dict[str, SourceStatus] | None, marts: set[str], lake_dir: Path | None) -> Section:
    section = Section(
        "freshness",
        "Data freshness and quarantine",
        "Per source: the report dates loaded into the lake, when a partition was last ingested, and the rows "
        "quarantined (records that could not be loaded; kept in lake/quarantine/<source>/ with the reason). "
        "Rows read = rows loaded + rows quarantined for every partition. 'In marts' is the last date the "
        "snapshot's marts carry for the source.",
    )
    last_in_marts = {r["platform"]: _plain(r["last_report_date"]) for r in q.rows(con, q.LAST_DATE_BY_PLATFORM)}
    if "mart_attribution" in marts:
        last_in_marts["ga4"] = _plain(q.rows(con, q.LAST_CONVERSION_DATE)[0]["last_conversion_date"])
    if lake is None:
        section.tables.append(
            _table(
                ["source", "last date in marts"],
                [[source, day or "–"] for source, day in sorted(last_in_marts.items())],
                caption=f"No lake at {lake_dir}: freshness from the marts only, quarantine unknown",
            )
        )
        return section
    sources = sorted(set(lake) | set(last_in_marts))
    newest = max((s.last_report_date for s in lake.values() if s.last_report_date), default=None)
    body = []
    for source in sources:
        s = lake.get(source, SourceStatus(source))
        lag = (newest - s.last_report_date).days if newest and s.last_report_date else None
        body.append(
            [
                source,
                _plain(s.first_report_date) or "–",
                _plain(s.last_report_date) or "–",
                "–" if lag is None else f"{lag} d",
                s.last_ingested_at or "–",
                last_in_marts.get(source) or "–",
                _fmt_int(s.partitions),
                _fmt_int(s.records_read),
                _fmt_int(s.rows_loaded),
                _fmt_int(s.rows_quarantined),
                _fmt_int(s.partitions_with_rejects),
                _fmt_int(s.warnings),
            ]
        )
    section.tables.append(
        _table(
            [
                "source",
                "first date",
                "last date",
                "behind newest",
                "last ingested (UTC)",
                "in marts",
                "partitions",
                "rows read",
                "rows loaded",
                "rows quarantined",
                "days with rejects",
                "warnings",
            ],
            body,
            caption="Lake partitions per source (from each partition's manifest)",
        )
    )
    fig = go.Figure(
        go.Bar(
            name="rows quarantined",
            x=sources,
            y=[lake[s].rows_quarantined if s in lake else None for s in sources],
            text=[_fmt_int(lake[s].rows_quarantined) if s in lake else "–" for s in sources],
            textposition="outside",
        )
    )
    fig.update_yaxes(rangemode="tozero")
    section.figures.append(
        ("quarantine_by_source", _layout(fig, "Quarantined rows by source", y_title="rows", height=340))
    )
    reasons = [
        [source, reason, _fmt_int(count)]
        for source in sources
        if source in lake
        for reason, count in lake[source].reasons.most_common(10)
    ]
    if reasons:
        section.tables.append(
            _table(["source", "reject reason", "rows"], reasons, caption="Top reject reasons", numeric_from=2)
        )
    else:
        section.tables.append('<p class="ok">No rows quarantined in any source.</p>')
    return section


# ----------------------------------------------------------------------------- page
def _json_for_script(payload: str) -> str:
    """JSON that cannot end its <script> element early (a campaign named '</script>')."""
    return payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _kpis(head: dict[str, Any], claims_total: dict[str, Any] | None) -> str:
    currency = head["reporting_currency"] or ""
    tiles = [
        ("impressions", _fmt_int(head["impressions"])),
        ("clicks", _fmt_int(head["clicks"])),
        ("CTR", _fmt_pct(head["ctr"], 3)),
        ("spend", _fmt_money(head["spend_reporting"], currency)),
        ("platform click-through conv.", _fmt_num(head["conversions_click_through"])),
        ("platform view-through conv.", _fmt_num(head["conversions_view_through"])),
    ]
    if claims_total:
        tiles.append(("first-party conversions (GA4)", _fmt_num(claims_total["first_party_total"])))
    return (
        '<div class="kpis">'
        + "".join(
            f'<div class="kpi"><div class="kpi-value">{html.escape(v)}</div>'
            f'<div class="kpi-label">{html.escape(k)}</div></div>'
            for k, v in tiles
        )
        + "</div>"
    )


CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0;
       color: #1f2933; background: #f7f8fa; }
header { background: #1f2933; color: #fff; padding: 18px 32px; }
header h1 { margin: 0 0 4px 0; font-size: 22px; }
header p { margin: 0; color: #cbd2d9; font-size: 13px; }
nav { padding: 8px 32px; background: #e4e7eb; font-size: 13px; }
nav a { margin-right: 16px; color: #1f2933; }
main { padding: 8px 32px 32px 32px; max-width: 1400px; }
section { background: #fff; border-radius: 6px; padding: 12px 20px 16px 20px; margin: 16px 0;
          box-shadow: 0 1px 2px rgba(0,0,0,.08); }
section h2 { font-size: 18px; margin: 6px 0; }
section p.intro { font-size: 13px; color: #52606d; max-width: 1100px; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.kpi { background: #fff; border-radius: 6px; padding: 10px 16px; min-width: 150px;
       box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.kpi-value { font-size: 20px; font-weight: 600; }
.kpi-label { font-size: 12px; color: #52606d; }
.figure { width: 100%; min-height: 340px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 8px; }
table { border-collapse: collapse; font-size: 12px; margin: 12px 0; }
caption { text-align: left; font-weight: 600; padding: 4px 0; color: #323f4b; }
th, td { border-bottom: 1px solid #e4e7eb; padding: 4px 10px; }
th { background: #f5f7fa; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
p.missing { color: #9f580a; }
p.ok { color: #196c2e; font-size: 13px; }
footer { font-size: 12px; color: #7b8794; padding: 0 32px 24px 32px; }
"""

INIT_JS = """
document.querySelectorAll('script.adwh-figure').forEach(function (node) {
  var fig = JSON.parse(node.textContent);
  Plotly.newPlot('fig-' + node.dataset.figure, fig.data, fig.layout, {displaylogo: false, responsive: true});
});
"""


def _render(sections: list[Section], *, title: str, subtitle: str, kpis: str, footer: str) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{CSS}</style>",
        # plotly.js, inlined: the file works offline and loads nothing from the network.
        f'<script type="text/javascript">{get_plotlyjs()}</script>',
        "</head><body>",
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>",
        "<nav>" + "".join(f'<a href="#{s.key}">{html.escape(s.title)}</a>' for s in sections) + "</nav>",
        "<main>",
        kpis,
    ]
    for section in sections:
        parts.append(f'<section id="{section.key}"><h2>{html.escape(section.title)}</h2>')
        parts.append(f'<p class="intro">{html.escape(section.intro)}</p>')
        if section.missing:
            parts.append(f'<p class="missing">{html.escape(section.missing)}</p>')
        if section.figures:
            parts.append('<div class="grid">')
            for name, fig in section.figures:
                parts.append(f'<div class="figure" id="fig-{name}"></div>')
                parts.append(
                    f'<script type="application/json" class="adwh-figure" data-figure="{name}">'
                    f"{_json_for_script(fig.to_json())}</script>"
                )
            parts.append("</div>")
        parts.extend(section.tables)
        parts.append("</section>")
    parts += ["</main>", f"<footer>{html.escape(footer)}</footer>", f"<script>{INIT_JS}</script>", "</body></html>"]
    return "\n".join(parts)


def build_report(
    analyst_db: Path,
    out: Path,
    *,
    lake_dir: Path | None = None,
    generated_at: datetime | None = None,
) -> Report:
    """Write the report for the snapshot ``analyst_db`` to ``out`` (atomically) and return it."""
    try:
        con = connect_read_only(analyst_db)
    except FileNotFoundError as exc:
        raise ReportError(str(exc)) from None
    try:
        marts = q.available_marts(con)
        if "fct_ad_performance_daily" not in marts:
            raise ReportError(f"{analyst_db} has no marts.fct_ad_performance_daily: run the pipeline first")
        head = q.rows(con, q.HEADLINE)[0]
        currency = head["reporting_currency"] or "?"
        sections = [_ctr_section(con, currency), _spend_section(con, currency)]

        optional = [
            (
                "mart_conversions_by_touch_type",
                "touch",
                "View-through vs click-through conversions",
                lambda: _touch_section(con),
            ),
            (
                "mart_attribution",
                "attribution",
                "Attribution models side by side",
                lambda: _attribution_section(con, currency, marts),
            ),
            (
                "mart_platform_claims_reconciliation",
                "claims",
                "Platform claims vs de-duplicated first-party conversions",
                lambda: _claims_section(con),
            ),
            (
                "mart_video_performance_daily",
                "video",
                "Video: view rate, cost per view and completion rate by platform",
                lambda: _video_section(con, currency),
            ),
        ]
        for mart, key, title, make in optional:
            if mart in marts:
                sections.append(make())
            else:
                sections.append(
                    Section(
                        key, title, "", missing=f"marts.{mart} is not in the snapshot (its sources are switched off)."
                    )
                )
        claims_total = q.rows(con, q.CLAIMS_TOTAL)[0] if "mart_platform_claims_reconciliation" in marts else None
        lake = read_lake_status(lake_dir) if lake_dir is not None and (lake_dir / "raw").is_dir() else None
        sections.append(_freshness_section(con, lake, marts, lake_dir))
    finally:
        con.close()

    generated_at = generated_at or datetime.now(UTC)
    snapshot_time = datetime.fromtimestamp(analyst_db.stat().st_mtime, UTC)
    page = _render(
        sections,
        title="adwh — marketing performance report",
        subtitle=(
            f"Report dates {_plain(head['first_date'])} – {_plain(head['last_date'])} · "
            f"reporting currency {currency} · "
            f"analyst snapshot published {snapshot_time:%Y-%m-%d %H:%M} UTC"
        ),
        kpis=_kpis(head, claims_total),
        footer=(
            f"Generated {generated_at:%Y-%m-%d %H:%M} UTC by `adwh report` from {analyst_db.name} "
            f"(plotly {plotly.__version__}, embedded). Every rate is a ratio of sums over the rows shown. "
            "SQL for the questions behind these charts: docs/analyst-guide.md."
        ),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(page)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    figures = {name: fig for s in sections for name, fig in s.figures}
    return Report(out, figures, sections)
