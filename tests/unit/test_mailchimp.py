"""Mailchimp reports parser: lifetime snapshots, validation, quarantine, file-level errors."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime

import pytest

from orchestration.ingestion.parsers import mailchimp
from orchestration.ingestion.parsers.base import ParseResult, SourceParseError
from tests.parser_checks import check_parse_result
from tests.paths import PARSER_FIXTURES

FIXTURES = PARSER_FIXTURES / "mailchimp"
DAY1 = date(2024, 3, 2)
DAY2 = date(2024, 3, 3)
TABLE = mailchimp.PRIMARY_TABLE


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse(data: bytes, report_date: date = DAY1, file_name: str = "reports.json") -> ParseResult:
    return mailchimp.parse(data, file_name=file_name, report_date=report_date)


def check_invariants(result: ParseResult) -> None:
    check_parse_result(result, mailchimp)


def base_report() -> dict:
    """A valid report (the first one of the day-1 fixture)."""
    return copy.deepcopy(json.loads(fixture_bytes("reports_2024-03-02.json"))["reports"][0])


def doc(*reports: dict, **extra) -> bytes:
    return json.dumps({"reports": list(reports), **extra}).encode()


# --------------------------------------------------------------------------- happy path
def test_two_snapshots_of_one_campaign_with_mpp_proxy_opens():
    day1 = parse(fixture_bytes("reports_2024-03-02.json"), DAY1, "reports_2024-03-02.json")
    day2 = parse(fixture_bytes("reports_2024-03-03.json"), DAY2, "reports_2024-03-03.json")
    for result in (day1, day2):
        check_invariants(result)
        assert result.rejects == [] and result.warnings == []
    assert (day1.records_read, day2.records_read) == (1, 2)

    [snap1] = day1.tables[TABLE]
    snap2 = next(r for r in day2.tables[TABLE] if r["campaign_id"] == "c1a2b3c4d5")
    assert snap1 == {
        "campaign_id": "c1a2b3c4d5",
        "campaign_title": "Spring sale launch",
        "list_id": "L9f8e7d6",
        "subject_line": "Spring sale: 20% off everything",
        "campaign_type": "regular",
        "send_time": datetime(2024, 3, 1, 14, 0, tzinfo=UTC),
        "emails_sent": 1000,
        "hard_bounces": 8,
        "soft_bounces": 12,
        "syntax_errors": 0,
        "opens_total": 620,
        "unique_opens": 410,
        "proxy_excluded_opens": 300,
        "proxy_excluded_unique_opens": 190,
        "clicks_total": 95,
        "unique_clicks": 70,
        "unique_subscriber_clicks": 55,
        "unsubscribed": 3,
        "source_file": "reports_2024-03-02.json",
        "record_number": 1,
    }
    # Lifetime totals are stored as-is; the daily figure of 2024-03-03 is the dbt diff.
    # Hand arithmetic of what dbt will derive from these two snapshots:
    #   impressions (MPP-excluded unique opens): 215 - 190 = 25
    #   clicks (unique subscriber clicks):        68 -  55 = 13
    #   all clicks (clicks_total):               120 -  95 = 25
    #   deliveries (emails_sent - bounces): (1000 - 8 - 13 - 0) - (1000 - 8 - 12 - 0) = 979 - 980 = -1
    #   Apple-MPP (machine) opens are opens_total - proxy_excluded_opens: day1 620 - 300 = 320, day2 700 - 350 = 350
    assert snap2["proxy_excluded_unique_opens"] - snap1["proxy_excluded_unique_opens"] == 25
    assert snap2["unique_subscriber_clicks"] - snap1["unique_subscriber_clicks"] == 13
    assert snap2["clicks_total"] - snap1["clicks_total"] == 25
    assert snap2["opens_total"] - snap2["proxy_excluded_opens"] == 350
    assert (snap2["soft_bounces"], snap2["unsubscribed"], snap2["record_number"]) == (13, 4, 1)


def test_offset_send_time_is_converted_to_utc_and_blank_subject_is_null():
    result = parse(fixture_bytes("reports_2024-03-03.json"), DAY2)
    second = result.tables[TABLE][1]
    # 2024-03-02T09:30:00+02:00 = 09:30 - 2 h = 07:30 UTC
    assert second["send_time"] == datetime(2024, 3, 2, 7, 30, tzinfo=UTC)
    assert second["subject_line"] is None
    assert second["campaign_type"] == "plaintext"
    assert second["emails_sent"] == 500  # 500.0 in the file: an integral float is accepted
    assert second["syntax_errors"] == 0  # absent in the file -> 0
    assert second["record_number"] == 2


def test_array_of_pages_is_concatenated_and_numbered_across_pages():
    r1, r2, r3 = base_report(), base_report(), base_report()
    r2["id"], r3["id"] = "second", "third"
    pages = [{"reports": [r1, r2], "total_items": 3}, {"reports": [r3], "total_items": 3}]
    result = parse(json.dumps(pages).encode())
    check_invariants(result)
    assert [(r["campaign_id"], r["record_number"]) for r in result.tables[TABLE]] == [
        ("c1a2b3c4d5", 1),
        ("second", 2),
        ("third", 3),
    ]
    assert result.warnings == []


def test_total_items_mismatch_is_a_partial_export_warning():
    result = parse(doc(base_report(), total_items=250))
    check_invariants(result)
    assert len(result.tables[TABLE]) == 1
    assert len(result.warnings) == 1
    assert "total_items" in result.warnings[0] and "250" in result.warnings[0] and "partial" in result.warnings[0]


@pytest.mark.parametrize("data", [b"", b"  \n"])
def test_empty_file_is_a_valid_day_with_no_rows(data):
    result = parse(data)
    check_invariants(result)
    assert result.records_read == 0 and result.tables[TABLE] == [] and result.rejects == []


def test_empty_reports_list():
    result = parse(doc(total_items=0))
    check_invariants(result)
    assert result.records_read == 0 and result.warnings == []


# --------------------------------------------------------------------------- record rejects
def _with(path: str, value) -> dict:
    report = base_report()
    node = report
    *parents, leaf = path.split(".")
    for part in parents:
        node = node[part]
    if value is _DELETE:
        del node[leaf]
    else:
        node[leaf] = value
    return report


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        ("emails_sent", "12a", "emails_sent", "not an integer: '12a'"),
        ("opens.opens_total", -5, "opens.opens_total", "negative value"),
        ("clicks.clicks_total", 9.5, "clicks.clicks_total", "not an integer"),
        ("opens.proxy_excluded_unique_opens", float("nan"), "opens.proxy_excluded_unique_opens", "not an integer"),
        ("bounces.hard_bounces", True, "bounces.hard_bounces", "not an integer"),
        ("unsubscribed", None, "unsubscribed", "required value is missing"),
        ("opens.unique_opens", _DELETE, "opens.unique_opens", "required value is missing"),
        ("id", _DELETE, "id", "required value is missing"),
        ("send_time", "yesterday", "send_time", "not an ISO 8601 timestamp"),
        ("send_time", "2024-03-01T14:00:00", "send_time", "no UTC offset"),
    ],
)
def test_bad_values_are_quarantined_naming_the_field(path, value, field, message):
    good = base_report()
    good["id"] = "good"
    result = parse(doc(_with(path, value), good))
    check_invariants(result)
    assert [r["campaign_id"] for r in result.tables[TABLE]] == ["good"]
    [reject] = result.rejects
    assert reject.record_number == 1
    assert f"field '{field}'" in reject.reason
    assert message in reject.reason
    assert reject.raw_record.startswith("{")  # the original report, as JSON text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"opens.unique_opens": 621}, "opens.unique_opens"),  # 621 > opens_total 620
        ({"opens.proxy_excluded_unique_opens": 411}, "opens.proxy_excluded_unique_opens"),  # 411 > unique_opens 410
        ({"opens.proxy_excluded_opens": 700}, "opens.proxy_excluded_opens"),  # 700 > opens_total 620
        ({"clicks.unique_subscriber_clicks": 96}, "clicks.unique_subscriber_clicks"),  # 96 > clicks_total 95
        ({"clicks.unique_clicks": 96}, "clicks.unique_clicks"),  # 96 > clicks_total 95
        ({"bounces.hard_bounces": 990}, "bounces"),  # 990 + 12 + 0 = 1002 > emails_sent 1000
    ],
)
def test_inconsistent_counters_are_quarantined(changes, field):
    report = base_report()
    for path, value in changes.items():
        section, leaf = path.split(".")
        report[section][leaf] = value
    result = parse(doc(report))
    check_invariants(result)
    assert result.tables[TABLE] == []
    [reject] = result.rejects
    assert f"field '{field}'" in reject.reason and "inconsistent" in reject.reason


def test_bounces_equal_to_emails_sent_is_consistent():
    report = _with("bounces.hard_bounces", 988)  # 988 + 12 + 0 = 1000 = emails_sent: allowed
    result = parse(doc(report))
    check_invariants(result)
    assert result.rejects == []


def test_campaign_sent_after_the_snapshot_date_is_wrong_day():
    # Folder 2024-03-02: the limit is end of day (2024-03-03 00:00 UTC) + 1 day = 2024-03-04 00:00 UTC.
    late = _with("send_time", "2024-03-04T00:00:01+00:00")
    late["id"] = "late"
    edge = _with("send_time", "2024-03-04T01:00:00+01:00")  # = 2024-03-04 00:00 UTC: still allowed
    edge["id"] = "edge"
    unsent = _with("send_time", "")  # a draft has no send time: null, not an error
    unsent["id"] = "unsent"
    result = parse(doc(late, edge, unsent), DAY1)
    check_invariants(result)
    rows = {r["campaign_id"]: r for r in result.tables[TABLE]}
    assert set(rows) == {"edge", "unsent"}
    assert rows["unsent"]["send_time"] is None
    [reject] = result.rejects
    assert reject.record_number == 1
    assert "field 'send_time'" in reject.reason
    assert "sent after the snapshot date: file from the wrong day?" in reject.reason


def test_duplicate_campaign_id_is_quarantined_naming_the_first():
    first, second = base_report(), base_report()
    second["unsubscribed"] = 99
    result = parse(doc(first, second))
    check_invariants(result)
    assert [r["unsubscribed"] for r in result.tables[TABLE]] == [3]
    [reject] = result.rejects
    assert reject.record_number == 2 and "duplicate of record 1" in reject.reason


def test_report_that_is_not_an_object_is_quarantined():
    result = parse(doc(base_report(), "oops"))
    check_invariants(result)
    assert [r.record_number for r in result.rejects] == [2]


# --------------------------------------------------------------------------- file-level errors
def test_truncated_json_names_file_line_and_column():
    data = fixture_bytes("reports_2024-03-02.json")
    truncated = data[: len(data) // 2]
    with pytest.raises(SourceParseError) as info:
        parse(truncated, file_name="reports_2024-03-02.json")
    message = str(info.value)
    assert message.startswith("reports_2024-03-02.json: line ")
    assert "column" in message and "invalid JSON" in message


def test_invalid_utf8_fails_the_file():
    data = fixture_bytes("reports_2024-03-02.json").replace(b"Spring sale launch", b"Spring \xff sale")
    with pytest.raises(SourceParseError) as info:
        parse(data, file_name="bad.json")
    assert str(info.value).startswith("bad.json: line 5, byte ")
    assert "invalid UTF-8" in str(info.value)


@pytest.mark.parametrize(
    ("document", "field"),
    [({"campaigns": []}, "reports"), ({"reports": {}}, "reports"), (42, None), ([{"reports": []}, 3], None)],
)
def test_document_of_the_wrong_shape_fails_the_file(document, field):
    with pytest.raises(SourceParseError) as info:
        parse(json.dumps(document).encode(), file_name="x.json")
    assert info.value.file_name == "x.json"
    assert info.value.field_name == field


def test_utf8_bom_is_accepted():
    result = parse(b"\xef\xbb\xbf" + doc(base_report()))
    check_invariants(result)
    assert result.records_read == 1 and result.rejects == []


# --------------------------------------------------------------------------- descriptive fields are optional
def test_export_without_descriptive_fields_loads_with_nulls_and_one_warning():
    # GET /3.0/reports?fields=reports.id,reports.emails_sent,...: no list_id, type or campaign_title
    name = "reports_ids_only_2024-03-02.json"
    result = parse(fixture_bytes(name), DAY1, name)
    check_invariants(result)
    assert result.records_read == 2 and result.rejects == []
    rows = result.tables[TABLE]
    assert [r["campaign_id"] for r in rows] == ["c1a2b3c4d5", "f6e5d4c3b2"]
    for column in ("campaign_title", "list_id", "campaign_type"):
        assert [r[column] for r in rows] == [None, None]
    assert [r["proxy_excluded_unique_opens"] for r in rows] == [190, 30]
    assert rows[1]["syntax_errors"] == 0
    [warning] = result.warnings
    assert "2 of 2" in warning
    for field in ("campaign_title (2)", "list_id (2)", "type (2)"):
        assert field in warning


@pytest.mark.parametrize("path", ["list_id", "type", "campaign_title"])
def test_a_missing_descriptive_field_is_null_not_a_reject(path):
    good = base_report()
    good["id"] = "good"
    result = parse(doc(_with(path, _DELETE), good))
    check_invariants(result)
    assert result.rejects == [] and len(result.tables[TABLE]) == 2
    [warning] = result.warnings
    assert f"{path} (1)" in warning
