"""The web desk in a real browser: Playwright drives Debian's Chromium against a uvicorn server
over a SQLite desk holding the analysed story fixture. Officers sign in through the form, search
in Vietnamese without diacritics, open a story, generate a weekly report and download its PDF,
switch the interface language, and a viewer can neither see nor forge source edits."""

from __future__ import annotations

import importlib.util
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.is_file():
    pytest.skip(
        f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)",
        allow_module_level=True,
    )
if importlib.util.find_spec("playwright") is None:
    pytest.skip("browser tests need the Python package playwright", allow_module_level=True)

from argon2 import PasswordHasher  # noqa: E402
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from browser_server import AppServer, desk_settings  # noqa: E402
from conftest import FIXTURES  # noqa: E402
from hoasen.desk import Desk  # noqa: E402
from hoasen.web.app import create_app  # noqa: E402
from hoasen.web.auth import Accounts  # noqa: E402

STORIES = FIXTURES / "analysis" / "stories.jsonl"
WEEK_DAY = "2026-11-04"  # a day of the fixture's week, 2026-11-02..08
PASSWORD = "correct horse battery staple"
TIMEOUT_MS = 15_000


@dataclass
class Site:
    """The running desk: its server, its Desk and the users the tests sign in as."""

    server: AppServer
    desk: Desk
    accounts: Accounts

    def url(self, path: str = "/") -> str:
        return self.server.url(path)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The story fixture ingested with analysis (models load once), an editor and a viewer."""
    folder = tmp_path_factory.mktemp("browser-desk")
    settings = desk_settings(folder, analyze_on_ingest=True)
    desk = Desk(settings)
    desk.store.add_source("https://baoquangninh.vn/rss", "Báo Quảng Ninh", country="VN")
    desk.store.add_source("https://vietnamnews.vn/rss", "Vietnam News", country="VN")
    report = desk.ingest([STORIES])
    assert report.analyzed == 5 and not report.errors
    # A cheap hasher: these tests drive pages, not password hashing.
    accounts = Accounts(
        desk.store, hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    accounts.add_user("editor", "editor", PASSWORD)
    accounts.add_user("viewer", "viewer", PASSWORD)
    with AppServer(create_app(settings, desk, accounts=accounts)) as server:
        yield Site(server, desk, accounts)
    desk.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium (no sandbox when running as root, as in containers)."""
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) with downloads allowed."""
    context = browser.new_context(accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


def _sign_in(page: Page, site: Site, name: str, password: str = PASSWORD) -> None:
    page.goto(site.url("/login"))
    page.fill("#login-name", name)
    page.fill("#login-password", password)
    page.click("form[action='/login'] button[type=submit]")


def _signed_in(page: Page, site: Site, name: str) -> None:
    _sign_in(page, site, name)
    expect(page.locator(".who")).to_contain_text(name)


def _csrf(page: Page) -> str:
    """The session's CSRF token, as the page's own forms carry it."""
    return page.locator("form[action='/logout'] input[name=csrf_token]").input_value()


def _story_id(desk: Desk) -> int:
    """The fixture's story told in three languages (the Guangxi delegation)."""
    story = max(desk.stories(min_articles=2), key=lambda s: len(s.languages))
    assert len(story.languages) >= 3
    return story.id


# ---------------------------------------------------------------- signing in


def test_sign_in_through_the_form(page: Page, site: Site) -> None:
    page.goto(site.url("/search?q=hop+tac"))
    expect(page).to_have_url(re.compile(r"/login\?next="))  # strangers go to the login page
    page.fill("#login-name", "editor")
    page.fill("#login-password", "not the password")
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator(".who")).to_have_count(0)
    expect(page.locator("#login-name")).to_have_value("editor")  # the form comes back
    page.fill("#login-password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page).to_have_url(site.url("/search?q=hop+tac"))  # then back where they were going
    expect(page.locator(".who")).to_contain_text("editor")
    cookie = next(c for c in page.context.cookies() if c["name"] == "hoasen_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"


# ---------------------------------------------------------------- search and stories


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("quang ninh", "Quảng Ninh đón đoàn đại biểu"),
        ("bien gioi", "Quảng Ninh đón đoàn đại biểu"),
        ("le hoi ha long", "Lễ hội Hokkaido lần đầu tổ chức tại Hạ Long"),
    ],
)
def test_search_in_vietnamese_without_diacritics(
    page: Page, site: Site, query: str, title: str
) -> None:
    _signed_in(page, site, "viewer")
    page.goto(site.url("/search"))
    page.fill("#q", query)
    page.press("#q", "Enter")
    hits = page.locator("#results .hit")
    expect(hits.first).to_be_visible()
    expect(page.locator("#results .hit h3 a", has_text=title)).to_have_count(1)
    marks = [m.lower() for m in page.locator("#results .hit mark").all_inner_texts()]
    assert marks, "the snippets highlight what matched"
    # the highlighted words are the article's own, with their diacritics
    assert re.search(r"[àáảãạăâđêôơưéèẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵ]", " ".join(marks))


def test_story_page_shows_articles_in_several_languages(page: Page, site: Site) -> None:
    _signed_in(page, site, "viewer")
    page.goto(site.url("/search?q=quang+ninh+quang+tay"))
    page.locator("#results .hit h3 a", has_text="Quảng Ninh đón đoàn").click()
    expect(page).to_have_url(re.compile(r"/articles/\d+$"))
    page.locator("a[href^='/stories/']").first.click()
    expect(page).to_have_url(site.url(f"/stories/{_story_id(site.desk)}"))
    columns = page.locator(".lang-column")
    expect(columns).to_have_count(3)
    expect(page.locator(".lang-column a[lang=vi]")).to_contain_text("Quảng Ninh đón đoàn")
    expect(page.locator(".lang-column a[lang=en]")).to_contain_text("Quang Ninh welcomes")
    expect(page.locator(".lang-column a[lang=zh]")).to_contain_text("广西")


# ---------------------------------------------------------------- reports


def test_generate_a_weekly_report_and_download_its_pdf(
    page: Page, site: Site, tmp_path: Path
) -> None:
    _signed_in(page, site, "editor")
    page.goto(site.url("/reports"))
    page.select_option("#r-kind", "weekly")
    page.select_option("#r-language", "vi")
    page.fill("#r-on", WEEK_DAY)
    page.click("form[action='/reports'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/reports\?made="))
    notice = page.locator(".notice")
    expect(notice).to_be_visible()
    number = notice.locator("strong").inner_text()
    assert number in {e.number for e in site.desk.reports.register.entries("weekly")}
    with page.expect_download() as caught:
        notice.locator("a", has_text="PDF").click()
    download = caught.value
    assert download.suggested_filename.endswith(".pdf")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    body = saved.read_bytes()
    assert body.startswith(b"%PDF-")
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(body)).pages)
    assert "Quảng Ninh" in text
    assert "02/11/2026" in text or "2/11/2026" in text  # the fixture's week, dated the vi way


# ---------------------------------------------------------------- interface language


def test_switch_the_interface_language(page: Page, site: Site) -> None:
    _signed_in(page, site, "viewer")
    page.goto(site.url("/search"))
    start = page.locator("html").get_attribute("lang")
    assert start in {"vi", "en"}
    words = {"vi": ("Tìm kiếm", "Báo cáo", "Đăng xuất"), "en": ("Search", "Reports", "Log out")}
    other = "en" if start == "vi" else "vi"
    for lang in (other, start):
        page.click(".lang-switch")
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page).to_have_url(site.url("/search"))  # the switch stays on the same page
        nav = page.locator("header nav")
        for word in words[lang]:
            expect(page.locator("header")).to_contain_text(word)
        expect(nav).not_to_contain_text(words["en" if lang == "vi" else "vi"][1])


# ---------------------------------------------------------------- roles


def _source_controls(page: Page) -> dict[str, int]:
    return {
        "add": page.locator("form#add-source").count(),
        "edit": page.locator("form[action$='/edit']").count(),
        "remove": page.locator("form[action$='/remove']").count(),
    }


def test_editor_sees_the_source_controls(page: Page, site: Site) -> None:
    _signed_in(page, site, "editor")
    page.goto(site.url("/sources"))
    expect(page.locator("table.sources")).to_contain_text("Báo Quảng Ninh")
    controls = _source_controls(page)
    assert controls["add"] == 1 and controls["edit"] >= 1 and controls["remove"] >= 1


def test_viewer_cannot_edit_sources(page: Page, site: Site) -> None:
    before = [(s.name, s.url) for s in site.desk.store.list_sources()]
    _signed_in(page, site, "viewer")
    page.goto(site.url("/sources"))
    expect(page.locator("table.sources")).to_contain_text("Báo Quảng Ninh")
    assert _source_controls(page) == {"add": 0, "edit": 0, "remove": 0}
    # forged requests with the viewer's own cookies and a valid CSRF token: the role refuses
    token = _csrf(page)
    assert token
    source = {"url": "https://evil.example/rss", "kind": "feed", "csrf_token": token}
    forged: list[tuple[str, dict[str, Any]]] = [
        ("/sources", {"form": {**source, "name": "Forged"}}),
        ("/sources/Báo Quảng Ninh/edit", {"form": source}),
        ("/sources/Báo Quảng Ninh/remove", {"form": {"csrf_token": token}}),
        (
            "/api/v1/sources",
            {
                "data": {"name": "Forged API", "url": "https://evil.example/api.rss"},
                "headers": {"X-CSRF-Token": token},
            },
        ),
    ]
    for path, options in forged:
        response = page.request.post(site.url(path), max_redirects=0, **options)
        assert response.status == 403, (path, response.status, response.text()[:300])
        assert "editor role" in response.text()  # refused for the role, not the CSRF token
    assert [(s.name, s.url) for s in site.desk.store.list_sources()] == before
