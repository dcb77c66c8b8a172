"""Shared pieces of the exchange plan/package tests: a desk with the office's own articles, a
partner, approved translations, and a transport double that fails on demand."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update

from hoasen.delivery.queue import DeliveryQueue
from hoasen.delivery.types import Ack, DeliveryError, Payload, Transport
from hoasen.desk import Desk
from hoasen.errors import UsageError
from hoasen.models import RawInput
from hoasen.settings import Settings
from hoasen.store import schema
from hoasen.store.translations import NewSegment

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SOURCE = "Báo Quảng Ninh"
OTHER = "Tin biên giới"
PARTNER = "Guangxi Daily Media Group"
_WORDS = (
    "hợp tác", "du lịch", "báo chí", "kinh tế", "văn hóa", "biên giới", "cửa khẩu", "nông sản",
    "đầu tư", "giáo dục", "thanh niên", "cảng biển", "đường sắt", "lễ hội", "điện ảnh",
    "thể thao", "y tế", "logistics", "năng lượng",
)  # fmt: skip


def _filler(n: int) -> str:
    """Seeded random sentences: no two articles are near duplicates, no line repeats."""
    rng = random.Random(n)
    return " ".join(
        " ".join(rng.choice(_WORDS) for _ in range(14)).capitalize() + "." for _ in range(3)
    )


def article(
    n: int, *, days_ago: float, source: str = SOURCE, now: datetime = NOW
) -> dict[str, Any]:
    """One Vietnamese article of the office, published `days_ago` before `now`."""
    return {
        "title": f"Quảng Ninh và Quảng Tây: tin số {n} về hợp tác",
        "text": f"Đoàn công tác số {n} của tỉnh Quảng Ninh làm việc tại Nam Ninh. "
        + _filler(n)
        + "\n\n"
        + _filler(n + 1000),
        "language": "vi",
        "published": (now - timedelta(days=days_ago)).isoformat(),
        "url": f"https://baoquangninh.example.vn/tin/{n}.html",
        "author": f"Phóng viên {n}",
        "source": source,
    }


def seed(
    desk: Desk,
    count: int = 6,
    start: int = 0,
    days: float = 1.0,
    offset: float = 0.5,
    now: datetime = NOW,
) -> list[int]:
    """Ingest `count` articles, the first the newest, `offset` days before `now`, then one
    every `days` days further back."""
    if desk.store.find_source(SOURCE) is None:
        desk.store.add_source("https://baoquangninh.example.vn/rss", SOURCE)
        desk.store.add_source("https://bienphong.example.vn/rss", OTHER)
    docs = [article(start + i, days_ago=offset + i * days, now=now) for i in range(count)]
    items = [
        RawInput(
            origin=f"seed-{start + i}.json",
            data=json.dumps(d, ensure_ascii=False).encode("utf-8"),
            fmt="json",
            url=d["url"],
        )
        for i, d in enumerate(docs)
    ]
    report = desk.ingest(items=items)
    assert report.ingested == count, report.errors
    return list(report.article_ids)


def partner(desk: Desk) -> int:
    """The Guangxi partner (linked to the gazetteer, so its Chinese name finds it)."""
    return desk.partners.add_partner(PARTNER, languages="vi,zh", kind="media-group").id


def translate(desk: Desk, article_id: int, lang: str, approve: bool = True) -> int:
    """A human translation of an article (approved unless told otherwise)."""
    found = desk.store.get_article(article_id)
    paragraphs = [p for p in found.text.split("\n\n") if p.strip()]
    segments = [NewSegment(0, found.title, f"[{lang}] {found.title}", "human")]
    segments += [
        NewSegment(n + 1, p, f"[{lang}] đoạn {n + 1} của bài {article_id}", "human")
        for n, p in enumerate(paragraphs)
    ]
    records = desk.translation.records
    made = records.create(article_id, "vi", lang, "human", segments, created_by="tester")
    if approve:
        desk.translation.set_status(made, "approved", "chief")
    return made


def tag(desk: Desk, article_id: int, topic: str = "", entity: str = "") -> None:
    """Give an article a topic and/or a linked entity mention, as the analysis would."""
    with desk.store.begin() as conn:
        if topic:
            conn.execute(
                insert(schema.article_topics).values(article_id=article_id, topic=topic, score=0.9)
            )
        if entity:
            conn.execute(
                insert(schema.entity_mentions).values(
                    article_id=article_id,
                    entity_id=entity,
                    text=entity,
                    type="LOC",
                    start=0,
                    end=1,
                    origin="test",
                )
            )


def change(desk: Desk, article_id: int) -> None:
    """Edit an article's text in place: a new version (content hash) of the same article."""
    found = desk.store.get_article(article_id)
    text = found.text + "\n\nĐính chính: số liệu đã được cập nhật."
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    with desk.store.begin() as conn:
        conn.execute(
            update(schema.articles)
            .where(schema.articles.c.id == article_id)
            .values(text=text, content_hash=digest)
        )


@dataclass
class Flaky:
    """A transport double: fails `failures` times (transiently unless `final`), records the
    payloads it accepted."""

    failures: int = 0
    final: bool = False
    name: str = "flaky"
    calls: int = 0
    received: list[Payload] = field(default_factory=list)

    def check(self, config: Mapping[str, Any]) -> dict[str, Any]:
        if "to" not in config:
            raise UsageError("flaky transport: 'to' is required")
        return dict(config)

    def describe(self, config: Mapping[str, Any]) -> str:
        return f"the flaky test double to {config['to']}"

    def deliver(
        self,
        payload: Payload,
        config: Mapping[str, Any],
        secret: str,
        done: frozenset[str],
        ack: Ack,
    ) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise DeliveryError(
                "partner server said 503 Service Unavailable", transient=not self.final
            )
        self.received.append(payload)
        for f in payload.files:
            ack(f.name)
        return f"{len(payload.files)} files taken"


def use_transports(desk: Desk, **transports: Transport) -> DeliveryQueue:
    """Give the desk's exchange a delivery queue with these transports (and the real ones for
    any other name), which never really sleeps between attempts."""
    queue = DeliveryQueue(
        desk.store, desk.settings, transports=transports, sleep=lambda _seconds: None
    )
    desk.exchange.planning.queue = queue
    return queue


def exchange_settings(settings: Settings, tmp_path: Path, **changes: Any) -> Settings:
    """Test settings with an exchange folder in tmp_path and fast retries."""
    return replace(
        settings,
        exchange_dir=str(tmp_path / "exchange"),
        delivery_attempts=5,
        delivery_backoff=0.0,
        **changes,
    )
