"""The numbered register of monitoring reports: number, kind, period, parameters, the article
set, the document as generated, who made it and when, and its rendered files."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from hoasen.errors import NotFoundError, StoreError
from hoasen.store import schema
from hoasen.store.db import Store, _new_id
from hoasen.store.schema import utcnow

_ATTEMPTS = 5


@dataclass(frozen=True)
class RegisteredReport:
    """One register entry (without its document)."""

    id: int
    number: str
    kind: str
    year: int
    seq: int
    period_from: str
    period_to: str
    language: str
    title: str | None
    generated_by: str
    created: datetime
    articles: int
    formats: tuple[str, ...]
    run_key: str | None = None  # the scheduled run that made it (None: made by hand)

    def as_json(self) -> dict[str, Any]:
        """The `hoasen reports --json` item."""
        return {
            "number": self.number,
            "kind": self.kind,
            "period": {"from": self.period_from, "to": self.period_to},
            "language": self.language,
            "title": self.title,
            "articles": self.articles,
            "generated_by": self.generated_by,
            "created": self.created.isoformat(),
            "formats": list(self.formats),
        }


@dataclass(frozen=True)
class StoredReport:
    """A register entry with everything needed to re-render or rebuild it."""

    entry: RegisteredReport
    parameters: dict[str, Any]
    article_ids: list[int]
    document: dict[str, Any]


class RunKeyTaken(StoreError):
    """Another worker registered the report of this scheduled run first: `entry` is theirs."""

    def __init__(self, entry: RegisteredReport) -> None:
        super().__init__(f"report {entry.number} was already made for run {entry.run_key}")
        self.entry = entry


class ReportRegister:
    """The register of one Store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(
        self,
        kind: str,
        year: int,
        number_for: Any,
        document: Mapping[str, Any],
        parameters: Mapping[str, Any],
        article_ids: Sequence[int],
        generated_by: str,
        run_key: str | None = None,
    ) -> RegisteredReport:
        """Give the report the next number of its kind and year and store it.

        `number_for(seq) -> str` makes the number; the document gets it too. Two reports
        registered at once cannot share a number: the loser retries with the next one.
        `run_key` (a scheduled run) is unique: when another worker registered that run first,
        RunKeyTaken carries its entry, so the run is registered once.
        """
        r = schema.reports
        for _ in range(_ATTEMPTS):
            with self.store.engine.connect() as conn:
                last = conn.execute(
                    select(func.max(r.c.seq)).where(r.c.kind == kind, r.c.year == year)
                ).scalar()
            seq = int(last or 0) + 1
            number = str(number_for(seq))
            doc = {**document, "number": number}
            try:
                with self.store.begin() as conn:
                    new_id = _new_id(
                        conn.execute(
                            insert(r).values(
                                number=number,
                                kind=kind,
                                year=year,
                                seq=seq,
                                period_from=doc["period"]["from"],
                                period_to=doc["period"]["to"],
                                language=doc["language"],
                                title=doc.get("title"),
                                parameters=json.dumps(parameters, ensure_ascii=False),
                                article_ids=json.dumps(list(article_ids)),
                                document=json.dumps(doc, ensure_ascii=False),
                                generated_by=generated_by,
                                run_key=run_key,
                                created=utcnow(),
                            )
                        )
                    )
            except IntegrityError:
                winner = self.by_run_key(run_key) if run_key is not None else None
                if winner is not None:
                    raise RunKeyTaken(winner) from None
                continue
            return self._by_id(new_id)
        raise StoreError("could not give the report a number: too many reports at once")

    def _by_id(self, report_id: int) -> RegisteredReport:
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(schema.reports).where(schema.reports.c.id == report_id)
            ).first()
            if row is None:
                raise NotFoundError(f"no report with id {report_id}")
            return _entry(row, self._formats(conn, [report_id]).get(report_id, ()))

    def by_run_key(self, run_key: str) -> RegisteredReport | None:
        """The report a scheduled run made, if it was registered."""
        r = schema.reports
        with self.store.engine.connect() as conn:
            row = conn.execute(select(r).where(r.c.run_key == run_key)).first()
            if row is None:
                return None
            return _entry(row, self._formats(conn, [int(row.id)]).get(int(row.id), ()))

    def entries(self, kind: str | None = None) -> list[RegisteredReport]:
        """Every registered report, newest first."""
        r = schema.reports.c
        query = select(schema.reports).order_by(r.created.desc(), r.id.desc())
        if kind is not None:
            query = query.where(r.kind == kind)
        with self.store.engine.connect() as conn:
            rows = conn.execute(query).all()
            formats = self._formats(conn, [int(x.id) for x in rows])
        return [_entry(x, formats.get(int(x.id), ())) for x in rows]

    def get(self, number: str) -> StoredReport:
        """One report by its number (exactly as printed, e.g. 12/BC-TTTT-T)."""
        r = schema.reports.c
        with self.store.engine.connect() as conn:
            row = conn.execute(select(schema.reports).where(r.number == number.strip())).first()
            if row is None:
                raise NotFoundError(f"no report numbered {number!r} (see `hoasen reports`)")
            formats = self._formats(conn, [int(row.id)])
        return StoredReport(
            entry=_entry(row, formats.get(int(row.id), ())),
            parameters=json.loads(row.parameters),
            article_ids=[int(i) for i in json.loads(row.article_ids)],
            document=json.loads(row.document),
        )

    def save_file(self, report_id: int, fmt: str, data: bytes) -> None:
        """Keep a rendered file of a report (replacing an earlier one of that format)."""
        f = schema.report_files
        with self.store.begin() as conn:
            conn.execute(delete(f).where(f.c.report_id == report_id, f.c.format == fmt))
            conn.execute(
                insert(f).values(report_id=report_id, format=fmt, data=data, created=utcnow())
            )

    def file(self, report_id: int, fmt: str) -> bytes | None:
        """A stored rendered file, if that format was made."""
        f = schema.report_files.c
        with self.store.engine.connect() as conn:
            data = conn.execute(
                select(f.data).where(f.report_id == report_id, f.format == fmt)
            ).scalar()
        return bytes(data) if data is not None else None

    @staticmethod
    def _formats(conn: Any, ids: list[int]) -> dict[int, tuple[str, ...]]:
        if not ids:
            return {}
        f = schema.report_files.c
        out: dict[int, list[str]] = {}
        rows = conn.execute(
            select(f.report_id, f.format).where(f.report_id.in_(ids)).order_by(f.format)
        )
        for report_id, fmt in rows:
            out.setdefault(int(report_id), []).append(str(fmt))
        return {k: tuple(v) for k, v in out.items()}


def _entry(row: Any, formats: tuple[str, ...]) -> RegisteredReport:
    return RegisteredReport(
        id=int(row.id),
        number=row.number,
        kind=row.kind,
        year=int(row.year),
        seq=int(row.seq),
        period_from=row.period_from,
        period_to=row.period_to,
        language=row.language,
        title=row.title,
        generated_by=row.generated_by,
        created=row.created,
        articles=len(json.loads(row.article_ids)),
        formats=formats,
        run_key=row.run_key,
    )
