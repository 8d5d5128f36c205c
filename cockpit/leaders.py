"""我的驾驶舱: what a leader account 分管 (its modules, 重点工作 tasks, bureaus and counties).

Administrators link an account to what it answers for: on the admin page's account form, with
`python -m cockpit leaders`, or in config/leaders.yaml (`leaders: {<username>: {...}}`). Links
made on the admin page or the command line are kept in the store (table leader_links) and win
over the configured ones; an account with neither sees the usual overview.

A link is a preference, never a right. Module links are registry keys (cockpit/modules.py), so a
module added later (a domain defined in YAML) can be linked without code. County links narrow
what the landing page shows first to counties the account's scope already holds: a county the
session does not allow is dropped here (`shown_counties`), so a link can never widen a scope.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cockpit.scope import Principal
from cockpit.store.schema import LINK_KINDS, leader_links, users
from cockpit.store.store import Store, StoreError

TASK_ID = re.compile(r"^[\w\-]{1,64}$")
MAX_LINKS = 50  # per kind: a landing page, not a second copy of every screen


class LinkError(StoreError):
    """Links the store refuses; the message says which (for the form and the console)."""


@dataclass(frozen=True)
class Links:
    """What one account 分管, each kind in the account's own order."""

    modules: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    bureaus: tuple[str, ...] = ()
    counties: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """No link at all: the account lands on the usual overview."""
        return not (self.modules or self.tasks or self.bureaus or self.counties)

    def of(self, kind: str) -> tuple[str, ...]:
        """The links of one kind (module, task, bureau, county)."""
        return {
            "module": self.modules,
            "task": self.tasks,
            "bureau": self.bureaus,
            "county": self.counties,
        }[kind]


def make_links(**kinds: Iterable[str] | None) -> Links:
    """Links from lists as a form or a file gives them: blanks dropped, repeats kept once."""

    def clean(values: Iterable[str] | None) -> tuple[str, ...]:
        seen: list[str] = []
        for value in values or ():
            text = str(value).strip()
            if text and text not in seen:
                seen.append(text)
        return tuple(seen)

    return Links(**{name: clean(values) for name, values in kinds.items()})


def known_modules() -> tuple[str, ...]:
    """The module keys a leader may be linked to: every registered module with city data
    (the frame's own pages, administration and data quality, are nobody's 分管)."""
    from cockpit.modules import all_modules

    return tuple(m.key for m in all_modules() if m.key not in ("admin", "data_quality"))


def problems(links: Links, modules: Iterable[str], counties: Iterable[str]) -> list[str]:
    """What is wrong with these links, one line each (empty: they may be stored)."""
    found = []
    unknown = [m for m in links.modules if m not in set(modules)]
    if unknown:
        found.append(f"未知模块：{'、'.join(unknown)}（可选：{'、'.join(modules)}）")
    strange = [c for c in links.counties if c not in set(counties)]
    if strange:
        found.append(f"未知县区代码：{'、'.join(strange)}")
    bad = [t for t in links.tasks if not TASK_ID.match(t)]
    if bad:
        found.append(f"任务编号格式不正确：{'、'.join(bad)}")
    long = [b for b in links.bureaus if len(b) > 64]
    if long:
        found.append(f"单位名称过长：{'、'.join(long)}")
    for kind in LINK_KINDS:
        if len(links.of(kind)) > MAX_LINKS:
            found.append(f"每类分管至多 {MAX_LINKS} 项")
            break
    return found


def stored(store: Store, username: str) -> Links | None:
    """The links kept in the store for this account (None: none were ever set there)."""
    with store.reading() as conn:
        rows = conn.execute(
            sa.select(leader_links.c.kind, leader_links.c.ref)
            .join(users, users.c.id == leader_links.c.user_id)
            .where(users.c.username == username)
            .order_by(leader_links.c.kind, leader_links.c.position)
        ).all()
    if not rows:
        return None
    by_kind: dict[str, list[str]] = {k: [] for k in LINK_KINDS}
    for row in rows:
        by_kind[row.kind].append(row.ref)
    return Links(
        modules=tuple(by_kind["module"]),
        tasks=tuple(by_kind["task"]),
        bureaus=tuple(by_kind["bureau"]),
        counties=tuple(by_kind["county"]),
    )


def save(
    store: Store, username: str, links: Links, *, modules: Iterable[str], counties: Iterable[str]
) -> None:
    """Replace the account's links with these (all of them: an empty Links clears them)."""
    found = problems(links, tuple(modules), tuple(counties))
    if found:
        raise LinkError("；".join(found))
    with store.writing("保存分管") as conn:
        user_id = conn.execute(
            sa.select(users.c.id).where(users.c.username == username)
        ).scalar_one_or_none()
        if user_id is None:
            raise LinkError(f"用户 {username} 不存在")
        conn.execute(leader_links.delete().where(leader_links.c.user_id == user_id))
        rows = [
            {"user_id": user_id, "kind": kind, "ref": ref, "position": i}
            for kind in LINK_KINDS
            for i, ref in enumerate(links.of(kind))
        ]
        if rows:
            conn.execute(leader_links.insert(), rows)


def configured(settings: Any, username: str) -> Links:
    """The account's links in config/leaders.yaml (empty when it has none)."""
    entry = (getattr(settings, "leaders", None) or {}).get(username)
    if entry is None:
        return Links()
    return make_links(
        modules=entry.modules, tasks=entry.tasks, bureaus=entry.bureaus, counties=entry.counties
    )


def links_for(store: Store | None, settings: Any, username: str) -> Links:
    """An account's links: the store's if an administrator set any, else the configured
    ones. A store that cannot be read is a missing preference, not an error page."""
    if store is not None:
        try:
            kept = stored(store, username)
        except StoreError:
            kept = None
        except sa.exc.SQLAlchemyError:
            kept = None
        if kept is not None:
            return kept
    return configured(settings, username)


def shown_counties(links: Links, principal: Principal) -> tuple[str, ...]:
    """The linked counties this session may see, in the leader's order: a link narrows what is
    shown first and never widens the scope (a county outside it is dropped)."""
    return tuple(c for c in links.counties if principal.allows(c))


def as_text(links: Links, module_titles: Mapping[str, str], county_names: Mapping[str, str]) -> str:
    """The links in one line, for the admin table and the console."""
    parts = [
        "、".join(module_titles.get(m, m) for m in links.modules),
        "、".join(links.tasks),
        "、".join(links.bureaus),
        "、".join(county_names.get(c, c) for c in links.counties),
    ]
    names = ("领域", "任务", "市局", "县区")
    return "；".join(f"{n}：{p}" for n, p in zip(names, parts, strict=True) if p) or "—"
