"""Klaviyo campaign-values-report parser: lifetime snapshots, validation, quarantine, file errors."""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest

from orchestration.ingestion.parsers import klaviyo
from orchestration.ingestion.parsers.base import ParseResult, SourceParseError
from tests.parser_checks import check_parse_result
from tests.paths import PARSER_FIXTURES

FIXTURES = PARSER_FIXTURES / "klaviyo"
FIXTURE = "campaign_values_2024-03-02.json"
DAY = date(2024, 3, 2)
TABLE = klaviyo.PRIMARY_TABLE


def fixture_bytes(name: str = FIXTURE) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse(data: bytes, file_name: str = "klaviyo.json") -> ParseResult:
    return klaviyo.parse(data, file_name=file_name, report_date=DAY)


def check_invariants(result: ParseResult) -> None:
    check_parse_result(result, klaviyo)


def fixture_results() -> list[dict]:
    return copy.deepcopy(json.loads(fixture_bytes())["data"]["attributes"]["results"])


def response(*results: dict) -> dict:
    return {"data": {"type": "campaign-values-report", "attributes": {"results": list(results)}}}


def encode(document) -> bytes:
    return json.dumps(document).encode()


# --------------------------------------------------------------------------- happy path
def test_two_email_messages_of_one_campaign_and_an_sms_row():
    result = parse(fixture_bytes(), file_name=FIXTURE)
    check_invariants(result)
    assert result.records_read == 3 and result.rejects == [] and result.warnings == []
    msg1, msg2, sms = result.tables[TABLE]

    assert msg1 == {
        "send_channel": "email",
        "campaign_id": "01HQCAMPAIGN0001",
        "campaign_message_id": "01HQMESSAGE0001",
        "recipients": 5000,  # 5000.0 in the file: integral float accepted
        "delivered": 4950,
        "bounced": 50,
        "opens": 2100,
        "opens_unique": 1500,
        "clicks": 260,
        "clicks_unique": 140,
        "unsubscribes": 12,
        "conversions": 9.0,
        "conversion_value": 431.55,
        "source_file": FIXTURE,
        "record_number": 1,
    }
    assert (msg2["campaign_message_id"], msg2["record_number"], msg2["conversions"]) == ("01HQMESSAGE0002", 2, 2.0)
    assert isinstance(msg1["recipients"], int)

    # SMS: no opens and no bounced in the file -> 0; no conversion metric -> NULL (not 0).
    assert sms["send_channel"] == "sms" and sms["campaign_id"] == "01HQCAMPAIGN0002"
    assert (sms["recipients"], sms["delivered"], sms["bounced"]) == (800, 790, 0)
    assert (sms["opens"], sms["opens_unique"], sms["clicks"], sms["clicks_unique"]) == (0, 0, 45, 40)
    assert sms["conversions"] is None and sms["conversion_value"] is None
    assert sms["record_number"] == 3

    # Rates (open_rate, click_rate, conversion_rate) are derivable and not stored.
    assert not any(column.endswith("_rate") for column in klaviyo.SCHEMAS[TABLE].names)

    # Campaign 1 over its two messages, by hand:
    #   impressions (opens_unique): 1500 + 700 = 2200
    #   clicks (clicks_unique):      140 +  60 =  200   -> CTR 200 / 2200 = 0.0909...
    #   deliveries (delivered):     4950 + 2985 = 7935
    #   conversion_value:         431.55 + 99.0 = 530.55
    campaign1 = [r for r in result.tables[TABLE] if r["campaign_id"] == "01HQCAMPAIGN0001"]
    assert sum(r["opens_unique"] for r in campaign1) == 2200
    assert sum(r["clicks_unique"] for r in campaign1) == 200
    assert sum(r["delivered"] for r in campaign1) == 7935
    assert sum(r["conversion_value"] for r in campaign1) == pytest.approx(530.55)


def test_array_of_responses_is_concatenated_and_numbered_across_pages():
    results = fixture_results()
    pages = [response(results[0]), response(results[1], results[2])]
    result = parse(encode(pages))
    check_invariants(result)
    assert [r["record_number"] for r in result.tables[TABLE]] == [1, 2, 3]
    assert [r["campaign_message_id"] for r in result.tables[TABLE]] == [
        "01HQMESSAGE0001",
        "01HQMESSAGE0002",
        "01HQSMSMESSAGE01",
    ]


@pytest.mark.parametrize("data", [b"", b"\n\n"])
def test_empty_file_is_a_valid_day_with_no_rows(data):
    result = parse(data)
    check_invariants(result)
    assert result.records_read == 0 and result.tables[TABLE] == []


def test_empty_results():
    result = parse(encode(response()))
    check_invariants(result)
    assert result.records_read == 0


# --------------------------------------------------------------------------- record rejects
@pytest.mark.parametrize(
    ("section", "key", "value", "field", "message"),
    [
        ("statistics", "clicks", "12a", "statistics.clicks", "not an integer: '12a'"),
        ("statistics", "recipients", 120.5, "statistics.recipients", "not an integer"),
        ("statistics", "unsubscribes", -1, "statistics.unsubscribes", "negative value"),
        ("statistics", "opens", float("nan"), "statistics.opens", "not an integer"),
        ("statistics", "conversion_value", -3.0, "statistics.conversion_value", "negative value"),
        ("statistics", "conversions", "many", "statistics.conversions", "not a number"),
        ("groupings", "campaign_id", None, "groupings.campaign_id", "required value is missing"),
        ("groupings", "campaign_message_id", "", "groupings.campaign_message_id", "required value is missing"),
    ],
)
def test_bad_values_are_quarantined_naming_the_field(section, key, value, field, message):
    results = fixture_results()
    results[1][section][key] = value
    result = parse(encode(response(*results)))
    check_invariants(result)
    assert [r["record_number"] for r in result.tables[TABLE]] == [1, 3]
    [reject] = result.rejects
    assert reject.record_number == 2
    assert f"field '{field}'" in reject.reason and message in reject.reason
    assert json.loads(reject.raw_record)["groupings"] == results[1]["groupings"]  # the original result, as JSON


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("opens_unique", 2101, "statistics.opens_unique"),  # 2101 > opens 2100
        ("clicks_unique", 261, "statistics.clicks_unique"),  # 261 > clicks 260
        ("delivered", 5001, "statistics.delivered"),  # 5001 > recipients 5000
        ("bounced", 5001, "statistics.bounced"),  # 5001 > recipients 5000
    ],
)
def test_inconsistent_counters_are_quarantined(key, value, field):
    results = fixture_results()
    results[0]["statistics"][key] = value
    result = parse(encode(response(*results)))
    check_invariants(result)
    [reject] = result.rejects
    assert reject.record_number == 1
    assert f"field '{field}'" in reject.reason and "inconsistent" in reject.reason


def test_missing_statistics_or_groupings_object():
    results = fixture_results()
    del results[0]["statistics"]
    results[1]["groupings"] = "email"
    result = parse(encode(response(*results)))
    check_invariants(result)
    assert ["field 'statistics'" in r.reason for r in result.rejects] == [True, False]
    assert "field 'groupings'" in result.rejects[1].reason


def test_duplicate_grouping_is_quarantined():
    results = fixture_results()
    repeat = copy.deepcopy(results[0])
    repeat["statistics"]["opens"] = 2200
    # Same campaign and message on another channel is NOT a duplicate (different grain).
    other_channel = copy.deepcopy(results[0])
    other_channel["groupings"]["send_channel"] = "push-notification"
    result = parse(encode(response(*results, repeat, other_channel)))
    check_invariants(result)
    assert len(result.tables[TABLE]) == 4
    [reject] = result.rejects
    assert reject.record_number == 4 and "duplicate of record 1" in reject.reason


# --------------------------------------------------------------------------- file-level errors
def test_truncated_json_names_file_line_and_column():
    data = fixture_bytes()
    with pytest.raises(SourceParseError) as info:
        parse(data[:-40], file_name=FIXTURE)
    message = str(info.value)
    assert message.startswith(f"{FIXTURE}: line ") and "column" in message and "invalid JSON" in message


def test_invalid_utf8_fails_the_file():
    data = fixture_bytes().replace(b'"sms"', b'"sm\xc3"')
    with pytest.raises(SourceParseError) as info:
        parse(data, file_name=FIXTURE)
    assert "invalid UTF-8" in str(info.value) and str(info.value).startswith(f"{FIXTURE}: line 26, byte ")


def test_wrong_report_type_fails_the_file():
    document = response(*fixture_results())
    document["data"]["type"] = "flow-values-report"
    with pytest.raises(SourceParseError) as info:
        parse(encode(document), file_name="k.json")
    assert info.value.field_name == "data.type"
    assert "flow-values-report" in str(info.value)


def test_wrong_type_on_a_later_page_names_the_page():
    other = response()
    other["data"]["type"] = "campaign"
    with pytest.raises(SourceParseError) as info:
        parse(encode([response(), other]), file_name="k.json")
    assert info.value.position == "page 2" and info.value.field_name == "data.type"


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"errors": [{"status": 429, "detail": "throttled"}]}, "data"),
        ({"data": {"type": "campaign-values-report", "attributes": {}}}, "data.attributes.results"),
        ("text", None),
    ],
)
def test_document_of_the_wrong_shape_fails_the_file(document, field):
    with pytest.raises(SourceParseError) as info:
        parse(encode(document), file_name="k.json")
    assert info.value.field_name == field and info.value.file_name == "k.json"
