"""The translation desk end to end on a real database: translate segments and articles through
an engine (a loopback LibreTranslate fake that garbles names the way real engines do), names
kept by the termbase, QA flags, the memory used before any engine, review and approval, and the
CLI, web editor and API over it."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from hoasen.cli import app
from hoasen.desk import Desk
from hoasen.errors import UsageError
from hoasen.settings import Settings
from hoasen.web.app import create_app
from hoasen.web.auth import Accounts
from translate_fakes import Answer, FakeServer, Request

# What the fake engine knows: Chinese phrases to English, with the garbling real engines do to
# names (孙业礼 → "Ton Nghiep Le") and a number it gets wrong (366万 → 3.76 million).
PHRASES = {
    "广西壮族自治区": "Guangxi Chu Autonomous Region",
    "主席": "Chairman ",
    "孙业礼": "Ton Nghiep Le",
    "会见了越南客人": " met Vietnamese guests",
    "双方同意加强旅游合作": "Both sides agreed to strengthen tourism cooperation",
    "广西": "Guangxi",
    "接待游客": " received visitors ",
    "366万人次": "3.76 million",
    "2023年": "In 2023",
    "，": ", ",
    "。": ".",
}


def _garble(text: str) -> str:
    for zh, en in sorted(PHRASES.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(zh, en)
    return re.sub(r"\s+", " ", text).strip()


def _engine(req: Request) -> Answer:
    if req.method == "GET" and req.path == "/languages":
        return Answer(
            body=[
                {"code": "zh-Hans", "name": "Chinese", "targets": ["en"]},
                {"code": "en", "name": "English", "targets": ["zh-Hans"]},
            ]
        )
    q = (req.body or {}).get("q")
    if isinstance(q, list):
        return Answer(body={"translatedText": [_garble(t) for t in q]})
    return Answer(body={"translatedText": _garble(str(q))})


@pytest.fixture
def engine() -> Iterator[FakeServer]:
    with FakeServer(_engine) as server:
        yield server


@pytest.fixture
def tsettings(settings: Settings, engine: FakeServer) -> Settings:
    return replace(settings, translate_engines=("*=libretranslate",), libretranslate_url=engine.url)


@pytest.fixture
def desk(tsettings: Settings) -> Iterator[Desk]:
    with Desk(tsettings) as d:
        yield d


def _article(desk: Desk, tmp_path: Path) -> int:
    item = {
        "title": "孙业礼会见了越南客人。",
        "language": "zh",
        "text": "广西壮族自治区主席孙业礼会见了越南客人。\n\n2023年，广西接待游客366万人次。",
    }
    path = tmp_path / "a.json"
    path.write_text(json.dumps(item, ensure_ascii=False), encoding="utf-8")
    report = desk.ingest([path])
    return report.article_ids[0]


def _checks(flags: list[Any]) -> set[str]:
    return {f.check if hasattr(f, "check") else f["check"] for f in flags}


def test_names_kept_by_the_termbase_and_a_wrong_number_flagged(desk: Desk) -> None:
    lines = ["广西壮族自治区主席孙业礼会见了越南客人。", "2023年，广西接待游客366万人次。"]
    raw = desk.translation.translate_segments(lines, "zh", "en", termbase=False)
    assert "Ton Nghiep Le" in raw.segments[0].target
    assert "names" in _checks(raw.segments[0].flags) or "forbidden" in _checks(
        raw.segments[0].flags
    )
    kept = desk.translation.translate_segments(lines, "zh", "en")
    assert kept.engine == "libretranslate"
    assert "Sun Yeli" in kept.segments[0].target
    assert "Ton Nghiep Le" not in kept.segments[0].target
    assert not any(f.severity == "error" for f in kept.segments[0].flags), kept.segments[0].flags
    # The engine's wrong number is never fixed silently: QA flags it.
    assert "numbers" in _checks(kept.segments[1].flags)
    assert kept.as_json()["flagged"] >= 1


def test_article_translation_review_and_memory(
    desk: Desk, tmp_path: Path, engine: FakeServer
) -> None:
    article_id = _article(desk, tmp_path)
    made = desk.translation.translate_article(article_id, "en", by="tester")
    assert made.status == "draft" and made.article_id == article_id
    assert [s.paragraph for s in made.segments] == [0, 1, 2]
    assert "Sun Yeli" in made.title
    number = next(s for s in made.segments if "366" in s.source)
    assert "numbers" in _checks(number.flags)
    # The editor fixes the number: QA passes, and an edited translation stays a draft.
    fixed = desk.translation.edit(
        made.id, {number.position: "In 2023, Guangxi received 3.66 million visitors."}
    )
    seg = next(s for s in fixed.segments if s.position == number.position)
    assert seg.origin == "human" and "numbers" not in _checks(seg.flags)
    approved = desk.translation.set_status(made.id, "approved", "chief")
    assert approved.status == "approved" and approved.approved_by == "chief"
    assert desk.translation.records.approved(article_id, "en") is not None
    # Approved segments are in the memory: the same text comes from it, without the engine.
    calls = len(engine.requests)
    again = desk.translation.translate_segments([number.source], "zh", "en")
    assert again.segments[0].origin == "tm"
    assert again.segments[0].target.startswith("In 2023, Guangxi received 3.66")
    assert len(engine.requests) == calls
    # Editing an approved translation sends it back to draft.
    back = desk.translation.edit(made.id, {0: "Sun Yeli meets Vietnamese guests"})
    assert back.status == "draft" and back.approved_by is None


def test_approving_refuses_an_empty_segment(desk: Desk, tmp_path: Path) -> None:
    made = desk.translation.translate_article(_article(desk, tmp_path), "en")
    desk.translation.edit(made.id, {1: ""})
    with pytest.raises(UsageError, match="no translation yet"):
        desk.translation.set_status(made.id, "approved", "chief")


def test_no_engine_configured_is_a_clear_error(settings: Settings) -> None:
    with Desk(settings) as desk, pytest.raises(UsageError, match="translate_engines"):
        desk.translation.translate_segments(["你好"], "zh", "en")


def test_office_terms_added_and_found(desk: Desk) -> None:
    concept = desk.translation.add_term(
        "Đặc san Hoa Sen thử", "vi", "Đặc san Hoa Sen thử", "preferred"
    )
    assert concept.startswith("term.")
    desk.translation.add_term(concept, "en", "Test Lotus special issue", "preferred")
    found, total = desk.translation.list_terms("Hoa Sen thử")
    assert total == 1 and found[0]["id"] == concept
    assert {t["text"] for t in found[0]["terms"]} >= {"Test Lotus special issue"}
    # A known concept by one of its names.
    assert desk.translation.add_term("Sun Yeli", "en", "Ton Nghiep Le", "forbidden") == (
        "per.sun-yeli"
    )


# ---------------------------------------------------------------- CLI


def _cli(args: list[str], tsettings: Settings, code: int = 0, stdin: str | None = None) -> Any:
    env = {
        "HOASEN_CONFIG": "/nonexistent.toml",
        "HOASEN_DATABASE_URL": tsettings.database_url,
        "HOASEN_TRANSLATE_ENGINES": ",".join(tsettings.translate_engines),
        "HOASEN_LIBRETRANSLATE_URL": tsettings.libretranslate_url,
        "HOASEN_ANALYZE_ON_INGEST": "false",
    }
    result = CliRunner().invoke(app, args, env=env, input=stdin)
    assert result.exit_code == code, result.output
    if "--json" in args and code == 0:
        return json.loads(result.stdout)
    return result.output


def test_cli_translate_qa_termbase_and_tm(tsettings: Settings, tmp_path: Path) -> None:
    doc = _cli(
        ["translate", "-", "--from", "zh", "--to", "en", "--json"],
        tsettings,
        stdin="广西壮族自治区主席孙业礼会见了越南客人。\n",
    )
    assert set(doc) >= {"engine", "from", "to", "segments"}
    assert set(doc["segments"][0]) >= {"source", "target", "flags"}
    assert "Sun Yeli" in doc["segments"][0]["target"]
    src, tgt = tmp_path / "src.txt", tmp_path / "tgt.txt"
    src.write_text(
        "孙业礼会见了越南客人。\n2023年，广西接待游客366万人次。\n双方同意加强旅游合作。\n",
        encoding="utf-8",
    )
    tgt.write_text(
        "Ton Nghiep Le met Vietnamese guests.\nIn 2023 Guangxi received 3.76 million "
        "visitors.\nBoth sides agreed to strengthen tourism cooperation.\n",
        encoding="utf-8",
    )
    qa = _cli(
        ["qa", str(src), str(tgt), "--src-lang", "zh", "--tgt-lang", "en", "--json"], tsettings
    )
    assert qa["total"] == 3 and qa["flagged"] == 2
    by_line = {s["line"]: {f["check"] for f in s["flags"]} for s in qa["segments"]}
    assert by_line[1] & {"forbidden", "names"} and "numbers" in by_line[2] and not by_line[3]
    assert set(qa["segments"][0]["flags"][0]) == {"check", "severity", "message"}
    suggest = _cli(["termbase", "suggest", "孙业礼", "--json"], tsettings)
    assert suggest["pinyin"] == "Sun Yeli" and suggest["hanviet"] == "Tôn Nghiệp Lễ"
    # Termbase CSV and memory TMX round trips through the CLI.
    csv_in = tmp_path / "terms.csv"
    csv_in.write_text(
        "concept_id,type,lang,term,status\nterm.hoa-sen-x,TERM,vi,Đặc san Hoa Sen X,"
        "preferred\nterm.hoa-sen-x,TERM,en,Hoa Sen Special Issue X,preferred\n",
        encoding="utf-8",
    )
    _cli(["termbase", "import", str(csv_in)], tsettings)
    listed = _cli(["termbase", "list", "Hoa Sen Special Issue X", "--json"], tsettings)
    assert listed["concepts"][0]["id"] == "term.hoa-sen-x"
    out_tbx = tmp_path / "out.tbx"
    _cli(["termbase", "export", "-o", str(out_tbx), "--format", "tbx"], tsettings)
    assert "Hoa Sen Special Issue X" in out_tbx.read_text(encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "concept_id,type,lang,term,status\nterm.y,TERM,vi,Y,preferred\nterm.z,TERM,vi,Z,bogus\n",
        encoding="utf-8",
    )
    assert "line 3" in _cli(["termbase", "import", str(bad)], tsettings, code=2)
    assert _cli(["termbase", "list", "term.y", "--json"], tsettings)["total"] == 0
    tmx = tmp_path / "tm.tmx"
    tmx.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header creationtool="t" '
        'creationtoolversion="1" segtype="sentence" o-tmf="t" adminlang="en" srclang="zh" '
        'datatype="plaintext"/><body><tu><tuv xml:lang="zh"><seg>双方同意加强旅游合作。</seg>'
        '</tuv><tuv xml:lang="en"><seg>Both sides agreed to boost tourism.</seg></tuv></tu>'
        "</body></tmx>",
        encoding="utf-8",
    )
    _cli(["tm", "import", str(tmx)], tsettings)
    found = _cli(
        ["tm", "lookup", "双方同意加强旅游合作。", "--from", "zh", "--to", "en", "--json"],
        tsettings,
    )
    assert found["matches"][0]["target"] == "Both sides agreed to boost tourism."
    out_tmx = tmp_path / "out.tmx"
    _cli(["tm", "export", str(out_tmx)], tsettings)
    assert "Both sides agreed to boost tourism." in out_tmx.read_text(encoding="utf-8")


def test_cli_translate_an_article_then_review(tsettings: Settings, tmp_path: Path) -> None:
    with Desk(tsettings) as desk:
        article_id = _article(desk, tmp_path)
    doc = _cli(["translate", str(article_id), "--to", "en", "--json"], tsettings)
    assert doc["status"] == "draft" and doc["article_id"] == article_id
    listed = _cli(["translations", "list", "--json"], tsettings)
    assert listed["total"] == 1 and listed["translations"][0]["id"] == doc["id"]
    shown = _cli(["translations", "show", str(doc["id"]), "--json"], tsettings)
    assert shown["segments"][0]["position"] == 0
    assert "missing" not in _cli(["translate", "models", "--json"], tsettings)
    assert "--to" in _cli(["translate", "-", "--from", "zh"], tsettings, code=2, stdin="你好")


# ---------------------------------------------------------------- web and API


def _client(app: Any, accounts: Accounts, role: str) -> httpx.AsyncClient:
    user, _ = accounts.add_user(f"{role}-user", role)
    cookies = {"hoasen_session": accounts.start_session(user).token, "hoasen_lang": "en"}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://desk.test", cookies=cookies
    )


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def test_web_editor_and_api(desk: Desk, tsettings: Settings, tmp_path: Path) -> None:
    article_id = _article(desk, tmp_path)
    accounts = Accounts(
        desk.store, hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    web_app = create_app(tsettings, desk, accounts=accounts)

    async def go() -> None:
        async with _client(web_app, accounts, "editor") as client:
            page = await client.get(f"/articles/{article_id}")
            assert (
                page.status_code == 200
                and f'action="/articles/{article_id}/translate"' in page.text
            )
            token = _csrf(page.text)
            made = await client.post(
                f"/articles/{article_id}/translate", data={"csrf_token": token, "to": "en"}
            )
            assert made.status_code == 303
            editor_url = made.headers["location"]
            tid = int(editor_url.rsplit("/", 1)[1])
            editor = await client.get(editor_url)
            assert editor.status_code == 200
            assert "Sun Yeli" in editor.text and "/static/translate.js" in editor.text
            assert "3.76 million" in editor.text and "flag-error" in editor.text
            saved = await client.post(
                f"/translations/{tid}/segments/2",
                data={"target": "In 2023, Guangxi received 3.66 million visitors."},
                headers={"X-CSRF-Token": token, "HX-Request": "true"},
            )
            assert saved.status_code == 200 and 'id="seg-2"' in saved.text
            assert "flag-error" not in saved.text
            approve = await client.post(
                f"/translations/{tid}/status", data={"csrf_token": token, "status": "approved"}
            )
            assert approve.status_code == 303
            suggest = await client.get(f"/translations/{tid}/segments/2/suggest")
            assert "3.66 million" in suggest.text
            for url in ("/translations", "/termbase?q=Sun+Yeli&name=福建省", "/qa"):
                shown = await client.get(url)
                assert shown.status_code == 200, url
            assert "Phúc Kiến" in (await client.get("/termbase?name=福建省")).text
            csv_file = "concept_id,type,lang,term,status\nterm.web-x,TERM,en,Web Term X,preferred\n"
            imported = await client.post(
                "/termbase/import",
                data={"csrf_token": token},
                files={"file": ("terms.csv", csv_file.encode("utf-8"), "text/csv")},
            )
            assert imported.status_code == 200 and "1 / 1" in imported.text
            refused = await client.post(
                "/termbase/import",
                data={"csrf_token": token},
                files={"file": ("terms.txt", b"x", "text/plain")},
            )
            assert refused.status_code == 400 and "choose a .tbx or .csv file" in refused.text
            qa = await client.post(
                "/qa",
                data={
                    "csrf_token": token,
                    "src_lang": "zh",
                    "tgt_lang": "en",
                    "source": "孙业礼会见了越南客人。",
                    "target": "Ton Nghiep Le met guests.",
                },
            )
            assert qa.status_code == 200 and "Ton Nghiep Le" in qa.text and "flag-error" in qa.text
            # The API
            api = await client.post(
                "/api/v1/qa",
                json={
                    "sources": ["2023年，广西接待游客366万人次。"],
                    "targets": ["In 2023 Guangxi received 3.76 million visitors."],
                    "src_lang": "zh",
                    "tgt_lang": "en",
                },
                headers={"X-CSRF-Token": token},
            )
            assert api.status_code == 200 and api.json()["flagged"] == 1
            got = await client.get(f"/api/v1/translations/{tid}")
            assert got.json()["status"] == "approved"
            patched = await client.patch(
                f"/api/v1/translations/{tid}",
                json={"targets": {"0": "Sun Yeli meets guests"}},
                headers={"X-CSRF-Token": token},
            )
            assert patched.status_code == 200 and patched.json()["status"] == "draft"
            created = await client.post(
                f"/api/v1/articles/{article_id}/translations",
                json={"to": "en"},
                headers={"X-CSRF-Token": token},
            )
            assert created.status_code == 201 and "Sun Yeli" in created.json()["title"]
            sugg = await client.get("/api/v1/termbase/suggest", params={"name": "孙业礼"})
            assert sugg.json()["pinyin"] == "Sun Yeli"

        async with _client(web_app, accounts, "viewer") as viewer:
            page = await viewer.get(f"/translations/{tid}")
            assert page.status_code == 200 and "<textarea" not in page.text
            token = _csrf(page.text)
            denied = await viewer.post(
                f"/translations/{tid}/segments/1", data={"csrf_token": token, "target": "x"}
            )
            assert denied.status_code == 403
            api_denied = await viewer.post(
                "/api/v1/translate",
                json={"segments": ["你好"], "from": "zh", "to": "en"},
                headers={"X-CSRF-Token": token},
            )
            assert api_denied.status_code == 403

    asyncio.run(go())


def test_name_check_of_a_published_translation(desk: Desk, tsettings: Settings) -> None:
    text = (
        "Online conference celebrating 5 years of friendly relations with Phuc province Kien "
        "(China). Vice Minister Ton Nghiep Le thanked the city. Fujian and Sun Yeli are right."
    )
    found = desk.translation.check_names(text, "en")
    assert [(f["text"], f["preferred"]) for f in found] == [
        ("Phuc province Kien", "Fujian"),
        ("Ton Nghiep Le", "Sun Yeli"),
    ]
    assert text[found[0]["start"] : found[0]["end"]] == "Phuc province Kien"
    doc = _cli(["termbase", "check", "-", "--lang", "en", "--json"], tsettings, stdin=text)
    assert doc["total"] == 2


def test_report_titles_keep_the_termbase_names(tsettings: Settings) -> None:
    with Desk(replace(tsettings, translation_engine="auto")) as desk:
        translator = desk.reports.builder.translator
        assert translator is not None
        titles = translator.translate(
            ["孙业礼会见了越南客人。", "双方同意加强旅游合作。"], "zh", "en"
        )
    assert titles[0] is not None and "Sun Yeli" in titles[0] and "Ton Nghiep" not in titles[0]
    assert titles[1] == "Both sides agreed to strengthen tourism cooperation."
