"""Exchange formats: ninjs 2.x/3.x and NewsML-G2 2.35 written by hoasen validate offline.

Items imitate the Quảng Ninh – Guangxi exchange (vi/zh/en) with characters that break naive
writers (& < > " ' emoji, CJK); every output is checked against IPTC's shipped schemas, and the
official examples copied into tests/fixtures/standards/ check the validators themselves.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from hoasen.errors import InputRejected, UsageError
from hoasen.exchange import (
    NINJS_VERSIONS,
    Entity,
    ExchangeItem,
    ExchangePackage,
    InvalidDocument,
    Subject,
    Translation,
    make_guid,
    newsmessage,
    package_item,
    package_message,
    to_newsml,
    to_ninjs,
    validate_newsml,
    validate_ninjs,
)

FIXTURES = Path(__file__).parent / "fixtures" / "standards"
ICT = timezone(timedelta(hours=7))
NAR = {"n": "http://iptc.org/std/nar/2006-10-01/", "x": "http://www.w3.org/1999/xhtml"}
NASTY = "Tom & Jerry <b>bold</b> \"quoted\" 'single' 🎉 孙业礼 Tôn Nghiệp Lễ"


def make_item(**changes: object) -> ExchangeItem:
    published = datetime(2025, 3, 10, 9, 30, tzinfo=ICT)
    fields: dict[str, object] = {
        "guid": make_guid("baoquangninh.vn", 4211, published),
        "version": 2,
        "title": f"Quảng Ninh – Quảng Tây: {NASTY}",
        "body": (
            "Ngày 10/3, Bí thư Khu ủy Quảng Tây 孙业礼 (Tôn Nghiệp Lễ) thăm Móng Cái "
            "& Đông Hưng.\n\n"
            'Hai bên ký biên bản <hợp tác> về "cửa khẩu thông minh".\nDòng hai của đoạn 2.\n\n'
            "  \n\nĐoạn cuối 🎉 'kết thúc'."
        ),
        "language": "vi",
        "published": published,
        "updated": published + timedelta(hours=3),
        "url": "https://baoquangninh.vn/quang-ninh-quang-tay?id=4211&lang=vi",
        "source_name": "Báo Quảng Ninh",
        "author": "Nguyễn Văn A & Trần Thị B",
        "article_id": "4211",
        "subjects": (
            Subject("economy, business and finance", "economy", "medtop:04000000"),
            Subject("Hợp tác biên giới", "border-cooperation"),
        ),
        "keywords": ("Móng Cái", "东兴"),
        "entities": (
            Entity("孙业礼", "PER", "per.sun-yeli"),
            Entity("Quảng Tây", "LOC", "cn.guangxi"),
            Entity("Tập đoàn Truyền thông Báo Quảng Tây", "ORG", "org.guangxi-daily-media-group"),
            Entity("Đông Hưng", "LOC"),
        ),
        "translations": (
            Translation(
                "zh",
                "广西与广宁：孙业礼访问芒街 & <东兴>",
                '3月10日，广西壮族自治区党委书记孙业礼访问芒街。\n\n双方签署"智慧口岸"合作纪要。',
            ),
            Translation(
                "en",
                "Guangxi's Sun Yeli visits Mong Cai & Dongxing <border>",
                "On 10 March, Sun Yeli visited Mong Cai.\n\n"
                'Both sides signed "smart gate" minutes.',
            ),
        ),
    }
    fields.update(changes)
    return ExchangeItem(**fields)  # type: ignore[arg-type]


def make_package(*items: ExchangeItem) -> ExchangePackage:
    return ExchangePackage(
        guid="urn:newsml:baoquangninh.vn:20250324:exchange-guangxi-daily-7",
        title="Gói trao đổi tin #7 – Quảng Tây & <Quảng Ninh> 🎉",
        created=datetime(2025, 3, 24, 9, 0, tzinfo=ICT),
        sender="Sở Thông tin và Truyền thông Quảng Ninh",
        items=items or (make_item(),),
    )


# ---------------------------------------------------------------------------------- ninjs


@pytest.mark.parametrize("version", NINJS_VERSIONS)
def test_ninjs_validates_for_every_shipped_version(version: str) -> None:
    doc = to_ninjs(make_item(), version)
    validate_ninjs(doc, version)
    validate_ninjs(json.dumps(doc, ensure_ascii=False), version)  # as sent, text form too


def test_ninjs_3_content() -> None:
    item = make_item()
    doc = to_ninjs(item)
    assert doc["uri"] == "urn:newsml:baoquangninh.vn:20250310:4211"
    assert doc["version"] == "2"
    assert doc["standard"]["version"] == "3.0"
    assert doc["language"] == "vi"
    assert doc["headlines"] == [{"role": "main", "value": item.title}]
    assert doc["firstCreated"] == "2025-03-10T09:30:00+07:00"
    assert doc["versionCreated"] == "2025-03-10T12:30:00+07:00"
    assert doc["by"] == "Nguyễn Văn A & Trần Thị B"
    text, html = doc["bodies"]
    assert text["value"] == item.body and text["contentType"] == "text/plain"
    body = etree.fromstring(html["value"])
    assert next(p.text for p in body.iter("p")).startswith("Ngày 10/3")
    assert len(list(body.iter("p"))) == 3  # the whitespace-only paragraph is dropped
    assert "&lt;hợp tác&gt;" in html["value"]
    assert doc["people"] == [
        {"name": "孙业礼", "uri": "urn:hoasen:gazetteer:per.sun-yeli", "literal": "per.sun-yeli"}
    ]
    assert [p["name"] for p in doc["places"]] == ["Quảng Tây", "Đông Hưng"]
    assert doc["organisations"][0]["literal"] == "org.guangxi-daily-media-group"
    subjects = doc["subjects"]
    assert subjects[0]["uri"] == "http://cv.iptc.org/newscodes/mediatopic/04000000"
    assert {"name": "东兴", "rel": "keyword"} in subjects
    assert doc["infoSources"] == [{"name": "Báo Quảng Ninh", "role": "originator"}]
    assert doc["renditions"][0]["href"] == item.url


def test_ninjs_translations_are_associations_with_their_own_uri_and_language() -> None:
    doc3 = to_ninjs(make_item(), "3.0")
    zh, en = doc3["associations"]
    assert zh["name"] == "translation-zh" and zh["rel"] == "translation"
    assert zh["uri"] == doc3["uri"] + ":zh" and zh["language"] == "zh"
    assert zh["headlines"][0]["value"] == "广西与广宁：孙业礼访问芒街 & <东兴>"
    assert {"role": "translated-from", "value": doc3["uri"]} in zh["altIds"]
    assert en["language"] == "en"
    doc2 = to_ninjs(make_item(), "2.1")
    assert "rel" not in doc2["associations"][0]  # not allowed in 2.x associations
    assert "versioncreated" in doc2 and "versionCreated" not in doc2


def test_ninjs_minimal_item() -> None:
    item = make_item(
        updated=None, url=None, source_name=None, author=None, article_id=None,
        subjects=(), keywords=(), entities=(), translations=(), body="",
    )  # fmt: skip
    for version in NINJS_VERSIONS:
        doc = to_ninjs(item, version)
        validate_ninjs(doc, version)
        assert "associations" not in doc and "subjects" not in doc


def test_ninjs_unknown_version_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown ninjs version"):
        to_ninjs(make_item(), "1.6")
    with pytest.raises(UsageError):
        validate_ninjs({"uri": "urn:x"}, "4.0")


def test_broken_ninjs_is_refused_with_the_schema_message() -> None:
    doc = to_ninjs(make_item())
    doc["pubStatus"] = "published"  # not in the enum
    with pytest.raises(InvalidDocument) as caught:
        validate_ninjs(doc, "3.0")
    assert "'published' is not one of ['usable', 'withheld', 'canceled']" in caught.value.reason
    assert "$.pubStatus" in caught.value.reason
    assert isinstance(caught.value, InputRejected)  # a refused input, the batch goes on

    doc2 = to_ninjs(make_item(), "2.1")  # 3.x names are not 2.x names
    doc2["versionCreated"] = doc2.pop("versioncreated")
    with pytest.raises(InvalidDocument, match="versionCreated"):
        validate_ninjs(doc2, "2.1")
    with pytest.raises(InvalidDocument, match="'uri' is a required property"):
        validate_ninjs({"type": "text"}, "3.1")
    with pytest.raises(InvalidDocument, match="not JSON"):
        validate_ninjs("{not json", "3.0")


def test_bad_geojson_is_checked_through_the_local_geojson_schema() -> None:
    doc = to_ninjs(make_item(translations=()))
    doc["places"][0]["geoJSON"] = {"type": "Point", "coordinates": "107.97,21.52"}
    with pytest.raises(InvalidDocument):
        validate_ninjs(doc, "3.0")
    doc["places"][0]["geoJSON"] = {"type": "Point", "coordinates": [107.97, 21.52]}
    validate_ninjs(doc, "3.0")


def test_official_ninjs_examples() -> None:
    validate_ninjs((FIXTURES / "ninjs" / "ninjsExSimpleText_3.json").read_bytes(), "3.0")
    validate_ninjs((FIXTURES / "ninjs" / "ninjsExSimpleText_2.json").read_bytes(), "2.1")
    with pytest.raises(InvalidDocument, match="urgency"):
        validate_ninjs((FIXTURES / "ninjs" / "3.0_006_bad_urgency.json").read_bytes(), "3.0")


# ------------------------------------------------------------------------------ NewsML-G2


def test_news_item_validates_and_escapes() -> None:
    item = make_item()
    xml = to_newsml(item, provider="Sở TT&TT Quảng Ninh")
    validate_newsml(xml)
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert b"Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt;" in xml
    root = etree.fromstring(xml)
    assert root.get("guid") == item.guid and root.get("version") == "2"
    assert root.get("standardversion") == "2.35"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "vi"
    assert root.findtext("n:contentMeta/n:headline", namespaces=NAR) == item.title
    assert root.findtext("n:itemMeta/n:provider/n:name", namespaces=NAR) == "Sở TT&TT Quảng Ninh"
    assert root.findtext("n:contentMeta/n:creator/n:name", namespaces=NAR) == item.author
    assert root.find("n:contentMeta/n:language", NAR).get("tag") == "vi"
    types = [s.get("type") for s in root.iterfind("n:contentMeta/n:subject", NAR)]
    assert types == [
        "cpnat:abstract", "cpnat:abstract", "cpnat:person", "cpnat:geoArea",
        "cpnat:organisation", "cpnat:geoArea",
    ]  # fmt: skip
    assert root.find("n:contentMeta/n:subject", NAR).get("qcode") == "medtop:04000000"
    paragraphs = root.findall(".//n:inlineXML/x:html/x:body/x:p", NAR)
    assert len(paragraphs) == 3
    assert paragraphs[1].text == 'Hai bên ký biên bản <hợp tác> về "cửa khẩu thông minh".'
    assert paragraphs[1][0].tag == "{http://www.w3.org/1999/xhtml}br"
    assert paragraphs[2].text == "Đoạn cuối 🎉 'kết thúc'."
    link = root.find("n:itemMeta/n:link", NAR)
    assert link.get("href") == item.url  # & kept, escaped by the serializer only


def test_news_message_carries_items_and_translations() -> None:
    items = [make_item(), make_item(guid="urn:newsml:baoquangninh.vn:20250311:4212", version=1)]
    sent = datetime(2025, 3, 24, 2, 0, tzinfo=UTC)
    xml = newsmessage(items, sender="Sở TT&TT Quảng Ninh", sent=sent, transmit_id="7")
    validate_newsml(xml)
    root = etree.fromstring(xml)
    assert root.findtext("n:header/n:sent", namespaces=NAR) == "2025-03-24T02:00:00+00:00"
    assert root.findtext("n:header/n:transmitId", namespaces=NAR) == "7"
    news = root.findall("n:itemSet/n:newsItem", NAR)
    assert [n.get("{http://www.w3.org/XML/1998/namespace}lang") for n in news] == [
        "vi", "zh", "en", "vi", "zh", "en",
    ]  # fmt: skip
    zh = news[1]
    assert zh.get("guid") == items[0].guid + ":zh"
    link = zh.find("n:itemMeta/n:link[@rel='irel:translatedFrom']", NAR)
    assert link.get("residref") == items[0].guid
    only_originals = newsmessage(items, sent=sent, translations=False)
    validate_newsml(only_originals)
    assert len(etree.fromstring(only_originals).findall("n:itemSet/n:newsItem", NAR)) == 2


def test_package_item_references_every_item() -> None:
    package = make_package(make_item(), make_item(guid="urn:x:2", translations=()))
    xml = package_item(package)
    validate_newsml(xml)
    root = etree.fromstring(xml)
    assert root.tag == "{http://iptc.org/std/nar/2006-10-01/}packageItem"
    assert root.findtext("n:contentMeta/n:headline", namespaces=NAR) == package.title
    refs = root.findall("n:groupSet/n:group/n:itemRef", NAR)
    assert [r.get("residref") for r in refs] == [
        package.items[0].guid,
        package.items[0].guid + ":zh",
        package.items[0].guid + ":en",
        "urn:x:2",
    ]
    assert refs[0].findtext("n:title", namespaces=NAR) == package.items[0].title
    message = package_message(package, sent=package.created, transmit_id="7")
    validate_newsml(message)
    item_set = etree.fromstring(message).find("n:itemSet", NAR)
    assert [etree.QName(e).localname for e in item_set] == ["packageItem"] + ["newsItem"] * 4


def test_broken_newsml_is_refused_with_the_schema_message() -> None:
    root = etree.fromstring(to_newsml(make_item()))
    meta = root.find("n:itemMeta", NAR)
    meta.remove(meta.find("n:itemClass", NAR))  # itemClass is required
    with pytest.raises(InvalidDocument) as caught:
        validate_newsml(etree.tostring(root))
    assert "NewsML-G2 2.35: line" in caught.value.reason
    assert "itemClass" in caught.value.reason and "provider" in caught.value.reason
    with pytest.raises(InvalidDocument, match="not well-formed"):
        validate_newsml(b"<newsItem><unclosed></newsItem>")


def test_newsml_parser_does_not_expand_entities() -> None:
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/">&e;</newsItem>'
    )
    with pytest.raises(InvalidDocument) as caught:
        validate_newsml(evil)
    assert "root:" not in caught.value.reason


def test_official_newsml_examples() -> None:
    validate_newsml((FIXTURES / "newsml-g2" / "LISTING_1_A_NewsML-G2_News_Item.xml").read_bytes())
    bad = (FIXTURES / "newsml-g2" / "CR00218_too_many_nested_related.xml").read_bytes()
    with pytest.raises(InvalidDocument, match="related"):
        validate_newsml(bad)


# ---------------------------------------------------------------------------- properties


_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from([*"&<>\"'\n\r\t ]]>", "\x00", "\x1f", "\ufffe", "🎉", "孙", "ễ"]),
    ),
    max_size=80,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=_TEXT, body=_TEXT, author=_TEXT, translated=_TEXT)
def test_any_text_stays_valid(title: str, body: str, author: str, translated: str) -> None:
    item = make_item(
        title=title,
        body=body,
        author=author or None,
        keywords=(translated,),
        entities=(Entity(title or "x", "PER"),),
        translations=(Translation("zh", translated, body),),
    )
    for version in ("2.1", "3.0"):
        doc = to_ninjs(item, version)
        validate_ninjs(doc, version)
        assert doc["headlines"][0]["value"] == title
    xml = newsmessage([item], sender=author, sent=item.published)
    validate_newsml(xml)
    validate_newsml(package_item(make_package(item)))


# ------------------------------------------------------------------------------- records


def test_naive_datetimes_and_bad_values_are_refused() -> None:
    with pytest.raises(UsageError, match="timezone-aware"):
        make_item(published=datetime(2025, 3, 10, 9, 30))
    with pytest.raises(UsageError, match="version"):
        make_item(version=0)
    with pytest.raises(UsageError, match="entity type"):
        Entity("X", "GPE")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="timezone-aware"):
        ExchangePackage("urn:p", "t", datetime(2025, 1, 1), "s", ())


def test_make_guid_is_stable_and_a_urn() -> None:
    created = datetime(2025, 3, 10, 23, 0, tzinfo=ICT)
    assert make_guid("BaoQuangNinh.vn", 4211, created) == "urn:newsml:baoquangninh.vn:20250310:4211"
    assert make_guid("x y", "a/b c", created) == "urn:newsml:x-y:20250310:a-b-c"
