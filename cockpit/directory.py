"""一键直联's directory: leaders, departments and county contacts in the cockpit's own database.

Administrators keep it (panels/admin/contacts.py, audited); it can be filled from the sharing
platform's contacts.directory dataset (`python -m cockpit contacts import`, or the admin page).
An imported row keeps the dataset's id (source_id). Once an administrator edits a row it is
marked edited_locally and later imports leave it alone, so no local correction is lost.

Who may see whom: city-level contacts (county_code = the city's code) are visible to every
user of the data pages; a county's contacts only to users whose scope holds that county.

Which numbers: office and duty-room numbers are shown to every user who sees the person;
personal mobile numbers only to roles with the SEE_MOBILES permission (city leaders and city
staff) and to the directory's keepers (MANAGE_CONTACTS), never to the wall. The rule is
applied here, as entries are read (`listing`, `get`), and by `shown_number` for numbers from
the platform's own datasets (duty roster, emergency resources), so every screen follows it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import sqlalchemy as sa

from cockpit.scope import MANAGE_CONTACTS, SEE_MOBILES, Principal
from cockpit.store import StoreError, get_store
from cockpit.store.schema import DUTY_STATUSES, contacts

PHONE = re.compile(r"^\+?[\d\s\-()（）]{3,30}$")
DIGITS = re.compile(r"[^\d+]")
# A mainland mobile number (11 digits from 13x to 19x), with or without +86 / 0086: personal.
MOBILE = re.compile(r"^(?:\+?86|0086)?1[3-9]\d{9}$")
FIELD_LIMITS = {"name": 32, "post": 64, "org": 64, "duty_note": 100}


class DirectoryError(StoreError):
    """An edit the directory refuses, with a message for the screen."""


@dataclass(frozen=True)
class ContactFields:
    """What an administrator edits (and an import brings)."""

    name: str
    post: str
    org: str
    county_code: str
    office_phone: str = ""
    mobile: str = ""
    duty_status: str = DUTY_STATUSES[0]
    duty_note: str = ""
    sort_order: int | str = 100  # text from a form or an import until clean() makes it an int


@dataclass(frozen=True)
class Contact(ContactFields):
    """One directory row as read back."""

    id: int = 0
    source_id: str | None = None
    active: bool = True
    edited_locally: bool = False
    updated_at: dt.datetime | None = None
    updated_by: str = ""

    def phones(self) -> list[tuple[str, str]]:
        """(kind, number) of each number on file: mobile first, it reaches the person."""
        return [(k, v) for k, v in (("mobile", self.mobile), ("office", self.office_phone)) if v]


def is_mobile(number: object) -> bool:
    """Is this a personal mobile number (however written), rather than an office line?"""
    digits = dialable(None if number is None else str(number))
    return digits is not None and MOBILE.match(digits) is not None


def _viewer(viewer: Principal | None) -> Principal | None:
    """Who is reading: the given principal, else the current request's (None outside the app:
    the command line, run by the server's operator, reads the directory whole)."""
    if viewer is not None:
        return viewer
    from flask import has_app_context

    from cockpit.scope import current_principal

    return current_principal() if has_app_context() else None


def sees_mobiles(viewer: Principal | None = None) -> bool:
    """May this reader see personal mobile numbers?"""
    who = _viewer(viewer)
    return who is None or who.can(SEE_MOBILES) or who.can(MANAGE_CONTACTS)


def shown_number(number: object, viewer: Principal | None = None) -> str:
    """A number as this reader may see it: office lines always, mobiles only with the right."""
    text = (
        "" if number is None or (not isinstance(number, str) and pd.isna(number)) else str(number)
    )
    return "" if is_mobile(text) and not sees_mobiles(viewer) else text


def numbers_for_viewer(
    frame: pd.DataFrame, column: str = "phone", viewer: Principal | None = None
) -> pd.DataFrame:
    """A dataset's phone column as this reader may see it (the platform's duty roster and
    emergency resources carry numbers of people too); the frame itself is left unchanged."""
    if frame.empty or column not in frame.columns or sees_mobiles(viewer):
        return frame
    return frame.assign(**{column: [shown_number(n, viewer) for n in frame[column]]})


def for_viewer(contact: Contact, viewer: Principal | None = None) -> Contact:
    """The entry as this reader may see it (numbers they may not see are left empty)."""
    if sees_mobiles(viewer):
        return contact
    return replace(
        contact,
        mobile="",
        office_phone=shown_number(contact.office_phone, viewer),
    )


def dialable(number: str | None) -> str | None:
    """The digits of a number a phone can dial (tel:), or None when it is not one."""
    if not number:
        return None
    digits = DIGITS.sub("", str(number).strip())
    return digits if re.fullmatch(r"\+?\d{3,20}", digits) else None


def clean(fields: ContactFields, known_codes: Iterable[str]) -> ContactFields:
    """The fields trimmed and checked; DirectoryError names the first problem."""
    values: dict[str, Any] = {
        k: (v.strip() if isinstance(v, str) else v) for k, v in fields.__dict__.items()
    }
    labels = {"name": "姓名", "post": "职务", "org": "单位"}
    for key, label in labels.items():
        if not values[key]:
            raise DirectoryError(f"请填写{label}")
    for key, limit in FIELD_LIMITS.items():
        if len(values[key] or "") > limit:
            raise DirectoryError(f"{labels.get(key, '备注')}不能超过{limit}个字")
    if not values["county_code"]:
        raise DirectoryError("请选择所属区域（市级单位选本市）")
    if values["county_code"] not in set(known_codes):
        raise DirectoryError(f"所属区域 {values['county_code'] or '（空）'} 不是本市或所辖县区")
    for key, label in (("office_phone", "办公电话"), ("mobile", "手机")):
        number = values[key] or ""
        if number and (not PHONE.match(number) or dialable(number) is None):
            raise DirectoryError(f"{label} {number} 不是可拨打的号码")
        values[key] = number
    if not values["office_phone"] and not values["mobile"]:
        raise DirectoryError("办公电话和手机至少填写一个")
    if values["duty_status"] not in DUTY_STATUSES:
        raise DirectoryError(f"在岗状态须为：{'、'.join(DUTY_STATUSES)}")
    try:
        values["sort_order"] = int(values["sort_order"])
    except (TypeError, ValueError):
        raise DirectoryError("排序须为整数") from None
    values["duty_note"] = values["duty_note"] or ""
    return ContactFields(**values)


def _contact(row: sa.Row) -> Contact:
    data = dict(row._mapping)
    return Contact(**data)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- reading -------------------------------------------------------------------------------------
def listing(
    store,
    *,
    visible: Callable[[str], bool] | None = None,
    include_inactive: bool = False,
    viewer: Principal | None = None,
) -> list[Contact]:
    """The directory in display order (by sort order, then unit and name), as the user may see
    it: `visible` says whose entries, `for_viewer` which of their numbers."""
    query = sa.select(contacts).order_by(
        contacts.c.sort_order, contacts.c.org, contacts.c.name, contacts.c.id
    )
    if not include_inactive:
        query = query.where(contacts.c.active.is_(True))
    with store.reading() as conn:
        rows = [_contact(r) for r in conn.execute(query)]
    return [for_viewer(c, viewer) for c in rows if visible is None or visible(c.county_code)]


def get(store, contact_id: int, viewer: Principal | None = None) -> Contact | None:
    """One contact by id (active or not), with the numbers this reader may see."""
    with store.reading() as conn:
        row = conn.execute(sa.select(contacts).where(contacts.c.id == contact_id)).first()
    return for_viewer(_contact(row), viewer) if row is not None else None


def count(store) -> int:
    """How many contacts the directory holds (inactive included)."""
    with store.reading() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(contacts)).scalar_one())


def _existing(store, contact_id: int) -> Contact:
    """A contact just written (gone only if someone removed it in between)."""
    contact = get(store, contact_id)
    if contact is None:
        raise DirectoryError(f"通讯录中没有编号 {contact_id}")
    return contact


# -- editing -------------------------------------------------------------------------------------
def add(store, fields: ContactFields, *, by: str, known_codes: Iterable[str]) -> Contact:
    """A new contact; returns it as stored."""
    values = clean(fields, known_codes).__dict__
    with store.writing("通讯录") as conn:
        new_id = conn.execute(
            contacts.insert().values(**values, updated_at=_now(), updated_by=by)
        ).inserted_primary_key[0]
    return _existing(store, int(new_id))


def update(
    store, contact_id: int, fields: ContactFields, *, by: str, known_codes: Iterable[str]
) -> Contact:
    """Change a contact. An imported one is marked edited locally, so imports keep the edit."""
    values = clean(fields, known_codes).__dict__
    with store.writing("通讯录") as conn:
        done = conn.execute(
            contacts.update()
            .where(contacts.c.id == contact_id)
            .values(**values, edited_locally=True, updated_at=_now(), updated_by=by)
        ).rowcount
    if not done:
        raise DirectoryError(f"通讯录中没有编号 {contact_id}")
    return _existing(store, contact_id)


def set_active(store, contact_id: int, active: bool, *, by: str) -> Contact:
    """Take a contact off the directory (kept, for the audit trail) or put it back."""
    with store.writing("通讯录") as conn:
        done = conn.execute(
            contacts.update()
            .where(contacts.c.id == contact_id)
            .values(active=active, edited_locally=True, updated_at=_now(), updated_by=by)
        ).rowcount
    if not done:
        raise DirectoryError(f"通讯录中没有编号 {contact_id}")
    return _existing(store, contact_id)


# -- import from the platform --------------------------------------------------------------------
@dataclass(frozen=True)
class ImportReport:
    """What an import did; `rejected` names each row left out and why."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_local: int = 0
    rejected: tuple[str, ...] = ()

    def text(self) -> str:
        """One line for the screen or the console."""
        line = (
            f"新增 {self.added} 人，更新 {self.updated} 人，未变 {self.unchanged} 人，"
            f"本地已修改未覆盖 {self.kept_local} 人"
        )
        if self.rejected:
            line += f"，{len(self.rejected)} 行未导入（{'；'.join(self.rejected[:3])}）"
        return line


SOURCE_FIELDS = ("name", "post", "org", "county_code", "office_phone", "mobile")


def import_rows(store, frame: pd.DataFrame, *, by: str, known_codes: Iterable[str]) -> ImportReport:
    """Bring rows of the contacts.directory contract in, keyed by contact_id.

    New ids are added; changed rows are updated unless an administrator edited them here; rows
    that fail the checks are reported, not imported. Duty status is the cockpit's own and stays."""
    known = list(known_codes)
    added = updated = unchanged = kept = 0
    rejected: list[str] = []
    with store.reading() as conn:
        existing = {
            r.source_id: _contact(r)
            for r in conn.execute(sa.select(contacts).where(contacts.c.source_id.is_not(None)))
        }
    now = _now()
    with store.writing("通讯录导入") as conn:
        for position, row in enumerate(frame.to_dict("records")):
            source_id = _text(row.get("contact_id"))
            if not source_id:
                rejected.append(f"第{position + 1}行缺少编号")
                continue
            try:
                fields = clean(
                    ContactFields(**{k: _text(row.get(k)) for k in SOURCE_FIELDS}), known
                )
            except DirectoryError as exc:
                rejected.append(f"{source_id}：{exc}")
                continue
            old = existing.get(source_id)
            incoming = {k: getattr(fields, k) for k in SOURCE_FIELDS}
            if old is None:
                order = position + 1
                conn.execute(
                    contacts.insert().values(
                        **incoming,
                        source_id=source_id,
                        sort_order=order,
                        updated_at=now,
                        updated_by=by,
                    )
                )
                added += 1
            elif old.edited_locally:
                kept += 1
            elif {k: getattr(old, k) for k in SOURCE_FIELDS} == incoming:
                unchanged += 1
            else:
                conn.execute(
                    contacts.update()
                    .where(contacts.c.id == old.id)
                    .values(**incoming, updated_at=now, updated_by=by)
                )
                updated += 1
    return ImportReport(added, updated, unchanged, kept, tuple(rejected))


DATASET = "contacts.directory"


def import_from_platform(hub, *, by: str) -> ImportReport:
    """Import the platform's contacts.directory dataset (the whole city: it has no county
    column, so the hub adds no scope). DirectoryError when the source cannot be read."""
    from data_sources.query import DatasetQuery

    columns = ("contact_id", *SOURCE_FIELDS)
    result = hub.query(DATASET, DatasetQuery(columns=columns), with_as_of=False)
    if result.error:
        raise DirectoryError(f"读取数据共享平台通讯录失败：{result.error}")
    city = hub.settings.city
    known = [city.code, *(c.code for c in city.counties)]
    return import_rows(get_store(hub), result.frame, by=by, known_codes=known)


def _text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()
