"""Accounts of the web desk: users and roles, argon2 passwords, login rate limiting, sessions,
API tokens and the audit log. Plain Python over the Store; the FastAPI glue is in deps.py."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from hoasen.errors import HoasenError, NotFoundError, UsageError
from hoasen.store import schema
from hoasen.store.db import Store
from hoasen.store.schema import utcnow

# increasing rights: each role can do what those before can; a registrar is an editor who also
# sees the people named in the registers (names, roles, outlets, permits: personal data)
ROLES = ("viewer", "editor", "registrar", "admin")
MAX_FAILURES = 5  # failed logins for one name from one client ...
MAX_CLIENT_FAILURES = 20  # ... or for any name from one client ...
FAILURE_WINDOW = timedelta(minutes=15)  # ... within this window, before logins are refused
MIN_PASSWORD = 10
TOKEN_PREFIX = "hoasen_"
_TOKEN_TOUCH = timedelta(minutes=5)  # last_used is refreshed at most this often (no write per call)
_NAME = re.compile(r"^[\w.@+-]{1,100}$")


class AuthError(HoasenError):
    """A login or credential was refused; the message is safe to show to the person."""

    exit_code = 5


class RateLimited(AuthError):
    """Too many failed logins: try again after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class User:
    """A person (or machine client's owner) who may use the desk."""

    id: int
    name: str
    role: str
    active: bool

    def can(self, role: str) -> bool:
        """True when this user's role is `role` or above."""
        return self.active and ROLES.index(self.role) >= ROLES.index(role)

    def as_json(self) -> dict[str, Any]:
        """JSON form for `user list --json` and the API."""
        return {"id": self.id, "name": self.name, "role": self.role, "active": self.active}


@dataclass(frozen=True)
class Session:
    """A signed-in browser: the cookie value (only ever held by the browser), its CSRF token."""

    token: str
    csrf: str
    expires: datetime


@dataclass(frozen=True)
class ApiToken:
    """A named API token of a user (the secret itself is never stored)."""

    id: int
    user_id: int
    name: str
    created: datetime
    last_used: datetime | None

    def as_json(self) -> dict[str, Any]:
        """JSON form (no secret)."""
        return {
            "id": self.id,
            "user_id": self.user_id,
            "name": self.name,
            "created": self.created.isoformat(),
            "last_used": self.last_used.isoformat() if self.last_used else None,
        }


@dataclass(frozen=True)
class AuditEntry:
    """One change recorded in the audit log: who did what to which thing."""

    id: int
    at: datetime
    user_id: int | None
    user_name: str | None
    action: str
    target: str
    detail: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """JSON form for the API and the users page."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "user_id": self.user_id,
            "user": self.user_name,
            "action": self.action,
            "target": self.target,
            "detail": self.detail,
        }


def check_role(role: str) -> str:
    """`role` when it is one of ROLES, else a UsageError naming them."""
    if role not in ROLES:
        raise UsageError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    return role


def _digest(secret: str) -> str:
    """SHA-256 of a high-entropy random secret (session cookie or API token): enough to store."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _user(m: Any) -> User:
    return User(id=int(m["id"]), name=m["name"], role=m["role"], active=bool(m["active"]))


class Accounts:
    """Users, sessions, API tokens and the audit log of one database.

    `hasher` defaults to argon2id with argon2-cffi's recommended cost; `clock` exists so that
    expiry and rate limiting can be tested without waiting.
    """

    def __init__(
        self,
        store: Store,
        session_hours: float = 12,
        hasher: PasswordHasher | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.session_length = timedelta(hours=session_hours)
        self.hasher = hasher or PasswordHasher()
        self.clock = clock
        self._dummy_hash: str | None = None

    # ---------------------------------------------------------------- users

    def add_user(
        self, name: str, role: str, password: str | None = None, *, actor: User | None = None
    ) -> tuple[User, str]:
        """Create a user; with no password a strong random one is made. Returns it either way."""
        name = name.strip()
        if not _NAME.match(name):
            raise UsageError(
                f"a user name is 1 to 100 letters, digits or . @ + - _ (no spaces), not {name!r}"
            )
        check_role(role)
        password = self._new_password(password)
        try:
            with self.store.begin() as conn:
                conn.execute(
                    insert(schema.users).values(
                        name=name,
                        role=role,
                        password_hash=self.hasher.hash(password),
                        active=True,
                        created=self.clock(),
                    )
                )
        except IntegrityError as exc:
            raise UsageError(f"a user named {name!r} already exists") from exc
        user = self.get_user(name)
        self.audit(actor.id if actor else None, "user.add", user.name, {"role": role})
        return user, password

    def get_user(self, name: str) -> User:
        """The user called `name`."""
        with self.store.engine.connect() as conn:
            row = conn.execute(select(schema.users).where(schema.users.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"no user named {name!r} (see `hoasen user list`)")
        return _user(row._mapping)

    def user_by_id(self, user_id: int) -> User:
        """The user with this id."""
        with self.store.engine.connect() as conn:
            row = conn.execute(select(schema.users).where(schema.users.c.id == user_id)).first()
        if row is None:
            raise NotFoundError(f"no user with id {user_id}")
        return _user(row._mapping)

    def list_users(self) -> list[User]:
        """Every user, by name."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(schema.users).order_by(schema.users.c.name)).all()
        return [_user(r._mapping) for r in rows]

    def set_password(
        self, name: str, password: str | None = None, *, actor: User | None = None
    ) -> str:
        """Give a user a new password (random when None) and sign out all their browsers."""
        user = self.get_user(name)
        password = self._new_password(password)
        with self.store.begin() as conn:
            conn.execute(
                update(schema.users)
                .where(schema.users.c.id == user.id)
                .values(password_hash=self.hasher.hash(password))
            )
            conn.execute(
                delete(schema.web_sessions).where(schema.web_sessions.c.user_id == user.id)
            )
        self.audit(actor.id if actor else None, "user.password", user.name, {})
        return password

    def set_role(self, name: str, role: str, *, actor: User | None = None) -> User:
        """Change a user's role (the last active admin cannot be demoted)."""
        check_role(role)
        user = self.get_user(name)
        if user.role == "admin" and role != "admin":
            self._keep_an_admin(user)
        with self.store.begin() as conn:
            conn.execute(update(schema.users).where(schema.users.c.id == user.id).values(role=role))
        self.audit(
            actor.id if actor else None, "user.role", user.name, {"from": user.role, "to": role}
        )
        return self.get_user(name)

    def deactivate(self, name: str, *, actor: User | None = None) -> User:
        """Lock a user out: no login, sessions ended, API tokens revoked; the audit trail stays."""
        user = self.get_user(name)
        if user.role == "admin":
            self._keep_an_admin(user)
        with self.store.begin() as conn:
            conn.execute(
                update(schema.users).where(schema.users.c.id == user.id).values(active=False)
            )
            conn.execute(
                delete(schema.web_sessions).where(schema.web_sessions.c.user_id == user.id)
            )
            conn.execute(delete(schema.api_tokens).where(schema.api_tokens.c.user_id == user.id))
        self.audit(actor.id if actor else None, "user.deactivate", user.name, {})
        return self.get_user(name)

    def _keep_an_admin(self, leaving: User) -> None:
        u = schema.users.c
        with self.store.engine.connect() as conn:
            others = conn.execute(
                select(func.count())
                .select_from(schema.users)
                .where(u.role == "admin", u.active.is_(True), u.id != leaving.id)
            ).scalar_one()
        if leaving.active and not others:
            raise UsageError(f"{leaving.name} is the last active admin: make another admin first")

    def _new_password(self, password: str | None) -> str:
        if password is None:
            return secrets.token_urlsafe(15)  # 20 characters, 120 random bits
        if len(password) < MIN_PASSWORD:
            raise UsageError(f"a password needs at least {MIN_PASSWORD} characters")
        return password

    # ---------------------------------------------------------------- login

    def authenticate(self, name: str, password: str, client: str) -> User:
        """The user whose name and password these are; AuthError (or RateLimited) otherwise.

        Failures are counted per name and client address; after MAX_FAILURES within
        FAILURE_WINDOW (or MAX_CLIENT_FAILURES for any name) logins are refused until the oldest
        failure leaves the window. A success clears that name's failures from that client.
        """
        key, client = name.strip().lower()[:100], client[:100]
        now = self.clock()
        self._check_rate(key, client, now)
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(schema.users).where(schema.users.c.name == name.strip())
            ).first()
        stored = row._mapping["password_hash"] if row is not None else self._dummy()
        if not self._verify(stored, password) or row is None:
            self._record_failure(key, client, now)
            raise AuthError("wrong user name or password")
        user = _user(row._mapping)
        if not user.active:
            raise AuthError("this account is deactivated: ask an administrator")
        values: dict[str, Any] = {"last_login": now}
        if self.hasher.check_needs_rehash(stored):
            values["password_hash"] = self.hasher.hash(password)
        a = schema.login_attempts.c
        with self.store.begin() as conn:
            conn.execute(update(schema.users).where(schema.users.c.id == user.id).values(**values))
            conn.execute(delete(schema.login_attempts).where(a.name == key, a.client == client))
        return user

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _dummy(self) -> str:
        """A hash to verify against for unknown names, so they take as long as known ones."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    def _check_rate(self, key: str, client: str, now: datetime) -> None:
        a = schema.login_attempts.c
        since = now - FAILURE_WINDOW
        with self.store.engine.connect() as conn:
            mine = (
                conn.execute(
                    select(a.at)
                    .where(a.name == key, a.client == client, a.at > since)
                    .order_by(a.at)
                )
                .scalars()
                .all()
            )
            everyone = (
                conn.execute(select(a.at).where(a.client == client, a.at > since).order_by(a.at))
                .scalars()
                .all()
            )
        for attempts, most in ((mine, MAX_FAILURES), (everyone, MAX_CLIENT_FAILURES)):
            if len(attempts) >= most:
                free_at = attempts[len(attempts) - most] + FAILURE_WINDOW
                wait = max(1, int((free_at - now).total_seconds()) + 1)
                minutes = max(1, round(wait / 60))
                raise RateLimited(
                    f"too many failed logins: try again in about {minutes} minutes", wait
                )

    def _record_failure(self, key: str, client: str, now: datetime) -> None:
        a = schema.login_attempts
        with self.store.begin() as conn:
            conn.execute(delete(a).where(a.c.at <= now - FAILURE_WINDOW))
            conn.execute(insert(a).values(name=key, client=client, at=now))

    # ---------------------------------------------------------------- sessions

    def start_session(self, user: User) -> Session:
        """Sign a user in: a new random session token (stored hashed) and its CSRF token."""
        now = self.clock()
        session = Session(
            token=secrets.token_urlsafe(32),
            csrf=secrets.token_urlsafe(32),
            expires=now + self.session_length,
        )
        s = schema.web_sessions
        with self.store.begin() as conn:
            conn.execute(delete(s).where(s.c.expires <= now))
            conn.execute(
                insert(s).values(
                    token_hash=_digest(session.token),
                    user_id=user.id,
                    csrf=session.csrf,
                    created=now,
                    expires=session.expires,
                )
            )
        return session

    def session(self, token: str) -> tuple[User, Session] | None:
        """The signed-in user and session of a cookie value; None when unknown or expired."""
        if not token:
            return None
        s, u = schema.web_sessions, schema.users
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(u, s.c.csrf, s.c.expires)
                .join(s, s.c.user_id == u.c.id)
                .where(s.c.token_hash == _digest(token))
            ).first()
        if row is None:
            return None
        m = row._mapping
        if m["expires"] <= self.clock() or not m["active"]:
            return None
        return _user(m), Session(token=token, csrf=m["csrf"], expires=m["expires"])

    def end_session(self, token: str) -> None:
        """Sign a browser out (unknown tokens are ignored)."""
        s = schema.web_sessions
        with self.store.begin() as conn:
            conn.execute(delete(s).where(s.c.token_hash == _digest(token)))

    # ---------------------------------------------------------------- API tokens

    def create_token(self, user: User, name: str, *, actor: User | None = None) -> str:
        """A new API token for `user`, labelled `name`; only its hash is stored, so show it now."""
        name = name.strip()
        if not name or len(name) > 100:
            raise UsageError("an API token needs a label of 1 to 100 characters")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.store.begin() as conn:
            conn.execute(
                insert(schema.api_tokens).values(
                    user_id=user.id, name=name, token_hash=_digest(token), created=self.clock()
                )
            )
        who = actor or user
        self.audit(who.id, "token.create", user.name, {"label": name})
        return token

    def token_user(self, token: str) -> User | None:
        """The active user an API token belongs to, or None."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        t, u = schema.api_tokens, schema.users
        with self.store.engine.connect() as conn:
            row = conn.execute(
                select(u, t.c.id.label("token_id"), t.c.last_used)
                .join(t, t.c.user_id == u.c.id)
                .where(t.c.token_hash == _digest(token))
            ).first()
        if row is None or not row._mapping["active"]:
            return None
        m = row._mapping
        now = self.clock()
        if m["last_used"] is None or now - m["last_used"] > _TOKEN_TOUCH:
            with self.store.begin() as conn:
                conn.execute(update(t).where(t.c.id == m["token_id"]).values(last_used=now))
        return _user(m)

    def list_tokens(self, user: User) -> list[ApiToken]:
        """A user's API tokens (labels and dates, no secrets)."""
        t = schema.api_tokens.c
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(schema.api_tokens).where(t.user_id == user.id).order_by(t.id)
            ).all()
        return [
            ApiToken(
                id=r.id, user_id=r.user_id, name=r.name, created=r.created, last_used=r.last_used
            )
            for r in rows
        ]

    def revoke_token(self, user: User, token_id: int, *, actor: User | None = None) -> None:
        """Delete one of `user`'s API tokens."""
        t = schema.api_tokens
        with self.store.begin() as conn:
            gone = conn.execute(
                delete(t).where(t.c.id == token_id, t.c.user_id == user.id)
            ).rowcount
        if not gone:
            raise NotFoundError(f"{user.name} has no API token {token_id}")
        self.audit((actor or user).id, "token.revoke", user.name, {"token_id": token_id})

    # ---------------------------------------------------------------- audit log

    def audit(
        self,
        user_id: int | None,
        action: str,
        target: str,
        detail: dict[str, Any] | None = None,
        conn: Connection | None = None,
    ) -> None:
        """Record that `user_id` (None: the command line) did `action` to `target`."""
        if conn is None:
            with self.store.begin() as own:
                self.audit(user_id, action, target, detail, own)
            return
        name = None
        if user_id is not None:
            name = conn.execute(
                select(schema.users.c.name).where(schema.users.c.id == user_id)
            ).scalar()
        conn.execute(
            insert(schema.audit_log).values(
                at=self.clock(),
                user_id=user_id,
                user_name=name,
                action=action[:50],
                target=target,
                detail=json.dumps(detail or {}, ensure_ascii=False, default=str),
            )
        )

    def audit_log(self, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
        """The newest audit entries first."""
        a = schema.audit_log.c
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(schema.audit_log).order_by(a.id.desc()).limit(limit).offset(offset)
            ).all()
        return [
            AuditEntry(
                id=r.id,
                at=r.at,
                user_id=r.user_id,
                user_name=r.user_name,
                action=r.action,
                target=r.target,
                detail=json.loads(r.detail),
            )
            for r in rows
        ]
