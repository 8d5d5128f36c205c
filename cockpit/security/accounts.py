"""User accounts in the cockpit's own database: create, sign in (with lockout), change.

Every function takes the Store and does one transaction. Messages are Chinese, for the forms.
Signing in answers the same for an unknown user, a wrong password and a locked account, and
takes as long, so the login form does not tell an attacker which names exist.

Second-factor (TOTP) secrets are stored sealed (cockpit/security/crypto.py, the store's
`at_rest`) and bound to their user; `User.totp_secret` is the opened secret, so callers see
what they always saw. A plain secret left by an earlier version is read as it is and sealed at
the user's next sign-in, or at once by `python -m cockpit users reseal`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyotp
import sqlalchemy as sa

from cockpit.scope import Principal
from cockpit.security import crypto
from cockpit.security.passwords import (
    hash_password,
    needs_rehash,
    policy_problems,
    verify_password,
)
from cockpit.security.roles import (
    BOOTSTRAP,
    ROLES,
    account_refusal,
    created_active,
    role_change_refusal,
)
from cockpit.store.schema import password_history, signin_failures, users
from cockpit.store.store import Conflict, Store, StoreError

if TYPE_CHECKING:
    from cockpit.settings import PasswordPolicy

log = logging.getLogger(__name__)
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
# An account's own phone (a mainland mobile number: the SMS gateway's) and e-mail address.
PHONE = re.compile(r"^1[3-9][0-9]{9}$")
EMAIL = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
)


def clean_phone(value: str | None) -> str:
    """The phone as stored: spaces, dashes and a +86 prefix taken off ("" stays "")."""
    text = re.sub(r"[\s-]", "", value or "")
    return text.removeprefix("+86") if text.startswith("+86") else text


def _phone_problem(value: str | None) -> str | None:
    """Why this is no phone the SMS gateway can reach (None: it is, or none was given)."""
    text = clean_phone(value)
    return None if not text or PHONE.fullmatch(text) else "手机号应为11位手机号码"


def _email_problem(value: str | None) -> str | None:
    """Why this is no e-mail address (None: it is, or none was given)."""
    text = (value or "").strip()
    return (
        None if not text or (len(text) <= 128 and EMAIL.fullmatch(text)) else "电子邮箱格式不正确"
    )


def unit_problems(role: str, unit: str | None, known_units: Iterable[str] | None) -> list[str]:
    """A unit account needs its unit, one of `known_units` when those are given (the units
    the data knows: tasks' lead units, tickets' units); other roles have none."""
    unit = (unit or "").strip()
    if role != "unit_staff":
        return ["只有承办单位账号可指定所属单位"] if unit else []
    if not unit:
        return ["承办单位账号须指定所属单位"]
    if known_units is not None and unit not in set(known_units):
        return [f"未知承办单位：{unit}（须为任务牵头单位或工单承办单位之一）"]
    return []


GENERIC_FAILURE = "用户名或口令错误，或账号已被锁定"


class AccountError(StoreError):
    """A request about an account was refused; the message says why (for the form)."""


class NotPermitted(AccountError):
    """三员分立: this person may not do this to that account (the message says who may)."""


# The server console (`python -m cockpit users ...`): a system administrator, who may also make
# the first account of each management role on a new installation.
CONSOLE = Principal(
    user_id="cli",
    role="admin",
    counties=frozenset(),
    permissions=ROLES["admin"].permissions | {BOOTSTRAP},
    display_name="服务器控制台",
)


@dataclass(frozen=True)
class User:
    """A user as stored (without the password hash)."""

    id: int
    username: str
    display_name: str
    role: str
    counties: frozenset[str] | None
    must_change: bool
    password_changed_at: dt.datetime
    failed_logins: int
    locked_until: dt.datetime | None
    totp_secret: str | None
    active: bool
    demo: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None
    unit: str | None = None  # the 承办单位 of a unit_staff account
    phone: str | None = None  # the account's own mobile (the SMS channel), personal data
    email: str | None = None  # the account's own e-mail (the e-mail channel), personal data

    def principal(self) -> Principal:
        """What the data hub and the checks see of this user."""
        spec = ROLES.get(self.role)
        return Principal(
            user_id=self.username,
            role=self.role,
            counties=self.counties,
            permissions=spec.permissions if spec and self.active else frozenset(),
            display_name=self.display_name or self.username,
            unit=self.unit,
        )

    def password_expired(self, now: dt.datetime, max_age_days: int) -> bool:
        """Is the password older than the policy allows (0: never)?"""
        return bool(max_age_days) and now - self.password_changed_at > dt.timedelta(
            days=max_age_days
        )

    def locked(self, now: dt.datetime) -> bool:
        """Is the account locked out at this moment?"""
        return self.locked_until is not None and self.locked_until > now


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt (the user only when it succeeded)."""

    user: User | None
    # ok | unknown | wrong_password | locked | lockout (this attempt locked it) | inactive
    outcome: str


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _counties_text(counties: frozenset[str] | None) -> str | None:
    return None if counties is None else ",".join(sorted(counties))


def _counties_set(text: str | None) -> frozenset[str] | None:
    if text is None:
        return None
    return frozenset(c for c in text.split(",") if c)


def _totp_context(username: str) -> str:
    """What a sealed secret is bound to: copied into another user's row, it does not open."""
    return f"users.totp_secret:{username}"


def _seal_totp(store: Store, username: str, secret: str | None) -> str | None:
    if secret is None:
        return None
    if store.at_rest is None:
        raise AccountError("动态口令密钥无法加密保存：未配置数据密钥（COCKPIT_DATA_KEY）")
    try:
        return store.at_rest.encrypt(secret, context=_totp_context(username))
    except crypto.CryptoError as exc:
        raise AccountError(f"动态口令密钥无法加密保存：{exc}") from None


def _open_totp(store: Store, username: str, stored: str | None) -> str | None:
    """The secret as the sign-in uses it; a sealed one that will not open fails closed."""
    if not stored or not crypto.is_sealed(stored):
        return stored or None  # none, or plain from before encryption at rest
    try:
        if store.at_rest is None:
            raise crypto.CryptoError("no data key configured")
        return store.at_rest.decrypt(stored, context=_totp_context(username))
    except crypto.CryptoError as exc:
        # Never None here: that would switch the second factor off. A fresh random secret
        # keeps it on, and no code the user (or anyone) can produce matches it.
        log.error("second-factor secret of %s cannot be opened: %s", username, exc)
        return pyotp.random_base32()


def _stored_totp(row: sa.Row) -> str | None:
    """The stored secret: sealed in totp_sealed, or plain in totp_secret (before 0004)."""
    return row.totp_sealed or row.totp_secret


def _user(row: sa.Row, store: Store) -> User:
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        counties=_counties_set(row.counties),
        must_change=bool(row.must_change),
        password_changed_at=row.password_changed_at,
        failed_logins=row.failed_logins,
        locked_until=row.locked_until,
        totp_secret=_open_totp(store, row.username, _stored_totp(row)),
        active=bool(row.active),
        demo=bool(row.demo),
        created_at=row.created_at,
        last_login_at=row.last_login_at,
        unit=row.unit,
        phone=row.phone,
        email=row.email,
    )


def check_scope(role_key: str, counties: Iterable[str] | None, known: Iterable[str]) -> list[str]:
    """Problems with giving this role this scope (county staff need their own counties)."""
    spec = ROLES.get(role_key)
    if spec is None:
        return [f"未知角色 {role_key}"]
    given = None if counties is None else set(counties)
    if spec.scope == "county":
        if not given:
            return ["县区工作人员须指定所属县区"]
        unknown = sorted(given - set(known))
        if unknown:
            return [f"未知县区代码：{'、'.join(unknown)}"]
    return []


def scope_for(role_key: str, counties: Iterable[str] | None) -> frozenset[str] | None:
    """The stored scope: whole city (None) for city roles, none for admin roles."""
    spec = ROLES[role_key]
    if spec.scope == "city":
        return None
    if spec.scope == "none":
        return frozenset()
    return frozenset(counties or ())


def temporary_password(length: int = 16) -> str:
    """A random password that meets any policy (all four classes), for first sign-in."""
    alphabet = string.ascii_letters + string.digits + "#%+=@"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
            and any(not c.isalnum() for c in candidate)
        ):
            return candidate


def create_user(
    store: Store,
    *,
    username: str,
    role: str,
    password: str,
    policy: PasswordPolicy,
    known_counties: Iterable[str],
    counties: Iterable[str] | None = None,
    display_name: str = "",
    must_change: bool = True,
    demo: bool = False,
    by: Principal | None = None,
    unit: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    known_units: Iterable[str] | None = None,
) -> User:
    """Add a user; the password must meet the policy. AccountError says what is wrong.

    `unit` (unit_staff only) must be one of `known_units` when given; `phone` and `email` are
    where the SMS and e-mail channels reach the user.

    `by` is the person asking (None: the cockpit's own code, e.g. demo accounts). An account
    the system administrator makes is stored disabled until the security administrator
    approves it (`approve`)."""
    problems = []
    # fullmatch: with match(), "$" also matches before a final newline ("name\n" passed).
    if not USERNAME.fullmatch(username or ""):
        problems.append("用户名为 2–64 位字母、数字或 _ . @ -")
    problems += check_scope(role, counties, known_counties)
    problems += unit_problems(role, unit, known_units)
    problems += [p for p in (_phone_problem(phone), _email_problem(email)) if p]
    problems += policy_problems(
        password, username, min_length=policy.min_length, min_classes=policy.min_classes
    )
    if problems:
        raise AccountError("；".join(problems))
    now = _now()
    digest = hash_password(password)
    with store.writing("新建用户") as conn:
        if conn.execute(sa.select(users.c.id).where(users.c.username == username)).first():
            raise Conflict(f"用户名 {username} 已存在")
        active = _authorize_create(conn, by, role)
        user_id = conn.execute(
            users.insert()
            .values(
                username=username,
                display_name=display_name[:64],
                role=role,
                counties=_counties_text(scope_for(role, counties)),
                password_hash=digest,
                password_changed_at=now,
                must_change=must_change,
                created_at=now,
                demo=demo,
                active=active,
                unit=(unit or "").strip()[:64] or None,
                phone=clean_phone(phone) or None,
                email=(email or "").strip() or None,
            )
            .returning(users.c.id)
        ).scalar_one()
        conn.execute(
            password_history.insert().values(user_id=user_id, password_hash=digest, set_at=now)
        )
        return _user(conn.execute(sa.select(users).where(users.c.id == user_id)).one(), store)


def get_user(store: Store, username: str) -> User | None:
    """The user of this name, or None."""
    with store.reading() as conn:
        row = conn.execute(sa.select(users).where(users.c.username == username)).first()
    return _user(row, store) if row else None


def get_user_by_id(store: Store, user_id: int) -> User | None:
    """The user of this id, or None."""
    with store.reading() as conn:
        row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
    return _user(row, store) if row else None


def list_users(store: Store) -> list[User]:
    """Every user, by name."""
    with store.reading() as conn:
        rows = conn.execute(sa.select(users).order_by(users.c.username)).all()
    return [_user(r, store) for r in rows]


def count_users(store: Store) -> int:
    """How many accounts exist (0 before the first is made)."""
    with store.reading() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one()


def sign_in(
    store: Store, username: str, password: str, *, attempts: int, lock_minutes: int
) -> SignIn:
    """Check a password; count failures, lock the account after `attempts` in a row."""
    now = _now()
    with store.writing("登录") as conn:
        row = conn.execute(
            sa.select(users).where(users.c.username == username).with_for_update()
        ).first()
        if row is None:
            verify_password(None, password)  # same work as for a real user
            return SignIn(None, "unknown")
        user = _user(row, store)
        if user.locked(now):
            verify_password(None, password)
            return SignIn(None, "locked")
        if not verify_password(row.password_hash, password):
            failures = user.failed_logins + 1
            values: dict[str, object] = {"failed_logins": failures}
            outcome = "wrong_password"
            if failures >= attempts:
                values = {
                    "failed_logins": 0,
                    "locked_until": now + dt.timedelta(minutes=lock_minutes),
                }
                outcome = "lockout"
            conn.execute(users.update().where(users.c.id == user.id).values(**values))
            return SignIn(None, outcome)
        if not user.active:
            return SignIn(None, "inactive")
        values = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
        if needs_rehash(row.password_hash):
            values["password_hash"] = hash_password(password)
        resealed = _resealed(store, row.username, _stored_totp(row))
        if resealed is not None:
            values.update(totp_sealed=resealed, totp_secret=None)
        conn.execute(users.update().where(users.c.id == user.id).values(**values))
        return SignIn(
            _user(conn.execute(sa.select(users).where(users.c.id == user.id)).one(), store), "ok"
        )


def change_password(
    store: Store, username: str, old: str, new: str, *, policy: PasswordPolicy
) -> None:
    """The user's own change: the old password, then the policy and the history."""
    now = _now()
    with store.writing("修改口令") as conn:
        row = conn.execute(
            sa.select(users).where(users.c.username == username).with_for_update()
        ).first()
        if row is None or not verify_password(row.password_hash, old):
            raise AccountError("原口令不正确")
        if old == new:
            raise AccountError("新口令不得与原口令相同")
        _set_password(conn, row, new, policy, now, must_change=False)


def reset_password(
    store: Store, username: str, *, policy: PasswordPolicy, by: Principal | None = None
) -> str:
    """An administrator's reset: a temporary password the user must change at sign-in."""
    temporary = temporary_password(max(16, policy.min_length))
    now = _now()
    with store.writing("重置口令") as conn:
        row = conn.execute(
            sa.select(users).where(users.c.username == username).with_for_update()
        ).first()
        if row is None:
            raise AccountError(f"用户 {username} 不存在")
        _authorize(conn, by, "reset", row)
        _set_password(conn, row, temporary, policy, now, must_change=True, check_history=False)
    return temporary


def _set_password(
    conn: sa.Connection,
    row: sa.Row,
    new: str,
    policy: PasswordPolicy,
    now: dt.datetime,
    *,
    must_change: bool,
    check_history: bool = True,
) -> None:
    recent = []
    if check_history and policy.history:
        recent = list(
            conn.execute(
                sa.select(password_history.c.password_hash)
                .where(password_history.c.user_id == row.id)
                .order_by(password_history.c.id.desc())
                .limit(policy.history)
            ).scalars()
        )
    problems = policy_problems(
        new,
        row.username,
        min_length=policy.min_length,
        min_classes=policy.min_classes,
        recent_hashes=recent,
    )
    if problems:
        raise AccountError("；".join(problems))
    digest = hash_password(new)
    conn.execute(
        users.update()
        .where(users.c.id == row.id)
        .values(
            password_hash=digest,
            password_changed_at=now,
            must_change=must_change,
            failed_logins=0,
            locked_until=None,
        )
    )
    conn.execute(password_history.insert().values(user_id=row.id, password_hash=digest, set_at=now))


def update_user(
    store: Store,
    username: str,
    *,
    known_counties: Iterable[str],
    role: str | None = None,
    counties: Iterable[str] | None = None,
    display_name: str | None = None,
    active: bool | None = None,
    by: Principal | None = None,
    unit: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    known_units: Iterable[str] | None = None,
) -> User:
    """An administrator's change of role, scope, unit, name, phone, e-mail or active state
    (None: left as it is). A change of unit is a grant, of phone or e-mail a change of the
    account's details (who may do either: cockpit/security/roles.py)."""
    with store.writing("修改用户") as conn:
        row = conn.execute(
            sa.select(users).where(users.c.username == username).with_for_update()
        ).first()
        if row is None:
            raise AccountError(f"用户 {username} 不存在")
        new_role = role or row.role
        new_counties = counties if counties is not None else _counties_set(row.counties)
        problems = check_scope(new_role, new_counties, known_counties)
        new_unit = (unit.strip() if unit is not None else row.unit) or None
        if new_role != "unit_staff":
            new_unit = None if unit is None else new_unit  # a role change drops the old unit
        if unit is not None or new_role != row.role:
            problems += unit_problems(new_role, new_unit, known_units if unit else None)
        problems += [p for p in (_phone_problem(phone), _email_problem(email)) if p]
        if problems:
            raise AccountError("；".join(problems))
        values: dict[str, object] = {
            "role": new_role,
            "counties": _counties_text(scope_for(new_role, new_counties)),
            "unit": new_unit[:64] if new_unit else None,
        }
        contact: dict[str, object] = {}
        if phone is not None:
            contact["phone"] = clean_phone(phone) or None
        if email is not None:
            contact["email"] = email.strip() or None
        changed_contact = any(v != row._mapping[k] for k, v in contact.items())
        _authorize_update(conn, by, row, values, active, display_name, changed_contact)
        values.update(contact)
        if display_name is not None:
            values["display_name"] = display_name[:64]
        if active is not None:
            values["active"] = active
        conn.execute(users.update().where(users.c.id == row.id).values(**values))
        return _user(conn.execute(sa.select(users).where(users.c.id == row.id)).one(), store)


def set_contact(store: Store, username: str, *, phone: str, email: str) -> User:
    """The user's own phone and e-mail, set by the user ("" clears one); AccountError if
    either is malformed."""
    problems = [p for p in (_phone_problem(phone), _email_problem(email)) if p]
    if problems:
        raise AccountError("；".join(problems))
    with store.writing("联系方式") as conn:
        row = _row(conn, username)
        if row is None:
            raise AccountError(f"用户 {username} 不存在")
        conn.execute(
            users.update()
            .where(users.c.id == row.id)
            .values(phone=clean_phone(phone) or None, email=email.strip() or None)
        )
        return _user(conn.execute(sa.select(users).where(users.c.id == row.id)).one(), store)


def unlock(store: Store, username: str, *, by: Principal | None = None) -> None:
    """Lift a lockout now (an administrator, after checking who asked)."""
    with store.writing("解锁账号") as conn:
        _authorize(conn, by, "unlock", _row(conn, username))
        done = conn.execute(
            users.update()
            .where(users.c.username == username)
            .values(failed_logins=0, locked_until=None)
        )
        if done.rowcount == 0:
            raise AccountError(f"用户 {username} 不存在")
        # The locks per address (cockpit/security/throttle.py) are lifted with it.
        conn.execute(signin_failures.delete().where(signin_failures.c.username == username))


def set_totp(
    store: Store, username: str, secret: str | None, *, by: Principal | None = None
) -> None:
    """Turn the second factor on (a base32 secret, stored sealed) or off (None) for a user."""
    sealed = _seal_totp(store, username, secret)
    with store.writing("设置动态口令") as conn:
        _authorize(conn, by, "totp", _row(conn, username))
        done = conn.execute(
            users.update()
            .where(users.c.username == username)
            .values(totp_sealed=sealed, totp_secret=None)
        )
        if done.rowcount == 0:
            raise AccountError(f"用户 {username} 不存在")


def _resealed(store: Store, username: str, stored: str | None) -> str | None:
    """The stored secret sealed with the configured algorithm, when it is plain (from before
    encryption at rest) or sealed with another (the city switched); None when it needs no
    change, or when it will not open (it is then left as it is, never overwritten)."""
    if stored is None or store.at_rest is None or not store.at_rest.needs_reseal(stored):
        return None
    secret = stored
    if crypto.is_sealed(stored):
        try:
            secret = store.at_rest.decrypt(stored, context=_totp_context(username))
        except crypto.CryptoError as exc:
            log.error("second-factor secret of %s cannot be opened: %s", username, exc)
            return None
    return _seal_totp(store, username, secret)


def reseal_secrets(store: Store) -> tuple[int, list[str]]:
    """Seal anew every second-factor secret that is plain or sealed with another algorithm
    (after an upgrade, or when a city switches to SM4): how many, and who could not be read."""
    if store.at_rest is None:
        raise AccountError("未配置数据密钥，无法加密动态口令密钥")
    changed, unreadable = 0, []
    with store.writing("重新加密动态口令密钥") as conn:
        rows = conn.execute(
            sa.select(users.c.id, users.c.username, users.c.totp_secret, users.c.totp_sealed)
            .where(sa.or_(users.c.totp_secret.is_not(None), users.c.totp_sealed.is_not(None)))
            .with_for_update()
        ).all()
        for row in rows:
            if not store.at_rest.needs_reseal(_stored_totp(row)):
                continue
            resealed = _resealed(store, row.username, _stored_totp(row))
            if resealed is None:
                unreadable.append(row.username)
                continue
            conn.execute(
                users.update()
                .where(users.c.id == row.id)
                .values(totp_sealed=resealed, totp_secret=None)
            )
            changed += 1
    return changed, unreadable


# -- 三员分立: who may manage whose account (the rules: cockpit/security/roles.py) -------------
def _row(conn: sa.Connection, username: str) -> sa.Row | None:
    return conn.execute(sa.select(users).where(users.c.username == username)).first()


def _authorize(conn: sa.Connection, by: Principal | None, action: str, row: sa.Row | None) -> None:
    """Refuse (NotPermitted) what `by` may not do to this account; None: the cockpit's code."""
    if by is None or row is None:
        return  # a missing account is reported by the caller as before
    others = sa.select(sa.func.count()).select_from(users)
    others = others.where(users.c.role == row.role, users.c.active.is_(True), users.c.id != row.id)
    setting_up = row.last_login_at is None and not conn.execute(others).scalar()
    reason = account_refusal(
        by, action, row.role, own=by.user_id == row.username, setting_up=setting_up
    )
    if reason:
        raise NotPermitted(reason)


def _first_of_role(conn: sa.Connection, role: str) -> bool:
    """No active account of this role exists yet (a new installation)."""
    query = sa.select(sa.func.count()).select_from(users)
    return not conn.execute(query.where(users.c.role == role, users.c.active.is_(True))).scalar()


def _authorize_create(conn: sa.Connection, by: Principal | None, role: str) -> bool:
    """May `by` make this account, and does it work at once (else it waits for approval)?"""
    if by is None:
        return True
    first = _first_of_role(conn, role)
    reason = account_refusal(by, "create", role, own=False, setting_up=first)
    if reason:
        raise NotPermitted(reason)
    return created_active(by, role, first_of_role=first)


def _authorize_update(
    conn: sa.Connection,
    by: Principal | None,
    row: sa.Row,
    values: dict[str, object],
    active: bool | None,
    display_name: str | None,
    changed_contact: bool = False,
) -> None:
    """Each part of an update is its own action: a grant (role, scope, unit), enable, disable,
    rename (name, phone, e-mail)."""
    if by is None:
        return
    if (
        values["role"] != row.role
        or values["counties"] != row.counties
        or values["unit"] != row.unit
    ):
        _authorize(conn, by, "grant", row)
        reason = role_change_refusal(row.role, str(values["role"]))
        if reason:
            raise NotPermitted(reason)
    if active is not None and active != bool(row.active):
        _authorize(conn, by, "enable" if active else "disable", row)
    renamed = display_name is not None and display_name[:64] != row.display_name
    if renamed or changed_contact:
        _authorize(conn, by, "rename", row)


def approve(store: Store, username: str, *, policy: PasswordPolicy, by: Principal) -> str | None:
    """The security administrator enables an account. One that has never signed in gets a
    new temporary password, returned for the security administrator to hand over, so whoever
    proposed the account never holds a working password for it; but only where the approver
    may issue that account's password at all (not a system administrator's account, whose
    password the system administrators reset: else the approver would hold one)."""
    with store.writing("启用账号") as conn:
        row = conn.execute(
            sa.select(users).where(users.c.username == username).with_for_update()
        ).first()
        if row is None:
            raise AccountError(f"用户 {username} 不存在")
        _authorize(conn, by, "enable", row)
        conn.execute(users.update().where(users.c.id == row.id).values(active=True))
        if row.last_login_at is not None or account_refusal(by, "reset", row.role, own=False):
            return None
        temporary = temporary_password(max(16, policy.min_length))
        _set_password(conn, row, temporary, policy, _now(), must_change=True, check_history=False)
        return temporary


def authorize(store: Store, by: Principal, action: str, username: str) -> None:
    """NotPermitted unless `by` may do `action` to this account (for actions done elsewhere,
    such as ending its sessions)."""
    with store.reading() as conn:
        _authorize(conn, by, action, _row(conn, username))
