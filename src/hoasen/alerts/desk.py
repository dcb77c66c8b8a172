"""The alert desk: saved searches and watches (a query, an entity, a partner, a topic, a story
spiking), what they matched, and their delivery to the desk's notification list, by e-mail and
on Telegram, at once or as a daily digest.

`evaluate` runs after each analysis of new articles (and from `hoasen alerts check`); the
scheduler calls `due_digests` and `send_digest`. A hit is recorded once per alert and article
(the database's unique constraint decides), is delivered once, and a hit whose delivery failed
stays undelivered, with the reason reported, until a later run delivers it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from hoasen.alerts.checks import KINDS, check, digest_time, target_of
from hoasen.alerts.deliver import Deliverer
from hoasen.alerts.match import Matcher
from hoasen.errors import HoasenError, NotFoundError, UsageError
from hoasen.store.alerts import AlertRow, AlertStore, HitRow, NotificationRow
from hoasen.store.db import StoredArticle
from hoasen.store.schema import utcnow

if TYPE_CHECKING:
    from hoasen.desk import Desk

IMMEDIATE_MAX = 100  # hits of one alert delivered at once per run; the rest wait for the next
_EDITABLE = frozenset(
    {
        "name",
        "language",
        "channels",
        "email",
        "telegram",
        "mode",
        "digest_at",
        "spike_count",
        "spike_hours",
        "active",
    }
)


@dataclass
class AlertRun:
    """What one `evaluate` did: new hits, hits delivered, dry-run notes, and the reasons of
    deliveries that failed (those hits stay undelivered for a later run)."""

    hits: int = 0
    delivered: int = 0
    errors: list[str] = field(default_factory=list)
    rehearsed: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The run as JSON."""
        return {
            "hits": self.hits,
            "delivered": self.delivered,
            "errors": list(self.errors),
            "rehearsed": list(self.rehearsed),
        }


class AlertDesk:
    """Alerts of one Desk: managing them, matching new articles, delivering what they found."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.rows = AlertStore(desk.store)
        self.matcher = Matcher(desk, self.rows)
        self.sender = Deliverer(desk, self.rows)

    @property
    def zone(self) -> ZoneInfo:
        """The office's time zone (digest times are read in it)."""
        return ZoneInfo(self.desk.settings.office_timezone)

    # ---------------------------------------------------------------- managing

    def add(
        self,
        name: str,
        kind: str,
        target: str = "",
        *,
        language: str | None = None,
        channels: Sequence[str] | None = None,
        email: str | None = None,
        telegram: str | None = None,
        digest_at: str | None = None,
        mode: str | None = None,
        spike_count: int = 5,
        spike_hours: int = 24,
        owner_id: int | None = None,
    ) -> AlertRow:
        """A new active alert. `target` is the query, entity, partner or topic (any of their
        names); a story alert needs none. Without `channels`: the desk, plus e-mail and
        Telegram when an address or channel is given. A `digest_at` time means digest mode."""
        if kind not in KINDS:
            raise UsageError(f"an alert watches one of {', '.join(KINDS)}, not {kind!r}")
        if channels is None:
            channels = ["desk", *(["email"] if email else []), *(["telegram"] if telegram else [])]
        values: dict[str, Any] = {
            "name": name,
            "kind": kind,
            "language": language,
            "channels": channels,
            "email": email,
            "telegram": telegram,
            "mode": mode or ("digest" if digest_at else "immediate"),
            "digest_at": digest_at or "08:00",
            "spike_count": spike_count,
            "spike_hours": spike_hours,
        }
        checked = check(self.desk, values)
        checked["target"] = target_of(self.desk, kind, target, checked["language"])
        checked["owner_id"] = owner_id
        return self.rows.add(checked)

    def alerts(self, owner_id: int | None = None) -> list[AlertRow]:
        """Every alert (of one owner), by id."""
        return self.rows.listing(owner_id=owner_id)

    def get(self, alert_id: int) -> AlertRow:
        """The alert; NotFoundError when there is none."""
        return self.rows.get(alert_id)

    def update(self, alert_id: int, **changes: Any) -> AlertRow:
        """Change an alert's settings (not what it watches: remove it and add another)."""
        unknown = set(changes) - _EDITABLE
        if unknown:
            raise UsageError(f"an alert's {', '.join(sorted(unknown))} cannot be changed")
        current = self.rows.get(alert_id).as_json()
        values = {key: current[key] for key in _EDITABLE}
        values.update(changes)
        values["kind"] = current["kind"]
        checked = check(self.desk, values)
        return self.rows.update(alert_id, {k: checked[k] for k in checked if k != "kind"})

    def pause(self, alert_id: int) -> AlertRow:
        """Stop matching and delivering (hits already recorded wait)."""
        return self.rows.update(alert_id, {"active": False})

    def resume(self, alert_id: int) -> AlertRow:
        """Match and deliver again (from the next new articles)."""
        return self.rows.update(alert_id, {"active": True})

    def remove(self, alert_id: int) -> AlertRow:
        """Delete an alert and its hits; the alert as it was."""
        row = self.rows.get(alert_id)
        self.rows.delete(alert_id)
        return row

    def hits(self, alert_id: int, limit: int = 50) -> list[tuple[HitRow, StoredArticle | None]]:
        """The alert's latest hits with their articles, newest first."""
        rows = self.rows.hits(self.rows.get(alert_id).id, limit)
        found = {a.id: a for a in self.desk.store.get_articles([h.article_id for h in rows])}
        return [(h, found.get(h.article_id)) for h in rows]

    def counts(self) -> dict[int, tuple[int, int]]:
        """alert id -> (hits, of which undelivered)."""
        return self.rows.hit_counts()

    def describe(self, alert: AlertRow) -> str:
        """What the alert watches, in words: the query, the entity's or partner's name."""
        if alert.kind == "entity":
            entity = self.desk.pipeline.gazetteer.get(alert.target)
            return entity.name(self.desk.settings.office_language) if entity else alert.target
        if alert.kind == "partner":
            try:
                return self.desk.partners.partner(int(alert.target)).name
            except (NotFoundError, ValueError):
                return alert.target
        if alert.kind == "story":
            return f"{alert.spike_count}+ articles within {alert.spike_hours} h"
        return alert.target

    # ---------------------------------------------------------------- matching and delivery

    def evaluate(self, article_ids: Sequence[int], now: datetime | None = None) -> AlertRun:
        """Match these stored articles against every active alert, record the new hits, and
        deliver the undelivered hits of immediate alerts (new ones and any a failed delivery
        left). One query when no alert is active; one bad alert never stops the others."""
        run = AlertRun()
        if not article_ids:
            return run
        alerts = self.rows.active()
        if not alerts:
            return run
        moment = now or utcnow()
        ids = sorted({int(i) for i in article_ids})
        for alert in alerts:
            try:
                found = self.matcher.match(alert, ids, moment)
            except HoasenError as exc:
                run.errors.append(f"alert {alert.id} ({alert.name}): {exc}")
                continue
            for article_id, story_id in found:
                if self.rows.add_hit(alert.id, article_id, story_id, moment) is not None:
                    run.hits += 1
        self._deliver_pending([a for a in alerts if a.mode == "immediate"], run)
        return run

    def pending(self) -> list[tuple[int, datetime]]:
        """(hit id, matched) of the undelivered hits of active immediate alerts: what the task
        scheduler hands to `send_pending` (a delivery that failed is tried again)."""
        alerts = [a.id for a in self.rows.active() if a.mode == "immediate"]
        return [(h.id, h.matched) for h in self.rows.unsent(alerts)]

    def notify(
        self,
        key: str,
        kind: str,
        title: str,
        body: str = "",
        link: str | None = None,
        user_id: int | None = None,
    ) -> int:
        """Put a notice on the desk's notification list once per `key` (None user: everyone);
        1 when it is new, 0 when it was there already."""
        return int(self.rows.notify(key, user_id, kind, title, body, link))

    def send_pending(self) -> AlertRun:
        """Deliver the undelivered hits of active immediate alerts (after a failure)."""
        run = AlertRun()
        self._deliver_pending([a for a in self.rows.active() if a.mode == "immediate"], run)
        return run

    def _deliver_pending(self, alerts: Sequence[AlertRow], run: AlertRun) -> None:
        hits = self.rows.unsent([a.id for a in alerts])
        if not hits:
            return
        by_alert = {a.id: a for a in alerts}
        articles = {
            a.id: a for a in self.desk.store.get_articles(sorted({h.article_id for h in hits}))
        }
        done: dict[int, int] = {}
        failed: set[int] = set()
        for hit in hits:
            alert = by_alert[hit.alert_id]
            if alert.id in failed or done.get(alert.id, 0) >= IMMEDIATE_MAX:
                continue
            article = articles.get(hit.article_id)
            if article is not None:
                try:
                    run.rehearsed.extend(self.sender.hit(alert, article))
                except HoasenError as exc:
                    run.errors.append(
                        f"alert {alert.id} ({alert.name}), article {hit.article_id}: {exc}"
                    )
                    failed.add(alert.id)  # the same failure would meet every other hit now
                    continue
            self.rows.mark_sent([hit.id], utcnow())
            done[alert.id] = done.get(alert.id, 0) + 1
            run.delivered += 1

    def due_digests(self, now: datetime) -> list[tuple[int, datetime]]:
        """(alert id, due instant in UTC) of each active digest alert whose latest digest time
        up to `now` is later than its last digest and that has undelivered hits by then."""
        due: list[tuple[int, datetime]] = []
        for alert in self.rows.active():
            if alert.mode != "digest":
                continue
            at = self.latest_digest_time(alert.digest_at, now)
            if alert.last_digest is not None and at <= alert.last_digest:
                continue
            if self.rows.unsent([alert.id], up_to=at):
                due.append((alert.id, at))
        return due

    def latest_digest_time(self, digest_at: str, now: datetime) -> datetime:
        """The last instant (UTC) at or before `now` whose office time is `digest_at`."""
        hour, minute = (int(x) for x in digest_time(digest_at).split(":"))
        local = now.astimezone(self.zone)
        at = datetime.combine(local.date(), time(hour, minute), tzinfo=self.zone)
        if at > local:
            at = datetime.combine(
                local.date() - timedelta(days=1), time(hour, minute), tzinfo=self.zone
            )
        return at.astimezone(UTC)

    def send_digest(self, alert_id: int, due: datetime) -> int:
        """Send the alert's undelivered hits matched up to `due` as one message per channel,
        mark them delivered and remember `due`; how many hits it carried. Calling it again
        sends nothing more. A failing channel raises (DeliveryError...): nothing is marked, and
        the retry sends the same message again (same notice key and Message-ID)."""
        alert = self.rows.get(alert_id)
        if not alert.active:
            return 0
        hits = self.rows.unsent([alert.id], up_to=due)
        if hits:
            found = {a.id: a for a in self.desk.store.get_articles([h.article_id for h in hits])}
            articles = [found[h.article_id] for h in hits if h.article_id in found]
            if articles:
                self.sender.digest(alert, articles, due)
            self.rows.mark_sent([h.id for h in hits], utcnow())
        self.rows.advance_digest(alert.id, due)
        return len(hits)

    def send_due_digests(self, now: datetime | None = None) -> AlertRun:
        """Every due digest now (`hoasen alerts digests`); a failing one is reported."""
        run = AlertRun()
        for alert_id, due in self.due_digests(now or utcnow()):
            try:
                run.delivered += self.send_digest(alert_id, due)
            except HoasenError as exc:
                run.errors.append(f"alert {alert_id} digest: {exc}")
        return run

    def check(self, since: datetime, now: datetime | None = None) -> AlertRun:
        """`evaluate` over the articles stored since then, by hand."""
        return self.evaluate(self.rows.fetched_since(since), now)

    # ---------------------------------------------------------------- unsubscribe link

    def unsubscribe_link(self, alert_id: int) -> str:
        """The signed public link that pauses the alert."""
        return self.sender.unsubscribe_link(alert_id)

    def from_token(self, token: str) -> AlertRow:
        """The alert of a signed unsubscribe token; UsageError for a forged one."""
        try:
            return self.rows.get(self.sender.verify(token))
        except NotFoundError as exc:
            raise UsageError("this link is not valid any more") from exc

    def unsubscribe(self, token: str) -> AlertRow:
        """Pause the alert of a signed unsubscribe link (again: no change)."""
        return self.pause(self.from_token(token).id)

    # ---------------------------------------------------------------- notifications

    def notifications(
        self, user_id: int | None = None, unread: bool = False, limit: int = 100
    ) -> list[NotificationRow]:
        """The user's notifications and those for everyone, newest first (None: all)."""
        return self.rows.notifications(user_id, unread=unread, limit=limit)

    def unread_count(self, user_id: int | None = None) -> int:
        """How many of them are unread."""
        return self.rows.unread_count(user_id)

    def mark_read(self, notification_id: int, user_id: int | None = None) -> NotificationRow:
        """Mark one notification read (one for everyone is read for everyone)."""
        self.rows.notification(notification_id, user_id)
        self.rows.mark_read([notification_id], utcnow())
        return self.rows.notification(notification_id, user_id)

    def mark_all_read(self, user_id: int | None = None) -> int:
        """Mark every unread notification of the user read; how many."""
        return self.rows.mark_read(self.rows.unread_ids(user_id), utcnow())
