"""The admin page's 一键直联 directory editor: add, change, take off, put back, import.

Every action checks MANAGE_CONTACTS on the server-side principal and is recorded in the audit
log (audit.CONTACT_CHANGE), refused ones too. Nothing is deleted: a contact taken off the
directory (停用) stays in the table, so old call records still name a real row.
"""

from __future__ import annotations

from dash import Dash, Input, Output, State, ctx, dcc, html, no_update

from cockpit import audit, directory
from cockpit.components import panel, scrollable
from cockpit.hub import DataHub
from cockpit.scope import MANAGE_CONTACTS, current_principal
from cockpit.store import StoreError, get_store
from cockpit.store.schema import DUTY_STATUSES

FIELDS = (  # (field, label, maxLength)
    ("name", "姓名", 32),
    ("post", "职务", 64),
    ("org", "单位", 64),
    ("office_phone", "办公电话", 32),
    ("mobile", "手机", 32),
    ("duty_note", "状态说明", 100),
)
BUTTONS = (
    ("add", "新增"),
    ("save", "保存修改"),
    ("off", "停用"),
    ("on", "启用"),
    ("import", "从数据共享平台导入"),
)


def section() -> html.Section:
    """The editor: pick a contact (or none for a new one), edit, act; the directory below."""
    inputs = []
    for field, label, limit in FIELDS:
        inputs += [
            html.Label(label, htmlFor=f"admin-contact-{field}"),
            dcc.Input(id=f"admin-contact-{field}", maxLength=limit, className="admin-input"),
        ]
    form = html.Div(
        [
            html.Label("选择联系人（空为新建）", htmlFor="admin-contact-pick"),
            dcc.Dropdown(id="admin-contact-pick", className="admin-dropdown"),
            *inputs,
            html.Label("所属区域", htmlFor="admin-contact-county"),
            dcc.Dropdown(id="admin-contact-county", clearable=False, className="admin-dropdown"),
            html.Label("在岗状态", htmlFor="admin-contact-status"),
            dcc.Dropdown(
                id="admin-contact-status",
                options=[{"label": s, "value": s} for s in DUTY_STATUSES],
                value=DUTY_STATUSES[0],
                clearable=False,
                className="admin-dropdown",
            ),
            html.Label("排序（小的在前）", htmlFor="admin-contact-order"),
            dcc.Input(id="admin-contact-order", type="number", value=100, className="admin-input"),
            html.Div(
                [
                    html.Button(
                        label, id=f"admin-contact-{key}", n_clicks=0, className="pager-button"
                    )
                    for key, label in BUTTONS
                ],
                className="admin-buttons",
            ),
            html.Div(id="admin-contact-message", role="status"),
        ],
        className="admin-form",
    )
    return panel(
        "一键直联通讯录",
        form,
        html.Div(id="admin-contacts", className="admin-table", **scrollable("通讯录")),
        dcc.Store(id="admin-contact-version", data=0),
        className="span-all",
    )


def area_options(hub: DataHub) -> list[dict[str, str]]:
    """本市 (city-level units) and each county."""
    city = hub.settings.city
    return [{"label": f"{city.name}（市级）", "value": city.code}] + [
        {"label": c.name, "value": c.code} for c in city.counties
    ]


def known_codes(hub: DataHub) -> list[str]:
    return [hub.settings.city.code, *(c.code for c in hub.settings.city.counties)]


def contact_action(
    hub: DataHub, action: str, contact_id: int | None, fields: directory.ContactFields
) -> tuple[bool, str]:
    """Do one directory action for the current principal; (ok, message for the screen)."""
    principal = current_principal()
    if not principal.can(MANAGE_CONTACTS):
        audit.record(audit.DENIED, f"contacts:{action}", "no_permission")
        return False, "当前账号无通讯录维护权限"
    store = get_store(hub)
    by = principal.user_id
    obj = f"contact:{contact_id}" if contact_id else "contacts"
    try:
        if action == "import":
            report = directory.import_from_platform(hub, by=by)
            audit.record(
                audit.CONTACT_CHANGE, "contacts", "ok", {"action": "import", **report.__dict__}
            )
            return True, f"导入完成：{report.text()}"
        if action == "add":
            contact = directory.add(store, fields, by=by, known_codes=known_codes(hub))
            obj, text = f"contact:{contact.id}", f"已新增 {contact.name}（{contact.org}）"
        elif contact_id is None:
            return False, "请先选择联系人"
        elif action == "save":
            contact = directory.update(
                store, contact_id, fields, by=by, known_codes=known_codes(hub)
            )
            text = f"已保存 {contact.name}（{contact.org}）"
        elif action in ("off", "on"):
            contact = directory.set_active(store, contact_id, action == "on", by=by)
            text = f"已{'启用' if action == 'on' else '停用'} {contact.name}"
        else:
            return False, "未知操作"
    except StoreError as exc:
        audit.record(
            audit.CONTACT_CHANGE, obj, "refused", {"action": action, "error": str(exc)[:200]}
        )
        return False, str(exc)
    audit.record(
        audit.CONTACT_CHANGE,
        obj,
        "ok",
        {"action": action, **{k: getattr(contact, k) for k in directory.SOURCE_FIELDS}},
    )
    return True, text


def contacts_table(hub: DataHub) -> html.Table | html.P:
    """The whole directory, inactive rows included (marked)."""
    if not current_principal().can(MANAGE_CONTACTS):
        return html.P("当前账号无通讯录维护权限")
    names = {hub.settings.city.code: "市级", **hub.settings.city.county_names}
    rows = [
        html.Tr(
            [
                html.Td(c.id),
                html.Td(c.name),
                html.Td(c.post),
                html.Td(c.org),
                html.Td(names.get(c.county_code, c.county_code)),
                html.Td(c.office_phone or "—"),
                html.Td(c.mobile or "—"),
                html.Td(c.duty_status + (f"（{c.duty_note}）" if c.duty_note else "")),
                html.Td(
                    ("本地修改" if c.edited_locally else "平台导入") if c.source_id else "本地录入"
                ),
                html.Td("在用" if c.active else "已停用"),
            ],
            className="" if c.active else "row-inactive",
        )
        for c in directory.listing(get_store(hub), include_inactive=True)
    ]
    head = html.Tr(
        [
            html.Th(h)
            for h in (
                "编号",
                "姓名",
                "职务",
                "单位",
                "区域",
                "办公电话",
                "手机",
                "在岗",
                "来源",
                "状态",
            )
        ]
    )
    return html.Table([html.Thead(head), html.Tbody(rows)], className="data-table")


def register_callbacks(app: Dash, hub: DataHub) -> None:
    """Wire the directory editor."""
    form_outputs = [Output(f"admin-contact-{f}", "value") for f, _l, _m in FIELDS]

    @app.callback(
        Output("admin-contacts", "children"),
        Output("admin-contact-pick", "options"),
        Input("admin-contact-version", "data"),
    )
    def show(_version):
        if not current_principal().can(MANAGE_CONTACTS):
            return contacts_table(hub), []
        people = directory.listing(get_store(hub), include_inactive=True)
        picks = [
            {"label": f"{c.name} · {c.org}{'' if c.active else '（已停用）'}", "value": c.id}
            for c in people
        ]
        return contacts_table(hub), picks

    @app.callback(
        *form_outputs,
        # The areas come with their value: a dropdown drops a value its options lack.
        Output("admin-contact-county", "options"),
        Output("admin-contact-county", "value"),
        Output("admin-contact-status", "value"),
        Output("admin-contact-order", "value"),
        Input("admin-contact-pick", "value"),
    )
    def pick(contact_id):
        """Fill the form with the chosen contact, or an empty one for a new contact (also on
        first load, so 所属区域 starts at the city rather than empty)."""
        if not current_principal().can(MANAGE_CONTACTS):
            return (no_update,) * (len(FIELDS) + 4)
        contact = (
            directory.get(get_store(hub), int(contact_id)) if isinstance(contact_id, int) else None
        )
        areas = area_options(hub)
        if contact is None:
            return ("",) * len(FIELDS) + (areas, hub.settings.city.code, DUTY_STATUSES[0], 100)
        return (
            *(getattr(contact, f) for f, _l, _m in FIELDS),
            areas,
            contact.county_code,
            contact.duty_status,
            contact.sort_order,
        )

    @app.callback(
        Output("admin-contact-message", "children"),
        Output("admin-contact-version", "data"),
        *(Input(f"admin-contact-{key}", "n_clicks") for key, _ in BUTTONS),
        State("admin-contact-pick", "value"),
        *(State(f"admin-contact-{f}", "value") for f, _l, _m in FIELDS),
        State("admin-contact-county", "value"),
        State("admin-contact-status", "value"),
        State("admin-contact-order", "value"),
        State("admin-contact-version", "data"),
        prevent_initial_call=True,
    )
    def act(*args):
        values = args[len(BUTTONS) :]
        contact_id, *texts, county, status, order, version = values
        if not isinstance(ctx.triggered_id, str):
            return no_update, no_update
        action = ctx.triggered_id.removeprefix("admin-contact-")
        fields = directory.ContactFields(
            **{f: str(v or "") for (f, _l, _m), v in zip(FIELDS, texts, strict=True)},
            county_code=str(county or ""),
            duty_status=str(status or ""),
            sort_order=order if isinstance(order, int | float) else 100,
        )
        ok, text = contact_action(
            hub, action, contact_id if isinstance(contact_id, int) else None, fields
        )
        return _message(text, ok), (version or 0) + (1 if ok else 0)


def _message(text: str, ok: bool) -> html.Div:
    return html.Div(
        text, role="alert", className="kw-alert " + ("kw-alert-ok" if ok else "kw-alert-error")
    )
