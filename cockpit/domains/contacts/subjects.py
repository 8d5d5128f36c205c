"""Who is responsible for a thing on screen: a key task, a warning, an event or a county.

Pages link to /contacts?for=<kind>:<id>. The subject is read here on the server through the hub
(so within the user's scope: a county user cannot open another county's task this way), and
`responsible` picks the directory's people for it, each with the reason they were picked:
  分管领导   the task's leader, by name;
  牵头单位 / 责任单位 / 配合单位   the unit the data names, by its name in the directory;
  属地对口部门   the county's own office of that unit (市应急管理局 -> 潞城区应急管理局);
  属地政府   the county government where the thing is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cockpit.directory import Contact
from cockpit.hub import DataHub
from cockpit.scope import current_principal
from data_sources.query import DatasetQuery, Filter

REF = re.compile(r"^(task|warning|event|county):([\w\-]{1,64})$")
KIND_TITLES = {"task": "重点工作", "warning": "风险预警", "event": "突发事件", "county": "县区"}
EMERGENCY_UNIT = "市应急管理局"  # who answers for an emergency event, with the county
MAX_PICKS = 6
CO_UNIT = "配合单位"  # helps; listed after those who answer for it


@dataclass(frozen=True)
class Subject:
    """A thing someone answers for, as the data describes it."""

    ref: str
    kind: str
    title: str
    county_code: str | None
    units: tuple[tuple[str, str], ...] = ()  # (unit name, its role: 牵头单位...)
    leaders: tuple[str, ...] = ()  # names of the leaders in charge
    note: str = ""


@dataclass(frozen=True)
class Pick:
    """A contact picked for a subject, and why."""

    contact: Contact
    reason: str


def parse_ref(value: object) -> tuple[str, str] | None:
    """(kind, id) of a `for=` reference, or None when it is not one."""
    match = REF.match(value) if isinstance(value, str) else None
    return (match.group(1), match.group(2)) if match else None


def subject_of(hub: DataHub, ref: str) -> Subject | None:
    """The subject a reference names, read within the user's scope; None if not found there."""
    parsed = parse_ref(ref)
    if parsed is None:
        return None
    kind, key = parsed
    names = hub.settings.city.county_names
    if kind == "county":
        if key not in names or not current_principal().allows(key):
            return None
        return Subject(ref, kind, names[key], key, note="县区负责人")
    dataset, id_column, columns = {
        "task": (
            "key_work.tasks",
            "task_id",
            ("title", "county_code", "lead_leader", "lead_unit", "co_units"),
        ),
        "warning": (
            "risk.warnings",
            "warning_id",
            ("title", "county_code", "responsible_unit", "domain", "level"),
        ),
        "event": ("emergency.events", "event_id", ("title", "county_code", "level", "status")),
    }[kind]
    query = DatasetQuery(filters=(Filter(id_column, "eq", key),), columns=columns, limit=1)
    result = hub.query(dataset, query, with_as_of=False)
    if not result.ok or result.frame.empty:
        return None
    row = result.frame.iloc[0].to_dict()
    county = _text(row.get("county_code")) or None
    place = names.get(county, "全市") if county else "全市"
    if kind == "task":
        leader = _text(row.get("lead_leader")).split(" ")[0]
        co_units = [u for u in re.split(r"[、,，]", _text(row.get("co_units"))) if u]
        return Subject(
            ref,
            kind,
            _text(row.get("title")),
            county,
            units=((_text(row.get("lead_unit")), "牵头单位"), *((u, CO_UNIT) for u in co_units)),
            leaders=(leader,) if leader else (),
            note=f"{place} · 分管 {_text(row.get('lead_leader'))}",
        )
    if kind == "warning":
        return Subject(
            ref,
            kind,
            _text(row.get("title")),
            county,
            units=((_text(row.get("responsible_unit")), "责任单位"),),
            note=f"{place} · {_text(row.get('domain'))}",
        )
    return Subject(
        ref,
        kind,
        _text(row.get("title")),
        county,
        units=((EMERGENCY_UNIT, "应急管理部门"),),
        note=f"{place} · {_text(row.get('status'))}",
    )


def responsible(
    subject: Subject, contacts: list[Contact], county_names: dict[str, str]
) -> list[Pick]:
    """The directory's people for a subject, most responsible first (at most MAX_PICKS)."""
    picks: list[Pick] = []
    seen: set[int] = set()

    def take(reason: str, matches: list[Contact]) -> None:
        for contact in matches:
            if contact.id not in seen and len(picks) < MAX_PICKS:
                seen.add(contact.id)
                picks.append(Pick(contact, reason))

    county_name = county_names.get(subject.county_code or "")
    if subject.kind == "county":
        take("县区", [c for c in contacts if c.county_code == subject.county_code])
        return picks
    main_units = [(u, r) for u, r in subject.units if r != CO_UNIT]
    for leader in subject.leaders:
        take("分管领导", [c for c in contacts if c.name == leader])
    for unit, role in main_units:
        take(role, [c for c in contacts if c.org == unit])
    if county_name:
        for unit, _role in main_units:
            local = county_name + unit.removeprefix("市")
            take("属地对口部门", [c for c in contacts if c.org == local])
        take("属地政府", [c for c in contacts if c.org == f"{county_name}人民政府"])
    for unit, role in subject.units:
        if role == CO_UNIT:
            take(role, [c for c in contacts if c.org == unit])
    return picks


def _text(value: object) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    return "" if text in ("nan", "<NA>", "None") else text
