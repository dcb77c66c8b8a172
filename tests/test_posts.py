"""The post desk: channels in dry run until enabled, drafts, the approval gate, five posts a
day spread over the window in office time, and send_due through the delivery queue against the
Telegram and Mastodon fakes (once per post, rate limits retried later, refused tokens failed)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from channel_fakes import FakeServer, MastodonFake, TelegramFake
from hoasen.desk import Desk
from hoasen.errors import UsageError
from hoasen.models import Article
from hoasen.publish.posts import PostDesk, lead, parse_window
from hoasen.settings import Settings

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY = date(2026, 5, 4)
EARLY = datetime(2026, 5, 4, 0, 0, tzinfo=UTC)  # 07:00 in Hanoi, before the window


@pytest.fixture
def desk(settings: Settings, tmp_path: Path) -> Iterator[Desk]:
    secrets = ("tg-token=123456789:AAHtestTOKEN_abc-xyz", "md-token=mastodon-token-abc")
    with Desk(replace(settings, exchange_secrets=secrets, delivery_backoff=10.0)) as d:
        yield d


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=2.0, trust_env=False) as c:
        yield c


def _posts(desk: Desk, client: httpx.Client) -> PostDesk:
    return PostDesk(desk, client=client, clock=lambda: EARLY)


def _telegram(posts: PostDesk, server: FakeServer, enabled: bool = True) -> None:
    posts.add_channel(
        "tg", "telegram", {"chat_id": "@hoasen_news", "api_url": server.url}, secret="tg-token"
    )
    if enabled:
        posts.enable("tg")


def _ready(posts: PostDesk, channel: str, n: int = 1) -> list[int]:
    ids = [posts.draft(channel, f"Tin số {i}. Giá lúa tăng.").id for i in range(n)]
    posts.approve(ids, "editor1")
    return ids


def test_window_and_lead() -> None:
    assert parse_window("08:00-17:30")[1].hour == 17
    with pytest.raises(UsageError):
        parse_window("17:00-08:00")
    assert lead("One. Two. " + "x" * 400) == "One. Two."


def test_five_a_day_spread_over_the_window_on_working_days(
    desk: Desk, client: httpx.Client
) -> None:
    posts = _posts(desk, client)
    with FakeServer(TelegramFake()) as server:
        _telegram(posts, server, enabled=False)
        ids = _ready(posts, "tg", 12)
        scheduled = posts.schedule("tg", day=date(2026, 5, 8))  # a Friday
    local = [p.due.astimezone(VN) for p in scheduled if p.due]
    assert len(local) == 12
    friday = [t.strftime("%H:%M") for t in local if t.date() == date(2026, 5, 8)]
    assert friday == ["08:00", "10:22", "12:45", "15:07", "17:30"]
    assert {t.date() for t in local} == {date(2026, 5, 8), date(2026, 5, 11), date(2026, 5, 12)}
    assert all(t.weekday() < 5 for t in local)
    # Monday is full: one more post goes to the next free day, never a sixth on Monday
    extra = _ready(posts, "tg")
    [again] = posts.schedule("tg", posts=extra, day=date(2026, 5, 11))
    assert again.due and again.due.astimezone(VN).date() == date(2026, 5, 12)
    with pytest.raises(UsageError, match="is full"):
        posts.schedule("tg", posts=[ids[0]], at=datetime(2026, 5, 11, 9, 0))


def test_send_due_posts_once_only_approved_and_never_twice(
    desk: Desk, client: httpx.Client
) -> None:
    posts = _posts(desk, client)
    fake = TelegramFake()
    with FakeServer(fake) as server:
        _telegram(posts, server)
        approved = _ready(posts, "tg", 2)
        draft = posts.draft("tg", "Chưa duyệt.").id
        posts.schedule("tg", posts=[*approved, draft], at=datetime(2026, 5, 4, 8, 0))
        later = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)
        results = posts.send_due(later)
        assert [r.outcome for r in results] == ["sent", "sent"]
        assert len(fake.messages) == 2
        assert posts.send_due(later + timedelta(hours=1)) == []
    assert len(fake.messages) == 2
    sent = posts.post(approved[0])
    assert sent.status == "sent" and sent.remote_id and not sent.dry_run
    assert sent.remote_url.startswith("https://t.me/")
    assert posts.post(draft).status == "draft"
    with pytest.raises(UsageError, match="cannot be cancelled"):
        posts.cancel(approved[0])


def test_rate_limit_is_retried_later_not_failed(desk: Desk, client: httpx.Client) -> None:
    posts = _posts(desk, client)
    fake = TelegramFake(retry_after=600)
    with FakeServer(fake) as server:
        _telegram(posts, server)
        [post_id] = _ready(posts, "tg")
        posts.schedule("tg", posts=[post_id], at=datetime(2026, 5, 4, 8, 0))
        now = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)
        [result] = posts.send_due(now)
        held = posts.post(post_id)
        assert result.outcome == "retrying" and held.status == "sending"
        assert held.due and held.due >= now + timedelta(seconds=600)
        assert "rate limit" in held.error
        assert posts.send_due(now + timedelta(seconds=60)) == []  # not yet
        fake.retry_after = None
        [again] = posts.send_due(now + timedelta(seconds=601))
    assert again.outcome == "sent" and len(fake.messages) == 1
    assert posts.post(post_id).attempts == 2


def test_an_expired_token_fails_with_a_clear_message(desk: Desk, client: httpx.Client) -> None:
    posts = _posts(desk, client)
    fake = MastodonFake(token="a-newer-token")
    with FakeServer(fake) as server:
        posts.add_channel("md", "mastodon", {"base_url": server.url}, secret="md-token")
        posts.enable("md")
        [post_id] = _ready(posts, "md")
        posts.schedule("md", posts=[post_id], at=datetime(2026, 5, 4, 8, 0))
        [result] = posts.send_due(datetime(2026, 5, 4, 2, 0, tzinfo=UTC))
        assert posts.send_due(datetime(2026, 5, 4, 5, 0, tzinfo=UTC)) == []
    failed = posts.post(post_id)
    assert result.outcome == "failed" and failed.status == "failed"
    assert "access token was refused (401)" in failed.error
    assert "mastodon-token-abc" not in failed.error
    assert len(server.requests) == 1


def test_a_dry_run_channel_sends_nothing_and_records_the_rehearsal(
    desk: Desk, client: httpx.Client
) -> None:
    posts = _posts(desk, client)
    fake = MastodonFake()
    with FakeServer(fake) as server:
        channel = posts.add_channel("md", "mastodon", {"base_url": server.url}, secret="md-token")
        assert channel.dry_run
        test = posts.test_channel("md")
        [post_id] = _ready(posts, "md")
        posts.schedule("md", posts=[post_id], at=datetime(2026, 5, 4, 8, 0))
        [result] = posts.send_due(datetime(2026, 5, 4, 2, 0, tzinfo=UTC))
    assert server.requests == [] and fake.statuses == []
    assert "nothing sent" in test.request and "mastodon-token-abc" not in test.request
    done = posts.post(post_id)
    assert result.outcome == "dry run" and done.status == "sent" and done.dry_run
    assert done.error.startswith("dry run: ")


def test_drafts_from_an_article_and_the_double_click(desk: Desk, client: httpx.Client) -> None:
    posts = _posts(desk, client)
    article = Article(
        title="Giá lúa tăng",
        text="Giá lúa tăng mạnh trong tuần. Nông dân phấn khởi. " + "Thêm chi tiết. " * 40,
        language="vi",
        url="https://baothanhhoa.vn/gia-lua.html",
    )
    with desk.store.begin() as conn:
        article_id = desk.store.add_article(conn, article, "hash-1", None, None)
    posts.add_channel("md", "mastodon", {"base_url": "https://social.example"})
    with pytest.raises(UsageError, match="needs a text"):
        posts.draft("md", "  ")
    with pytest.raises(UsageError, match="NAME of a secret"):
        posts.add_channel("md2", "mastodon", {"base_url": "https://a.example"}, secret="x=y")
    first = posts.draft("md", "Một.", source="article:99")
    with pytest.raises(UsageError, match="already has post"):
        posts.draft("md", "Một.", source="article:99")
    assert first.status == "draft"
    from_article = posts.draft_article("md", article_id, "editor1")
    assert from_article.title == "Giá lúa tăng" and from_article.source == f"article:{article_id}"
    assert from_article.text.startswith("Giá lúa tăng mạnh trong tuần.")
    assert from_article.link == "https://baothanhhoa.vn/gia-lua.html"
    assert len(from_article.text) <= 300 and from_article.created_by == "editor1"


def test_a_draft_from_an_edition_item_in_the_channels_language(desk: Desk) -> None:
    eds = desk.editions
    series = eds.add_series("Hoa Sen special issue", "vi,zh")
    issue = eds.new_issue(series.id, "Quảng Ninh – Quảng Tây", "2026-12-01", "mai")
    item = eds.add_piece(
        issue.id,
        {
            "vi": ("Hợp tác báo chí", "Hai bên cùng xuất bản Đặc san Hoa Sen. Câu thứ hai."),
            "zh": ("新闻合作", "双方联合出版《荷花》特刊。"),
        },
        "mai",
    )
    desk.posts.add_channel("weibo", "weibo", {"safe_domain": "press.example.vn"}, language="zh")
    with pytest.raises(UsageError, match="draft"):
        desk.posts.draft_edition_item("weibo", item.id)
    eds.set_status(issue.id, "review", "mai")
    eds.set_status(issue.id, "approved", "mai")
    eds.publish(issue.id, "mai")
    site = replace(desk.settings, public_base_url="https://press.example.vn/")
    with Desk(site) as published:
        post = published.posts.draft_edition_item("weibo", item.id, "mai")
    assert post.title == "新闻合作" and "双方联合出版" in post.text and post.language == "zh"
    assert post.link == "https://press.example.vn/hoa-sen-special-issue/1/item-1.html"
    assert post.source == f"edition-item:{item.id}"
