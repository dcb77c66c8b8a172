"""Campaigns: one message to every active member of a list, in each subscriber's language,
through the office Mailer, with RFC 8058 one-click unsubscribe headers and a visible link.

Sending is resumable and mails each person once. Before a message goes out its campaign_sends
row (unique per campaign and subscriber) is claimed queued -> sending in one UPDATE, and it is
marked sent right after the server accepts it; a re-run skips sent rows. Kill the process and
run `send` again: the people already mailed are skipped, the others get their message.

The one gap no database can close: a crash after the SMTP server accepted a message and before
the row was marked sent. The re-run sends that one message again, with the same Message-ID
(`message_id_for("campaign-ID-SUBSCRIBER")`), so at worst one person gets a recognisable
duplicate that mail systems can drop. Do not run two sends of one campaign at the same time:
a run puts the rows a stopped run left `sending` back in the queue.

A run sends over one SMTP connection (`Mailer.session`), opened again once if the server drops
it; each message is still marked sent right after the server accepts it. A campaign cancelled
while it is being sent stops at the next batch of BATCH sends.
"""

from __future__ import annotations

import html as html_lib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from hoasen.delivery.types import DeliveryError
from hoasen.errors import UsageError
from hoasen.store.mailing import Campaign, MailingList, Subscriber
from hoasen.store.schema import utcnow

if TYPE_CHECKING:
    from hoasen.publish.mailing import MailingDesk

SendProgress = Callable[[int, int], None]  # (done, total) after each subscriber
BATCH = 200  # queued sends read at a time

FOOTER = {
    "vi": ("Hủy đăng ký", "Bạn nhận thư này vì đã đăng ký danh sách \u201c{list}\u201d."),
    "en": ("Unsubscribe", "You receive this because you are on the list \u201c{list}\u201d."),
}


@dataclass(frozen=True)
class SendReport:
    """What one run of `send` did, and where the messages went."""

    campaign_id: int
    sent: int
    failed: int
    skipped: int
    remaining: int
    dry_run: bool
    where: str

    def as_json(self) -> dict[str, Any]:
        """The report as the CLI's JSON document."""
        return {
            "campaign": self.campaign_id,
            "sent": self.sent,
            "failed": self.failed,
            "skipped": self.skipped,
            "remaining": self.remaining,
            "dry_run": self.dry_run,
            "where": self.where,
        }


@dataclass(frozen=True)
class CampaignStatus:
    """A campaign and the counts of its sends by status."""

    campaign: Campaign
    list_name: str
    counts: dict[str, int]
    recipients_now: int

    def as_json(self) -> dict[str, Any]:
        """The status as the CLI's JSON document."""
        return {
            **self.campaign.as_json(),
            "list": self.list_name,
            "sends": self.counts,
            "active_members_now": self.recipients_now,
        }


class RateLimit:
    """At most `rate` calls of `wait` per second on a monotonic clock (0: no limit)."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self.next_at: float | None = None

    def wait(self) -> None:
        """Sleep until the next message may go."""
        if not self.interval:
            return
        now = self.clock()
        if self.next_at is not None and self.next_at > now:
            self.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + self.interval


class Campaigns:
    """Compose, preview, test and send the campaigns of one MailingDesk."""

    def __init__(self, mailing: MailingDesk) -> None:
        self.mailing = mailing
        self.db = mailing.db
        self.clock: Callable[[], float] = time.monotonic
        self.sleep: Callable[[float], None] = time.sleep

    def new(
        self,
        ref: str | int,
        subject: str,
        text: str,
        html: str | None = None,
        variants: Mapping[str, tuple[str, str, str | None]] | None = None,
        source: str = "",
    ) -> Campaign:
        """A draft campaign to a list: subject, text and optional HTML in the list's language,
        plus optional {language: (subject, text, html)} variants for other languages."""
        from hoasen.publish.mailing import normalise_language

        the_list = self.db.get_list(ref)
        subjects: dict[str, str] = {}
        texts: dict[str, str] = {}
        htmls: dict[str, str] = {}
        items = [(the_list.language, (subject, text, html)), *(variants or {}).items()]
        for language, (s, t, h) in items:
            lang = normalise_language(language) or the_list.language
            if not " ".join(str(s).split()) or not str(t).strip():
                raise UsageError(f"the {lang} version needs a subject and a text body")
            subjects[lang], texts[lang] = " ".join(str(s).split()), str(t)
            if h:
                htmls[lang] = str(h)
        campaign_id = self.db.add_campaign(the_list.id, subjects, texts, htmls, source)
        return self.db.get_campaign(campaign_id)

    def get(self, campaign_id: int) -> Campaign:
        """The campaign; NotFoundError when there is none."""
        return self.db.get_campaign(campaign_id)

    @staticmethod
    def language_for(campaign: Campaign, the_list: MailingList, language: str) -> str:
        """The campaign language a subscriber reads: theirs, else the list's, else the first."""
        for lang in (language, language.split("-")[0], the_list.language):
            if lang and lang in campaign.text:
                return lang
        return next(iter(campaign.text))

    def preview(self, campaign_id: int, language: str = "") -> tuple[str, str, str | None]:
        """(subject, text, html) a subscriber reading `language` gets, without the footer."""
        campaign = self.db.get_campaign(campaign_id)
        lang = self.language_for(campaign, self.db.get_list(campaign.list_id), language)
        return campaign.subject[lang], campaign.text[lang], campaign.html.get(lang)

    def compose(
        self, campaign: Campaign, the_list: MailingList, subscriber: Subscriber
    ) -> EmailMessage:
        """The campaign's message to one subscriber, in their language, with the one-click
        unsubscribe headers (RFC 2369 and 8058) and a visible unsubscribe link."""
        from hoasen.publish.mailing import one_click_headers

        mailer = self.mailing.mailer
        lang = self.language_for(campaign, the_list, subscriber.language)
        link = self.mailing.link("unsubscribe", subscriber.id, the_list.id)
        text, html = _with_footer(campaign, lang, the_list, link)
        headers = {
            **one_click_headers(link, mailer),
            "List-Id": f"<list-{the_list.id}.{mailer.domain}>",
            "Precedence": "bulk",
        }
        return mailer.compose(
            subscriber.email,
            campaign.subject[lang],
            text,
            html=html,
            headers=headers,
            message_id=mailer.message_id_for(f"campaign-{campaign.id}-{subscriber.id}"),
        )

    def test_send(self, campaign_id: int, address: str, language: str = "") -> str:
        """Send one copy, subject marked [TEST], to `address` (who need not be on the list);
        its unsubscribe link is a sample that unsubscribes nobody."""
        from hoasen.publish.mailing import normalise_email

        campaign = self.db.get_campaign(campaign_id)
        the_list = self.db.get_list(campaign.list_id)
        stand_in = Subscriber(0, normalise_email(address), "", language, "active")
        message = self.compose(campaign, the_list, stand_in)
        del message["Subject"], message["Message-ID"]
        lang = self.language_for(campaign, the_list, language)
        message["Subject"] = f"[TEST] {campaign.subject[lang]}"
        message["Message-ID"] = self.mailing.mailer.message_id_for(
            f"campaign-test-{campaign.id}-{utcnow().timestamp()}"
        )
        return self.mailing.mailer.send(message)

    def send(self, campaign_id: int, progress: SendProgress | None = None) -> SendReport:
        """Send the campaign to every active member of its list who has not had it, honouring
        mail_rate; resumable (see the module's docstring). A cancelled campaign is refused; a
        sent one only retries its failed sends."""
        campaign = self.db.get_campaign(campaign_id)
        if campaign.status == "cancelled":
            raise UsageError(f"campaign {campaign_id} was cancelled")
        the_list = self.db.get_list(campaign.list_id)
        mailer = self.mailing.mailer
        mailer.check_settings()
        if campaign.status != "sent":
            self.db.update_campaign(
                campaign_id, status="sending", started=campaign.started or utcnow()
            )
            self.db.queue_sends(campaign_id, the_list.id)
        else:
            self.db.queue_sends(campaign_id, the_list.id, add_members=False)
        total = self.db.send_counts(campaign_id)["queued"]
        limit = RateLimit(self.mailing.settings.mail_rate, self.clock, self.sleep)
        done = sent = failed = skipped = 0
        with mailer.session() as session:  # one SMTP connection for the whole run
            while batch := self.db.queued(campaign_id, BATCH):
                if self.db.get_campaign(campaign_id).status == "cancelled":
                    break  # cancelled while sending: the rest stays queued, never sent
                for send_id, subscriber in batch:
                    if not self.db.claim(send_id, the_list.id, subscriber.id):
                        skipped += 1
                    else:
                        message = self.compose(campaign, the_list, subscriber)
                        message_id = str(message["Message-ID"])
                        limit.wait()
                        try:
                            session.send(message)
                        except DeliveryError as exc:
                            self.db.finish_send(campaign_id, send_id, False, message_id, str(exc))
                            failed += 1
                        else:
                            self.db.finish_send(campaign_id, send_id, True, message_id)
                            sent += 1
                    done += 1
                    if progress is not None:
                        progress(done, total)
        counts = self.db.send_counts(campaign_id)
        remaining = counts["queued"] + counts["sending"]
        if not remaining and self.db.get_campaign(campaign_id).status != "cancelled":
            self.db.update_campaign(campaign_id, status="sent", finished=utcnow())
        return SendReport(
            campaign_id, sent, failed, skipped, remaining, mailer.dry_run, mailer.where
        )

    def cancel(self, campaign_id: int) -> Campaign:
        """Stop a campaign for good: its queued sends are never sent (a send under way stops
        at its next batch). UsageError for a campaign already sent."""
        if self.db.get_campaign(campaign_id).status == "sent":
            raise UsageError(f"campaign {campaign_id} was sent already")
        self.db.update_campaign(campaign_id, status="cancelled", finished=utcnow())
        return self.db.get_campaign(campaign_id)

    def status(self, campaign_id: int) -> CampaignStatus:
        """The campaign with its send counts and how many members it would mail now."""
        campaign = self.db.get_campaign(campaign_id)
        the_list = self.db.get_list(campaign.list_id)
        return CampaignStatus(
            campaign,
            the_list.name,
            self.db.send_counts(campaign_id),
            self.db.sendable_count(the_list.id),
        )


def _with_footer(
    campaign: Campaign, lang: str, the_list: MailingList, link: str
) -> tuple[str, str | None]:
    """The text and HTML bodies with the unsubscribe footer (a visible link in each)."""
    label, why = FOOTER.get(lang.split("-")[0], FOOTER["en"])
    reason = why.format(list=the_list.name)
    text = campaign.text[lang].rstrip("\n") + f"\n\n-- \n{reason}\n{label}: {link}\n"
    body = campaign.html.get(lang)
    if body is None:
        return text, None
    footer = (
        f'<p style="font-size:small;color:#666">{html_lib.escape(reason)}<br>'
        f'<a href="{html_lib.escape(link)}">{html_lib.escape(label)}</a></p>'
    )
    at = body.lower().rfind("</body>")
    html = body[:at] + footer + body[at:] if at >= 0 else body + footer
    return text, html
