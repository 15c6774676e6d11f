"""The columnar parsers give exactly the per-record reference parse's result.

``parse`` (pyarrow reader + vectorised checks, per-record fallback) is compared with
``parse_reference`` (one ``json.loads`` and Python checks per record) on every fixture file,
on generated sample data and on seeded random mutations of real events: records read, every
table's rows in order (values compared with their types, floats by ``repr`` so that -0.0 and
0.0 differ), rejects (number, reason, raw record), ignored lines, warnings and notes.
"""

from __future__ import annotations

import copy
import gzip
import json
import random
from datetime import date, datetime
from pathlib import Path

import pytest

from orchestration.ingestion.parsers import ga4
from orchestration.ingestion.parsers.base import ArrowRows, SourceParseError, table_rows
from orchestration.sample.generate import generate
from tests.paths import FIXTURES

DAY = date(2024, 3, 1)


def _value(value):
    if isinstance(value, float):
        return ("float", repr(value))
    if isinstance(value, datetime):
        return ("datetime", value.isoformat(), value.utcoffset())
    return (type(value).__name__, value)


def canonical(result) -> tuple:
    tables = {
        name: [[(column, _value(value)) for column, value in row.items()] for row in table_rows(rows)]
        for name, rows in result.tables.items()
    }
    return (
        result.source_file,
        result.records_read,
        tables,
        result.rejects,
        result.ignored_lines,
        result.warnings,
        result.notes,
    )


def outcome(parse, data: bytes, file_name: str, report_date: date):
    try:
        return canonical(parse(data, file_name=file_name, report_date=report_date))
    except SourceParseError as exc:
        return ("SourceParseError", str(exc))


def assert_same(module, data: bytes, file_name: str, report_date: date) -> None:
    fast = outcome(module.parse, data, file_name, report_date)
    reference = outcome(module.parse_reference, data, file_name, report_date)
    if fast != reference and fast[0] != "SourceParseError" and reference[0] != "SourceParseError":
        for name in reference[2]:  # the first differing row, for a readable failure
            for number, (got, expected) in enumerate(zip(fast[2][name], reference[2][name], strict=False)):
                assert got == expected, f"{file_name}: table {name} row {number}"
    assert fast == reference, file_name


def _report_date(path: Path) -> date:
    for part in reversed(path.parts):
        try:
            return date.fromisoformat(part)
        except ValueError:
            continue
    return DAY


def _fixture_files(source: str, patterns: tuple[str, ...]) -> list[Path]:
    files = set()
    for pattern in patterns:
        files |= {p for p in FIXTURES.rglob(pattern) if source in p.parts or p.parent.name == source}
    return sorted(files)


GA4_FILES = _fixture_files("ga4", ga4.FILE_PATTERNS)


def test_the_fixtures_include_the_ga4_corpus():
    names = {path.relative_to(FIXTURES).parts[0] for path in GA4_FILES}
    assert {"parsers", "handmade_landing", "corpus"} <= names
    assert sum("corpus" in path.parts for path in GA4_FILES) >= 10


@pytest.mark.parametrize("path", GA4_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_ga4_fixture_files(path: Path):
    assert_same(ga4, path.read_bytes(), path.name, _report_date(path))


@pytest.fixture(scope="module")
def sample_landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    generate(out, DAY, DAY, scale=1, sources=("ga4", "google_ads"))
    return out


def test_ga4_generated_sample_is_cleared_columnar(sample_landing: Path):
    (path,) = (sample_landing / "ga4" / DAY.isoformat()).iterdir()
    data = path.read_bytes()
    assert_same(ga4, data, path.name, DAY)
    result = ga4.parse(data, file_name=path.name, report_date=DAY)
    assert isinstance(result.tables[ga4.PRIMARY_TABLE], ArrowRows)
    assert len(result.tables[ga4.PRIMARY_TABLE]) > 1000


# --------------------------------------------------------------------------- GA4 fuzz
def _base_events(sample_landing: Path) -> list[dict]:
    (path,) = (sample_landing / "ga4" / DAY.isoformat()).iterdir()
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    lines += (FIXTURES / "parsers" / "ga4" / "events_20240301.ndjson").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


ODD_STRINGS = [
    "",
    " ",
    "(not set)",
    " padded ",
    "\u00a0nbsp",
    "tab\t",
    "Jane.Doe@Example.org",
    "x%40example.com",
    "é",
    "12a",
    "-5",
    "+7",
    "007",
    "1.0",
    "99999999999999999999",
    "\\",
    'a"b',
    "\u2028",
]
ODD_VALUES = [None, 0, -1, 1.5, -0.0, True, [], {}, [1], {"a": 1}, 10**19, *ODD_STRINGS]
ODD_URLS = [
    "https://shop.example.com/?utm_source=a%20b&utm_medium=x+y",
    "https://shop.example.com/?UTM_SOURCE=Up&utm_source=low&utm_source=",
    "https://shop.example.com/?utm_source=&utm_source=second",
    "https://shop.example.com/p?mc_cid=c1&mc_eid=e%2B1#frag?utm_source=no",
    "https://shop.example.com/p?MC_EID=abc&Mc_Cid=def",
    "https://shop.example.com/p?x=1;mc_eid=abc&gclid=g=1",
    "https://shop.example.com/p?ref=jane%40example.org",
    "https://shop.example.com/p?ref=jane@example.org&utm_id=9",
    "https://[bad/p?utm_source=ipv6",
    "https://shop.example.com/p?gclid",
    "https://shop.example.com/p?utm_source=a?b&utm_medium=c",
    " https://shop.example.com/?utm_source=lead",
    "https://shop.example.com/\u00e9?utm_source=\u00e9t\u00e9",
    "https://shop.example.com/?utm_source=(not set)",
    "",
    "?",
    "&&utm_campaign=c&",
]
NUMBERS = [0, -0.0, -1, -0.5, 1.5, 1e308, 12, 1709290000, 2**63, "12", "1e2", "nan", float("nan"), float("inf")]


def _mutate_param(param, rng: random.Random):
    if not isinstance(param, dict):
        return rng.choice([param, {"key": "page_location", "value": {"string_value": rng.choice(ODD_URLS)}}])
    param = copy.deepcopy(param)
    holder = param.get("value")
    if not isinstance(holder, dict):
        holder = param["value"] = {}
    choice = rng.randrange(10)
    if choice == 0:
        param.pop("key", None)
    elif choice == 1:
        param["key"] = rng.choice([*ODD_STRINGS, 5, None])
    elif choice == 2:
        param["value"] = rng.choice([None, {}, "x", []])
    elif choice == 3:
        holder["int_value"] = rng.choice([*ODD_STRINGS, 5, -3, "9223372036854775807", "-9223372036854775808"])
    elif choice in (4, 5):
        holder[rng.choice(["double_value", "float_value"])] = rng.choice(NUMBERS)
    elif choice == 6:
        holder["string_value"] = rng.choice([*ODD_STRINGS, *ODD_URLS, 3])
    elif choice == 7:
        holder.clear()
    else:
        holder["string_value"] = rng.choice(ODD_URLS)
    return param


def _mutate_event(event: dict, rng: random.Random) -> dict:
    event = copy.deepcopy(event)
    for _ in range(rng.randint(1, 3)):
        choice = rng.randrange(17)
        field = rng.choice(["event_date", "event_timestamp", "event_name", "user_pseudo_id", "user_id"])
        if choice == 0:
            event.pop(rng.choice([*event]), None)
        elif choice == 1:
            event[field] = rng.choice(ODD_VALUES)
        elif choice == 2:
            event["event_date"] = rng.choice(["20240302", 20240301, "2024-03-01", " 20240301", "20240301 "])
        elif choice == 3:
            event["event_timestamp"] = rng.choice(
                ["-5", 1709290000000000, "253402300799999999", "253402300800000000", "999999999999999999", " 17", "1e3"]
            )
        elif choice in (4, 5, 6):
            params = event.get("event_params")
            if isinstance(params, list) and params:
                index = rng.randrange(len(params))
                params[index] = _mutate_param(params[index], rng)
            else:
                event["event_params"] = [_mutate_param({"key": "page_location", "value": {}}, rng)]
        elif choice == 7:
            params = event.get("event_params")
            if isinstance(params, list):
                params.insert(rng.randint(0, len(params)), rng.choice([None, 5, "x", copy.deepcopy(params[:1])]))
        elif choice == 8:
            event["event_params"] = rng.choice([None, [], {}, "x", 5])
        elif choice == 9:
            traffic = event.get("collected_traffic_source")
            traffic = dict(traffic) if isinstance(traffic, dict) else {}
            traffic[rng.choice([*ga4.TRAFFIC_FIELDS.values(), "extra"])] = rng.choice(ODD_VALUES)
            event["collected_traffic_source"] = rng.choice([traffic, traffic, None, [], "x"])
        elif choice in (10, 11):
            ecommerce = event.get("ecommerce")
            ecommerce = dict(ecommerce) if isinstance(ecommerce, dict) else {}
            name = rng.choice(["transaction_id", "purchase_revenue", "currency"])
            ecommerce[name] = rng.choice(NUMBERS if name == "purchase_revenue" else ODD_VALUES)
            event["ecommerce"] = rng.choice([ecommerce, ecommerce, None, 5])
            if rng.random() < 0.3:
                event["event_name"] = "purchase"
        elif choice == 12:
            params = event.get("event_params")
            if isinstance(params, list) and params:
                params.append(copy.deepcopy(rng.choice(params)))  # the key twice: the first one wins
        elif choice == 13:
            event["user_id"] = rng.choice(["Jane.Doe@Example.org", " cust_1 ", "", 42, "cust_2", "\u00e9"])
        elif choice == 14:
            event["event_name"] = "purchase"
        elif choice == 15:  # the session id as another type than int_value
            session = {"key": "ga_session_id", "value": {}}
            session["value"][rng.choice(["string_value", "double_value", "float_value", "int_value"])] = rng.choice(
                [*NUMBERS, "17", " 17 ", "1.5", "", None, 1709290000.0]
            )
            params = event.get("event_params")
            params = (
                [p for p in params if not isinstance(p, dict) or p.get("key") != "ga_session_id"]
                if isinstance(params, list)
                else []
            )
            params.insert(rng.randint(0, len(params)), session)
            event["event_params"] = params
        else:
            event[rng.choice(["items", "platform", "device"])] = rng.choice(ODD_VALUES)
    return event


def _dumps(event: dict, rng: random.Random) -> str:
    text = json.dumps(event, ensure_ascii=rng.random() < 0.2, separators=rng.choice([(",", ":"), (", ", ": ")]))
    if rng.random() < 0.5:  # JSON number literals that json.dumps does not write: -0 (an int), 1e400, 1E2
        text = text.replace("-0.0", rng.choice(["-0", "-0.0", "-0e0"])).replace("1e+308", rng.choice(["1e400", "1E2"]))
    return text.replace("/", "\\/") if rng.random() < 0.05 else text


def _mutated_file(events: list[dict], rng: random.Random, size: int, mutation_rate: float) -> bytes:
    lines = []
    for _ in range(size):
        event = rng.choice(events)
        roll = rng.random()
        if roll >= mutation_rate:
            line = _dumps(event, rng)
        elif (roll := rng.random()) < 0.70:
            line = _dumps(_mutate_event(event, rng), rng)
        elif roll < 0.76 and lines:
            line = rng.choice(lines)  # a duplicate line
        elif roll < 0.82:
            line = rng.choice(["", "   ", "\t"])
        elif roll < 0.88:
            text = _dumps(event, rng)
            line = text[: rng.randrange(1, len(text))]  # truncated: invalid JSON
        elif roll < 0.92:
            line = rng.choice(["[1, 2]", "5", "null", '"text"', "{}", "{} {}", '{"a": 1}{"b": 2}', "{'a': 1}"])
        elif roll < 0.96:
            line = " " + _dumps(event, rng) + " "
        else:
            line = _dumps(event, rng).replace('"event_name"', '"event_name": "dup", "event_name"', 1)
        lines.append(line)
    return ("\n".join(lines) + rng.choice(["", "\n", "\n\n"])).encode()


@pytest.fixture
def cleared(monkeypatch) -> list[int]:
    """[events the columnar path cleared, events it read]: the fuzz must exercise that path."""
    counts = [0, 0]
    columnar_tables = ga4._columnar_tables

    def counting(*args, **kwargs):
        tables, ok = columnar_tables(*args, **kwargs)
        counts[0] += int(ok.sum())
        counts[1] += len(ok)
        return tables, ok

    monkeypatch.setattr(ga4, "_columnar_tables", counting)
    return counts


@pytest.mark.parametrize("seed", range(12))
def test_ga4_random_mutations(sample_landing: Path, seed: int, monkeypatch, cleared):
    rng = random.Random(seed)
    events = _base_events(sample_landing)
    # halve refused chunks down to single lines, so that most good lines reach the columnar path;
    # from small chunks (even seeds) and from one chunk for the whole file (odd seeds)
    monkeypatch.setattr(ga4, "_MIN_CHUNK", 1)
    if seed % 2 == 0:
        monkeypatch.setattr(ga4, "CHUNK_LINES", 37)
    data = _mutated_file(events, rng, 400, mutation_rate=[0.05, 0.2, 0.5][seed % 3])
    assert_same(ga4, data, "events_20240301.ndjson", DAY)
    assert_same(ga4, gzip.compress(data), "events_20240301.ndjson.gz", DAY)
    assert cleared[0] >= 2 * 150 and cleared[1] > cleared[0]  # both paths ran, on both copies


def test_ga4_mostly_clean_file_mixes_both_paths(sample_landing: Path):
    """A few bad or unusual lines among many good ones: both paths contribute, rows stay in line order."""
    rng = random.Random(99)
    events = _base_events(sample_landing)
    lines = [json.dumps(event) for event in events[:1500]]
    for index in rng.sample(range(len(lines)), 60):
        lines[index] = _dumps(_mutate_event(events[index], rng), rng)
    data = "\n".join(lines).encode()
    assert_same(ga4, data, "events_20240301.ndjson", DAY)
    result = ga4.parse(data, file_name="events_20240301.ndjson", report_date=DAY)
    assert isinstance(result.tables[ga4.PRIMARY_TABLE], ArrowRows)
    numbers = [row["record_number"] for row in result.tables[ga4.PRIMARY_TABLE]]
    assert numbers == sorted(numbers) and result.rejects


NUMBER_LITERALS = ["-0", "-0.0", "0", "0.0", "-0e0", "1E2", "12", "1e400", "-1e400", "NaN", "Infinity", "-1.5"]
NUMBER_LITERALS += ["9223372036854775808", "123456789012345678901234567890", "1e-400", "0.1"]


@pytest.mark.parametrize("literal", NUMBER_LITERALS)
def test_ga4_number_literals(literal: str):
    """Literals json.dumps does not write (``-0`` is an int 0 for json.loads, -0.0 for pyarrow)."""
    template = (
        '{"event_date":"20240301","event_timestamp":"1709290000000000","event_name":"purchase",'
        '"user_pseudo_id":"u.1","event_params":[{"key":"ga_session_id","value":{"int_value":"17"}},'
        '{"key":"value","value":{"%s":%s}}],"ecommerce":{"transaction_id":"T-%d","purchase_revenue":%s}}'
    )
    lines = [template % ("double_value", "1.5", 0, "2.5")]  # a plain line, so the file is read columnar
    lines += [template % (field, literal, n, "1") for n, field in enumerate(["double_value", "float_value"], 1)]
    lines.append(template % ("double_value", "1", 3, literal))
    assert_same(ga4, "\n".join(lines).encode(), "events_20240301.ndjson", DAY)
