"""A loopback fake of the WordPress REST API's posts endpoint (`/wp-json/wp/v2/posts`): Basic
auth with a user and an application password, GET by slug (status=any), POST to create, and
the documented errors: 401 incorrect_password / rest_cannot_create, 400 rest_invalid_param,
429 with Retry-After. Runs on channel_fakes.FakeServer."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from channel_fakes import Answer, Request

PATH = "/wp-json/wp/v2/posts"


def _error(status: int, code: str, message: str, **data: Any) -> Answer:
    return Answer(status, {"code": code, "message": message, "data": {"status": status, **data}})


@dataclass
class WordPressFake:
    """Posts kept in memory; switches make the documented failures."""

    user: str = "bientap"
    token: str = "abcd EFGH 1234 ijkl MNOP 5678"  # an application password, spaces and all
    can_create: bool = True
    retry_after: int | None = None
    posts: list[dict[str, Any]] = field(default_factory=list)
    lose_reply: bool = False  # create the post, then answer 502 (the reply got lost)

    def __call__(self, req: Request) -> Answer:
        if req.path != PATH:
            return _error(404, "rest_no_route", "No route was found matching the URL.")
        auth = req.headers.get("authorization", "")
        expected = base64.b64encode(f"{self.user}:{self.token}".encode()).decode()
        if not auth.startswith("Basic "):
            return _error(401, "rest_cannot_create", "Sorry, you are not allowed to do that.")
        if auth != f"Basic {expected}":
            return _error(
                401,
                "incorrect_password",
                "The provided password is an invalid application password.",
            )
        if self.retry_after is not None:
            answer = _error(429, "too_many_requests", "Too many requests.")
            answer.headers["Retry-After"] = str(self.retry_after)
            return answer
        if req.method == "GET":
            slug = (req.query.get("slug") or [""])[0]
            if (req.query.get("status") or [""])[0] != "any":
                return Answer(200, [p for p in self.posts if p["status"] == "publish"])
            return Answer(200, [p for p in self.posts if p["slug"] == slug])
        if not self.can_create:
            return _error(403, "rest_cannot_create", "Sorry, you are not allowed to create posts.")
        body = req.json if isinstance(req.json, dict) else {}
        status = body.get("status", "draft")
        if status not in ("publish", "future", "draft", "pending", "private"):
            return _error(
                400,
                "rest_invalid_param",
                "Invalid parameter(s): status",
                params={"status": "status is not one of publish, future, draft, pending, private."},
            )
        if not str(body.get("title") or "").strip() and not body.get("content"):
            return _error(400, "empty_content", "Content, title, and excerpt are empty.")
        post_id = 500 + len(self.posts) + 1
        slug = body.get("slug") or f"post-{post_id}"
        post = {
            "id": post_id,
            "slug": slug,
            "status": status,
            "link": f"https://baothanhhoa.example/{slug}/",
            "title": {"raw": body.get("title"), "rendered": body.get("title")},
            "content": {"raw": body.get("content")},
            "categories": body.get("categories", []),
            "tags": body.get("tags", []),
        }
        self.posts.append(post)
        if self.lose_reply:
            return Answer(502, {"code": "bad_gateway", "message": "Bad Gateway"})
        return Answer(201, post)
