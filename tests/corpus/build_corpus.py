"""Writes the broken-input corpus: tests/corpus/cases/<case>/<source>/<YYYY-MM-DD>/<file>.

Written from the format specification (DESIGN §3, the platforms' documented export
shapes), NOT with the project's code: nothing here imports ``orchestration``. The
expected outcome of every case is in ``manifest.json`` (same folder), including the
number of records each case holds, counted here independently of the parsers.

    python tests/corpus/build_corpus.py            # (re)writes tests/corpus/cases/
The gigantic-single-line case is large (~12 MB) and is written only into a temp
folder by the tests (``write_giant_line``), not kept in the repository.
"""

from __future__ import annotations

import copy
import gzip
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
DAY = "2024-03-01"
DAY2 = "2024-03-02"


# ------------------------------------------------------------------ google ads
def gads_row(ad_id="40001", *, date=DAY, currency="USD", campaign="Brand Search", metrics=None):
    return {
        "customer": {"id": "1111111111", "currencyCode": currency, "timeZone": "America/New_York", "descriptiveName": "Acme US"},
        "campaign": {"id": "201", "name": campaign, "advertisingChannelType": "SEARCH"},
        "adGroup": {"id": "3001", "name": "Brand exact"},
        "adGroupAd": {"ad": {"id": ad_id}},
        "metrics": metrics if metrics is not None else {"impressions": "1000", "clicks": "52", "interactions": "52", "costMicros": "41500000", "conversions": 3.5, "conversionsValue": 210.0},
        "segments": {"date": date},
    }


def gads_doc(rows):
    return json.dumps([{"results": rows, "fieldMask": "customer.id,metrics.impressions,segments.date", "requestId": "corpus"}], indent=1)


CSV_HEADER = "Day,Account,Customer ID,Currency code,Campaign,Campaign ID,Campaign type,Ad group,Ad group ID,Ad ID,Impr.,Clicks,Interactions,Cost,Conversions,Conv. value,View-through conv."


def gads_csv(lines, header=CSV_HEADER):
    return "\ufeffAd performance report\n\"March 1, 2024 - March 1, 2024\"\n" + header + "\n" + "\n".join(lines) + "\n"


CSV_OK = '2024-03-01,Acme DE,222-222-2222,EUR,Generic DE,301,Search,Generic,3101,50001,"1,204",61,61,48.30,2.00,"1,150.00",--'
CSV_OK2 = "2024-03-01,Acme DE,222-222-2222,EUR,Video DE,302,Video,Bumper,3102,50002,3000,9,10,12.00,--,--,1"


# ------------------------------------------------------------------ meta
def meta_row(ad_id="8001", *, date=DAY, currency="USD", **overrides):
    row = {
        "account_id": "9001", "account_name": "Acme Meta", "account_currency": currency,
        "campaign_id": "6001", "campaign_name": "Prospecting", "adset_id": "7001", "adset_name": "Lookalike",
        "ad_id": ad_id, "ad_name": "Video A", "date_start": date, "date_stop": date,
        "impressions": "18000", "reach": "14000", "clicks": "380", "inline_link_clicks": "200", "spend": "140.00",
        "attribution_setting": "7d_click_1d_view",
        "actions": [{"action_type": "purchase", "value": "5", "7d_click": "4", "1d_view": "1"}],
        "action_values": [{"action_type": "purchase", "value": "500.00", "7d_click": "400.00", "1d_view": "100.00"}],
    }
    row.update(overrides)
    return row


def meta_doc(rows, **page_extra):
    return json.dumps({"data": rows, "paging": {"cursors": {"before": "a", "after": "b"}}, **page_extra}, indent=1)


# ------------------------------------------------------------------ mailchimp
def mc_report(cid="mc01", *, sent=10000, unique_opens=4000, pe_unique=2300, clicks_total=400, usc=230, **overrides):
    report = {
        "id": cid, "campaign_title": "March Newsletter", "type": "regular", "list_id": "list9",
        "subject_line": "Spring is here", "emails_sent": sent, "abuse_reports": 0, "unsubscribed": 12,
        "send_time": "2024-03-01T09:00:00+00:00",
        "bounces": {"hard_bounces": 50, "soft_bounces": 150, "syntax_errors": 0},
        "opens": {"opens_total": 5200, "unique_opens": unique_opens, "proxy_excluded_opens": 2600, "proxy_excluded_unique_opens": pe_unique},
        "clicks": {"clicks_total": clicks_total, "unique_clicks": 260, "unique_subscriber_clicks": usc},
    }
    report.update(overrides)
    return report


def mc_doc(reports):
    return json.dumps({"reports": reports, "total_items": len(reports)}, indent=1)


# ------------------------------------------------------------------ klaviyo
def kl_result(msg="km1", *, opens_unique=2200, clicks_unique=120, **stat_overrides):
    stats = {"recipients": 5000, "delivered": 4950, "bounced": 50, "opens": 3000, "opens_unique": opens_unique,
             "clicks": 180, "clicks_unique": clicks_unique, "unsubscribes": 5, "conversions": 6, "conversion_value": 420.0,
             "open_rate": 0.44, "click_rate": 0.024}
    stats.update(stat_overrides)
    return {"groupings": {"send_channel": "email", "campaign_id": "kc1", "campaign_message_id": msg}, "statistics": stats}


def kl_doc(results):
    return json.dumps({"data": {"type": "campaign-values-report", "attributes": {"results": results}}, "links": {"self": "https://a.klaviyo.com/api/campaign-values-reports/"}}, indent=1)


# ------------------------------------------------------------------ ga4
def ga4_event(n, *, name="page_view", date="20240301", user_id=None, ecommerce=None, ts=None, page="https://shop.example/p/1"):
    event = {
        "event_date": date, "event_timestamp": ts or str(1709280000000000 + n * 1000000), "event_name": name,
        "user_pseudo_id": f"u{n}", "user_id": user_id,
        "event_params": [{"key": "ga_session_id", "value": {"int_value": "1709280000"}}, {"key": "page_location", "value": {"string_value": page}}],
    }
    if ecommerce is not None:
        event["ecommerce"] = ecommerce
    return event


def ndjson(events):
    return "".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in events)


# ------------------------------------------------------------------ cases
def cases() -> dict[str, dict[str, bytes | str | None]]:
    """case -> {relative path (source/date/file): content (None = an empty folder)}"""
    c: dict[str, dict[str, bytes | str | None]] = {}
    g = "google_ads/" + DAY + "/"
    full = gads_doc([gads_row("40001"), gads_row("40002")])
    c["gads_truncated_json"] = {g + "search_stream.json": full[: len(full) // 2]}
    c["gads_invalid_utf8"] = {g + "ui_report.csv": gads_csv([CSV_OK]).encode("utf-8").replace(b"Generic DE", b"Generic \xff\xfeDE")}
    c["gads_csv_missing_column"] = {g + "ui_report.csv": gads_csv([CSV_OK.replace(",61,61,", ",61,")], header=CSV_HEADER.replace("Clicks,", ""))}
    c["gads_csv_extra_columns"] = {g + "ui_report.csv": gads_csv([CSV_OK + ",brand;promo,https://x.example", CSV_OK2 + ",,"], header=CSV_HEADER + ",Labels,Final URL")}
    c["gads_wrong_type"] = {g + "search_stream.json": gads_doc([gads_row("40001"), gads_row("40002", metrics={"impressions": "12a", "clicks": "5"})])}
    c["gads_negative_metric"] = {g + "search_stream.json": gads_doc([gads_row("40001"), gads_row("40002", metrics={"impressions": "100", "clicks": "-5"})])}
    c["gads_csv_nan_cost"] = {g + "ui_report.csv": gads_csv([CSV_OK, CSV_OK2.replace(",12.00,", ",NaN,")])}
    c["gads_other_day"] = {g + "search_stream.json": gads_doc([gads_row("40001"), gads_row("40002", date="2024-02-29")])}
    c["gads_duplicate_rows"] = {g + "search_stream.json": gads_doc([gads_row("40001"), gads_row("40001"), gads_row("40002")])}
    c["gads_cross_file_duplicate"] = {
        g + "a_search_stream.json": gads_doc([gads_row("40001")]),
        g + "b_search_stream_again.json": gads_doc([gads_row("40001"), gads_row("40003")]),
    }
    c["gads_unknown_currency"] = {g + "search_stream.json": gads_doc([gads_row("40001"), gads_row("40002", currency="XYZ")])}
    c["gads_missing_fx_rate"] = {g + "search_stream.json": gads_doc([gads_row("40001", currency="CHF")])}
    c["gads_hostile_names"] = {g + "search_stream.json": gads_doc([
        gads_row("40001", campaign="Brand \"Search\"; it's 50% off"),
        gads_row("40002", campaign="'); DROP TABLE marts.fct_ad_performance_daily; --"),
        gads_row("40003", campaign="../../../etc/passwd"),
        gads_row("40004", campaign="C:\\Windows\\system32\\ report_date=2024-01-01/x.parquet"),
        gads_row("40005", campaign="Ünïcødé 🚀 \u202eevil\u202c tab\tnewline\nend"),
    ])}
    c["gads_zero_bytes"] = {g + "search_stream.json": b""}
    c["gads_empty_array"] = {g + "search_stream.json": "[]"}
    c["gads_api_error"] = {g + "search_stream.json": json.dumps([{"error": {"code": 401, "message": "Request is missing required authentication credential.", "status": "UNAUTHENTICATED"}}])}
    c["gads_csv_short_line"] = {g + "ui_report.csv": gads_csv([CSV_OK, "2024-03-01,Acme DE,222-222-2222,EUR,Generic DE,301"])}

    m = "meta_ads/" + DAY + "/"
    mfull = meta_doc([meta_row("8001"), meta_row("8002")])
    c["meta_truncated_json"] = {m + "insights.json": mfull[: len(mfull) - 40]}
    c["meta_wrong_shape"] = {m + "insights.json": json.dumps({"insights": []})}
    c["meta_wrong_type"] = {m + "insights.json": meta_doc([meta_row("8001"), meta_row("8002", impressions="12a")])}
    c["meta_nan_spend"] = {m + "insights.json": meta_doc([meta_row("8001"), meta_row("8002", spend="NaN")])}
    c["meta_negative_clicks"] = {m + "insights.json": meta_doc([meta_row("8001"), meta_row("8002", inline_link_clicks="-1")])}
    c["meta_other_day"] = {m + "insights.json": meta_doc([meta_row("8001"), meta_row("8002", date="2024-02-28")])}
    c["meta_duplicate_rows"] = {m + "insights.json": meta_doc([meta_row("8001"), meta_row("8001")])}
    c["meta_unknown_currency"] = {m + "insights.json": meta_doc([meta_row("8001"), meta_row("8002", currency="usd$")])}
    c["meta_schema_drift"] = {m + "insights.json": meta_doc([meta_row("8001", cpm="7.77", quality_ranking="ABOVE_AVERAGE"), meta_row("8002")], summary={"x": 1})}
    c["meta_empty_folder"] = {m: None}
    c["meta_bad_actions"] = {m + "insights.json": meta_doc([meta_row("8001"), meta_row("8002", actions={"purchase": 3})])}

    mc = "mailchimp/"
    c["mailchimp_counter_down"] = {
        mc + DAY + "/reports.json": mc_doc([mc_report("mc01"), mc_report("mc02")]),
        mc + DAY2 + "/reports.json": mc_doc([mc_report("mc01", pe_unique=2100, unique_opens=3900), mc_report("mc02", pe_unique=2400, unique_opens=4100)]),
    }
    c["mailchimp_inconsistent_counters"] = {mc + DAY + "/reports.json": mc_doc([mc_report("mc01"), mc_report("mc02", usc=500)])}
    c["mailchimp_wrong_type"] = {mc + DAY + "/reports.json": mc_doc([mc_report("mc01"), mc_report("mc02", emails_sent="ten thousand")])}
    c["mailchimp_missing_id"] = {mc + DAY + "/reports.json": mc_doc([mc_report("mc01"), {k: v for k, v in mc_report("mc02").items() if k != "id"}])}
    c["mailchimp_zero_bytes"] = {mc + DAY + "/reports.json": b""}
    c["mailchimp_partial_and_foreign_files"] = {
        mc + DAY + "/reports.json": mc_doc([mc_report("mc01")]),
        mc + DAY + "/.reports.json.part": "{\"reports\": [",
        mc + DAY + "/notes.txt": "exported by hand",
    }

    k = "klaviyo/"
    c["klaviyo_invalid_utf8"] = {k + DAY + "/campaign_values.json": kl_doc([kl_result()]).encode("utf-8").replace(b"campaign-values-report", b"campaign-values-\xc3\x28report")}
    c["klaviyo_negative"] = {k + DAY + "/campaign_values.json": kl_doc([kl_result("km1"), kl_result("km2", delivered=-3)])}
    c["klaviyo_missing_groupings"] = {k + DAY + "/campaign_values.json": kl_doc([kl_result("km1"), {"statistics": kl_result("km2")["statistics"]}])}
    c["klaviyo_counter_down"] = {
        k + DAY + "/campaign_values.json": kl_doc([kl_result("km1")]),
        k + DAY2 + "/campaign_values.json": kl_doc([kl_result("km1", clicks_unique=100)]),
    }

    a = "ga4/" + DAY + "/"
    c["ga4_purchase_without_transaction_id"] = {a + "events_20240301.ndjson": ndjson([
        ga4_event(1), ga4_event(2, name="purchase", ecommerce={"purchase_revenue": 99.5}),
        ga4_event(3, name="purchase", ecommerce={"transaction_id": "(not set)", "purchase_revenue": 10.0}),
        ga4_event(4, name="purchase", ecommerce={"transaction_id": "T4", "purchase_revenue": 20.0}),
    ])}
    line_ok = json.dumps(ga4_event(2))
    c["ga4_truncated_line"] = {a + "events_20240301.ndjson": ndjson([ga4_event(1), line_ok[:57], ga4_event(3)])}
    c["ga4_other_day"] = {a + "events_20240301.ndjson": ndjson([ga4_event(1), ga4_event(2, date="20240229")])}
    c["ga4_duplicate_line"] = {a + "events_20240301.ndjson": ndjson([ga4_event(1), ga4_event(1), ga4_event(2)])}
    c["ga4_wrong_timestamp"] = {a + "events_20240301.ndjson": ndjson([ga4_event(1), ga4_event(2, ts="17092800000000001a")])}
    c["ga4_nan_and_negative_revenue"] = {a + "events_20240301.ndjson": ndjson([
        ga4_event(1),
        json.dumps(ga4_event(2, name="purchase", ecommerce={"transaction_id": "T2", "purchase_revenue": 1.0})).replace("1.0}", "NaN}"),
        ga4_event(3, name="purchase", ecommerce={"transaction_id": "T3", "purchase_revenue": -5.0}),
    ])}
    c["ga4_blank_lines"] = {a + "events_20240301.ndjson": ndjson([ga4_event(1)]) + "\n   \n" + ndjson([ga4_event(2)])}
    good_gz = gzip.compress(ndjson([ga4_event(n) for n in range(1, 50)]).encode())
    c["ga4_corrupt_gzip"] = {a + "events_20240301.ndjson.gz": good_gz[: len(good_gz) // 2]}
    c["ga4_personal_data"] = {a + "events_20240301.ndjson": ndjson([
        ga4_event(1, user_id="Jane.Doe@Example.com", page="https://shop.example/?mc_eid=abc123&email=jane.doe%40example.com"),
        ga4_event(2, name="purchase", user_id="john.smith@example.org", ecommerce={"transaction_id": "T9", "purchase_revenue": 5.0}),
        json.dumps(ga4_event(3, user_id="bad.record@example.net", ts="not-a-number")),
    ])}
    c["ga4_not_an_object"] = {a + "events_20240301.ndjson": ndjson([ga4_event(1), "[1, 2, 3]", "\"just a string\"", "null"])}
    return c


def write_giant_line(root: Path, rows: int = 20000) -> Path:
    """Meta Insights page with ``rows`` rows on ONE line (~12 MB): loads, nothing dropped."""
    folder = root / "meta_ads" / DAY
    folder.mkdir(parents=True, exist_ok=True)
    page = {"data": [meta_row(str(10_000_000 + n)) for n in range(rows)], "paging": {"cursors": {}}}
    path = folder / "insights.json"
    path.write_text(json.dumps(page, separators=(",", ":")))
    return path


def build(out: Path = CASES) -> None:
    if out.exists():
        shutil.rmtree(out)
    for case, files in cases().items():
        for rel, content in files.items():
            path = out / case / rel
            if content is None:
                path.mkdir(parents=True, exist_ok=True)
                (path / ".keep").write_text("")  # hidden: git keeps the folder, ingest ignores it
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else CASES)
