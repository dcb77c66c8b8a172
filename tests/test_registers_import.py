"""Register imports: an XLSX of 40 delegations and 1,011 delegates gives exactly those yearly
figures in the statistics and the CSV export; a file with bad rows imports nothing and names
every bad row; a passport column is refused before anything else; the press file makes groups."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook

from hoasen.desk import Desk
from hoasen.errors import UsageError
from hoasen.registers.tables import (
    delegation_table,
    import_delegations,
    import_press,
    write_table,
)
from hoasen.settings import Settings

HEADER = ["Hướng", "Tên đoàn", "Quốc gia", "Trưởng đoàn", "Cấp", "Số thành viên"]
HEADER += ["Từ ngày", "Đến ngày", "Mục đích", "Trạng thái"]
COUNTRIES = ["CN", "Trung Quốc", "Japan", "한국", "Lào", "中国", "KR", "Thailand"]


@pytest.fixture
def desk(settings: Settings) -> Iterator[Desk]:
    with Desk(settings) as d:
        yield d


def xlsx(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def year_rows() -> list[list[object]]:
    """40 delegations (38 incoming, 2 outgoing) with 1,011 delegates in 2025."""
    from datetime import date

    rows: list[list[object]] = []
    for i in range(40):
        members = 25 if i < 39 else 1011 - 39 * 25
        direction = "incoming" if i < 38 else "đoàn ra"
        start = date(2025, 1 + i % 12, 1 + i % 27)
        rows.append(
            [
                direction,
                f"Delegation {i}",
                COUNTRIES[i % len(COUNTRIES)],
                f"Head {i}",
                "provincial" if i % 2 else "ministerial",
                members,
                start,  # a real date cell
                f"{start.year}-{start.month:02d}-{start.day + 1:02d}",
                "trade, culture" if i % 3 == 0 else "trade",
                "held" if i % 4 else "confirmed",
            ]
        )
    return rows


def test_year_register_gives_the_yearly_figures(desk: Desk, tmp_path: Path) -> None:
    path = xlsx(tmp_path / "2025.xlsx", HEADER, year_rows())
    regs = desk.registers
    dry = import_delegations(regs.delegations, path, dry_run=True)
    assert dry.ok and dry.rows == 40 and dry.imported == 0
    assert regs.delegations.find() == []
    report = import_delegations(regs.delegations, path)
    assert report.ok and report.imported == 40
    # a cancelled delegation and one the year after never count
    regs.delegations.add(
        direction="incoming", title="Cancelled", country="CN", members=99,
        starts="2025-05-05", status="cancelled",
    )  # fmt: skip
    regs.delegations.add(direction="in", title="Next", country="CN", starts="2026-01-02")
    stats = regs.stats(2025)
    assert stats["delegations"] == 40 and stats["delegates"] == 1011
    assert stats["incoming"] == {"delegations": 38, "delegates": 38 * 25}
    assert stats["outgoing"]["delegations"] == 2
    assert sum(v["delegations"] for v in stats["by_country"].values()) == 40
    assert set(stats["by_country"]) == {"CN", "JP", "KR", "LA", "TH"}
    assert stats["by_purpose"]["trade"]["delegations"] == 40
    assert stats["by_purpose"]["culture"]["delegations"] == 14
    assert stats["by_level"]["provincial"]["delegations"] == 20
    for key in ("year", "press_delegations", "journalists", "events", "participants"):
        assert key in stats
    q1 = regs.stats(2025, quarter=1)
    jan = regs.stats(2025, month=1)
    assert q1["delegations"] == 12 and jan["delegations"] == 4
    # the CSV export of the year holds the same figures
    rows = regs.delegations.find(since=__import__("datetime").date(2025, 1, 1))
    rows = [d for d in rows if d.starts.year == 2025 and d.status != "cancelled"]
    header, lines = delegation_table(rows, {}, with_people=False)
    assert "head" not in header
    out = tmp_path / "export.csv"
    write_table(out, header, lines)
    with out.open(encoding="utf-8-sig") as handle:
        read = list(csv.DictReader(handle))
    assert len(read) == 40 and sum(int(r["members"]) for r in read) == 1011
    assert read[0]["starts"] == "2025-01-01"
    # importing the same file again: every row is a duplicate, nothing is written
    again = import_delegations(regs.delegations, path)
    assert len(again.errors) == 40 and again.imported == 0
    assert again.errors[0] == (2, "already in the register")


def test_bad_rows_import_nothing_and_are_all_listed(desk: Desk, tmp_path: Path) -> None:
    rows = year_rows()[:8]
    rows[1][6] = "31/02/2025"  # bad date (row 3)
    rows[2][7] = "2024-01-01"  # ends before it starts (row 4)
    rows[3][2] = "Atlantis"  # unknown country (row 5)
    rows[4][5] = "many"  # members not a number (row 6)
    rows[6] = list(rows[0])  # duplicate of row 2 (row 8)
    path = tmp_path / "bad.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    report = import_delegations(desk.registers.delegations, path)
    assert not report.ok and report.imported == 0
    numbers = [n for n, _ in report.errors]
    assert numbers == [3, 4, 5, 6, 8]
    reasons = dict(report.errors)
    assert "date" in reasons[3] and "before" in reasons[4]
    assert "unknown country" in reasons[5] and "number" in reasons[6]
    assert reasons[8] == "duplicate of row 2"
    assert desk.registers.delegations.find() == []


@pytest.mark.parametrize(
    "column", ["Passport No.", "Số hộ chiếu", "CCCD", "Ngày sinh", "Date of birth", "Phone"]
)
def test_personal_columns_are_refused(desk: Desk, tmp_path: Path, column: str) -> None:
    path = xlsx(tmp_path / "p.xlsx", [*HEADER, column], [[*year_rows()[0], "x"]])
    with pytest.raises(UsageError, match=f"column '{column}'.*must not keep"):
        import_delegations(desk.registers.delegations, path, dry_run=True)
    assert desk.registers.delegations.find() == []


def test_press_import_makes_groups(desk: Desk, tmp_path: Path) -> None:
    header = ["Group", "Outlet", "Name", "Nationality", "Starts", "Ends", "Permit number"]
    header += ["Valid from", "Valid to"]
    rows: list[list[object]] = []
    for g in range(14):
        for n in range(6 if g < 6 else 7):
            rows.append(
                [f"Press group {g}", f"Outlet {g % 3}", f"Reporter {g}-{n}", "China",
                 f"2025-{g % 12 + 1:02d}-03", f"2025-{g % 12 + 1:02d}-09", f"P{g}{n}",
                 f"2025-{g % 12 + 1:02d}-01", f"2025-{g % 12 + 1:02d}-20"]
            )  # fmt: skip
    assert len(rows) == 92
    path = xlsx(tmp_path / "press.xlsx", header, rows)
    report = import_press(desk.registers.press, path)
    assert report.ok and report.imported == 92
    stats = desk.registers.stats(2025)
    assert stats["press_delegations"] == 14 and stats["journalists"] == 92
    assert stats["press_by_country"]["CN"] == {"groups": 14, "journalists": 92}
    bad = xlsx(tmp_path / "bad.xlsx", header, [rows[0], [*rows[1][:3], "Narnia", *rows[1][4:]]])
    again = import_press(desk.registers.press, bad)
    assert [n for n, _ in again.errors] == [2, 3]
    assert desk.registers.stats(2025)["journalists"] == 92
