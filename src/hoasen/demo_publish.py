"""The publishing part of `hoasen demo`: a Vietnamese–Chinese "Hoa Sen" special issue and a
Vietnamese–English investment newsletter built from the sample (published and rendered), a small
mailing list whose campaign goes to the outbox folder (no SMTP server is configured), and a post
scheduled on a fan page that stays in dry run until the office switches it on."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console

from hoasen.demo import sample_dir
from hoasen.desk import Desk
from hoasen.errors import HoasenError, NotFoundError

OPERATOR = "demo"
HOA_SEN = "Hoa Sen special issue"
NEWSLETTER = "Investment Promotion Newsletter"
LIST_NAME = "Investment newsletter"
DEMO_SUBSCRIBERS = (
    ("partner.desk@example.org", "Partner desk", "en"),
    ("bao.quangtay@example.cn", "Báo Quảng Tây", "vi"),
    ("investor.relations@example.jp", "Investor relations", "en"),
)
# The seed article the newsletter carries (Media Cooperation Quang Ninh - Guangxi).
NEWSLETTER_TITLE = "Media Cooperation Quang Ninh"


def _pieces() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((sample_dir() / "editions.json").read_text(encoding="utf-8"))
    return data


def _series(desk: Desk, name: str, languages: str, layout: str, masthead: str) -> int:
    try:
        return desk.editions.series(name).id
    except NotFoundError:
        return desk.editions.add_series(
            name,
            languages,
            layout=layout,
            masthead=masthead,
            colophon=f"{desk.settings.office_name} — hoasen demo edition.",
        ).id


def build_editions(desk: Desk, today: date) -> list[int]:
    """The two demo issues (made once): Hoa Sen vi–zh published, the newsletter vi–en approved."""
    eds = desk.editions
    pieces = _pieces()
    hoa_sen = _series(desk, HOA_SEN, "vi,zh", "parallel", "Đặc san Hoa Sen · 荷花特刊")
    newsletter = _series(desk, NEWSLETTER, "vi,en", "alternate", "Bản tin Xúc tiến đầu tư")
    first = eds.issues(hoa_sen)
    issue = first[0] if first else eds.new_issue(hoa_sen, "Quảng Ninh – Quảng Tây", today, OPERATOR)
    if not eds.edition(issue.id).items:
        for piece in pieces["hoa_sen"]:
            eds.add_piece(issue.id, {lang: tuple(t) for lang, t in piece.items()}, OPERATOR)
    _advance(desk, issue.id, publish=True)
    issues = [issue.id]
    first = eds.issues(newsletter)
    issue = (
        first[0] if first else eds.new_issue(newsletter, "Invest in Quảng Ninh", today, OPERATOR)
    )
    seed = [a for a in desk.store.list_articles() if NEWSLETTER_TITLE in (a.title or "")]
    if seed and not eds.edition(issue.id).items:
        [item], _notes = eds.add_items(issue.id, [seed[0].id])
        title, body = pieces["newsletter_vi"]
        eds.set_text(item.id, "vi", title, body, OPERATOR)
    if eds.edition(issue.id).items:
        _advance(desk, issue.id, publish=False)
    issues.append(issue.id)
    return issues


def _advance(desk: Desk, issue_id: int, publish: bool) -> None:
    """Take a demo issue through review and approval (and publication), as an editor would."""
    eds = desk.editions
    for item in eds.edition(issue_id).items:
        for language, text in item.texts.items():
            if not text.approved and eds.issue(issue_id).status in ("draft", "review"):
                eds.approve_text(item.id, language, OPERATOR)
    if eds.issue(issue_id).status == "draft":
        eds.set_status(issue_id, "review", OPERATOR)
    if eds.issue(issue_id).status == "review":
        eds.set_status(issue_id, "approved", OPERATOR)
    if publish and eds.issue(issue_id).status == "approved":
        eds.publish(issue_id, OPERATOR)


def show_publishing(desk: Desk, console: Console, out: Path, today: date) -> None:
    """Build the demo editions, the list and campaign (to the outbox) and a dry-run post."""
    try:
        issues = build_editions(desk, today)
    except HoasenError as exc:  # the demo goes on without this part
        console.print(f"[bold]Editions[/bold]: skipped ({exc})", highlight=False)
        return
    out.mkdir(parents=True, exist_ok=True)
    for issue_id in issues:
        row = desk.editions.issue(issue_id)
        series = desk.editions.series(row.series_id)
        shown = []
        for fmt in ("html", "pdf", "epub"):
            path = desk.editions.render(row, fmt, out / f"{series.slug}-{row.number}.{fmt}")
            shown.append(path.name)
        console.print(
            f"[bold]Edition[/bold] {series.name} no. {row.number} ({row.status}): "
            f"{', '.join(shown)} in {out}",
            highlight=False,
        )
    _mailing(desk, console)
    _post(desk, console)


def _mailing(desk: Desk, console: Console) -> None:
    mailing = desk.mailing
    try:
        the_list = mailing.get_list(LIST_NAME)
    except NotFoundError:
        the_list = mailing.create_list(LIST_NAME, language="vi")
        for email, name, language in DEMO_SUBSCRIBERS:
            mailing.subscribe(LIST_NAME, email, name, language)
    try:
        sent = mailing.campaign_list(the_list.id)
        campaign = sent[0] if sent else None
        if campaign is None:
            campaign = mailing.new_campaign(
                LIST_NAME,
                "Quảng Ninh investment newsletter no. 1",
                "The first issue of the investment promotion newsletter is out: "
                "Media Cooperation Quang Ninh - Guangxi, in Vietnamese and English.",
                source="demo",
            )
        report = mailing.send(campaign.id)
    except HoasenError as exc:
        console.print(f"[bold]Mailing[/bold]: {exc}", highlight=False)
        return
    status = mailing.status(campaign.id)
    where = (
        f"no smtp_url is set, so the messages are .eml files in {report.where}"
        if report.dry_run
        else f"sent through {report.where}"
    )
    console.print(
        f"[bold]Mailing[/bold]: list {LIST_NAME!r} with {len(DEMO_SUBSCRIBERS)} subscribers; "
        f"campaign {campaign.id}: {status.counts.get('sent', 0)} sent — {where}.",
        highlight=False,
    )


def _post(desk: Desk, console: Console) -> None:
    posts = desk.posts
    try:
        channel = posts.channel("Fan page")
    except NotFoundError:
        channel = posts.add_channel(
            "Fan page", "facebook", {"page_id": "1234567890"}, language="en"
        )
    if not posts.posts(channel.id):
        seed = [a for a in desk.store.list_articles() if NEWSLETTER_TITLE in (a.title or "")]
        if not seed:
            return
        draft = posts.draft_article(channel.id, seed[0].id, OPERATOR)
        posts.approve([draft.id], OPERATOR)
        posts.schedule(channel.id, [draft.id])
    post = posts.posts(channel.id)[0]
    zone = ZoneInfo(desk.settings.office_timezone)
    due = post.due.astimezone(zone).strftime("%Y-%m-%d %H:%M") if post.due else "unscheduled"
    console.print(
        f"[bold]Channels[/bold]: post {post.id} on {channel.name!r} ({channel.kind}) is "
        f"{post.status}, due {due} office time; the channel is in dry run until "
        "`hoasen channels enable`.",
        highlight=False,
    )
