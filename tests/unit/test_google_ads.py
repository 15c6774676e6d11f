"""Unit tests of the Google Ads parser (API searchStream JSON and UI CSV download).

Expected values are computed by hand from the fixtures in tests/fixtures/parsers/google_ads/.
"""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from orchestration.ingestion.parsers import google_ads
from orchestration.ingestion.parsers.base import ParseResult, SourceParseError
from tests.parser_checks import check_parse_result
from tests.paths import PARSER_FIXTURES

FIXTURES = PARSER_FIXTURES / "google_ads"
DAY = date(2024, 3, 5)
JSON_NAME = "search_stream_2024-03-05.json"
CSV_NAME = "ui_report_2024-03-05.csv"


# --------------------------------------------------------------------------- helpers
def check_result(result: ParseResult) -> ParseResult:
    return check_parse_result(result, google_ads)


def parse_json(document, name: str = "day.json", report_date: date = DAY) -> ParseResult:
    return check_result(google_ads.parse(json.dumps(document).encode(), file_name=name, report_date=report_date))


def parse_csv(text: str, name: str = "day.csv", report_date: date = DAY) -> ParseResult:
    return check_result(google_ads.parse(text.encode("utf-8"), file_name=name, report_date=report_date))


def api_result(**overrides) -> dict:
    """One valid searchStream result; overrides replace whole top-level objects."""
    result = {
        "customer": {
            "id": "1234567890",
            "currencyCode": "USD",
            "timeZone": "America/New_York",
            "descriptiveName": "Acme US",
        },
        "campaign": {"id": "111", "name": "Brand Search", "advertisingChannelType": "SEARCH"},
        "adGroup": {"id": "211", "name": "Brand exact"},
        "adGroupAd": {"ad": {"id": "311"}},
        "metrics": {"impressions": "10", "clicks": "2", "costMicros": "1500000"},
        "segments": {"date": "2024-03-05"},
    }
    result.update(overrides)
    return result


def only_reject(result: ParseResult):
    assert result.records_read == 1 and len(result.rejects) == 1
    assert result.tables["ad_stats"] == []
    return result.rejects[0]


HEADER = (
    "Day,Account,Currency code,Campaign,Campaign ID,Campaign type,Ad group,Ad group ID,Ad ID,"
    "Impr.,Clicks,Interactions,Cost,Conversions,Conv. value,View-through conv."
)
GOOD_LINE = "2024-03-05,Acme US,USD,Brand Search,111,Search,Brand exact,211,311,10,2,2,1.50,0.00,0.00,0"


def ui_csv(*data_lines: str, header: str = HEADER) -> str:
    return "\n".join(["Ad report", '"March 5, 2024 - March 5, 2024"', header, *data_lines]) + "\n"


# --------------------------------------------------------------------------- module contract
def test_module_contract():
    assert google_ads.SOURCE == "google_ads"
    assert set(google_ads.FILE_PATTERNS) == {"*.json", "*.csv"}
    assert google_ads.PRIMARY_TABLE == "ad_stats"
    assert google_ads.SCHEMAS["ad_stats"].names[-2:] == ["source_file", "record_number"]


def test_unsupported_extension_fails_the_file():
    with pytest.raises(SourceParseError, match=r"report\.xlsx.*unsupported file type"):
        google_ads.parse(b"x", file_name="report.xlsx", report_date=DAY)


# --------------------------------------------------------------------------- API JSON fixture
def test_api_json_fixture_two_batches():
    data = (FIXTURES / JSON_NAME).read_bytes()
    result = check_result(google_ads.parse(data, file_name=JSON_NAME, report_date=DAY))

    # 2 results in batch 1 + 1 in batch 2 = 3 records, numbered across batches
    assert result.records_read == 3
    assert result.rejects == []
    rows = result.tables["ad_stats"]
    assert [r["record_number"] for r in rows] == [1, 2, 3]
    assert [r["ad_id"] for r in rows] == ["311", "312", "313"]
    assert all(r["source_file"] == JSON_NAME for r in rows)

    first = rows[0]
    assert first == {
        "segment_date": DAY,
        "customer_id": "1234567890",
        "customer_name": "Acme US",
        "currency_code": "USD",
        "time_zone": "America/New_York",
        "campaign_id": "111",
        "campaign_name": "Brand Search",
        "advertising_channel_type": "SEARCH",
        "ad_group_id": "211",
        "ad_group_name": "Brand exact",
        "ad_id": "311",
        "impressions": 1204,  # int64 arrives as the string "1204"
        "clicks": 87,
        "interactions": 87,
        "cost_micros": 45_670_000,  # 45.67 USD
        "conversions": 3.5,  # double arrives as a number
        "conversions_value": 420.25,
        "view_through_conversions": 0,
        # the fixture's query selected no video metric (fieldMask): not measured, NULL
        "video_trueview_views": None,
        "video_quartile_p100_rate": None,
        "source_format": "api_json",
        "source_file": JSON_NAME,
        "record_number": 1,
    }
    # record 2 has no conversions / conversionsValue: absent metric = 0
    assert rows[1]["conversions"] == 0.0 and rows[1]["conversions_value"] == 0.0
    assert rows[1]["view_through_conversions"] == 4
    # record 3 (batch 2) has only impressions and costMicros: clicks, interactions, ... = 0
    assert (rows[2]["clicks"], rows[2]["interactions"], rows[2]["view_through_conversions"]) == (0, 0, 0)
    assert rows[2]["advertising_channel_type"] == "PERFORMANCE_MAX"
    # impressions: 1204 + 20000 + 500 = 21704; cost: 45.67 + 12.34 + 1.00 = 59.01 USD
    assert sum(r["impressions"] for r in rows) == 21_704
    assert sum(r["cost_micros"] for r in rows) == 59_010_000


def test_api_json_single_batch_object_and_batch_without_results():
    result = parse_json({"results": [api_result()], "fieldMask": "x", "requestId": "r"})
    assert result.records_read == 1 and result.tables["ad_stats"][0]["cost_micros"] == 1_500_000
    # An empty report: the API sends a batch with fieldMask/requestId but no "results".
    result = parse_json([{"fieldMask": "x", "requestId": "r"}])
    assert result.records_read == 0


@pytest.mark.parametrize("data", [b"", b"  \n", b"[]"])
def test_api_json_empty_file_is_an_empty_day(data):
    result = check_result(google_ads.parse(data, file_name="day.json", report_date=DAY))
    assert result.records_read == 0 and result.tables == {"ad_stats": []} and result.rejects == []


# --------------------------------------------------------------------------- API JSON: whole-file errors
def test_api_json_truncated_names_file_line_and_column():
    data = (FIXTURES / JSON_NAME).read_bytes()[:1500]
    with pytest.raises(SourceParseError) as info:
        google_ads.parse(data, file_name=JSON_NAME, report_date=DAY)
    message = str(info.value)
    assert message.startswith(JSON_NAME + ": line ")
    assert "column" in message and "invalid JSON" in message


def test_api_json_invalid_utf8_names_file_and_position():
    data = b'[{"results": [\n{"campaign": {"name": "caf\xe9"}}]}]'
    with pytest.raises(SourceParseError, match=r"^day\.json: line 2, byte \d+: invalid UTF-8"):
        google_ads.parse(data, file_name="day.json", report_date=DAY)


@pytest.mark.parametrize(
    "document, pattern",
    [
        ([{"results": []}, 5], r"day\.json: batch 2: expected a batch object"),
        ([{"results": {"a": 1}}], r"day\.json: batch 1: field 'results': expected an array"),
        ("hello", r"day\.json: top level"),
        ([{"error": {"code": 403, "message": "PERMISSION_DENIED"}}], r"batch 1: field 'error'.*PERMISSION_DENIED"),
    ],
)
def test_api_json_wrong_shape_names_the_position(document, pattern):
    with pytest.raises(SourceParseError, match=pattern):
        parse_json(document)


# --------------------------------------------------------------------------- API JSON: rejected records
@pytest.mark.parametrize(
    "overrides, reason",
    [
        ({"metrics": {"impressions": "12a"}}, "field 'metrics.impressions': not an integer: '12a'"),
        ({"metrics": {"clicks": "-3"}}, "field 'metrics.clicks': negative value: '-3'"),
        ({"metrics": {"conversions": float("nan")}}, "field 'metrics.conversions': not a finite number"),
        ({"metrics": {"costMicros": "99999999999999999999"}}, "field 'metrics.costMicros': out of the int64 range"),
        (
            {"segments": {"date": "2024-03-04"}},
            "field 'segments.date': record is for 2024-03-04 but the file is in the folder of 2024-03-05",
        ),
        ({"segments": {}}, "field 'segments.date': not a date"),
        (
            {"customer": {"id": "1", "currencyCode": "XYZ", "descriptiveName": "A"}},
            "field 'customer.currencyCode': unknown currency: 'XYZ'",
        ),
        (
            {"customer": {"id": "1", "currencyCode": "usd", "descriptiveName": "A"}},
            "field 'customer.currencyCode': not an ISO 4217 currency code",
        ),
        ({"adGroupAd": {}}, "field 'adGroupAd.ad.id': required value is missing"),
        (
            {"campaign": {"name": "x", "advertisingChannelType": "SEARCH"}},
            "field 'campaign.id': required value is missing",
        ),
    ],
)
def test_api_json_bad_record_is_rejected_naming_the_field(overrides, reason):
    result = parse_json([{"results": [api_result(**overrides)]}])
    reject = only_reject(result)
    assert reason in reject.reason
    assert reject.record_number == 1
    assert json.loads(reject.raw_record) == json.loads(json.dumps(api_result(**overrides)))


def test_api_json_non_object_result_is_rejected():
    result = parse_json([{"results": [api_result(), "oops"]}])
    assert result.records_read == 2 and len(result.tables["ad_stats"]) == 1
    assert result.rejects[0].record_number == 2 and "not a JSON object" in result.rejects[0].reason


def test_api_json_duplicate_grain_key_is_rejected():
    # record 1 in batch 1, its exact grain (date, customer, campaign, ad group, ad) again as record 3 in batch 2
    other_ad = api_result(adGroupAd={"ad": {"id": "999"}})
    result = parse_json([{"results": [api_result(), other_ad]}, {"results": [api_result()]}])
    assert result.records_read == 3 and len(result.tables["ad_stats"]) == 2
    assert result.rejects[0].record_number == 3
    assert "duplicate of record 1" in result.rejects[0].reason


def test_api_json_good_and_bad_records_in_one_file():
    result = parse_json(
        [
            {"results": [api_result(), api_result(metrics={"impressions": "12a"}, adGroupAd={"ad": {"id": "2"}})]},
            {"results": [api_result(adGroupAd={"ad": {"id": "3"}})]},
        ]
    )
    # 3 read = 2 loaded (records 1 and 3) + 1 rejected (record 2)
    assert [r["record_number"] for r in result.tables["ad_stats"]] == [1, 3]
    assert [r.record_number for r in result.rejects] == [2]


# --------------------------------------------------------------------------- UI CSV fixture
def test_ui_csv_fixture():
    data = (FIXTURES / CSV_NAME).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the fixture really has a BOM
    result = check_result(google_ads.parse(data, file_name=CSV_NAME, report_date=DAY))

    # lines: 1 title, 2 date range, 3 header, 4-6 data, 7-8 "Total:" rows
    assert result.records_read == 3
    assert result.rejects == []
    assert result.ignored_lines == 5  # 2 preamble + 1 header + 2 Total
    rows = result.tables["ad_stats"]
    assert [r["record_number"] for r in rows] == [4, 5, 6]  # physical line numbers

    assert rows[0] == {
        "segment_date": DAY,
        "customer_id": "1234567890",  # "123-456-7890" -> digits
        "customer_name": "Acme US",
        "currency_code": "USD",
        "time_zone": None,  # not in the UI report
        "campaign_id": "111",
        "campaign_name": "Brand Search",
        "advertising_channel_type": "SEARCH",
        "ad_group_id": "211",
        "ad_group_name": "Brand exact",
        "ad_id": "311",
        "impressions": 1204,  # "1,204"
        "clicks": 87,
        "interactions": 87,
        "cost_micros": 45_670_000,  # 45.67 * 1e6
        "conversions": 3.5,
        "conversions_value": 420.25,
        "view_through_conversions": 0,
        "video_trueview_views": None,  # the UI download has no video columns: not measured
        "video_quartile_p100_rate": None,
        "source_format": "ui_csv",
        "source_file": CSV_NAME,
        "record_number": 4,
    }
    # line 5: quoted name with a comma; "20,000"; "--" conversions -> 0
    assert rows[1]["campaign_name"] == "Display, Remarketing"
    assert rows[1]["advertising_channel_type"] == "DISPLAY"
    assert rows[1]["impressions"] == 20_000
    assert (rows[1]["conversions"], rows[1]["conversions_value"]) == (0.0, 0.0)
    # line 6: "Performance Max" -> PERFORMANCE_MAX; "--" clicks/interactions/view-through -> 0;
    # "1,234.56" -> 1234560000 micros; "1,050.10" -> 1050.1
    assert rows[2]["advertising_channel_type"] == "PERFORMANCE_MAX"
    assert (rows[2]["clicks"], rows[2]["interactions"], rows[2]["view_through_conversions"]) == (0, 0, 0)
    assert rows[2]["cost_micros"] == 1_234_560_000
    assert rows[2]["conversions_value"] == 1050.1
    # totals agree with the "Total: Account" line: 1204 + 20000 + 500 = 21704 impressions,
    # 45.67 + 12.34 + 1234.56 = 1292.57 -> 1_292_570_000 micros, 3.50 + 0 + 1.00 = 4.5 conversions
    assert sum(r["impressions"] for r in rows) == 21_704
    assert sum(r["cost_micros"] for r in rows) == 1_292_570_000
    assert sum(r["conversions"] for r in rows) == 4.5
    # the unknown extra column is named in a warning; the ignored lines are the export's normal
    # shape, explained in an INFO note and not a warning
    assert any("'Campaign state'" in w for w in result.warnings)
    assert any("2 preamble" in n and "2 Total" in n for n in result.notes)
    assert not any("preamble" in w for w in result.warnings)


def test_ui_csv_without_customer_id_uses_the_account_name():
    result = parse_csv(ui_csv(GOOD_LINE))
    row = result.tables["ad_stats"][0]
    assert row["customer_id"] == "Acme US" and row["customer_name"] == "Acme US"
    assert row["cost_micros"] == 1_500_000  # 1.50
    assert row["record_number"] == 4
    assert not any("unknown column" in w for w in result.warnings)


def test_ui_csv_cost_uses_decimal_not_float():
    # float: 0.1 * 3 != 0.3; Decimal("0.1") * 1_000_000 == 100000 exactly
    line = GOOD_LINE.replace(",1.50,", ",0.10,")
    assert parse_csv(ui_csv(line)).tables["ad_stats"][0]["cost_micros"] == 100_000
    line = GOOD_LINE.replace(",1.50,", ',"12,345,678.91",')
    assert parse_csv(ui_csv(line)).tables["ad_stats"][0]["cost_micros"] == 12_345_678_910_000


def test_ui_csv_header_is_found_by_content_not_offset():
    text = 'Ad report\nAll campaigns\n"March 5, 2024 - March 5, 2024"\n' + HEADER + "\n" + GOOD_LINE + "\n"
    result = parse_csv(text)
    assert result.records_read == 1 and result.tables["ad_stats"][0]["record_number"] == 5
    assert result.ignored_lines == 4  # 3 preamble + header


def test_ui_csv_blank_lines_are_ignored_not_records():
    result = parse_csv(ui_csv(GOOD_LINE, "", "Total: Account,,,,,,,,,10,2,2,1.50,0.00,0.00,0"))
    assert result.records_read == 1 and result.ignored_lines == 2 + 1 + 1 + 1


def test_ui_csv_unknown_campaign_type_is_upper_snake_cased_with_a_warning():
    line = GOOD_LINE.replace(",Search,", ",Smart Shopping,")
    result = parse_csv(ui_csv(line))
    assert result.tables["ad_stats"][0]["advertising_channel_type"] == "SMART_SHOPPING"
    assert any("'Smart Shopping'" in w and "'SMART_SHOPPING'" in w for w in result.warnings)


@pytest.mark.parametrize(
    "ui_name, enum",
    [("Demand Gen", "DEMAND_GEN"), ("Video", "VIDEO"), ("Shopping", "SHOPPING"), ("App", "MULTI_CHANNEL")],
)
def test_ui_csv_campaign_type_mapping(ui_name, enum):
    line = GOOD_LINE.replace(",Search,", f",{ui_name},")
    assert parse_csv(ui_csv(line)).tables["ad_stats"][0]["advertising_channel_type"] == enum


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n"])
def test_ui_csv_empty_file_is_an_empty_day(data):
    result = check_result(google_ads.parse(data, file_name="day.csv", report_date=DAY))
    assert result.records_read == 0 and result.tables == {"ad_stats": []}


def test_ui_csv_header_only_is_an_empty_day():
    result = parse_csv(ui_csv())
    assert result.records_read == 0 and result.ignored_lines == 3


# --------------------------------------------------------------------------- UI CSV: whole-file errors
def test_ui_csv_missing_required_column_names_the_column():
    header = HEADER.replace("Clicks,", "")
    line = GOOD_LINE.replace(",2,2,", ",2,")
    with pytest.raises(SourceParseError) as info:
        parse_csv(ui_csv(line, header=header), name="ui.csv")
    assert info.value.field_name == "Clicks"
    assert str(info.value) == "ui.csv: line 3 (header): field 'Clicks': required column is missing"


def test_ui_csv_missing_campaign_id_column_still_finds_the_header():
    header = HEADER.replace("Campaign ID,", "")
    with pytest.raises(SourceParseError, match=r"line 3 \(header\): field 'Campaign ID': required column is missing"):
        parse_csv(ui_csv(header=header))


def test_ui_csv_without_any_header_fails():
    with pytest.raises(SourceParseError, match=r"day\.csv: header: .*no header line"):
        parse_csv("just,some\nrandom,text\n")


def test_ui_csv_invalid_utf8_names_file_and_line():
    data = ui_csv(GOOD_LINE).encode().replace(b"Acme US", b"Acme \xff")
    with pytest.raises(SourceParseError, match=r"^day\.csv: line 4, byte \d+: invalid UTF-8"):
        google_ads.parse(data, file_name="day.csv", report_date=DAY)


# --------------------------------------------------------------------------- UI CSV: rejected records
@pytest.mark.parametrize(
    "old, new, reason",
    [
        (",10,2,2,", ",12a,2,2,", "field 'Impr.': not an integer: '12a'"),
        (",10,2,2,", ",10,-2,2,", "field 'Clicks': negative value: '-2'"),
        (",1.50,", ",-1.50,", "field 'Cost': negative value: '-1.50'"),
        (",1.50,", ",abc,", "field 'Cost': not a number: 'abc'"),
        (",1.50,", ",NaN,", "field 'Cost': not a finite number: 'NaN'"),
        (",0.00,0.00,0", ",nan,0.00,0", "field 'Conversions': not a finite number"),
        (",10,2,2,", ",1_000,2,2,", "field 'Impr.': not a number: '1_000'"),
        (
            "2024-03-05,",
            "2024-03-04,",
            "field 'Day': record is for 2024-03-04 but the file is in the folder of 2024-03-05",
        ),
        ("2024-03-05,", "05/03/2024,", "field 'Day': not a date"),
        (",USD,", ",XYZ,", "field 'Currency code': unknown currency: 'XYZ'"),
        (",USD,", ",US,", "field 'Currency code': not an ISO 4217 currency code"),
        (",311,", ",--,", "field 'Ad ID': required value is missing ('--')"),
        (",211,", ",,", "field 'Ad group ID': required value is missing"),
        (",111,", ",1x1,", "field 'Campaign ID': not an id (digits): '1x1'"),
        (",Acme US,", ",--,", "field 'Account': required value is missing ('--')"),
        (",10,2,2,", ",,2,2,", "field 'Impr.': required value is missing"),
    ],
)
def test_ui_csv_bad_record_is_rejected_naming_the_field(old, new, reason):
    line = GOOD_LINE.replace(old, new, 1)
    assert line != GOOD_LINE
    reject = only_reject(parse_csv(ui_csv(line)))
    assert reason in reject.reason
    assert reject.record_number == 4
    assert reject.raw_record == line  # the original line, verbatim


def test_ui_csv_wrong_cell_count_is_rejected():
    reject = only_reject(parse_csv(ui_csv(GOOD_LINE + ",extra")))
    assert "17 cells, the header has 16" in reject.reason


def test_ui_csv_bad_customer_id_is_rejected():
    header = "Customer ID," + HEADER
    reject = only_reject(parse_csv(ui_csv("12-ab," + GOOD_LINE, header=header)))
    assert "field 'Customer ID'" in reject.reason


def test_ui_csv_duplicate_grain_key_is_rejected():
    other_ad = GOOD_LINE.replace(",311,", ",312,")
    result = parse_csv(ui_csv(GOOD_LINE, other_ad, GOOD_LINE))
    # 3 read = 2 loaded (lines 4, 5) + 1 duplicate (line 6 repeats line 4)
    assert [r["record_number"] for r in result.tables["ad_stats"]] == [4, 5]
    assert [r.record_number for r in result.rejects] == [6]
    assert "duplicate of record 4" in result.rejects[0].reason


def test_ui_csv_crlf_and_quoted_multi_line_cell_keep_physical_line_numbers():
    text = ui_csv(GOOD_LINE.replace("Brand Search", '"Brand\nSearch"'), GOOD_LINE.replace(",311,", ",312,"))
    result = parse_csv(text.replace("\n", "\r\n"))
    rows = result.tables["ad_stats"]
    # line 4-5 hold the first record (its campaign name spans two lines), line 6 the second
    assert [r["record_number"] for r in rows] == [4, 6]
    assert rows[0]["campaign_name"] == "Brand\r\nSearch"


# --------------------------------------------------------------------------- names are optional attributes
IDS_ONLY_NAME = "search_stream_ids_only_2024-03-05.json"


def test_api_json_query_without_names_loads_every_row_with_null_names_and_one_warning():
    # the GAQL query of this fixture selects ids, currency, time zone, channel type, metrics and
    # segments.date but no names (fieldMask): the API then returns no name fields at all
    data = (FIXTURES / IDS_ONLY_NAME).read_bytes()
    result = check_result(google_ads.parse(data, file_name=IDS_ONLY_NAME, report_date=DAY))
    assert result.records_read == 3 and result.rejects == []
    rows = result.tables["ad_stats"]
    assert [r["ad_id"] for r in rows] == ["311", "312", "313"]
    assert all(r["customer_name"] is None and r["campaign_name"] is None and r["ad_group_name"] is None for r in rows)
    # ids, currency and measures as in the full fixture: 1204 + 20000 + 500 impressions, 59.01 USD
    assert sum(r["impressions"] for r in rows) == 21_704 and sum(r["cost_micros"] for r in rows) == 59_010_000
    assert {r["currency_code"] for r in rows} == {"USD"} and rows[1]["view_through_conversions"] == 4
    # one warning for the file (not one per row), naming the fields and the number of rows
    [warning] = result.warnings
    assert "3 of 3" in warning
    for field in ("customer.descriptiveName", "campaign.name", "adGroup.name"):
        assert f"{field} (3)" in warning


@pytest.mark.parametrize(
    "drop, column, field",
    [
        ("customer", "customer_name", "customer.descriptiveName"),
        ("campaign", "campaign_name", "campaign.name"),
        ("adGroup", "ad_group_name", "adGroup.name"),
    ],
)
def test_api_json_one_missing_name_is_null_not_a_reject(drop, column, field):
    record = api_result()
    key = {"customer": "descriptiveName", "campaign": "name", "adGroup": "name"}[drop]
    del record[drop][key]
    other = api_result(adGroupAd={"ad": {"id": "312"}})
    result = parse_json([{"results": [record, other]}])
    assert result.rejects == []
    rows = result.tables["ad_stats"]
    assert rows[0][column] is None and rows[1][column] is not None
    [warning] = result.warnings
    assert "1 of 2" in warning and f"{field} (1)" in warning


def test_api_json_ids_stay_required_when_names_are_missing():
    record = api_result(campaign={"advertisingChannelType": "SEARCH"})  # neither campaign.id nor campaign.name
    reject = only_reject(parse_json([{"results": [record]}]))
    assert "field 'campaign.id': required value is missing" in reject.reason


def test_ui_csv_with_customer_id_loads_rows_whose_names_are_blank_or_dashes():
    header = "Customer ID," + HEADER
    no_names = "123-456-7890," + GOOD_LINE.replace(",Acme US,", ",--,").replace(",Brand Search,", ",,").replace(
        ",Brand exact,", ",--,"
    )
    named = "123-456-7890," + GOOD_LINE.replace(",311,", ",312,")
    result = parse_csv(ui_csv(no_names, named, header=header))
    assert result.rejects == []
    first, second = result.tables["ad_stats"]
    assert (first["customer_id"], first["customer_name"], first["campaign_name"], first["ad_group_name"]) == (
        "1234567890",
        None,
        None,
        None,
    )
    assert (second["customer_name"], second["campaign_name"]) == ("Acme US", "Brand Search")
    warning = next(w for w in result.warnings if "NULL" in w)
    assert "1 of 2" in warning and "Account (1)" in warning and "Campaign (1)" in warning and "Ad group (1)" in warning
    assert sum("NULL" in w for w in result.warnings) == 1


def test_ui_csv_campaign_and_ad_group_names_are_optional_without_customer_id():
    line = GOOD_LINE.replace(",Brand Search,", ",--,").replace(",Brand exact,", ",,")
    result = parse_csv(ui_csv(line))
    [row] = result.tables["ad_stats"]
    assert (row["customer_id"], row["campaign_name"], row["ad_group_name"]) == ("Acme US", None, None)


# --------------------------------------------------------------------------- video metrics
VIDEO_NAME = "search_stream_video_2024-03-05.json"


def test_api_json_video_metrics_null_unless_selected_zero_when_selected_and_omitted():
    """Hand-written from the API reference: ``metrics.video_trueview_views`` (int64 as a string) and
    ``metrics.video_quartile_p100_rate`` (a double, share of impressions) in camelCase; a zero metric
    the query selected is omitted by the API."""
    data = (FIXTURES / VIDEO_NAME).read_bytes()
    result = check_result(google_ads.parse(data, file_name=VIDEO_NAME, report_date=DAY))
    assert result.records_read == 4 and result.rejects == []
    video = {r["ad_id"]: (r["video_trueview_views"], r["video_quartile_p100_rate"]) for r in result.tables["ad_stats"]}
    assert video == {
        "321": (1000, 0.1875),  # both present
        "322": (0, 0.0),  # VIDEO ad, both selected in the fieldMask and omitted: zeros
        "311": (0, 0.0),  # SEARCH ad, selected and omitted: 0 here, "no video" is decided in dbt
        # batch 2 selects only video_trueview_views (GAQL snake_case in its fieldMask): the rate was
        # not asked for, so it is not measured (NULL), the views are read
        "323": (40, None),
    }
    # the other metrics are untouched by the video fields
    assert [r["interactions"] for r in result.tables["ad_stats"]] == [1012, 2, 87, 40]


@pytest.mark.parametrize(
    ("metrics", "reason"),
    [
        ({"videoTrueviewViews": "-3"}, r"metrics\.videoTrueviewViews.*negative"),
        ({"videoTrueviewViews": "1.5"}, r"metrics\.videoTrueviewViews.*not an integer"),
        ({"videoQuartileP100Rate": 1.25}, r"metrics\.videoQuartileP100Rate.*at most 1"),
        ({"videoQuartileP100Rate": "x"}, r"metrics\.videoQuartileP100Rate.*not a number"),
    ],
)
def test_api_json_bad_video_metric_is_rejected_naming_the_field(metrics, reason):
    record = api_result(metrics={"impressions": "10", **metrics})
    reject = only_reject(parse_json({"results": [record], "fieldMask": "metrics.impressions"}))
    assert re.search(reason, reject.reason), reject.reason
