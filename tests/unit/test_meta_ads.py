"""Unit tests of the Meta Ads Insights parser.

Expected values are computed by hand from tests/fixtures/parsers/meta_ads/insights_2024-03-05.json.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import date

import pytest

from orchestration.ingestion.parsers import google_ads, meta_ads
from orchestration.ingestion.parsers.base import ParseResult, SourceParseError
from tests.parser_checks import check_parse_result
from tests.paths import PARSER_FIXTURES

FIXTURES = PARSER_FIXTURES / "meta_ads"
DAY = date(2024, 3, 5)
NAME = "insights_2024-03-05.json"


# --------------------------------------------------------------------------- helpers
def check_result(result: ParseResult) -> ParseResult:
    return check_parse_result(result, meta_ads)


def parse_doc(document, name: str = "day.json", report_date: date = DAY) -> ParseResult:
    return check_result(meta_ads.parse(json.dumps(document).encode(), file_name=name, report_date=report_date))


GOOD_ROW = {
    "account_id": "1000001",
    "account_currency": "EUR",
    "campaign_id": "c1",
    "campaign_name": "Prospecting",
    "adset_id": "as1",
    "adset_name": "Lookalike",
    "ad_id": "a1",
    "date_start": "2024-03-05",
    "date_stop": "2024-03-05",
    "impressions": "100",
    "clicks": "4",
    "spend": "1.23",
    "actions": [
        {"action_type": "link_click", "value": "3", "7d_click": "3"},
        {"action_type": "purchase", "value": "1", "7d_click": "1"},
    ],
}


def row(**overrides) -> dict:
    """A valid insight row; a value of None removes the key."""
    out = copy.deepcopy(GOOD_ROW)
    for key, value in overrides.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def only_reject(result: ParseResult):
    assert result.records_read == 1 and len(result.rejects) == 1
    assert result.tables == {"ad_insights": [], "ad_actions": []}
    return result.rejects[0]


def actions_of(result: ParseResult, record_number: int) -> set[tuple]:
    return {
        (a["kind"], a["action_type"], a["attribution_window"], a["value"])
        for a in result.tables["ad_actions"]
        if a["record_number"] == record_number
    }


# --------------------------------------------------------------------------- module contract
def test_module_contract():
    assert meta_ads.SOURCE == "meta_ads"
    assert meta_ads.FILE_PATTERNS == ("*.json",)
    assert meta_ads.PRIMARY_TABLE == "ad_insights"
    assert set(meta_ads.SCHEMAS) == {"ad_insights", "ad_actions"}
    for schema in meta_ads.SCHEMAS.values():
        assert schema.names[-2:] == ["source_file", "record_number"]


def test_one_currency_list_is_shared():
    # meta_ads validates with google_ads.ISO_4217 (the only copy)
    assert meta_ads.currency_code is google_ads.currency_code
    assert {"USD", "EUR", "JPY", "GBP"} <= google_ads.ISO_4217 and "XYZ" not in google_ads.ISO_4217


# --------------------------------------------------------------------------- fixture
def test_fixture_two_pages():
    data = (FIXTURES / NAME).read_bytes()
    result = check_result(meta_ads.parse(data, file_name=NAME, report_date=DAY))

    # page 1 has 1 row, page 2 has 1 row: 2 records numbered across pages
    assert result.records_read == 2 and result.rejects == []
    first, second = result.tables["ad_insights"]
    assert first == {
        "date_start": DAY,
        "date_stop": DAY,
        "account_id": "1000001",
        "account_name": "Acme EU",
        "account_currency": "EUR",
        "account_timezone": None,
        "campaign_id": "23850000000000001",
        "campaign_name": "Prospecting - Shoes",
        "adset_id": "23850000000000101",
        "adset_name": "Lookalike 1%",
        "ad_id": "23850000000001001",
        "ad_name": "Video 15s",
        "impressions": 1500,
        "clicks": 40,
        "inline_link_clicks": 22,
        "spend": 12.34,
        "reach": 1200,
        "attribution_setting": "7d_click_1d_view",
        # the fixture has no video fields: NULL (not measured), never 0
        "video_play_actions": None,
        "video_thruplay_watched_actions": None,
        "video_p100_watched_actions": None,
        "source_file": NAME,
        "record_number": 1,
    }
    # record 2: no inline_link_clicks (-> 0), no reach / account_name / ad_name /
    # attribution_setting (-> null), timezone from timezone_name
    assert second["record_number"] == 2
    assert second["inline_link_clicks"] == 0
    assert (second["reach"], second["account_name"], second["ad_name"], second["attribution_setting"]) == (None,) * 4
    assert second["account_timezone"] == "Europe/Berlin"
    assert second["spend"] == 0.66

    # ad_actions of record 1:
    #   actions link_click:    value, 1d_click, 7d_click, 28d_click            -> 4 rows
    #   actions purchase:      value, 1d_click, 7d_click, 28d_click, 1d_view   -> 5 rows
    #   actions omni_purchase: value, 7d_click, 1d_view                        -> 3 rows
    #   action_values purchase / omni_purchase: value, 7d_click, 1d_view       -> 3 + 3 rows
    #   = 18 rows; record 2: link_click value, 7d_click -> 2 rows; total 20
    assert len(result.tables["ad_actions"]) == 20
    assert actions_of(result, 1) == {
        ("action", "link_click", "default", 22.0),
        ("action", "link_click", "1d_click", 22.0),
        ("action", "link_click", "7d_click", 22.0),
        ("action", "link_click", "28d_click", 22.0),
        ("action", "purchase", "default", 3.0),
        ("action", "purchase", "1d_click", 1.0),
        ("action", "purchase", "7d_click", 2.0),
        ("action", "purchase", "28d_click", 2.0),
        ("action", "purchase", "1d_view", 1.0),
        # omni_purchase overlaps purchase (same 3 purchases): both are kept, dedup is downstream
        ("action", "omni_purchase", "default", 3.0),
        ("action", "omni_purchase", "7d_click", 2.0),
        ("action", "omni_purchase", "1d_view", 1.0),
        ("action_value", "purchase", "default", 89.7),
        ("action_value", "purchase", "7d_click", 59.8),
        ("action_value", "purchase", "1d_view", 29.9),
        ("action_value", "omni_purchase", "default", 89.7),
        ("action_value", "omni_purchase", "7d_click", 59.8),
        ("action_value", "omni_purchase", "1d_view", 29.9),
    }
    # record 2 had no purchases: the purchase type is absent, so no rows (not zeros)
    assert actions_of(result, 2) == {
        ("action", "link_click", "default", 5.0),
        ("action", "link_click", "7d_click", 5.0),
    }
    # default (7d_click_1d_view) = 7d_click + 1d_view: 2 + 1 = 3 purchases, 59.8 + 29.9 = 89.7 value
    action_1 = [a for a in result.tables["ad_actions"] if a["record_number"] == 1][0]
    assert {
        k: action_1[k] for k in ("account_id", "campaign_id", "adset_id", "ad_id", "date_start", "source_file")
    } == {
        "account_id": "1000001",
        "campaign_id": "23850000000000001",
        "adset_id": "23850000000000101",
        "ad_id": "23850000000001001",
        "date_start": DAY,
        "source_file": NAME,
    }


def test_single_page_object():
    result = parse_doc({"data": [row()], "paging": {}})
    assert result.records_read == 1
    assert actions_of(result, 1) == {
        ("action", "link_click", "default", 3.0),
        ("action", "link_click", "7d_click", 3.0),
        ("action", "purchase", "default", 1.0),
        ("action", "purchase", "7d_click", 1.0),
    }


@pytest.mark.parametrize("data", [b"", b"\n", b"[]", b'{"data": []}'])
def test_empty_file_is_an_empty_day(data):
    result = check_result(meta_ads.parse(data, file_name="day.json", report_date=DAY))
    assert result.records_read == 0 and result.tables == {"ad_insights": [], "ad_actions": []}


# --------------------------------------------------------------------------- whole-file errors
def test_truncated_json_names_file_line_and_column():
    data = (FIXTURES / NAME).read_bytes()[:700]
    with pytest.raises(SourceParseError) as info:
        meta_ads.parse(data, file_name=NAME, report_date=DAY)
    message = str(info.value)
    assert message.startswith(NAME + ": line ") and "column" in message and "invalid JSON" in message


def test_invalid_utf8_names_file_and_position():
    data = b'{"data": [\n{"campaign_name": "Kampagne \xfc"}]}'
    with pytest.raises(SourceParseError, match=r"^day\.json: line 2, byte \d+: invalid UTF-8"):
        meta_ads.parse(data, file_name="day.json", report_date=DAY)


@pytest.mark.parametrize(
    "document, pattern",
    [
        ([{"data": []}, {"paging": {}}], r"day\.json: page 2: field 'data': missing"),
        ([{"data": {"x": 1}}], r"day\.json: page 1: field 'data': expected an array"),
        ([{"data": []}, []], r"day\.json: page 2: expected a page object"),
        (42, r"day\.json: top level"),
        ({"error": {"message": "Invalid OAuth access token", "code": 190}}, r"page 1: field 'error'.*OAuth"),
    ],
)
def test_wrong_shape_names_the_position(document, pattern):
    with pytest.raises(SourceParseError, match=pattern):
        parse_doc(document)


# --------------------------------------------------------------------------- rejected records
@pytest.mark.parametrize(
    "overrides, reason",
    [
        ({"impressions": "12a"}, "field 'impressions': not an integer: '12a'"),
        ({"clicks": "-1"}, "field 'clicks': negative value: '-1'"),
        ({"spend": "-0.50"}, "field 'spend': negative value: '-0.50'"),
        ({"spend": "Infinity"}, "field 'spend': not a finite number"),
        ({"reach": "lots"}, "field 'reach': not an integer: 'lots'"),
        ({"inline_link_clicks": "2.5"}, "field 'inline_link_clicks': not an integer: '2.5'"),
        ({"impressions": None}, "field 'impressions': required value is missing"),
        (
            {"date_start": "2024-03-04", "date_stop": "2024-03-04"},
            "field 'date_start': record is for 2024-03-04 but the file is in the folder of 2024-03-05",
        ),
        ({"date_stop": "2024-03-06"}, "field 'date_stop': a daily row must cover one day"),
        ({"account_currency": "XYZ"}, "field 'account_currency': unknown currency: 'XYZ'"),
        ({"account_currency": "Euro"}, "field 'account_currency': not an ISO 4217 currency code"),
        ({"ad_id": None}, "field 'ad_id': required value is missing"),
        ({"adset_id": ""}, "field 'adset_id': required value is missing"),
        ({"actions": {"action_type": "purchase"}}, "field 'actions': expected an array"),
        ({"actions": [{"action_type": "a", "value": "1"}, "purchase"]}, "field 'actions[1]': expected an object"),
        ({"actions": [{"value": "1"}]}, "field 'actions[0].action_type': missing"),
        (
            {
                "actions": [
                    {"action_type": "a", "value": "1"},
                    {"action_type": "b", "value": "1"},
                    {"action_type": "purchase", "value": "2", "7d_click": "two"},
                ]
            },
            "field 'actions[2].7d_click': not a number: 'two'",
        ),
        (
            {"actions": [{"action_type": "purchase", "value": "1"}, {"action_type": "purchase", "value": "1"}]},
            "field 'actions[1].action_type': 'purchase' repeats actions[0]",
        ),
        (
            {"action_values": [{"action_type": "purchase", "value": "-9.99"}]},
            "field 'action_values[0].value': negative value: '-9.99'",
        ),
    ],
)
def test_bad_record_is_rejected_naming_the_field(overrides, reason):
    reject = only_reject(parse_doc({"data": [row(**overrides)]}))
    assert reason in reject.reason
    assert reject.record_number == 1
    assert json.loads(reject.raw_record) == row(**overrides)


def test_non_object_row_is_rejected():
    result = parse_doc([{"data": [row()]}, {"data": [["not", "a", "row"]]}])
    assert result.records_read == 2 and len(result.tables["ad_insights"]) == 1
    assert result.rejects[0].record_number == 2 and "not a JSON object" in result.rejects[0].reason


def test_duplicate_grain_key_is_rejected_with_its_actions():
    # (date_start, account_id, ad_id) of record 1 again in record 3 (on page 2)
    result = parse_doc([{"data": [row(), row(ad_id="a2")]}, {"data": [row(impressions="999")]}])
    assert [r["record_number"] for r in result.tables["ad_insights"]] == [1, 2]
    assert [r.record_number for r in result.rejects] == [3]
    assert "duplicate of record 1" in result.rejects[0].reason
    # 2 loaded records x 4 action rows each; none from the rejected duplicate
    assert len(result.tables["ad_actions"]) == 8


def test_malformed_action_rejects_the_whole_record_but_not_its_neighbours():
    bad = row(ad_id="a2", actions=[{"action_type": "purchase", "7d_click": None}])
    result = parse_doc({"data": [row(), bad, row(ad_id="a3", actions=None)]})
    # 3 read = 2 loaded (records 1, 3) + 1 rejected (record 2)
    assert [r["record_number"] for r in result.tables["ad_insights"]] == [1, 3]
    assert "field 'actions[0].7d_click': required value is missing" in result.rejects[0].reason
    # record 1: 4 action rows; record 3 has no actions at all: 0 rows
    assert {a["record_number"] for a in result.tables["ad_actions"]} == {1}
    assert len(result.tables["ad_actions"]) == 4


# --------------------------------------------------------------------------- names are optional attributes
IDS_ONLY = "insights_ids_only_2024-03-05.json"


def test_export_without_names_loads_every_row_with_null_names_and_one_warning():
    # requested with fields=account_id,campaign_id,adset_id,ad_id,... and no *_name field
    data = (FIXTURES / IDS_ONLY).read_bytes()
    result = check_result(meta_ads.parse(data, file_name=IDS_ONLY, report_date=DAY))
    assert result.records_read == 2 and result.rejects == []
    rows = result.tables["ad_insights"]
    for column in ("account_name", "campaign_name", "adset_name", "ad_name"):
        assert [r[column] for r in rows] == [None, None]
    # ids, currency and measures load as usual: 1500 + 800 impressions, 12.34 + 4.10 EUR
    assert [r["impressions"] for r in rows] == [1500, 800] and sum(r["spend"] for r in rows) == pytest.approx(16.44)
    assert len(result.tables["ad_actions"]) == 3  # purchase: value, 7d_click, 1d_view
    [warning] = result.warnings
    assert "2 of 2" in warning
    for field in ("account_name", "campaign_name", "adset_name", "ad_name"):
        assert f"{field} (2)" in warning


@pytest.mark.parametrize("field", ["campaign_name", "adset_name"])
def test_a_missing_campaign_or_ad_set_name_is_null_not_a_reject(field):
    result = parse_doc({"data": [row(**{field: None}), row(ad_id="a2")]})
    assert result.rejects == []
    first, second = result.tables["ad_insights"]
    assert first[field] is None and second[field] == GOOD_ROW[field]
    [warning] = result.warnings
    assert f"{field} (1)" in warning and "of 2" in warning


# --------------------------------------------------------------------------- video fields
VIDEO_NAME = "insights_video_2024-03-05.json"


def test_video_fields_are_read_and_null_when_absent():
    """Hand-written from the Insights reference: ``video_play_actions``,
    ``video_thruplay_watched_actions`` and ``video_p100_watched_actions`` are lists of
    ``{action_type: "video_view", value}``; 3-second views are the ``actions`` type ``video_view``."""
    data = (FIXTURES / VIDEO_NAME).read_bytes()
    result = check_result(meta_ads.parse(data, file_name=VIDEO_NAME, report_date=DAY))
    assert result.records_read == 3 and result.rejects == []
    video = {
        r["ad_name"]: (r["video_play_actions"], r["video_thruplay_watched_actions"], r["video_p100_watched_actions"])
        for r in result.tables["ad_insights"]
    }
    assert video == {
        "Video 15s": (1100, 250, 150),
        "Reel 30s": (300, None, None),  # plays but the other two fields absent: NULL here (0 is dbt's call)
        "Carousel": (None, None, None),  # no video: NULL, never 0
    }
    # the 3-second views are an action like any other: one row per window key
    assert ("action", "video_view", "default", 600.0) in actions_of(result, 1)
    assert actions_of(result, 2) == {("action", "video_view", "default", 90.0)}
    assert not any(a["action_type"] == "video_view" for a in result.tables["ad_actions"] if a["record_number"] == 3)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        (
            "video_play_actions",
            {"action_type": "video_view", "value": "5"},
            "field 'video_play_actions': expected an array",
        ),
        ("video_p100_watched_actions", ["5"], r"field 'video_p100_watched_actions\[0\]': expected an object"),
        (
            "video_thruplay_watched_actions",
            [{"action_type": "video_view", "value": "x"}],
            r"field 'video_thruplay_watched_actions\[0\]\.value': not an integer",
        ),
        (
            "video_play_actions",
            [{"action_type": "video_view", "value": "1"}, {"action_type": "video_view", "value": "2"}],
            r"field 'video_play_actions\[1\]\.action_type': 'video_view' appears twice",
        ),
        (
            "video_p100_watched_actions",
            [{"action_type": "video_view", "value": "-1"}],
            r"field 'video_p100_watched_actions\[0\]\.value': negative",
        ),
    ],
)
def test_malformed_video_field_rejects_the_record_naming_it(field, value, reason):
    reject = only_reject(parse_doc({"data": [row(**{field: value})]}))
    assert re.search(reason, reject.reason), reject.reason


def test_video_field_without_a_video_view_entry_is_null():
    result = parse_doc({"data": [row(video_play_actions=[{"action_type": "other", "value": "5"}])]})
    assert result.tables["ad_insights"][0]["video_play_actions"] is None
