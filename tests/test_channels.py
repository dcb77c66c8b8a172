"""Channel adapters against loopback fakes of each API (tests/channel_fakes.py): one post, its
receipt, rate limits with their wait, refused tokens (never echoed), validation errors, the
Mastodon Idempotency-Key, ambiguous timeouts, text fitting and dry runs that send nothing."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from channel_fakes import (
    Answer,
    FacebookFake,
    FakeServer,
    MastodonFake,
    Request,
    TelegramFake,
    WeiboFake,
    ZaloFake,
)
from hoasen.delivery.types import DeliveryError
from hoasen.errors import UsageError
from hoasen.publish.channels import (
    CHANNEL_KINDS,
    ChannelAdapter,
    Post,
    RateLimited,
    TokenRefused,
    make_channel,
)
from hoasen.publish.channels.base import ELLIPSIS, retry_after, shorten

LINK = "https://baothanhhoa.vn/kinh-te/gia-lua-tang-manh-12345.html"


@dataclass
class Case:
    """One channel wired to its fake: adapter, config, token, a post it accepts."""

    kind: str
    adapter: ChannelAdapter
    fake: Any
    server: FakeServer
    config: dict[str, Any]
    secret: str
    post: Post


def _setup(kind: str, server: FakeServer, fake: Any) -> Case:
    url = server.url
    if kind == "facebook":
        config: dict[str, Any] = {"page_id": fake.page_id, "api_url": url}
        post = Post("Giá lúa tăng mạnh trong tuần qua.", key="fb-1", link=LINK)
    elif kind == "telegram":
        config = {"chat_id": "@hoasen_news", "api_url": url}
        post = Post(
            "Giá lúa tăng 5% & xuất khẩu <kỷ lục>.", key="tg-1", link=LINK, title="Tin kinh tế"
        )
    elif kind == "mastodon":
        config = {"base_url": url}
        post = Post("Rice prices rose sharply this week.", key="md-1", link=LINK, language="en-GB")
    elif kind == "zalo":
        config = {"oa": "Báo Thanh Hóa", "api_url": url, "verify_wait": 0}
        post = Post(
            "Giá lúa tăng mạnh.\n\nNông dân phấn khởi.",
            key="za-1",
            link=LINK,
            title="Giá lúa tăng",
            image_url="https://baothanhhoa.vn/cover.jpg",
        )
    else:
        config = {"safe_domain": "baothanhhoa.vn", "api_url": url}
        post = Post("清化省稻米价格本周大幅上涨。", key="wb-1", link=LINK)
    return Case(kind, make_channel(kind), fake, server, config, fake.token, post)


FAKES = {
    "facebook": FacebookFake,
    "telegram": TelegramFake,
    "mastodon": MastodonFake,
    "zalo": ZaloFake,
    "weibo": WeiboFake,
}


@pytest.fixture(params=CHANNEL_KINDS)
def case(request: pytest.FixtureRequest) -> Iterator[Case]:
    fake = FAKES[request.param]()
    with FakeServer(fake) as server:
        yield _setup(request.param, server, fake)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=2.0, trust_env=False) as c:
        yield c


def _fast_client(seconds: float = 0.4) -> httpx.Client:
    return httpx.Client(timeout=seconds, trust_env=False)


def _published(case: Case) -> list[Any]:
    fake = case.fake
    return {
        "facebook": lambda: fake.posts,
        "telegram": lambda: fake.messages,
        "mastodon": lambda: fake.statuses,
        "zalo": lambda: fake.broadcasts,
        "weibo": lambda: fake.statuses,
    }[case.kind]()


def _no_secret(exc: BaseException, secret: str) -> None:
    assert secret not in str(exc)
    assert secret not in repr(exc)
    assert exc.__cause__ is None
    assert exc.__context__ is None or exc.__suppress_context__


# ----------------------------------------------------------------------------- success


def test_posts_once_and_returns_the_remote_id(case: Case, client: httpx.Client) -> None:
    receipt = case.adapter.send(case.post, case.config, case.secret, client)
    published = _published(case)
    assert len(published) == 1
    if case.kind == "facebook":
        assert receipt.remote_id == published[0]["id"] == f"{case.fake.page_id}_1001"
        assert receipt.url == f"https://www.facebook.com/{case.fake.page_id}/posts/1001"
        assert published[0] == {"id": receipt.remote_id, "message": case.post.text, "link": LINK}
    elif case.kind == "telegram":
        assert receipt.remote_id == "101"
        assert receipt.url == "https://t.me/hoasen_news/101"
        sent = published[0]["request"]
        assert sent["parse_mode"] == "HTML"
        assert sent["text"].startswith("<b>Tin kinh tế</b>\n\n")
        assert "5% &amp; xuất khẩu &lt;kỷ lục&gt;." in sent["text"]
        assert sent["link_preview_options"] == {"url": LINK, "prefer_large_media": True}
        assert published[0]["text"].endswith(LINK)
    elif case.kind == "mastodon":
        assert receipt.remote_id == published[0]["id"]
        assert receipt.url == f"https://social.example/@hoasen/{receipt.remote_id}"
        assert published[0]["language"] == "en" and published[0]["visibility"] == "public"
        (seen,) = case.server.requests
        assert seen.headers["idempotency-key"] == "md-1"
    elif case.kind == "zalo":
        assert receipt.remote_id == "art0001"
        assert receipt.details["message_id"] == "msg0001"
        paths = [r.path for r in case.server.requests]
        assert paths == ["/v2.0/article/create", "/v2.0/article/verify", "/v2.0/oa/message"]
        article = case.fake.articles["article-token-1"]
        assert article["author"] == "Báo Thanh Hóa" and article["title"] == "Giá lúa tăng"
        assert article["cover"]["photo_url"] == "https://baothanhhoa.vn/cover.jpg"
        assert article["body"][0]["content"].count("<p>") == 3
        assert published[0]["recipient"]["target"] == {"gender": "0"}
    else:
        assert receipt.remote_id == published[0]["idstr"]
        assert receipt.url == f"https://weibo.com/5612345678/{receipt.remote_id}"
        assert published[0]["text"] == f"{case.post.text} {LINK}"
    assert case.secret not in repr(receipt)


# ----------------------------------------------------------------------------- failures


def test_rate_limit_is_transient_with_retry_after(case: Case, client: httpx.Client) -> None:
    expected: float | None = None
    if case.kind == "facebook":
        case.fake.throttled, expected = True, 300.0
    elif case.kind == "telegram":
        case.fake.retry_after = expected = 7
    elif case.kind == "mastodon":
        case.fake.reset_in, expected = 120.0, 120.0
    elif case.kind == "zalo":
        case.fake.broadcast_limited = 1
    else:
        case.fake.throttled = True
    with pytest.raises(RateLimited) as info:
        case.adapter.send(case.post, case.config, case.secret, client)
    exc = info.value
    assert exc.transient
    assert "rate limit" in str(exc)
    if expected is None:
        assert exc.retry_after is None
    else:
        assert exc.retry_after == pytest.approx(expected, abs=3)
    _no_secret(exc, case.secret)
    assert _published(case) == []


def test_refused_token_is_final_clear_and_never_echoed(case: Case, client: httpx.Client) -> None:
    secret = case.secret
    if case.kind in ("facebook", "weibo"):
        case.fake.expired = True
    elif case.kind == "telegram":
        secret = "987654321:AAWrongTOKEN_zz"
    else:
        secret = "revoked-token-value"
    with pytest.raises(TokenRefused) as info:
        case.adapter.send(case.post, case.config, secret, client)
    exc = info.value
    assert not exc.transient
    message = str(exc)
    expected = {
        "facebook": "the Facebook Page access token was refused (190): Error validating access",
        "telegram": "the Telegram bot token was refused (401): Unauthorized",
        "mastodon": "the Mastodon access token was refused (401): The access token is invalid",
        "zalo": "the Zalo OA access token was refused (-216): Access token is invalid",
        "weibo": "the Weibo access token was refused (21327): expired_token",
    }[case.kind]
    assert message.startswith(expected), message
    _no_secret(exc, secret)
    _no_secret(exc, case.secret)


def test_validation_error_is_final_with_the_api_message(case: Case, client: httpx.Client) -> None:
    post, config = case.post, dict(case.config)
    if case.kind == "facebook":
        post = Post("Xem chi tiết", key="fb-2", link="ftp://baothanhhoa.vn/a")
        expected = "Facebook refused the post (100): (#100) The link URL is not properly formatted"
    elif case.kind == "telegram":
        config["chat_id"] = "@someone_else"
        expected = "Telegram refused the post (400): Bad Request: chat not found"
    elif case.kind == "mastodon":
        case.fake.max_chars = 20
        expected = "Mastodon refused the post (422): Validation failed: Text character limit"
    elif case.kind == "zalo":
        post = Post("Nội dung", key="za-2", title="Tiêu đề", image_url="ftp://x/cover.jpg")
        expected = "Zalo refused the article (-201): photo_url is invalid!"
    else:
        config["max_chars"] = 2000
        post = Post("稻" * 150, key="wb-2", link=LINK)
        expected = "Weibo refused the post (20012): Text too long"
    with pytest.raises(DeliveryError) as info:
        case.adapter.send(post, config, case.secret, client)
    assert not info.value.transient
    assert not isinstance(info.value, RateLimited | TokenRefused)
    assert str(info.value).startswith(expected), str(info.value)
    _no_secret(info.value, case.secret)


def _failing(answer: Answer) -> Any:
    def handle(req: Request) -> Answer:
        return answer

    return handle


@pytest.mark.parametrize(
    ("kind", "answer"),
    [
        ("telegram", Answer(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})),
        (
            "facebook",
            Answer(500, {"error": {"message": "Service temporarily unavailable", "code": 2}}),
        ),
        ("mastodon", Answer(503, {"error": "Service Unavailable"})),
        ("weibo", Answer(500, {"error": "system error", "error_code": 10001})),
        ("zalo", Answer(502, None)),
    ],
)
def test_server_errors_are_transient(kind: str, answer: Answer, client: httpx.Client) -> None:
    fake = FAKES[kind]()
    with FakeServer(_failing(answer)) as server:
        case = _setup(kind, server, fake)
        with pytest.raises(DeliveryError) as info:
            case.adapter.send(case.post, case.config, case.secret, client)
    assert info.value.transient
    assert not isinstance(info.value, RateLimited)
    _no_secret(info.value, case.secret)


def test_refused_connection_is_transient(client: httpx.Client) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    adapter = make_channel("telegram")
    config = {"chat_id": "@hoasen_news", "api_url": f"http://127.0.0.1:{port}"}
    token = TelegramFake().token
    with pytest.raises(DeliveryError) as info:
        adapter.send(Post("x", key="k"), config, token, client)
    assert info.value.transient
    assert "cannot reach Telegram at 127.0.0.1" in str(info.value)
    _no_secret(info.value, token)


def test_timeout_after_sending_is_final_on_a_channel_without_idempotency() -> None:
    fake = TelegramFake()
    with FakeServer(fake) as server, _fast_client() as client:
        case = _setup("telegram", server, fake)
        server.slow.append(1.5)
        with pytest.raises(DeliveryError) as info:
            case.adapter.send(case.post, case.config, case.secret, client)
    assert not case.adapter.idempotent
    assert not info.value.transient
    assert "may have been posted; check the channel before retrying" in str(info.value)
    _no_secret(info.value, case.secret)
    assert len(fake.messages) == 1  # it was posted: retrying blindly would post twice


# ----------------------------------------------------------------------------- idempotency


def test_mastodon_sends_the_idempotency_key_and_a_retry_does_not_post_twice(
    client: httpx.Client,
) -> None:
    fake = MastodonFake()
    with FakeServer(fake) as server:
        case = _setup("mastodon", server, fake)
        first = case.adapter.send(case.post, case.config, case.secret, client)
        again = case.adapter.send(case.post, case.config, case.secret, client)
        other = case.adapter.send(
            Post(case.post.text, key="md-2", link=LINK), case.config, case.secret, client
        )
    assert case.adapter.idempotent
    assert first.remote_id == again.remote_id != other.remote_id
    assert len(fake.statuses) == 2
    keys = [r.headers.get("idempotency-key") for r in server.requests]
    assert keys == ["md-1", "md-1", "md-2"]


def test_mastodon_timeout_after_sending_is_transient_and_the_retry_is_deduplicated() -> None:
    fake = MastodonFake()
    with FakeServer(fake) as server:
        case = _setup("mastodon", server, fake)
        server.slow.append(1.5)
        with _fast_client() as client, pytest.raises(DeliveryError) as info:
            case.adapter.send(case.post, case.config, case.secret, client)
        assert info.value.transient and "safe to retry" in str(info.value)
        with _fast_client(2.0) as client:
            receipt = case.adapter.send(case.post, case.config, case.secret, client)
    assert len(fake.statuses) == 1
    assert receipt.remote_id == fake.statuses[0]["id"]


def test_zalo_waits_for_processing_and_a_retry_reuses_the_article(client: httpx.Client) -> None:
    fake = ZaloFake(processing_rounds=2, broadcast_limited=1)
    waits: list[float] = []
    with FakeServer(fake) as server:
        case = _setup("zalo", server, fake)
        case.adapter.sleep = waits.append  # type: ignore[attr-defined]
        config = {**case.config, "verify_wait": 1.5}
        with pytest.raises(RateLimited):
            case.adapter.send(case.post, config, case.secret, client)
        receipt = case.adapter.send(case.post, config, case.secret, client)
    paths = [r.path.rsplit("/", 1)[-1] for r in server.requests]
    assert paths == ["create", "verify", "verify", "verify", "message", "message"]
    assert waits == [1.5, 1.5]
    assert len(fake.articles) == 1 and len(fake.broadcasts) == 1
    assert receipt.remote_id == "art0001"


def test_zalo_article_still_processing_is_transient_and_broadcasts_nothing(
    client: httpx.Client,
) -> None:
    fake = ZaloFake(processing_rounds=10)
    with FakeServer(fake) as server:
        case = _setup("zalo", server, fake)
        config = {**case.config, "verify_attempts": 2}
        with pytest.raises(DeliveryError) as info:
            case.adapter.send(case.post, config, case.secret, client)
    assert info.value.transient and "nothing was broadcast" in str(info.value)
    assert fake.broadcasts == []


def test_weibo_repeat_is_final_and_says_it_may_be_published(client: httpx.Client) -> None:
    fake = WeiboFake()
    with FakeServer(fake) as server:
        case = _setup("weibo", server, fake)
        case.adapter.send(case.post, case.config, case.secret, client)
        with pytest.raises(DeliveryError) as info:
            case.adapter.send(case.post, case.config, case.secret, client)
    assert not info.value.transient
    assert "repeat of a recent post (20019)" in str(info.value)
    assert "may already be published" in str(info.value)


# ----------------------------------------------------------------------------- refused early


@pytest.mark.parametrize(
    ("kind", "post", "problem"),
    [
        ("zalo", Post("x", key="k", image_url="https://a.vn/c.jpg"), "need a title"),
        ("zalo", Post("x", key="k", title="T"), "need a cover image"),
        ("weibo", Post("看看", key="k", link="https://example.com/a"), "safe domain"),
        ("weibo", Post("看看", key="k"), "need a link"),
    ],
)
def test_posts_a_channel_would_refuse_fail_before_sending(
    kind: str, post: Post, problem: str, client: httpx.Client
) -> None:
    fake = FAKES[kind]()
    with FakeServer(fake) as server:
        case = _setup(kind, server, fake)
        with pytest.raises(DeliveryError) as info:
            case.adapter.send(post, case.config, case.secret, client)
        with pytest.raises(UsageError, match=problem):
            case.adapter.dry_run(post, case.config)
    assert not info.value.transient and problem in str(info.value)
    assert server.requests == []


def test_missing_token_is_final(client: httpx.Client) -> None:
    with pytest.raises(DeliveryError, match="no Telegram bot token") as info:
        make_channel("telegram").send(Post("x", key="k"), {"chat_id": "@abcde"}, " ", client)
    assert not info.value.transient


def test_httpx_log_lines_do_not_show_the_telegram_token(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    fake = TelegramFake()
    caplog.set_level(logging.INFO, logger="httpx")
    with FakeServer(fake) as server:
        case = _setup("telegram", server, fake)
        case.adapter.send(case.post, case.config, case.secret, client)
    assert "HTTP Request: POST" in caplog.text
    assert "/bot********/sendMessage" in caplog.text
    assert fake.token not in caplog.text


# ----------------------------------------------------------------------------- fitting


def test_fitting_keeps_the_link_and_the_channel_accepts_it(
    case: Case, client: httpx.Client
) -> None:
    sentence = {
        "weibo": "清化省稻米价格本周大幅上涨，农民非常高兴。",
        "facebook": "Giá lúa tăng mạnh trong tuần qua, nông dân phấn khởi. " * 40,
    }.get(case.kind, "Giá lúa tăng mạnh trong tuần qua, nông dân phấn khởi. ")
    repeat = {"facebook": 40, "weibo": 20, "telegram": 100, "zalo": 60}.get(case.kind, 12)
    post = Post(
        sentence * repeat,
        key="long",
        link=LINK,
        title="Giá lúa",
        image_url="https://baothanhhoa.vn/c.jpg",
    )
    adapter, config = case.adapter, case.config
    fitted = adapter.fit(post, config)
    limit = adapter.limit(config)
    assert fitted.link == LINK and fitted.title == post.title
    assert fitted.text.endswith(ELLIPSIS) and len(fitted.text) < len(post.text)
    assert adapter.measure(adapter.visible(fitted, config)) <= limit
    assert adapter.fit(fitted, config) == fitted
    assert post.text.startswith(fitted.text[:-1].rstrip())
    adapter.send(post, config, case.secret, client)  # send() fits too: the fake accepts it
    assert len(_published(case)) == 1


def test_short_posts_are_left_alone(case: Case) -> None:
    assert case.adapter.fit(case.post, case.config) == case.post


def test_shorten_prefers_a_sentence_end_then_a_space() -> None:
    text = "First sentence is here. Second one is a little longer than that."
    assert shorten(text, lambda t: len(t) <= 40) == "First sentence is here…"
    assert shorten("alpha beta gamma delta", lambda t: len(t) <= 15) == "alpha beta…"
    assert shorten("中文没有空格所以可以在任何地方断开", lambda t: len(t) <= 6) == "中文没有空…"
    assert shorten("短句。下一个句子很长很长很长", lambda t: len(t) <= 5) == "短句…"
    assert shorten("短。下一个句子很长很长很长", lambda t: len(t) <= 8) == "短。下一个句子…"
    assert shorten("Một câu. Hai câu dài hơn nhiều", lambda t: len(t) <= 12) == "Một câu…"


def test_channel_counting_rules() -> None:
    mastodon, weibo, telegram = (make_channel(k) for k in ("mastodon", "weibo", "telegram"))
    long_url = "https://example.org/" + "a" * 200
    assert mastodon.measure(f"see {long_url}") == 4 + 23
    assert weibo.measure("稻米ab") == 3
    assert telegram.measure("😀ab") == 4
    assert mastodon.limit({"base_url": "https://m.example", "max_chars": 1000}) == 1000
    assert weibo.limit({"safe_domain": "baothanhhoa.vn"}) == 140
    assert make_channel("facebook").limit({"page_id": "1"}) == 63206


def test_a_link_longer_than_the_limit_cannot_be_fitted() -> None:
    adapter = make_channel("mastodon")
    post = Post("text", key="k", title=None, link="https://example.org/x")
    with pytest.raises(UsageError, match="link and title alone"):
        adapter.fit(post, {"base_url": "https://m.example", "max_chars": 20})


# ----------------------------------------------------------------------------- dry run


def test_dry_run_sends_nothing_and_shows_no_token(case: Case) -> None:
    text = case.adapter.dry_run(case.post, case.config)
    assert case.server.requests == []
    assert "dry run, nothing sent" in text
    assert case.secret not in text
    assert "POST " in text
    expected = {
        "facebook": '"access_token": "<page access token>"',
        "telegram": "/bot<bot token>/sendMessage",
        "mastodon": "Idempotency-Key: md-1",
        "zalo": "3. POST",
        "weibo": '"access_token": "<access token>"',
    }[case.kind]
    assert expected in text


# ----------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("facebook", "page_id"),
        ("telegram", "chat_id"),
        ("mastodon", "base_url"),
        ("zalo", "oa"),
        ("weibo", "safe_domain"),
    ],
)
def test_check_names_the_missing_field(kind: str, field: str) -> None:
    with pytest.raises(UsageError, match=f"{kind} channel: '{field}' is required"):
        make_channel(kind).check({})


@pytest.mark.parametrize(
    ("kind", "config", "problem"),
    [
        ("telegram", {"chat_id": "@abcde", "token": "x"}, "unknown setting 'token'"),
        ("telegram", {"chat_id": "my channel"}, "@username or a numeric id"),
        ("facebook", {"page_id": "1", "api_url": "http://graph.example"}, "https://"),
        ("facebook", {"page_id": "1", "api_version": "24"}, "api_version"),
        ("mastodon", {"base_url": "https://u:p@m.example"}, "no user, password"),
        ("mastodon", {"base_url": "https://m.example", "visibility": "all"}, "visibility"),
        ("zalo", {"oa": "X", "target": {"age": "1"}}, "unknown target 'age'"),
        ("weibo", {"safe_domain": "not a domain"}, "domain name"),
        ("weibo", {"safe_domain": "a.vn", "max_chars": 5000}, "max_chars"),
    ],
)
def test_check_refuses_bad_settings(kind: str, config: dict[str, Any], problem: str) -> None:
    with pytest.raises(UsageError, match=problem):
        make_channel(kind).check(config)


def test_check_fills_in_the_documented_defaults() -> None:
    assert make_channel("telegram").check({"chat_id": -1001234567890}) == {
        "chat_id": "-1001234567890",
        "api_url": "https://api.telegram.org",
        "link_preview": True,
        "silent": False,
    }
    facebook = make_channel("facebook").check({"page_id": 42})
    assert facebook["api_url"] == "https://graph.facebook.com" and facebook["page_id"] == "42"
    zalo = make_channel("zalo").check({"oa": "Báo Thanh Hóa", "target": {"cities": [4, 5]}})
    assert zalo["api_url"] == "https://openapi.zalo.me" and zalo["author"] == "Báo Thanh Hóa"
    assert zalo["target"] == {"cities": "4,5"}
    assert make_channel("weibo").check({"safe_domain": "BaoThanhHoa.vn"})["api_url"] == (
        "https://api.weibo.com"
    )


def test_describe_says_where_and_holds_no_secret(case: Case) -> None:
    text = case.adapter.describe(case.config)
    assert case.secret not in text
    assert {
        "facebook": "Facebook Page 1234567890",
        "telegram": "Telegram channel @hoasen_news",
        "mastodon": "Mastodon account on 127.0.0.1",
        "zalo": "Zalo OA 'Báo Thanh Hóa'",
        "weibo": "links on baothanhhoa.vn",
    }[case.kind] in text


def test_make_channel_knows_the_kinds() -> None:
    assert CHANNEL_KINDS == ("facebook", "zalo", "telegram", "mastodon", "weibo")
    for kind in CHANNEL_KINDS:
        adapter = make_channel(f" {kind.upper()} ")
        assert adapter.kind == kind
        assert adapter.idempotent is (kind == "mastodon")
    with pytest.raises(UsageError, match="unknown channel 'twitter'"):
        make_channel("twitter")


def test_a_post_needs_a_key() -> None:
    with pytest.raises(UsageError, match="idempotency key"):
        Post("text", key=" ")


def test_retry_after_reads_seconds_dates_and_timestamps() -> None:
    now = datetime(2026, 5, 2, 9, 0, tzinfo=UTC)
    assert retry_after("7", now) == 7.0
    assert retry_after("Sat, 02 May 2026 09:01:00 GMT", now) == 60.0
    later = (now + timedelta(seconds=90)).isoformat().replace("+00:00", "Z")
    assert retry_after(later, now) == 90.0
    assert retry_after("soon", now) is None
    assert retry_after(None, now) is None
