"""Mailing lists (listmonk's model): lists, importing the office's official address list from
CSV or Excel, public subscription with double opt-in, one-click unsubscribe, preferences and
the blocklist, and the signed links that let a subscriber act without an account.

Links carry a token: HMAC-SHA256 over (action, subscriber id, list id) with `mail_token_key`
(or a key generated once and kept in the database). The action is part of the signature, not
of the token, so a confirm link cannot be replayed as an unsubscribe link or the other way round.
Campaigns (composing and sending) are in `hoasen.publish.campaigns`.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babel import Locale

from hoasen.errors import NotFoundError, UsageError
from hoasen.mail import Mailer
from hoasen.store.mailing import (
    ACTIVE,
    BLOCKLISTED,
    UNCONFIRMED,
    UNSUBSCRIBED,
    Bounce,
    BounceStore,
    Campaign,
    MailingList,
    MailingStore,
    Subscriber,
)
from hoasen.store.schema import utcnow

if TYPE_CHECKING:
    from hoasen.desk import Desk
    from hoasen.publish.bounces import Bounces
    from hoasen.publish.campaigns import Campaigns, CampaignStatus, SendProgress, SendReport

ACTIONS = ("confirm", "unsubscribe", "preferences")
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\.]+$")
_TOKEN = re.compile(r"^(\d{1,12})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$")
MAX_IMPORT_ROWS = 200_000

CONFIRM_TEXT = {
    "vi": (
        "Xác nhận đăng ký nhận tin: {list}",
        "Xin chào {name},\n\nVui lòng xác nhận đăng ký nhận tin \u201c{list}\u201d bằng "
        "liên kết sau:\n\n{link}\n\nNếu bạn không đăng ký, hãy bỏ qua thư này.\n",
    ),
    "en": (
        "Please confirm your subscription: {list}",
        "Hello {name},\n\nPlease confirm your subscription to \u201c{list}\u201d by opening "
        "this link:\n\n{link}\n\nIf you did not subscribe, ignore this message.\n",
    ),
}


def normalise_email(value: str) -> str:
    """The address lower-cased and stripped; UsageError when it is not a plain address."""
    text = str(value or "").strip().lower()
    if text.startswith("mailto:"):
        text = text[7:]
    if len(text) > 320 or not _EMAIL.match(text) or ".." in text.split("@", 1)[1]:
        raise UsageError(f"not an e-mail address: {value!r}")
    return text


def one_click_headers(link: str, mailer: Mailer) -> dict[str, str]:
    """The unsubscribe headers of RFC 2369 and RFC 8058 for a signed `link`: a mail client's
    "unsubscribe" button POSTs `List-Unsubscribe=One-Click` to it (mailing lists, alerts)."""
    return {
        "List-Unsubscribe": f"<{link}>, <mailto:{mailer.sender.addr_spec}?subject=unsubscribe>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


_LANGUAGES: frozenset[str] = frozenset(str(k).lower() for k in Locale("en").languages)


def normalise_language(value: str) -> str:
    """An ISO 639 language code (vi, en, zh-Hant) lower-cased base; "" for none; UsageError
    for a code no locale knows."""
    text = str(value or "").strip().replace("_", "-")
    if not text:
        return ""
    base, _, region = text.partition("-")
    if base.lower() not in _LANGUAGES:
        raise UsageError(f"unknown language code {value!r}")
    return base.lower() + (f"-{region}" if region else "")


@dataclass(frozen=True)
class BadRow:
    """A row of an import file that was not imported, and why."""

    row: int
    email: str
    reason: str

    def as_json(self) -> dict[str, Any]:
        """The bad row as JSON."""
        return {"row": self.row, "email": self.email, "reason": self.reason}


@dataclass
class ImportReport:
    """What an import did: added to the list, updated, already there, and the bad rows."""

    list_name: str
    added: int = 0
    updated: int = 0
    already: int = 0
    bad: list[BadRow] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The report as the CLI's JSON document."""
        return {
            "list": self.list_name,
            "added": self.added,
            "updated": self.updated,
            "already": self.already,
            "bad": [b.as_json() for b in self.bad],
        }


@dataclass(frozen=True)
class Preferences:
    """A subscriber's language and the lists they are on (list, status)."""

    subscriber: Subscriber
    lists: list[tuple[MailingList, str]]


class MailingDesk:
    """Mailing lists, subscribers and campaigns of one Desk, sending through the office Mailer.
    `mailer`, `clock` and `sleep` may be replaced (tests, a rate-limited transport)."""

    def __init__(self, desk: Desk, mailer: Mailer | None = None) -> None:
        self.desk = desk
        self.settings = desk.settings
        self.db = MailingStore(desk.store)
        self.mailer = mailer or Mailer(desk.settings)

    # ------------------------------------------------------------ links and tokens

    @cached_property
    def _key(self) -> bytes:
        key = self.settings.mail_token_key or self.db.key("mail_token")
        return key.encode("utf-8")

    def token(self, action: str, subscriber_id: int, list_id: int) -> str:
        """The signed token of `action` for a subscriber on a list."""
        if action not in ACTIONS:
            raise UsageError(f"unknown link action {action!r}")
        signature = self.signature(f"{action}\x00{subscriber_id}\x00{list_id}")
        return f"{subscriber_id}.{list_id}.{signature}"

    def signature(self, message: str) -> str:
        """HMAC-SHA256 of `message` with the link key, URL-safe base64 without padding (43
        characters): the signature of every link in the office's mail (mailing lists, alerts).
        Callers start `message` with their own action name so no two kinds of link collide."""
        digest = hmac.new(self._key, message.encode("utf-8"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def verify(self, action: str, token: str) -> tuple[int, int]:
        """(subscriber id, list id) of a token signed for `action`; UsageError for any other
        token (forged, altered, or made for another action)."""
        found = _TOKEN.match(token or "")
        if found is None:
            raise UsageError("this link is not valid")
        subscriber_id, list_id = int(found.group(1)), int(found.group(2))
        expected = self.token(action, subscriber_id, list_id)
        if not hmac.compare_digest(expected.encode(), token.encode()):
            raise UsageError("this link is not valid")
        return subscriber_id, list_id

    @property
    def base_url(self) -> str:
        """Where the public mail pages are: public_base_url, or http://web_host:web_port."""
        base = self.settings.public_base_url.strip().rstrip("/")
        return base or f"http://{self.settings.web_host}:{self.settings.web_port}"

    def link(self, action: str, subscriber_id: int, list_id: int) -> str:
        """The public URL of `action` for a subscriber on a list."""
        return f"{self.base_url}/mail/{action}/{self.token(action, subscriber_id, list_id)}"

    # ------------------------------------------------------------ lists

    def create_list(
        self, name: str, double_optin: bool = False, language: str = "vi", description: str = ""
    ) -> MailingList:
        """A new mailing list; UsageError for an empty or taken name or an unknown language."""
        clean = " ".join(str(name).split())
        if not clean or len(clean) > 200:
            raise UsageError("a mailing list needs a name of 1 to 200 characters")
        lang = normalise_language(language) or "vi"
        self.db.add_list(clean, double_optin, lang, description.strip())
        return self.db.get_list(clean)

    def lists(self) -> list[MailingList]:
        """Every mailing list with its number of active members."""
        return self.db.lists()

    def get_list(self, ref: str | int) -> MailingList:
        """The list with this name or id; NotFoundError otherwise."""
        return self.db.get_list(ref)

    def subscribers(self, ref: str | int) -> list[Subscriber]:
        """The members of a list, with their statuses."""
        return self.db.subscribers(self.db.get_list(ref).id)

    # ------------------------------------------------------------ import

    def import_subscribers(self, ref: str | int, path: Path) -> ImportReport:
        """Import a .csv or .xlsx file with the columns email, name, language (a header row
        names them; name and language may be missing). Good rows are imported, bad ones (a bad
        address, an unknown language code, an address twice in the file) are reported by row
        number; nothing good is lost for a bad row. Imported members are active: the office
        vouches for its official list. Unsubscribed and blocklisted people stay so."""
        the_list = self.db.get_list(ref)
        report = ImportReport(the_list.name)
        good: list[tuple[str, str, str]] = []
        first_row: dict[str, int] = {}
        for number, email, name, language in _read_rows(path):
            try:
                address = normalise_email(email)
                lang = normalise_language(language)
            except UsageError as exc:
                report.bad.append(BadRow(number, str(email).strip(), str(exc)))
                continue
            if address in first_row:
                reason = f"duplicate of row {first_row[address]}"
                report.bad.append(BadRow(number, address, reason))
                continue
            first_row[address] = number
            good.append((address, " ".join(str(name or "").split())[:200], lang))
        for start in range(0, len(good), 2000):
            counts = self.db.import_rows(the_list.id, good[start : start + 2000])
            report.added += counts.added
            report.updated += counts.updated
            report.already += counts.already
        return report

    # ------------------------------------------------------------ subscribe and leave

    def subscribe(
        self,
        ref: str | int,
        email: str,
        name: str = "",
        language: str = "",
        public: bool = False,
    ) -> tuple[Subscriber, str]:
        """Subscribe an address to a list: (subscriber, status on the list). With confirmation
        the member is unconfirmed and gets a confirmation mail with a signed link (nothing
        else until they confirm); without, the member is active at once. The office's own
        additions (CLI, desk) follow the list's double_optin setting; a `public` subscription
        (the public form, where anyone could type anyone's address) is always confirmed by
        mail, whatever the list says. A blocklisted address is left as it is (status
        "blocklisted", no mail)."""
        the_list = self.db.get_list(ref)
        if public and not the_list.double_optin:
            the_list = replace(the_list, double_optin=True)
        address = normalise_email(email)
        lang = normalise_language(language)
        clean_name = " ".join(str(name or "").split())[:200]
        found = self.db.find_subscriber(address)
        if found is not None and found.status == BLOCKLISTED:
            return found, BLOCKLISTED
        if found is None:
            status = UNCONFIRMED if the_list.double_optin else ACTIVE
            subscriber_id = self.db.add_subscriber(address, clean_name, lang, status)
        else:
            subscriber_id = found.id
            changes: dict[str, Any] = {}
            if clean_name:
                changes["name"] = clean_name
            if lang:
                changes["language"] = lang
            if found.status == UNSUBSCRIBED and not the_list.double_optin:
                changes["status"] = ACTIVE
            if changes:
                self.db.update_subscriber(subscriber_id, **changes)
        current = self.db.member_status(the_list.id, subscriber_id)
        if current == ACTIVE:
            return self.db.get_subscriber(subscriber_id), ACTIVE
        if the_list.double_optin:
            self.db.set_member(the_list.id, subscriber_id, UNCONFIRMED)
            subscriber = self.db.get_subscriber(subscriber_id)
            self._send_confirmation(the_list, subscriber)
            return subscriber, UNCONFIRMED
        self.db.set_member(the_list.id, subscriber_id, ACTIVE)
        return self.db.get_subscriber(subscriber_id), ACTIVE

    def _send_confirmation(self, the_list: MailingList, subscriber: Subscriber) -> str:
        lang = subscriber.language or the_list.language
        subject, body = CONFIRM_TEXT.get(lang.split("-")[0], CONFIRM_TEXT["en"])
        link = self.link("confirm", subscriber.id, the_list.id)
        values = {"list": the_list.name, "name": subscriber.name or subscriber.email, "link": link}
        message = self.mailer.compose(
            subscriber.email,
            subject.format(**values),
            body.format(**values),
            message_id=self.mailer.message_id_for(
                f"confirm-{the_list.id}-{subscriber.id}-{utcnow().timestamp()}"
            ),
        )
        return self.mailer.send(message)

    def confirm(self, token: str) -> tuple[Subscriber, MailingList]:
        """Confirm a double opt-in subscription from its signed link (again: no change). A
        member who unsubscribed since stays unsubscribed."""
        subscriber_id, list_id = self.verify("confirm", token)
        subscriber, the_list = self._pair(subscriber_id, list_id)
        if self.db.member_status(list_id, subscriber_id) == UNCONFIRMED:
            self.db.set_member(list_id, subscriber_id, ACTIVE)
        if subscriber.status == UNCONFIRMED:
            self.db.update_subscriber(subscriber_id, status=ACTIVE, confirmed=utcnow())
        return self.db.get_subscriber(subscriber_id), the_list

    def unsubscribe(self, token: str, reason: str = "") -> tuple[Subscriber, MailingList]:
        """Take a subscriber off the list of a signed unsubscribe link (one click; again: no
        change). They get no more campaigns to that list, even from a send under way."""
        subscriber_id, list_id = self.verify("unsubscribe", token)
        _, the_list = self._pair(subscriber_id, list_id)
        self.db.set_member(list_id, subscriber_id, UNSUBSCRIBED)
        changes: dict[str, Any] = {"unsubscribed": utcnow()}
        if reason:
            changes["reason"] = reason[:500]
        self.db.update_subscriber(subscriber_id, **changes)
        return self.db.get_subscriber(subscriber_id), the_list

    def blocklist(self, email: str, reason: str = "") -> Subscriber:
        """Never mail this address again, on any list (a subscriber row is made for an unknown
        address, so a later import cannot bring it back)."""
        address = normalise_email(email)
        found = self.db.find_subscriber(address)
        subscriber_id = found.id if found else self.db.add_subscriber(address, "", "", BLOCKLISTED)
        self.db.update_subscriber(subscriber_id, status=BLOCKLISTED, reason=reason[:500])
        return self.db.get_subscriber(subscriber_id)

    def preferences(self, token: str) -> Preferences:
        """The language and lists of the subscriber of a signed preferences link."""
        subscriber_id, list_id = self.verify("preferences", token)
        subscriber, _ = self._pair(subscriber_id, list_id)
        statuses = self.db.memberships(subscriber_id)
        lists = [(m, statuses[m.id]) for m in self.db.lists() if m.id in statuses]
        return Preferences(subscriber, lists)

    def update_preferences(
        self, token: str, language: str, keep: Iterable[int], leave_all: bool = False
    ) -> Preferences:
        """Set the subscriber's language and which of their lists they stay on (the others
        they leave); `leave_all` unsubscribes them from everything."""
        subscriber_id, list_id = self.verify("preferences", token)
        subscriber, _ = self._pair(subscriber_id, list_id)
        lang = normalise_language(language)
        wanted = set() if leave_all else {int(i) for i in keep}
        for member_list, status in self.db.memberships(subscriber_id).items():
            new = ACTIVE if member_list in wanted else UNSUBSCRIBED
            if new != status:
                self.db.set_member(member_list, subscriber_id, new)
        changes: dict[str, Any] = {"language": lang}
        if leave_all and subscriber.status != BLOCKLISTED:
            changes.update(status=UNSUBSCRIBED, unsubscribed=utcnow())
        elif wanted and subscriber.status in (UNCONFIRMED, UNSUBSCRIBED):
            changes["status"] = ACTIVE  # the signed link proves the address is theirs
        self.db.update_subscriber(subscriber_id, **changes)
        return self.preferences(token)

    def _pair(self, subscriber_id: int, list_id: int) -> tuple[Subscriber, MailingList]:
        try:
            return self.db.get_subscriber(subscriber_id), self.db.get_list(list_id)
        except NotFoundError as exc:
            raise UsageError("this link is not valid any more") from exc

    # ------------------------------------------------------------ campaigns

    @cached_property
    def bounces(self) -> Bounces:
        """Bounces and complaints, and the blocklist rules (`hoasen.publish.bounces`)."""
        from hoasen.publish.bounces import Bounces

        return Bounces(self)

    @cached_property
    def counts(self) -> BounceStore:
        """Counts by status, campaign lists and recent bounces, as the admin pages show them."""
        return BounceStore(self.desk.store)

    def status_counts(self, ref: str | int) -> dict[str, int]:
        """How many members of a list have each status (active, unconfirmed...)."""
        return self.counts.status_counts(self.get_list(ref).id)

    def stalled(self, quiet_seconds: float, now: datetime | None = None) -> list[Campaign]:
        """Campaigns being sent that sent nothing for `quiet_seconds` (their sender stopped):
        the task scheduler resumes them; a send still under way is left to its sender."""
        return self.db.stalled((now or utcnow()) - timedelta(seconds=quiet_seconds))

    def campaign_list(self, ref: str | int | None = None, limit: int = 100) -> list[Campaign]:
        """The latest campaigns, of one list or of all."""
        list_id = self.get_list(ref).id if ref is not None else None
        return self.counts.campaigns(list_id, limit=limit)

    def recent_bounces(self, limit: int = 200, campaign_id: int | None = None) -> list[Bounce]:
        """The latest bounces and complaints, newest first."""
        return self.counts.recent(limit, campaign_id=campaign_id)

    @cached_property
    def campaigns(self) -> Campaigns:
        """Composing, previewing and sending campaigns (`hoasen.publish.campaigns`)."""
        from hoasen.publish.campaigns import Campaigns

        return Campaigns(self)

    def new_campaign(
        self,
        ref: str | int,
        subject: str,
        text: str,
        html: str | None = None,
        variants: dict[str, tuple[str, str, str | None]] | None = None,
        source: str = "",
    ) -> Campaign:
        """A draft campaign to a list; see `Campaigns.new`."""
        return self.campaigns.new(ref, subject, text, html, variants, source)

    def campaign_from(
        self, ref: str | int, *, edition: str | int | None = None, report: str | None = None
    ) -> Campaign:
        """A draft campaign carrying an approved edition (one version per language of its
        series) or a registered report (in its language)."""
        from hoasen.publish.campaign_content import edition_versions, report_versions

        if (edition is None) == (report is None):
            raise UsageError("give either an edition issue or a report number")
        if edition is not None:
            versions, source = edition_versions(self.desk, edition)
        else:
            assert report is not None
            versions, source = report_versions(self.desk, report)
        the_list = self.get_list(ref)
        lang = the_list.language if the_list.language in versions else next(iter(versions))
        subject, text, html = versions.pop(lang)
        if lang != the_list.language:
            versions[lang] = (subject, text, html)  # the list's own language falls back to it
        return self.campaigns.new(ref, subject, text, html, versions, source)

    def preview(self, campaign_id: int, language: str = "") -> tuple[str, str, str | None]:
        """(subject, text, html) a subscriber in `language` would get."""
        return self.campaigns.preview(campaign_id, language)

    def test_send(self, campaign_id: int, address: str, language: str = "") -> str:
        """Send one test copy to `address`; the Mailer's receipt."""
        return self.campaigns.test_send(campaign_id, address, language)

    def send(self, campaign_id: int, progress: SendProgress | None = None) -> SendReport:
        """Send (or resume sending) a campaign to the list's active members."""
        return self.campaigns.send(campaign_id, progress)

    def status(self, campaign_id: int) -> CampaignStatus:
        """Where a campaign's send stands."""
        return self.campaigns.status(campaign_id)


# ---------------------------------------------------------------- reading import files


def _read_rows(path: Path) -> Iterator[tuple[int, str, str, str]]:
    """(row number, email, name, language) of every non-empty data row of a .csv or .xlsx
    file; the header row (row 1) names the columns."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    if suffix == ".csv":
        rows: Iterable[Sequence[Any]] = _csv_rows(path)
    elif suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path)
    else:
        raise UsageError(f"{path.name}: import a .csv or .xlsx file")
    iterator = iter(rows)
    header = [str(c or "").strip().lower() for c in next(iterator, [])]
    if "email" not in header:
        raise UsageError(f"{path.name}: the first row must name the columns: email, name, language")
    column: Callable[[Sequence[Any], str], str] = lambda row, key: (  # noqa: E731
        str(row[header.index(key)] or "").strip()
        if key in header and header.index(key) < len(row)
        else ""
    )
    for number, row in enumerate(iterator, start=2):
        if number > MAX_IMPORT_ROWS + 1:
            raise UsageError(f"{path.name}: more than {MAX_IMPORT_ROWS} rows")
        if not any(str(c or "").strip() for c in row):
            continue
        yield number, column(row, "email"), column(row, "name"), column(row, "language")


def _csv_rows(path: Path) -> Iterator[list[str]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path.name}: save the CSV file as UTF-8") from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    yield from csv.reader(io.StringIO(text), delimiter=delimiter)


def _xlsx_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise UsageError(f"{path.name}: not a readable .xlsx workbook ({exc})") from exc
    try:
        sheet = book.worksheets[0]
        yield from sheet.iter_rows(values_only=True)
    finally:
        book.close()
