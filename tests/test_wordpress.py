"""The WordPress adapter against its loopback fake: a post created once with its slug, a retry
finding the earlier copy instead of posting twice, 401 and 400 mapped, and no password in any
message or dry run."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from channel_fakes import FakeServer
from hoasen.delivery.types import DeliveryError
from hoasen.errors import UsageError
from hoasen.publish.channels import PUBLISH_KINDS, Post, RateLimited, TokenRefused, make_channel
from hoasen.publish.channels.wordpress import content_of, slug_for
from wordpress_fake import WordPressFake

POST = Post(
    "Giá lúa tăng mạnh <kỷ lục>.\n\nNông dân phấn khởi.",
    key="post-1-abc",
    link="https://baothanhhoa.vn/kinh-te/gia-lua.html",
    title="Giá lúa tăng",
)


@pytest.fixture
def fake() -> Iterator[tuple[WordPressFake, FakeServer]]:
    wp = WordPressFake()
    with FakeServer(wp) as server:
        yield wp, server


def _config(server: FakeServer, **more: object) -> dict[str, object]:
    return {"site": server.url, "user": "bientap", **more}


def _client() -> httpx.Client:
    return httpx.Client(timeout=2.0, trust_env=False)


def test_creates_a_post_with_title_html_status_and_terms(
    fake: tuple[WordPressFake, FakeServer],
) -> None:
    wp, server = fake
    adapter = make_channel("wordpress")
    config = _config(server, status="draft", categories="3,5", tags=[7])
    with _client() as client:
        receipt = adapter.send(POST, config, wp.token, client)
    assert receipt.remote_id == "501"
    assert receipt.url == f"https://baothanhhoa.example/{slug_for(POST.key)}/"
    created = server.requests[-1].json
    assert created["title"] == "Giá lúa tăng"
    assert created["status"] == "draft"
    assert created["categories"] == [3, 5] and created["tags"] == [7]
    assert "&lt;kỷ lục&gt;" in created["content"]
    assert '<a href="https://baothanhhoa.vn/kinh-te/gia-lua.html">' in created["content"]
    assert [r.method for r in server.requests] == ["GET", "POST"]
    assert server.requests[0].query["status"] == ["any"]
    assert adapter.idempotent is True
    assert "wordpress" in PUBLISH_KINDS


def test_a_retry_returns_the_earlier_post_instead_of_a_second(
    fake: tuple[WordPressFake, FakeServer],
) -> None:
    wp, server = fake
    adapter = make_channel("wordpress")
    wp.lose_reply = True
    with _client() as client:
        with pytest.raises(DeliveryError) as first:
            adapter.send(POST, _config(server), wp.token, client)
        assert first.value.transient
        wp.lose_reply = False
        receipt = adapter.send(POST, _config(server), wp.token, client)
    assert len(wp.posts) == 1
    assert receipt.remote_id == str(wp.posts[0]["id"])
    assert [r.method for r in server.requests] == ["GET", "POST", "GET"]


def test_a_wrong_application_password_is_refused_without_echoing_it(
    fake: tuple[WordPressFake, FakeServer],
) -> None:
    wp, server = fake
    adapter = make_channel("wordpress")
    wrong = "zzzz yyyy xxxx"
    with _client() as client, pytest.raises(TokenRefused) as caught:
        adapter.send(POST, _config(server), wrong, client)
    message = str(caught.value)
    assert "incorrect_password" in message and "401" in message
    assert wrong not in message and not caught.value.transient
    assert wp.posts == []


def test_no_rights_and_a_bad_parameter_are_final(
    fake: tuple[WordPressFake, FakeServer],
) -> None:
    wp, server = fake
    adapter = make_channel("wordpress")
    wp.can_create = False
    with _client() as client:
        with pytest.raises(DeliveryError) as no_rights:
            adapter.send(POST, _config(server), wp.token, client)
        assert not no_rights.value.transient and "rest_cannot_create" in str(no_rights.value)
        wp.can_create = True
        # A status WordPress refuses (the config's check allows only publish/draft, so bypass it)
        adapter.check = lambda config: {  # type: ignore[method-assign]
            "site": server.url,
            "user": "bientap",
            "status": "published",
            "categories": [],
            "tags": [],
            "max_chars": 100_000,
        }
        with pytest.raises(DeliveryError) as invalid:
            adapter.send(POST, {}, wp.token, client)
    assert not invalid.value.transient
    assert "rest_invalid_param" in str(invalid.value) and "status is not one of" in str(
        invalid.value
    )


def test_rate_limit_carries_the_wait(fake: tuple[WordPressFake, FakeServer]) -> None:
    wp, server = fake
    wp.retry_after = 30
    with _client() as client, pytest.raises(RateLimited) as caught:
        make_channel("wordpress").send(POST, _config(server), wp.token, client)
    assert caught.value.retry_after == 30 and caught.value.transient


def test_config_checks_and_dry_run(fake: tuple[WordPressFake, FakeServer]) -> None:
    wp, server = fake
    adapter = make_channel("wordpress")
    with pytest.raises(UsageError, match="'user' is required"):
        adapter.check({"site": server.url})
    with pytest.raises(UsageError, match="https://"):
        adapter.check({"site": "http://wp.example", "user": "x"})
    with pytest.raises(UsageError, match="term ids"):
        adapter.check(_config(server, categories="news"))
    text = adapter.dry_run(POST, _config(server))
    assert "nothing sent" in text and "POST" in text and slug_for(POST.key) in text
    assert wp.token not in text and server.requests == []
    assert "127.0.0.1" in adapter.describe(_config(server))
    assert content_of(Post("a", key="k", image_url="https://x.example/a.jpg")).startswith(
        "<figure>"
    )
