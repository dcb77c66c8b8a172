"""Reading and writing mailing lists, subscribers, list membership, campaigns and their sends
(SQLAlchemy Core, on the Store's engine). Every read and write of those tables is here;
validation, tokens and mail live in `hoasen.publish.mailing`.

The campaign_sends row of a campaign and subscriber is unique: a send claims the row
(queued -> sending) in one UPDATE before the message goes out and marks it sent after, so a
re-run skips everyone already mailed.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from hoasen.errors import NotFoundError, UsageError
from hoasen.store import schema
from hoasen.store.db import Store, _new_id
from hoasen.store.schema import utcnow

# statuses
ACTIVE, UNCONFIRMED, UNSUBSCRIBED, BLOCKLISTED = (
    "active",
    "unconfirmed",
    "unsubscribed",
    "blocklisted",
)
SUBSCRIBER_STATUSES = (ACTIVE, UNCONFIRMED, UNSUBSCRIBED, BLOCKLISTED)
MEMBER_STATUSES = (ACTIVE, UNCONFIRMED, UNSUBSCRIBED)
SEND_STATUSES = ("queued", "sending", "sent", "failed", "skipped")
_CHUNK = 500  # rows per IN (...) query: well under SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True)
class MailingList:
    """One mailing list; `members` counts its active members when listed."""

    id: int
    name: str
    double_optin: bool
    language: str
    description: str
    created: datetime
    members: int = 0

    def as_json(self) -> dict[str, Any]:
        """The list as the CLI's JSON document."""
        return {
            "id": self.id,
            "name": self.name,
            "double_optin": self.double_optin,
            "language": self.language,
            "description": self.description,
            "created": self.created.isoformat(),
            "active_members": self.members,
        }


@dataclass(frozen=True)
class Subscriber:
    """One address; `member_status` is its status on the list it was read through, if any."""

    id: int
    email: str
    name: str
    language: str
    status: str
    member_status: str = ""

    def as_json(self) -> dict[str, Any]:
        """The subscriber as the CLI's JSON document (address, name, language, statuses)."""
        out = {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "language": self.language,
            "status": self.status,
        }
        if self.member_status:
            out["list_status"] = self.member_status
        return out


@dataclass(frozen=True)
class Campaign:
    """One campaign: subject and bodies per language, its list and where the send stands."""

    id: int
    list_id: int
    subject: dict[str, str]
    text: dict[str, str]
    html: dict[str, str]
    source: str
    status: str
    created: datetime
    started: datetime | None
    finished: datetime | None
    sent_count: int
    error_count: int

    def as_json(self) -> dict[str, Any]:
        """The campaign as the CLI's JSON document (without the bodies)."""
        return {
            "id": self.id,
            "list_id": self.list_id,
            "subject": self.subject,
            "languages": sorted(self.text),
            "source": self.source,
            "status": self.status,
            "created": self.created.isoformat(),
            "started": self.started.isoformat() if self.started else None,
            "finished": self.finished.isoformat() if self.finished else None,
            "sent_count": self.sent_count,
            "error_count": self.error_count,
        }


@dataclass(frozen=True)
class ImportCounts:
    """What one batch of imported rows did to a list."""

    added: int = 0
    updated: int = 0
    already: int = 0


class MailingStore:
    """The mailing tables of one Store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------ keys

    def key(self, name: str) -> str:
        """The generated key `name`, made (64 hex digits) and kept the first time it is asked
        for; two processes asking at once agree on the first one stored."""
        t = schema.mailing_keys
        with self.store.begin() as conn:
            found = conn.execute(select(t.c.value).where(t.c.name == name)).scalar()
        if found:
            return str(found)
        try:
            with self.store.begin() as conn:
                conn.execute(insert(t).values(name=name, value=secrets.token_hex(32)))
        except IntegrityError:
            pass  # another process stored one first: use theirs
        with self.store.begin() as conn:
            return str(conn.execute(select(t.c.value).where(t.c.name == name)).scalar_one())

    # ------------------------------------------------------------ lists

    def add_list(self, name: str, double_optin: bool, language: str, description: str) -> int:
        """Store a new list; UsageError when the name is taken."""
        try:
            with self.store.begin() as conn:
                result = conn.execute(
                    insert(schema.mailing_lists).values(
                        name=name,
                        double_optin=double_optin,
                        language=language,
                        description=description,
                    )
                )
        except IntegrityError as exc:
            raise UsageError(f"a mailing list named {name!r} exists already") from exc
        return _new_id(result)

    def lists(self) -> list[MailingList]:
        """Every list with its number of active members, by name."""
        with self.store.begin() as conn:
            rows = conn.execute(_lists_query().order_by(schema.mailing_lists.c.name)).mappings()
            return [_list(r) for r in rows]

    def get_list(self, ref: str | int) -> MailingList:
        """The list with this id or name; NotFoundError otherwise."""
        t = schema.mailing_lists
        where = t.c.id == int(ref) if isinstance(ref, int) or str(ref).isdigit() else None
        query = _lists_query().where(where if where is not None else t.c.name == str(ref))
        with self.store.begin() as conn:
            row = conn.execute(query).mappings().first()
            if row is None and where is not None:  # a list may be named "2024"
                by_name = _lists_query().where(t.c.name == str(ref))
                row = conn.execute(by_name).mappings().first()
        if row is None:
            raise NotFoundError(f"no mailing list {ref!r}")
        return _list(row)

    # ------------------------------------------------------------ subscribers

    def import_rows(
        self, list_id: int, rows: Sequence[tuple[str, str, str]], status: str = ACTIVE
    ) -> ImportCounts:
        """Add (email, name, language) rows to a list in one transaction: new addresses become
        subscribers, new members get `status`; a known subscriber's name and language are
        updated when given. Unsubscribed and blocklisted people stay as they are."""
        s, m = schema.subscribers, schema.list_members
        added = updated = already = 0
        with self.store.begin() as conn:
            known: dict[str, Any] = {}
            emails = [r[0] for r in rows]
            for start in range(0, len(emails), _CHUNK):
                part = emails[start : start + _CHUNK]
                for r in conn.execute(select(s).where(s.c.email.in_(part))).mappings():
                    known[r["email"]] = r
            new = [
                {"email": e, "name": n, "language": lang, "status": ACTIVE}
                for e, n, lang in rows
                if e not in known
            ]
            if new:
                conn.execute(insert(s), new)
                for start in range(0, len(new), _CHUNK):
                    part = [r["email"] for r in new[start : start + _CHUNK]]
                    for r in conn.execute(select(s).where(s.c.email.in_(part))).mappings():
                        known[r["email"]] = r
            ids = [known[e]["id"] for e in emails]
            members: dict[int, str] = {}
            for start in range(0, len(ids), _CHUNK):
                query = select(m.c.subscriber_id, m.c.status).where(
                    m.c.list_id == list_id, m.c.subscriber_id.in_(ids[start : start + _CHUNK])
                )
                members.update({r[0]: r[1] for r in conn.execute(query)})
            joins = []
            for email, name, language in rows:
                row = known[email]
                changes = {
                    k: v for k, v in (("name", name), ("language", language)) if v and row[k] != v
                }
                if changes:
                    conn.execute(update(s).where(s.c.id == row["id"]).values(**changes))
                    known[email] = {**row, **changes}
                if row["id"] in members:
                    if changes:
                        updated += 1
                    else:
                        already += 1
                else:
                    joins.append({"list_id": list_id, "subscriber_id": row["id"], "status": status})
                    members[row["id"]] = status
                    added += 1
            if joins:
                conn.execute(insert(m), joins)
        return ImportCounts(added, updated, already)

    def subscribers(self, list_id: int) -> list[Subscriber]:
        """The list's members with their statuses, by address."""
        s, m = schema.subscribers, schema.list_members
        query = (
            select(s, m.c.status.label("member_status"))
            .join(m, m.c.subscriber_id == s.c.id)
            .where(m.c.list_id == list_id)
            .order_by(s.c.email)
        )
        with self.store.begin() as conn:
            return [_subscriber(r) for r in conn.execute(query).mappings()]

    def find_subscriber(self, email: str) -> Subscriber | None:
        """The subscriber with this (lower-cased) address, or None."""
        s = schema.subscribers
        with self.store.begin() as conn:
            row = conn.execute(select(s).where(s.c.email == email)).mappings().first()
        return _subscriber(row) if row else None

    def get_subscriber(self, subscriber_id: int) -> Subscriber:
        """The subscriber with this id; NotFoundError otherwise."""
        s = schema.subscribers
        with self.store.begin() as conn:
            row = conn.execute(select(s).where(s.c.id == subscriber_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"no subscriber {subscriber_id}")
        return _subscriber(row)

    def add_subscriber(self, email: str, name: str, language: str, status: str) -> int:
        """A new subscriber's id (the address must be new)."""
        with self.store.begin() as conn:
            result = conn.execute(
                insert(schema.subscribers).values(
                    email=email, name=name, language=language, status=status
                )
            )
        return _new_id(result)

    def update_subscriber(self, subscriber_id: int, **changes: Any) -> None:
        """Change a subscriber's columns (name, language, status, confirmed...)."""
        s = schema.subscribers
        with self.store.begin() as conn:
            conn.execute(update(s).where(s.c.id == subscriber_id).values(**changes))

    def member_status(self, list_id: int, subscriber_id: int) -> str | None:
        """The subscriber's status on the list, or None when not a member."""
        m = schema.list_members
        query = select(m.c.status).where(m.c.list_id == list_id, m.c.subscriber_id == subscriber_id)
        with self.store.begin() as conn:
            found = conn.execute(query).scalar()
        return str(found) if found is not None else None

    def set_member(self, list_id: int, subscriber_id: int, status: str) -> None:
        """Make the subscriber a member of the list with `status` (added or changed)."""
        m = schema.list_members
        with self.store.begin() as conn:
            changed = conn.execute(
                update(m)
                .where(m.c.list_id == list_id, m.c.subscriber_id == subscriber_id)
                .values(status=status)
            ).rowcount
            if not changed:
                conn.execute(
                    insert(m).values(list_id=list_id, subscriber_id=subscriber_id, status=status)
                )

    def memberships(self, subscriber_id: int) -> dict[int, str]:
        """{list id: status} of every list the subscriber is on."""
        m = schema.list_members
        query = select(m.c.list_id, m.c.status).where(m.c.subscriber_id == subscriber_id)
        with self.store.begin() as conn:
            return {int(r[0]): str(r[1]) for r in conn.execute(query)}

    # ------------------------------------------------------------ campaigns

    def add_campaign(
        self,
        list_id: int,
        subject: Mapping[str, str],
        text: Mapping[str, str],
        html: Mapping[str, str],
        source: str = "",
    ) -> int:
        """Store a draft campaign; its id."""
        with self.store.begin() as conn:
            result = conn.execute(
                insert(schema.campaigns).values(
                    list_id=list_id,
                    subject=json.dumps(dict(subject), ensure_ascii=False),
                    body_text=json.dumps(dict(text), ensure_ascii=False),
                    body_html=json.dumps(dict(html), ensure_ascii=False),
                    source=source,
                    status="draft",
                )
            )
        return _new_id(result)

    def stalled(self, before: datetime) -> list[Campaign]:
        """Campaigns being sent whose last message (or start) is older than `before`: a send
        that stopped (its process died), for the task scheduler to resume."""
        c, s = schema.campaigns, schema.campaign_sends
        last = (
            select(func.max(s.c.sent))
            .where(s.c.campaign_id == c.c.id)
            .correlate(c)
            .scalar_subquery()
        )
        query = select(c).where(c.c.status == "sending", func.coalesce(last, c.c.started) < before)
        with self.store.begin() as conn:
            return [_campaign(r) for r in conn.execute(query).mappings()]

    def get_campaign(self, campaign_id: int) -> Campaign:
        """The campaign with this id; NotFoundError otherwise."""
        c = schema.campaigns
        with self.store.begin() as conn:
            row = conn.execute(select(c).where(c.c.id == campaign_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"no campaign {campaign_id}")
        return _campaign(row)

    def update_campaign(self, campaign_id: int, **changes: Any) -> None:
        """Change a campaign's status or times."""
        c = schema.campaigns
        with self.store.begin() as conn:
            conn.execute(update(c).where(c.c.id == campaign_id).values(**changes))

    # ------------------------------------------------------------ sends

    def _sendable(self, list_id: int, subscriber_id: Any) -> Any:
        """SQL condition: the subscriber is active and an active member of the list."""
        s, m = schema.subscribers, schema.list_members
        return and_(
            exists().where(
                m.c.list_id == list_id,
                m.c.subscriber_id == subscriber_id,
                m.c.status == ACTIVE,
            ),
            exists().where(s.c.id == subscriber_id, s.c.status == ACTIVE),
        )

    def queue_sends(self, campaign_id: int, list_id: int, add_members: bool = True) -> int:
        """Queue a send row for every sendable member without one (unless not `add_members`),
        and put back in the queue the rows a stopped run left `sending` or `failed`; how many
        rows were queued anew."""
        cs, m = schema.campaign_sends, schema.list_members
        already = select(cs.c.id).where(
            cs.c.campaign_id == campaign_id, cs.c.subscriber_id == m.c.subscriber_id
        )
        members = select(
            literal(campaign_id), m.c.subscriber_id, literal("queued"), literal(""), literal("")
        ).where(
            m.c.list_id == list_id,
            self._sendable(list_id, m.c.subscriber_id),
            ~exists(already),
        )
        with self.store.begin() as conn:
            conn.execute(
                update(cs)
                .where(cs.c.campaign_id == campaign_id, cs.c.status.in_(("sending", "failed")))
                .values(status="queued")
            )
            if not add_members:
                return 0
            added = conn.execute(
                insert(cs).from_select(
                    ["campaign_id", "subscriber_id", "status", "message_id", "error"], members
                )
            ).rowcount
        return int(added or 0)

    def queued(self, campaign_id: int, limit: int) -> list[tuple[int, Subscriber]]:
        """Up to `limit` queued sends of the campaign: (send id, subscriber), oldest first."""
        cs, s = schema.campaign_sends, schema.subscribers
        query = (
            select(cs.c.id.label("send_id"), s)
            .join(s, s.c.id == cs.c.subscriber_id)
            .where(cs.c.campaign_id == campaign_id, cs.c.status == "queued")
            .order_by(cs.c.id)
            .limit(limit)
        )
        with self.store.begin() as conn:
            return [(int(r["send_id"]), _subscriber(r)) for r in conn.execute(query).mappings()]

    def claim(self, send_id: int, list_id: int, subscriber_id: int) -> bool:
        """Claim one queued send (queued -> sending) in one statement, only while the person
        is still sendable; a send that is not claimed and was queued is marked skipped."""
        cs = schema.campaign_sends
        with self.store.begin() as conn:
            claimed = conn.execute(
                update(cs)
                .where(
                    cs.c.id == send_id,
                    cs.c.status == "queued",
                    self._sendable(list_id, subscriber_id),
                )
                .values(status="sending")
            ).rowcount
            if not claimed:
                conn.execute(
                    update(cs)
                    .where(cs.c.id == send_id, cs.c.status == "queued")
                    .values(status="skipped")
                )
        return bool(claimed)

    def finish_send(
        self, campaign_id: int, send_id: int, ok: bool, message_id: str, error: str = ""
    ) -> None:
        """Record a claimed send as sent (or failed) and count it on the campaign."""
        cs, c = schema.campaign_sends, schema.campaigns
        counter = c.c.sent_count if ok else c.c.error_count
        with self.store.begin() as conn:
            conn.execute(
                update(cs)
                .where(cs.c.id == send_id, cs.c.status == "sending")
                .values(
                    status="sent" if ok else "failed",
                    message_id=message_id[:200],
                    error=error,
                    sent=utcnow() if ok else None,
                )
            )
            conn.execute(update(c).where(c.c.id == campaign_id).values({counter.key: counter + 1}))

    def send_counts(self, campaign_id: int) -> dict[str, int]:
        """{status: count} of the campaign's send rows (every status, zeros included)."""
        cs = schema.campaign_sends
        query = (
            select(cs.c.status, func.count())
            .where(cs.c.campaign_id == campaign_id)
            .group_by(cs.c.status)
        )
        counts = dict.fromkeys(SEND_STATUSES, 0)
        with self.store.begin() as conn:
            counts.update({str(k): int(v) for k, v in conn.execute(query)})
        return counts

    def sendable_count(self, list_id: int) -> int:
        """How many members of the list a campaign would mail now."""
        m = schema.list_members
        query = select(func.count()).where(
            m.c.list_id == list_id, self._sendable(list_id, m.c.subscriber_id)
        )
        with self.store.begin() as conn:
            return int(conn.execute(query).scalar_one())


@dataclass(frozen=True)
class Bounce:
    """One recorded bounce or complaint."""

    id: int
    email: str
    kind: str
    source: str
    campaign_id: int | None
    status_code: str
    detail: str
    message_key: str
    created: datetime

    def as_json(self) -> dict[str, Any]:
        """The bounce as JSON."""
        return {
            "id": self.id,
            "email": self.email,
            "kind": self.kind,
            "source": self.source,
            "campaign_id": self.campaign_id,
            "status": self.status_code,
            "detail": self.detail,
            "created": self.created.isoformat(),
        }


class BounceStore:
    """The mail_bounces table, the campaign a bounced message came from, and the counts the
    admin pages show. Kept apart from MailingStore so that file stays readable."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(
        self,
        email: str,
        kind: str,
        source: str,
        campaign_id: int | None,
        status_code: str,
        detail: str,
        message_key: str,
    ) -> bool:
        """Store one bounce; False when this report (message_key and email) is stored already."""
        try:
            with self.store.begin() as conn:
                conn.execute(
                    insert(schema.mail_bounces).values(
                        email=email,
                        kind=kind,
                        source=source,
                        campaign_id=campaign_id,
                        status_code=status_code[:16],
                        detail=detail[:2000],
                        message_key=message_key[:200],
                    )
                )
        except IntegrityError:
            return False
        return True

    def seen(self, message_key: str) -> bool:
        """Whether any bounce of this report (message key) is stored."""
        b = schema.mail_bounces
        with self.store.begin() as conn:
            found = conn.execute(select(b.c.id).where(b.c.message_key == message_key).limit(1))
            return found.first() is not None

    def count(self, email: str, kind: str, since: datetime) -> int:
        """How many bounces of `kind` the address had since `since`."""
        b = schema.mail_bounces
        query = select(func.count()).where(
            b.c.email == email, b.c.kind == kind, b.c.created >= since
        )
        with self.store.begin() as conn:
            return int(conn.execute(query).scalar_one())

    def campaign_of(self, message_id: str, email: str = "") -> int | None:
        """The campaign whose send had this Message-ID (the recipient's sends first: indexed),
        or None."""
        cs, s = schema.campaign_sends, schema.subscribers
        wanted = message_id.strip()[:200]
        if not wanted:
            return None
        with self.store.begin() as conn:
            if email:
                found = conn.execute(
                    select(cs.c.campaign_id)
                    .join(s, s.c.id == cs.c.subscriber_id)
                    .where(s.c.email == email, cs.c.message_id == wanted)
                ).scalar()
                if found is not None:
                    return int(found)
            found = conn.execute(
                select(cs.c.campaign_id).where(cs.c.message_id == wanted).limit(1)
            ).scalar()
        return int(found) if found is not None else None

    def recent(self, limit: int = 200, campaign_id: int | None = None) -> list[Bounce]:
        """The newest bounces (of one campaign when given)."""
        b = schema.mail_bounces
        query = select(b).order_by(b.c.id.desc()).limit(limit)
        if campaign_id is not None:
            query = query.where(b.c.campaign_id == campaign_id)
        with self.store.begin() as conn:
            return [_bounce(r) for r in conn.execute(query).mappings()]

    def status_counts(self, list_id: int) -> dict[str, int]:
        """{status: members} of a list: active, unconfirmed, unsubscribed on the list, and
        blocklisted (members whose address is blocklisted, whatever their list status)."""
        s, m = schema.subscribers, schema.list_members
        status = case((s.c.status == BLOCKLISTED, BLOCKLISTED), else_=m.c.status)
        query = (
            select(status, func.count())
            .select_from(m.join(s, s.c.id == m.c.subscriber_id))
            .where(m.c.list_id == list_id)
            .group_by(status)
        )
        counts = dict.fromkeys((*MEMBER_STATUSES, BLOCKLISTED), 0)
        with self.store.begin() as conn:
            counts.update({str(k): int(v) for k, v in conn.execute(query)})
        return counts

    def campaigns(self, list_id: int | None = None, limit: int = 100) -> list[Campaign]:
        """The newest campaigns (of one list when given)."""
        c = schema.campaigns
        query = select(c).order_by(c.c.id.desc()).limit(limit)
        if list_id is not None:
            query = query.where(c.c.list_id == list_id)
        with self.store.begin() as conn:
            return [_campaign(r) for r in conn.execute(query).mappings()]


def _bounce(r: Any) -> Bounce:
    return Bounce(
        id=r["id"],
        email=r["email"],
        kind=r["kind"],
        source=r["source"],
        campaign_id=r["campaign_id"],
        status_code=r["status_code"],
        detail=r["detail"],
        message_key=r["message_key"],
        created=r["created"],
    )


def _lists_query() -> Any:
    """The lists with the number of their active members."""
    t, m = schema.mailing_lists, schema.list_members
    count = (
        select(func.count()).where(m.c.list_id == t.c.id, m.c.status == ACTIVE).scalar_subquery()
    )
    return select(t, count.label("members"))


def _list(r: Any) -> MailingList:
    return MailingList(
        id=r["id"],
        name=r["name"],
        double_optin=bool(r["double_optin"]),
        language=r["language"],
        description=r["description"],
        created=r["created"],
        members=int(r.get("members") or 0),
    )


def _subscriber(r: Any) -> Subscriber:
    return Subscriber(
        id=r["id"],
        email=r["email"],
        name=r["name"],
        language=r["language"],
        status=r["status"],
        member_status=str(r.get("member_status") or ""),
    )


def _campaign(r: Any) -> Campaign:
    return Campaign(
        id=r["id"],
        list_id=r["list_id"],
        subject=json.loads(r["subject"] or "{}"),
        text=json.loads(r["body_text"] or "{}"),
        html=json.loads(r["body_html"] or "{}"),
        source=r["source"],
        status=r["status"],
        created=r["created"],
        started=r["started"],
        finished=r["finished"],
        sent_count=r["sent_count"],
        error_count=r["error_count"],
    )
