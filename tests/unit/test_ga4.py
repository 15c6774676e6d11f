"""GA4 BigQuery NDJSON parser: events + event_params, gzip, per-line quarantine, PII hashing."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, date, datetime

import pytest

from orchestration.ingestion.parsers import ga4
from orchestration.ingestion.parsers.base import ParseResult, SourceParseError
from tests.parser_checks import check_parse_result
from tests.paths import PARSER_FIXTURES

FIXTURES = PARSER_FIXTURES / "ga4"
FIXTURE = "events_20240301.ndjson"
DAY = date(2024, 3, 1)
EVENTS, PARAMS = ga4.PRIMARY_TABLE, ga4.PARAMS_TABLE
SALT = "test-salt"


@pytest.fixture(autouse=True)
def pii_salt_env(monkeypatch):
    monkeypatch.setenv("ADWH_PII_SALT", SALT)


def sha(text: str) -> str:
    """What hash_pii must produce: sha256 hex of salt + normalised value."""
    return hashlib.sha256((SALT + text).encode()).hexdigest()


def fixture_bytes(name: str = FIXTURE) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse(data: bytes, file_name: str = "events.ndjson", report_date: date = DAY) -> ParseResult:
    return ga4.parse(data, file_name=file_name, report_date=report_date)


def check_invariants(result: ParseResult) -> None:
    check_parse_result(result, ga4)


def all_emitted_text(result: ParseResult) -> list[str]:
    texts = [v for rows in result.tables.values() for row in rows for v in row.values() if isinstance(v, str)]
    texts += [r.raw_record for r in result.rejects] + [r.reason for r in result.rejects] + result.warnings
    return texts


def event(**overrides) -> dict:
    """A valid page_view of 2024-03-01 (overrides replace top-level fields)."""
    base = {
        "event_date": "20240301",
        "event_timestamp": "1709300000000000",
        "event_name": "page_view",
        "user_pseudo_id": "999.111",
        "user_id": None,
        "event_params": [
            {"key": "ga_session_id", "value": {"int_value": "1709300000"}},
            {"key": "page_location", "value": {"string_value": "https://shop.example.com/"}},
        ],
    }
    base.update(overrides)
    return base


def ndjson(*lines) -> bytes:
    return "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines).encode() + b"\n"


# --------------------------------------------------------------------------- happy path
def test_fixture_session_start_page_view_purchase():
    result = parse(fixture_bytes(), file_name=FIXTURE)
    check_invariants(result)
    # 4 lines: 3 events + 1 blank line (line 3), which is not a record.
    assert (result.records_read, result.ignored_lines, result.rejects) == (3, 1, [])
    assert result.warnings == [f"{FIXTURE}: 1 blank line(s) ignored"]
    session_start, page_view, purchase = result.tables[EVENTS]

    # 1709290000 s = 2024-03-01 00:00 UTC (1709251200) + 38800 s (10 h 46 min 40 s); + 123456 µs
    assert session_start == {
        "event_date": date(2024, 3, 1),
        "event_timestamp_us": 1709290000123456,
        "event_ts": datetime(2024, 3, 1, 10, 46, 40, 123456, tzinfo=UTC),
        "event_name": "session_start",
        "user_pseudo_id": "1234567890.1709290000",
        "user_id": None,
        "ga_session_id": 1709290000,  # int_value arrived as the string "1709290000"
        "page_location": "https://shop.example.com/?gclid=Cj0KCQiA_abc&utm_source=google&utm_medium=cpc"
        "&utm_campaign=spring_sale&utm_id=111222333",
        "page_referrer": None,
        "traffic_source": "google",
        "traffic_medium": "cpc",
        "traffic_campaign_id": "111222333",
        "traffic_campaign_name": "spring_sale",
        "traffic_gclid": "Cj0KCQiA_abc",
        "url_gclid": "Cj0KCQiA_abc",
        "url_fbclid": None,
        "url_li_fat_id": None,
        "url_mc_cid": None,
        "url_mc_eid": None,
        "url_utm_source": "google",
        "url_utm_medium": "cpc",
        "url_utm_campaign": "spring_sale",
        "url_utm_id": "111222333",
        "transaction_id": None,
        "purchase_revenue": None,
        "currency": None,
        "source_file": FIXTURE,
        "record_number": 1,
    }

    # 1709290065 s = 1709290000 s + 65 s -> 10:47:45 UTC
    assert page_view["event_ts"] == datetime(2024, 3, 1, 10, 47, 45, tzinfo=UTC)
    assert page_view["record_number"] == 2
    # user_id "  Jane.Doe@Example.org " -> stripped, lower-cased (an e-mail), hashed
    assert page_view["user_id"] == sha("jane.doe@example.org")
    # mc_eid (a Mailchimp subscriber id) hashed in the column and in the URL; the e-mail in
    # ref= (percent-encoded) and in the referrer replaced by its hash.
    jane = "email_sha256:" + sha("jane.doe@example.org")
    assert page_view["url_mc_cid"] == "abc123"
    assert page_view["url_mc_eid"] == sha("f00dbeef42")
    assert page_view["url_utm_medium"] == "email" and page_view["url_utm_source"] is None
    assert page_view["page_location"] == (
        f"https://shop.example.com/products/42?mc_cid=abc123&mc_eid={sha('f00dbeef42')}&utm_medium=email&ref={jane}"
    )
    assert page_view["page_referrer"] == f"https://mail.example.net/inbox?to={jane}"
    assert page_view["traffic_source"] is None  # collected_traffic_source is null

    # 1709290200 s - 1709251200 s = 39000 s = 10 h 50 min
    assert purchase["event_ts"] == datetime(2024, 3, 1, 10, 50, tzinfo=UTC)
    assert purchase["record_number"] == 4  # line number: line 3 is blank
    assert purchase["user_id"] == sha("CRM-42")  # not an e-mail: case kept
    assert (purchase["transaction_id"], purchase["purchase_revenue"], purchase["currency"]) == ("T-1001", 59.9, "EUR")

    # event_params: 3 (session_start) + 5 (page_view) + 3 (purchase) = 11 rows
    params = result.tables[PARAMS]
    assert len(params) == 11
    by = {(p["record_number"], p["key"]): p for p in params}
    assert by[(1, "ga_session_number")]["int_value"] == 3
    assert by[(2, "engagement_time_msec")]["int_value"] == 1234
    assert by[(2, "scroll_ratio")]["double_value"] == 0.75
    assert by[(2, "page_referrer")]["string_value"] == page_view["page_referrer"]
    assert by[(4, "value")]["double_value"] == 59.9  # float_value -> double_value
    assert by[(4, "currency")] == {
        "event_timestamp_us": 1709290200000000,
        "event_name": "purchase",
        "user_pseudo_id": "1234567890.1709290000",
        "key": "currency",
        "string_value": "EUR",
        "int_value": None,
        "double_value": None,
        "source_file": FIXTURE,
        "record_number": 4,
    }


def test_gzip_version_gives_identical_output():
    plain = parse(fixture_bytes(), file_name=FIXTURE)
    gz = parse(fixture_bytes(FIXTURE + ".gz"), file_name=FIXTURE + ".gz")
    check_invariants(gz)

    def without_file(result: ParseResult) -> dict:
        return {
            t: [{k: v for k, v in row.items() if k != "source_file"} for row in rows]
            for t, rows in result.tables.items()
        }

    assert without_file(gz) == without_file(plain)
    assert (gz.records_read, gz.ignored_lines, gz.rejects) == (plain.records_read, plain.ignored_lines, plain.rejects)
    assert all(row["source_file"] == FIXTURE + ".gz" for rows in gz.tables.values() for row in rows)


def test_no_personal_data_in_any_emitted_value():
    bad_line = '{"event_date":"20240301","user_id":"bob@corp.example","note":"mail jane.doe@example.org"'  # truncated
    wrong_day = event(
        event_date="20240229",
        user_id="Carol@Example.com",
        event_params=[{"key": "page_location", "value": {"string_value": "https://x.example/?mc_eid=f00dbeef42"}}],
    )
    data = fixture_bytes() + bad_line.encode() + b"\n" + ndjson(wrong_day)
    result = parse(data)
    check_invariants(result)
    assert [r.record_number for r in result.rejects] == [5, 6]
    for text in all_emitted_text(result):
        for secret in ("jane.doe", "Jane.Doe", "bob@corp", "Carol", "carol", "f00dbeef42", "@example", "%40"):
            assert secret not in text
    broken_raw, wrong_day_raw = (r.raw_record for r in result.rejects)
    assert f'"user_id":"{sha("bob@corp.example")}"' in broken_raw  # user_id hashed even in a broken line
    assert "email_sha256:" + sha("jane.doe@example.org") in broken_raw
    assert f'"user_id": "{sha("carol@example.com")}"' in wrong_day_raw
    assert f"mc_eid={sha('f00dbeef42')}" in wrong_day_raw


@pytest.mark.parametrize("data", [b"", b"\n\n  \n"])
def test_empty_file_is_a_valid_day_with_no_rows(data):
    result = parse(data)
    check_invariants(result)
    assert result.records_read == 0 and result.tables[EVENTS] == [] and result.rejects == []
    assert result.ignored_lines == data.count(b"\n")


def test_empty_gz_file_is_a_valid_day_with_no_rows():
    for data in (b"", gzip.compress(b"")):
        result = parse(data, file_name="events.ndjson.gz")
        check_invariants(result)
        assert result.records_read == 0


def test_crlf_line_endings_and_integer_event_date():
    data = (
        json.dumps(event()) + "\r\n" + json.dumps(event(event_date=20240301, event_name="scroll")) + "\r\n"
    ).encode()
    result = parse(data)
    check_invariants(result)
    assert [e["event_name"] for e in result.tables[EVENTS]] == ["page_view", "scroll"]


# --------------------------------------------------------------------------- per-line rejects
def test_broken_line_is_rejected_while_the_others_load():
    broken = '{"event_date":"20240301" "event_name":"x"}'
    # index: '{' 0, '"event_date"' 1-12, ':' 13, '"20240301"' 14-23, ' ' 24, '"' 25
    # -> the decoder expects ',' at index 25 = column 26
    data = ndjson(event(), broken, event(event_name="scroll"))
    result = parse(data)
    check_invariants(result)
    assert result.records_read == 3
    assert [e["record_number"] for e in result.tables[EVENTS]] == [1, 3]
    [reject] = result.rejects
    assert reject.record_number == 2
    assert reject.reason.startswith("invalid JSON at column 26")
    assert reject.raw_record == broken


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"event_date": "20240302"},
            "event_date",
            "record is for 2024-03-02 but the file is in the folder of 2024-03-01",
        ),
        ({"event_date": "2024-03-01"}, "event_date", "not a date"),
        ({"event_timestamp": "12a"}, "event_timestamp", "not an integer: '12a'"),
        ({"event_timestamp": "1709300000000000.5"}, "event_timestamp", "not an integer"),
        ({"event_timestamp": -1}, "event_timestamp", "negative value"),
        ({"user_pseudo_id": None}, "user_pseudo_id", "required value is missing"),
        ({"event_name": ""}, "event_name", "required value is missing"),
        (
            {"event_params": [{"key": "ga_session_id", "value": {"int_value": "17a"}}]},
            "event_params.ga_session_id.int_value",
            "not an integer: '17a'",
        ),
        ({"event_params": [{"value": {"int_value": "1"}}]}, "event_params[0].key", "required value is missing"),
        ({"event_params": {"key": "x"}}, "event_params", "not a list"),
        ({"ecommerce": [1]}, "ecommerce", "not an object"),
    ],
)
def test_bad_events_are_quarantined_naming_the_field(overrides, field, message):
    result = parse(ndjson(event(event_name="first"), event(**overrides)))
    check_invariants(result)
    assert [e["event_name"] for e in result.tables[EVENTS]] == ["first"]
    [reject] = result.rejects
    assert reject.record_number == 2
    assert f"field '{field}'" in reject.reason and message in reject.reason


@pytest.mark.parametrize(
    "ecommerce",
    [
        None,
        {},
        {"transaction_id": "(not set)", "purchase_revenue": 10.0},
        {"transaction_id": "", "purchase_revenue": 1},
    ],
)
def test_purchase_without_transaction_id_is_rejected(ecommerce):
    result = parse(ndjson(event(event_name="purchase", ecommerce=ecommerce)))
    check_invariants(result)
    assert result.tables[EVENTS] == [] and result.tables[PARAMS] == []
    [reject] = result.rejects
    assert "field 'ecommerce.transaction_id'" in reject.reason and "de-duplicated" in reject.reason


@pytest.mark.parametrize(("revenue", "message"), [(-5.0, "negative value"), (float("nan"), "not a finite number")])
def test_bad_purchase_revenue_is_rejected(revenue, message):
    purchase = event(event_name="purchase", ecommerce={"transaction_id": "T-9", "purchase_revenue": revenue})
    result = parse(ndjson(purchase))
    check_invariants(result)
    [reject] = result.rejects
    assert "field 'ecommerce.purchase_revenue'" in reject.reason and message in reject.reason


def test_exact_duplicate_line_is_rejected_naming_the_first():
    line = json.dumps(event())
    other = json.dumps(event(event_timestamp="1709300000000001"))  # same event a µs later: not a duplicate
    data = f"{line}\n{other}\n  {line}  \n".encode()  # line 3 equals line 1 after strip
    result = parse(data)
    check_invariants(result)
    assert [e["record_number"] for e in result.tables[EVENTS]] == [1, 2]
    [reject] = result.rejects
    assert reject.record_number == 3 and "duplicate of line 1" in reject.reason


def test_line_that_is_not_an_object_is_rejected():
    result = parse(ndjson(event(), "[1, 2]", '"text"'))
    check_invariants(result)
    assert [(r.record_number, r.reason) for r in result.rejects] == [
        (2, "not a JSON object: list"),
        (3, "not a JSON object: str"),
    ]


def test_currency_from_ecommerce_wins_over_the_param():
    purchase = event(
        event_name="purchase",
        ecommerce={"transaction_id": "T-1", "purchase_revenue": "12.50", "currency": "USD"},
        event_params=[{"key": "currency", "value": {"string_value": "EUR"}}],
    )
    [row] = parse(ndjson(purchase)).tables[EVENTS]
    assert (row["currency"], row["purchase_revenue"], row["ga_session_id"], row["page_location"]) == (
        "USD",
        12.5,
        None,
        None,
    )


def test_negative_int_and_double_params_are_kept():
    params = [
        {"key": "delta", "value": {"int_value": "-3"}},
        {"key": "offset", "value": {"double_value": -0.5}},
        {"key": "empty", "value": {}},
    ]
    result = parse(ndjson(event(event_params=params)))
    check_invariants(result)
    assert [(p["key"], p["int_value"], p["double_value"], p["string_value"]) for p in result.tables[PARAMS]] == [
        ("delta", -3, None, None),
        ("offset", None, -0.5, None),
        ("empty", None, None, None),
    ]


# --------------------------------------------------------------------------- file-level errors
def test_invalid_utf8_fails_the_file():
    data = ndjson(event()) + b'{"event_name": "caf\xe9"}\n'
    with pytest.raises(SourceParseError) as info:
        parse(data, file_name=FIXTURE)
    assert str(info.value).startswith(f"{FIXTURE}: line 2, byte ") and "invalid UTF-8" in str(info.value)


def test_invalid_utf8_inside_a_gzip_fails_the_file():
    with pytest.raises(SourceParseError) as info:
        parse(gzip.compress(b"\xff\n"), file_name="events.ndjson.gz")
    assert "invalid UTF-8" in str(info.value) and str(info.value).startswith("events.ndjson.gz: line 1")


@pytest.mark.parametrize("mangle", [lambda gz: gz[: len(gz) // 2], lambda gz: b"not gzip at all", lambda gz: gz[:10]])
def test_corrupt_or_truncated_gzip_fails_the_file(mangle):
    data = mangle(fixture_bytes(FIXTURE + ".gz"))
    with pytest.raises(SourceParseError) as info:
        parse(data, file_name="events_20240301.ndjson.gz")
    assert info.value.file_name == "events_20240301.ndjson.gz"
    assert "gzip" in str(info.value)
