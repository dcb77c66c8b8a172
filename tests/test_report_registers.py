"""The monthly report's "Foreign affairs registers" section: delegations and delegates (incoming
and outgoing, by country), foreign press groups and journalists, events with participants and
confirmed coverage, in Vietnamese and English, in HTML, Markdown and Word; never a person's
name; absent from a month without register data and from other report kinds."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from docx import Document

from hoasen.desk import Desk
from hoasen.models import RawInput
from hoasen.reports import render
from hoasen.settings import Settings

MONTH = date(2025, 3, 15)
HEAD = "Zsófia Kertészné"  # a head of delegation: never in a report
JOURNALIST = "Hanako Yamadaya"  # an accredited journalist: never in a report


@pytest.fixture
def desk(settings: Settings) -> Iterator[Desk]:
    with Desk(settings) as d:
        yield d


def _article(desk: Desk) -> int:
    doc = {
        "title": "Tourism forum opens in Ha Long",
        "text": "The Ha Long Tourism Forum 2025 opened with partners from ten countries.",
        "language": "en",
        "published": datetime(2025, 3, 20, 3, tzinfo=UTC).isoformat(),
        "url": "https://news.example.org/forum.html",
        "source": "Test wire",
    }
    raw = RawInput(origin="forum.json", data=json.dumps(doc).encode(), fmt="json", url=doc["url"])
    desk.ingest(items=[raw])
    (hit,) = desk.search('"Ha Long Tourism Forum"', snippets=False)
    return hit.id


def _registers(desk: Desk) -> int:
    regs = desk.registers
    add = regs.delegations.add
    add(direction="incoming", title="Hungarian delegation", country="HU", head=HEAD,
        head_role="Ambassador", members=12, starts="2025-03-03")  # fmt: skip
    add(direction="incoming", title="Hungarian business mission", country="HU", members=7,
        starts="2025-03-20")  # fmt: skip
    add(direction="incoming", title="Lao delegation", country="LA", members=5,
        starts="2025-03-21", status="cancelled")  # fmt: skip
    add(direction="outgoing", title="Study tour to Japan", country="JP", members=4,
        starts="2025-03-10")  # fmt: skip
    add(direction="incoming", title="April delegation", country="HU", members=99,
        starts="2025-04-02")  # fmt: skip
    for name in (JOURNALIST, "Ken Mori"):
        regs.press.add(group="NHK team", outlet="NHK", name=name, nationality="JP",
                       starts="2025-03-12")  # fmt: skip
    event = regs.events.add(
        "Ha Long Tourism Forum 2025", start=date(2025, 3, 19), end=date(2025, 3, 20),
        all_day=True, kind="forum", place="Ha Long", expected=300,
    )  # fmt: skip
    regs.events.add("Cancelled fair", start=date(2025, 3, 25), all_day=True, status="cancelled")
    article = _article(desk)
    coverage = regs.events.coverage(event.id)
    assert [a.article_id for a in coverage.articles] == [article]
    regs.events.confirm(event.id, article, by="officer")
    return int(event.id)


def test_monthly_report_shows_the_registers(desk: Desk) -> None:
    _registers(desk)
    titles = {"vi": "Sổ theo dõi công tác đối ngoại", "en": "Foreign affairs registers"}
    for lang, title in titles.items():
        made = desk.reports.make("monthly", on=MONTH, language=lang, generated_by="test")
        section = made.document["registers"]
        assert section["delegations"]["total"] == {"delegations": 3, "delegates": 23}
        assert section["delegations"]["incoming"] == {"delegations": 2, "delegates": 19}
        assert section["delegations"]["outgoing"] == {"delegations": 1, "delegates": 4}
        assert [c["country"] for c in section["delegations"]["by_country"]] == ["HU", "JP"]
        assert (section["press"]["groups"], section["press"]["journalists"]) == (1, 2)
        (event,) = section["events"]
        assert (event["from"], event["to"]) == ("2025-03-19", "2025-03-20")
        assert (event["participants"], event["coverage"]) == (300, 1)

        html = render(made.document, "html").decode("utf-8")
        md = render(made.document, "md").decode("utf-8")
        docx = Document(io.BytesIO(render(made.document, "docx")))
        words = "\n".join(p.text for p in docx.paragraphs)
        cells = "\n".join(c.text for t in docx.tables for row in t.rows for c in row.cells)
        assert f"## {title}" in md and f"<h2>{title}</h2>" in html and title in words
        for text in (html, md, words + cells):
            for name in (HEAD, JOURNALIST, "Ken Mori", "Ambassador", "Cancelled fair"):
                assert name not in text
        if lang == "en":
            assert "| Hungary | 2 | 19 | 0 | 0 |" in md
            assert "| Japan | 0 | 0 | 1 | 4 |" in md
            assert "| All countries | 2 | 19 | 1 | 4 |" in md
            assert "| Japan | 1 | 2 |" in md
            assert (
                "| Ha Long Tourism Forum 2025 | 19 Mar 2025 – 20 Mar 2025 | Ha Long | 300 | 1 |"
                in md
            )
            assert "Delegations: 3 (23 delegates; incoming 2, outgoing 1)." in md
            assert "Foreign press groups: 1 (2 journalists). Events: 1 (300 participants)." in md
            assert '<td>Hungary</td><td class="num">2</td><td class="num">19</td>' in html
            assert '<td class="num">300</td><td class="num">1</td>' in html
            assert "Ha Long Tourism Forum 2025" in cells and "Hungary" in cells
        else:
            assert "| Hungary | 2 | 19 | 0 | 0 |" in md
            assert "| Nhật Bản | 0 | 0 | 1 | 4 |" in md
            assert "| Tất cả các nước | 2 | 19 | 1 | 4 |" in md
            assert "19/03/2025 – 20/03/2025" in md and "19/03/2025 – 20/03/2025" in html
            assert "Đoàn: 3 (23 đại biểu; đoàn vào 2, đoàn ra 1)." in md
            assert "Bài đưa tin đã xác nhận" in html


def test_no_section_without_register_data(desk: Desk) -> None:
    _registers(desk)
    for on in (date(2025, 2, 10), date(2025, 5, 10)):
        made = desk.reports.make("monthly", on=on, language="en", generated_by="test")
        assert "registers" not in made.document
        assert "Foreign affairs registers" not in render(made.document, "html").decode("utf-8")
        assert "Foreign affairs registers" not in render(made.document, "md").decode("utf-8")
    weekly = desk.reports.make("weekly", on=MONTH, language="en", generated_by="test")
    assert "registers" not in weekly.document


def test_empty_registers_add_nothing(desk: Desk) -> None:
    made = desk.reports.make("monthly", on=MONTH, language="vi", generated_by="test")
    assert "registers" not in made.document
    assert "Sổ theo dõi công tác đối ngoại" not in render(made.document, "md").decode("utf-8")
