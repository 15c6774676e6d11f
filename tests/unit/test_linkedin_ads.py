"""Unit tests of the LinkedIn Ads parser (Marketing API adAnalytics + the lookups saved beside it).

The fixtures in tests/fixtures/parsers/linkedin_ads/ were written by hand from the Marketing API
documentation (adAnalytics with q=analytics, pivot=CREATIVE, timeGranularity=DAILY; the adAccounts,
adCampaigns and creatives responses), before the parser; every expected value below is worked out
from those files by hand.
"""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest

from orchestration.ingestion.parsers import google_ads, linkedin_ads
from orchestration.ingestion.parsers.base import ParseResult, SourceParseError
from tests.parser_checks import check_parse_result
from tests.paths import PARSER_FIXTURES

FIXTURES = PARSER_FIXTURES / "linkedin_ads"
DAY = date(2024, 3, 5)
ANALYTICS = "ad_analytics_508000001_2024-03-05.json"
ACCOUNTS = "ad_accounts_508000001.json"
CAMPAIGNS = "ad_campaigns_508000001.json"
CREATIVES = "creatives_508000001.json"
EMPTY = {"elements": [], "ad_analytics": [], "ad_accounts": [], "ad_campaigns": [], "creatives": []}


# --------------------------------------------------------------------------- helpers
def check(result: ParseResult) -> ParseResult:
    return check_parse_result(result, linkedin_ads)


def parse_fixture(name: str) -> ParseResult:
    return check(linkedin_ads.parse((FIXTURES / name).read_bytes(), file_name=name, report_date=DAY))


def parse_doc(document, name: str = "ad_analytics_1.json", report_date: date = DAY) -> ParseResult:
    return check(linkedin_ads.parse(json.dumps(document).encode(), file_name=name, report_date=report_date))


GOOD_ELEMENT = {
    "pivotValues": ["urn:li:sponsoredCreative:42"],
    "dateRange": {"start": {"year": 2024, "month": 3, "day": 5}, "end": {"year": 2024, "month": 3, "day": 5}},
    "impressions": 1000,
    "clicks": 12,
    "landingPageClicks": 9,
    "costInLocalCurrency": "25.50",
    "externalWebsitePostClickConversions": 1,
    "externalWebsitePostViewConversions": 2,
    "videoViews": 300,
}


def element(**overrides) -> dict:
    """A valid adAnalytics element; a value of None removes the key."""
    out = copy.deepcopy(GOOD_ELEMENT)
    for key, value in overrides.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def only_reject(result: ParseResult):
    assert result.records_read == 1 and len(result.rejects) == 1
    assert result.tables == EMPTY
    return result.rejects[0]


# --------------------------------------------------------------------------- module contract
def test_module_contract():
    assert linkedin_ads.SOURCE == "linkedin_ads"
    assert linkedin_ads.PRIMARY_TABLE == "elements"
    assert set(linkedin_ads.SCHEMAS) == set(EMPTY)
    # one pattern per response the pull saves into the day's folder
    assert linkedin_ads.FILE_PATTERNS == (
        "ad_analytics*.json",
        "ad_accounts*.json",
        "ad_campaigns*.json",
        "creatives*.json",
    )
    assert linkedin_ads.GRAIN == ("entity_type", "entity_id", "date_start")
    for schema in linkedin_ads.SCHEMAS.values():
        assert schema.names[-2:] == ["source_file", "record_number"]
    assert linkedin_ads.currency_code is google_ads.currency_code  # one ISO 4217 list


# --------------------------------------------------------------------------- the four hand-written files
def test_ad_analytics_fixture():
    result = parse_fixture(ANALYTICS)
    assert result.records_read == 3 and result.rejects == [] and result.warnings == []
    assert result.tables["elements"] == [
        {
            "entity_type": "ad_analytics",
            "entity_id": creative,
            "date_start": DAY,
            "source_file": ANALYTICS,
            "record_number": n,
        }
        for n, creative in enumerate(("901000001", "901000002", "901000003"), start=1)
    ]
    first, second, third = result.tables["ad_analytics"]
    assert first == {
        "date_start": DAY,
        "creative_id": "901000001",
        "impressions": 12480,
        "clicks": 95,
        "landing_page_clicks": 61,
        "cost_in_local_currency": 187.4321,  # "187.432100", a decimal string
        "cost_in_usd": 203.51,
        "external_website_conversions": 4,
        "external_website_post_click_conversions": 3,
        "external_website_post_view_conversions": 1,
        "conversion_value_in_local_currency": 320.0,
        "video_starts": 5120,
        "video_views": 3904,
        "video_completions": 1210,
        "source_file": ANALYTICS,
        "record_number": 1,
    }
    # a creative of an image campaign: LinkedIn reports its video metrics as 0, kept as reported
    # (whether 0 means "not a video" is decided downstream by the campaign's format)
    assert (second["cost_in_local_currency"], second["conversion_value_in_local_currency"]) == (96.1, 0.0)
    assert (second["video_starts"], second["video_views"], second["video_completions"]) == (0, 0, 0)
    assert second["external_website_post_view_conversions"] == 0
    # metrics that were not in the response (not requested) are NULL, never 0
    assert (third["impressions"], third["clicks"], third["landing_page_clicks"]) == (150, 2, 1)
    assert third["cost_in_local_currency"] == 3.0
    for column in (
        "cost_in_usd",
        "external_website_conversions",
        "external_website_post_click_conversions",
        "external_website_post_view_conversions",
        "conversion_value_in_local_currency",
        "video_starts",
        "video_views",
        "video_completions",
    ):
        assert third[column] is None, column
    assert result.tables["ad_accounts"] == result.tables["ad_campaigns"] == result.tables["creatives"] == []


def test_ad_account_fixture_is_one_entity():
    result = parse_fixture(ACCOUNTS)
    assert result.records_read == 1 and result.rejects == []
    assert result.tables["elements"] == [
        {
            "entity_type": "ad_account",
            "entity_id": "508000001",
            "date_start": None,
            "source_file": ACCOUNTS,
            "record_number": 1,
        }
    ]
    assert result.tables["ad_accounts"] == [
        {
            "account_id": "508000001",
            "account_name": "Acme B2B EU",
            "currency": "EUR",
            "account_type": "BUSINESS",
            "account_status": "ACTIVE",
            "source_file": ACCOUNTS,
            "record_number": 1,
        }
    ]


def test_ad_campaigns_fixture():
    result = parse_fixture(CAMPAIGNS)
    assert result.records_read == 2 and result.rejects == []
    assert [r["entity_id"] for r in result.tables["elements"]] == ["612000001", "612000002"]
    video, image = result.tables["ad_campaigns"]
    assert video == {
        "campaign_id": "612000001",
        "account_id": "508000001",  # from urn:li:sponsoredAccount:508000001
        "campaign_name": "Awareness | Video | Q1",
        "campaign_group_id": "700001",
        "campaign_type": "SPONSORED_UPDATES",
        "campaign_format": "SINGLE_VIDEO",
        "objective_type": "VIDEO_VIEW",
        "campaign_status": "ACTIVE",
        "source_file": CAMPAIGNS,
        "record_number": 1,
    }
    assert (image["campaign_format"], image["objective_type"], image["record_number"]) == (
        "STANDARD_UPDATE",
        "WEBSITE_CONVERSION",
        2,
    )


def test_creatives_fixture_two_pages():
    result = parse_fixture(CREATIVES)
    # page 1: 2 creatives, page 2: 1 creative, numbered across the pages
    assert result.records_read == 3 and result.rejects == []
    assert [(r["entity_id"], r["record_number"]) for r in result.tables["elements"]] == [
        ("901000001", 1),
        ("901000002", 2),
        ("901000003", 3),
    ]
    first, second, third = result.tables["creatives"]
    assert first == {
        "creative_id": "901000001",
        "campaign_id": "612000001",
        "account_id": "508000001",
        "creative_name": "Product tour 30s",
        "intended_status": "ACTIVE",
        "source_file": CREATIVES,
        "record_number": 1,
    }
    assert (second["campaign_id"], second["creative_name"]) == ("612000002", "Whitepaper - cover")
    # a creative without a name: null (LinkedIn creatives often have none), not a reject
    assert (third["creative_name"], third["intended_status"]) == (None, "PAUSED")


# --------------------------------------------------------------------------- shapes
@pytest.mark.parametrize("data", [b"", b"\n", b"[]", b'{"elements": []}', b'{"elements": [], "paging": {}}'])
def test_empty_file_is_an_empty_day(data):
    result = check(linkedin_ads.parse(data, file_name="ad_analytics_1.json", report_date=DAY))
    assert result.records_read == 0 and result.tables == EMPTY


def test_file_kind_comes_from_the_name():
    with pytest.raises(SourceParseError, match=r"^report\.json: file name: not a LinkedIn export"):
        linkedin_ads.parse(b'{"elements": []}', file_name="report.json", report_date=DAY)
    # the ingest layer passes "<source>/<date>/<name>": the kind is read from the last part
    result = parse_doc({"elements": [element()]}, name="linkedin_ads/2024-03-05/ad_analytics_9.json")
    assert result.records_read == 1


@pytest.mark.parametrize(
    "document, pattern",
    [
        ({"paging": {}}, r"ad_analytics_1\.json: page 1: field 'elements': missing"),
        ({"elements": {"a": 1}}, r"page 1: field 'elements': expected an array"),
        ([{"elements": []}, "x"], r"page 2: expected a page object"),
        (42, r"ad_analytics_1\.json: top level"),
        (
            {
                "status": 401,
                "serviceErrorCode": 65600,
                "code": "INVALID_ACCESS_TOKEN",
                "message": "Invalid access token",
            },
            r"page 1: field 'status': the API returned an error.*Invalid access token",
        ),
    ],
)
def test_wrong_shape_names_the_position(document, pattern):
    with pytest.raises(SourceParseError, match=pattern):
        parse_doc(document)


def test_truncated_json_names_line_and_column():
    data = (FIXTURES / ANALYTICS).read_bytes()[:400]
    with pytest.raises(SourceParseError) as info:
        linkedin_ads.parse(data, file_name=ANALYTICS, report_date=DAY)
    assert str(info.value).startswith(ANALYTICS + ": line ") and "invalid JSON" in str(info.value)


# --------------------------------------------------------------------------- rejected analytics elements
@pytest.mark.parametrize(
    "overrides, reason",
    [
        (
            {"pivotValues": ["urn:li:sponsoredCampaign:612000001"]},
            "field 'pivotValues[0]': not a sponsoredCreative URN: 'urn:li:sponsoredCampaign:612000001'",
        ),
        ({"pivotValues": ["urn:li:sponsoredCreative:12ab"]}, "field 'pivotValues[0]': not a sponsoredCreative URN"),
        (
            {"pivotValues": ["urn:li:sponsoredCreative:1", "urn:li:sponsoredCreative:2"]},
            "field 'pivotValues': expected one value (pivot=CREATIVE), got 2",
        ),
        ({"pivotValues": "urn:li:sponsoredCreative:42"}, "field 'pivotValues': expected an array"),
        ({"pivotValues": None}, "field 'pivotValues': required value is missing"),
        (
            {"dateRange": {"start": {"year": 2024, "month": 3, "day": 5}, "end": {"year": 2024, "month": 3, "day": 6}}},
            "field 'dateRange.end': a DAILY element must cover one day: 2024-03-05 to 2024-03-06",
        ),
        (
            {"dateRange": {"start": {"year": 2024, "month": 3, "day": 4}, "end": {"year": 2024, "month": 3, "day": 4}}},
            "field 'dateRange.start': record is for 2024-03-04 but the file is in the folder of 2024-03-05",
        ),
        ({"dateRange": {"start": {"year": 2024, "month": 2, "day": 30}}}, "field 'dateRange.start': not a date"),
        ({"dateRange": {"start": {"year": 2024, "month": 3}}}, "field 'dateRange.start.day': not an integer: None"),
        ({"dateRange": None}, "field 'dateRange': required value is missing"),
        ({"impressions": "12a"}, "field 'impressions': not an integer: '12a'"),
        ({"clicks": -1}, "field 'clicks': negative value: -1"),
        ({"landingPageClicks": None}, "field 'landingPageClicks': required value is missing"),
        ({"costInLocalCurrency": "12,50"}, "field 'costInLocalCurrency': not a number: '12,50'"),
        ({"costInLocalCurrency": "NaN"}, "field 'costInLocalCurrency': not a finite number"),
        ({"costInLocalCurrency": None}, "field 'costInLocalCurrency': required value is missing"),
        ({"videoViews": 2.5}, "field 'videoViews': not an integer: 2.5"),
        ({"conversionValueInLocalCurrency": "-3"}, "field 'conversionValueInLocalCurrency': negative value"),
    ],
)
def test_bad_element_is_rejected_naming_the_field(overrides, reason):
    reject = only_reject(parse_doc({"elements": [element(**overrides)]}))
    assert reason in reject.reason, reject.reason
    assert reject.record_number == 1
    assert json.loads(reject.raw_record) == element(**overrides)


def test_cost_as_a_json_number_loads_with_a_warning():
    # the API serialises costInLocalCurrency as a decimal string; a number is unambiguous, so it
    # loads, but the file is named in a warning (someone re-serialised the export)
    result = parse_doc(
        {
            "elements": [
                element(costInLocalCurrency=25.5),
                element(pivotValues=["urn:li:sponsoredCreative:43"], costInLocalCurrency=1),
            ]
        }
    )
    assert result.rejects == [] and [r["cost_in_local_currency"] for r in result.tables["ad_analytics"]] == [25.5, 1.0]
    [warning] = result.warnings
    assert "costInLocalCurrency" in warning and "2 of 2" in warning and "decimal string" in warning


def test_a_day_without_an_end_date_is_that_day():
    result = parse_doc({"elements": [element(dateRange={"start": {"year": 2024, "month": 3, "day": 5}})]})
    assert result.tables["ad_analytics"][0]["date_start"] == DAY


def test_duplicate_creative_day_is_rejected():
    result = parse_doc(
        {"elements": [element(), element(pivotValues=["urn:li:sponsoredCreative:43"]), element(impressions=5)]}
    )
    assert [r["record_number"] for r in result.tables["ad_analytics"]] == [1, 2]
    assert [r.record_number for r in result.rejects] == [3]
    assert "duplicate of record 1" in result.rejects[0].reason


def test_non_object_element_is_rejected_beside_good_ones():
    result = parse_doc({"elements": [element(), "oops"]})
    assert result.records_read == 2 and len(result.tables["ad_analytics"]) == 1
    assert "not a JSON object" in result.rejects[0].reason


# --------------------------------------------------------------------------- rejected lookups
ACCOUNT = {"id": 508000001, "name": "Acme", "currency": "EUR"}
CAMPAIGN = {"id": 612000001, "name": "Video", "account": "urn:li:sponsoredAccount:508000001"}
CREATIVE = {"id": "urn:li:sponsoredCreative:901000001", "campaign": "urn:li:sponsoredCampaign:612000001"}


@pytest.mark.parametrize(
    "name, entity, reason",
    [
        ("ad_accounts_1.json", ACCOUNT | {"currency": "XYZ"}, "field 'currency': unknown currency: 'XYZ'"),
        ("ad_accounts_1.json", ACCOUNT | {"currency": None}, "field 'currency': required value is missing"),
        (
            "ad_accounts_1.json",
            ACCOUNT | {"id": "acme"},
            "field 'id': not a sponsoredAccount URN (urn:li:sponsoredAccount:<digits>) nor a LinkedIn id: 'acme'",
        ),
        (
            "ad_campaigns_1.json",
            CAMPAIGN | {"account": "urn:li:organization:1"},
            "field 'account': not a sponsoredAccount URN",
        ),
        ("ad_campaigns_1.json", CAMPAIGN | {"id": None}, "field 'id': required value is missing"),
        ("creatives_1.json", CREATIVE | {"id": "urn:li:sponsoredCampaign:1"}, "field 'id': not a sponsoredCreative"),
        ("creatives_1.json", CREATIVE | {"campaign": None}, "field 'campaign': required value is missing"),
    ],
)
def test_bad_lookup_is_rejected_naming_the_field(name, entity, reason):
    entity = {k: v for k, v in entity.items() if v is not None}
    reject = only_reject(parse_doc({"elements": [entity]}, name=name))
    assert reason in reject.reason, reject.reason


def test_lookup_ids_as_plain_numbers_or_urns_are_the_same_id():
    result = parse_doc({"elements": [CREATIVE | {"id": 901000001}]}, name="creatives_1.json")
    assert result.tables["creatives"][0]["creative_id"] == "901000001"
    result = parse_doc({"elements": [ACCOUNT | {"id": "urn:li:sponsoredAccount:508000001"}]}, name="ad_accounts_1.json")
    assert result.tables["ad_accounts"][0]["account_id"] == "508000001"


def test_campaign_without_a_name_loads_with_a_warning():
    result = parse_doc({"elements": [{k: v for k, v in CAMPAIGN.items() if k != "name"}]}, name="ad_campaigns_1.json")
    assert result.rejects == [] and result.tables["ad_campaigns"][0]["campaign_name"] is None
    [warning] = result.warnings
    assert "name" in warning and "1 of 1" in warning
