"""The pages of notifications and jobs: 站内消息 (/inbox: messages, subscriptions) for every
signed-in user, and 任务与推送 (/admin/jobs: job runs, failures, queued and dead messages) for
administrators; and the header's unread count.

Plain Flask pages (server-rendered, escaped by Jinja) beside the Dash screens, behind the same
gate: a session is needed, POSTs are JSON from this site's own pages (assets/notify.js sends
them). Who the user is and what counties they may pick come from the server session.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, render_template, request
from jinja2 import ChoiceLoader, FileSystemLoader

from cockpit import clock
from cockpit.domains.hotline.masking import mask_address
from cockpit.notify import inbox, outbox
from cockpit.notify.channels import LEVEL_NAMES
from cockpit.notify.config import notify_config
from cockpit.notify.subscriptions import (
    TOPICS,
    subscribe,
    subscriptions,
    topics_for,
    unsubscribe,
)
from cockpit.notify.tables import DEAD, QUEUED
from cockpit.scope import MANAGE_USERS, Principal, current_principal
from cockpit.security import accounts
from cockpit.store import StoreError, get_store

log = logging.getLogger(__name__)
bp = Blueprint("notify", __name__)
DOMAINS = ("安全生产", "自然灾害", "生态环境", "公共卫生", "金融", "社会稳定", "城市运行")


def _hub() -> Any:
    return current_app.extensions["cockpit_hub"]


def inbox_link(user: Principal | None) -> Any:
    """站内消息 N for the header (and the phone's 更多 sheet); None when it cannot be counted."""
    from dash import html

    if user is None or not user.user_id:
        return None
    try:
        unread = inbox.unread_count(get_store(_hub()), user.user_id)
    except (StoreError, RuntimeError):  # no store, no app: the header carries on without it
        return None
    return html.A(
        ["站内消息", html.Span(str(unread), className="shell-inbox-count")]
        if unread
        else "站内消息",
        href="/inbox",
        className="shell-user-link shell-inbox" + (" has-unread" if unread else ""),
        title=f"{unread} 条未读" if unread else "没有未读消息",
    )


def _places() -> dict[str, str]:
    city = _hub().settings.city
    return {city.code: city.name, **city.county_names}


def _counties_for(principal: Principal) -> list[tuple[str, str]]:
    city = _hub().settings.city
    return [(c.code, c.name) for c in city.counties if principal.allows(c.code)]


@bp.route("/inbox", methods=["GET"])
def inbox_page() -> Any:
    """The user's messages (newest first) and subscriptions."""
    principal = current_principal()
    store = get_store(_hub())
    cfg = notify_config(_hub().settings)
    with store.reading() as conn:
        subs = subscriptions(conn, principal.user_id, topic=None)
    me = accounts.get_user(store, principal.user_id)
    return _page(
        page="inbox",
        title="站内消息",
        items=inbox.items(store, principal.user_id),
        unread=inbox.unread_count(store, principal.user_id),
        subs=subs,
        places=_places(),
        levels=LEVEL_NAMES,
        domains=DOMAINS,
        counties=_counties_for(principal),
        topics=topics_for(principal),
        channels=sorted(cfg.channels.items()),
        local=clock.local_time,
        phone=mask_address(me.phone) if me and me.phone else "",
        email=mask_address(me.email) if me and me.email else "",
    )


def _page(**values: Any) -> str:
    """notify.html with the shell's header and navigation (cockpit/static_shell.py), the
    pages' stylesheet and the configured theme, as every Dash page has them."""
    from cockpit.static_shell import parts

    server = current_app
    hub = _hub()
    return render_template(
        "notify.html",
        shell=parts(hub, server.extensions["cockpit_panels"], current_principal()),
        styles_url=server.config.get("COCKPIT_STYLES_URL", "/assets/cockpit.css"),
        theme=hub.settings.app.theme,
        **values,
    )


def _bad(message: str, status: int = 400) -> Any:
    return jsonify({"error": message}), status


@bp.route("/inbox/read", methods=["POST"])
def mark_read() -> Any:
    """Mark all of the user's messages read."""
    return jsonify({"read": inbox.mark_all_read(get_store(_hub()), current_principal().user_id)})


@bp.route("/inbox/subscribe", methods=["POST"])
def add_subscription() -> Any:
    """Add a warning subscription; counties outside the user's scope are refused."""
    principal = current_principal()
    body = request.get_json(silent=True) or {}
    cfg = notify_config(_hub().settings)
    try:
        levels = sorted({int(v) for v in body.get("levels") or []})
    except (KeyError, TypeError, ValueError):
        return _bad("预警级别无效")
    domains = [str(v) for v in body.get("domains") or []]
    counties = [str(v) for v in body.get("counties") or []]
    channels = [str(v) for v in body.get("channels") or []]
    address = str(body.get("address") or "").strip()[:128]
    topic = str(body.get("topic") or "warning")
    if topic not in TOPICS:
        return _bad("订阅内容无效")
    if topic not in topics_for(principal):
        return _bad(f"当前账号不能订阅{TOPICS[topic]}", 403)
    if any(level not in LEVEL_NAMES for level in levels):
        return _bad("预警级别无效")
    if any(d not in DOMAINS for d in domains):
        return _bad("领域无效")
    allowed = {code for code, _ in _counties_for(principal)}
    if any(c not in allowed for c in counties):
        return _bad("所选县区不在您的查看范围内", 403)
    if any(c not in cfg.channels for c in channels):
        return _bad("推送渠道未配置")
    if not address:  # without an address of its own, the account's phone or e-mail serves
        me = accounts.get_user(get_store(_hub()), principal.user_id)
        have = {"sms": bool(me and me.phone), "email": bool(me and me.email)}
        if any(not have.get(cfg.channels[c].kind, True) for c in channels):
            return _bad("短信、邮件渠道需要手机号或邮箱：请先在“我的联系方式”中填写，或在此填写")
    sub_id = subscribe(
        get_store(_hub()),
        principal.user_id,
        levels=levels,
        domains=domains,
        counties=counties,
        channels=channels,
        address=address,
        topic=topic,
    )
    return jsonify({"id": sub_id})


@bp.route("/inbox/contact", methods=["POST"])
def set_contact() -> Any:
    """The user's own phone and e-mail, where SMS and e-mail pushes reach them; audited with
    the addresses masked."""
    from cockpit import audit

    principal = current_principal()
    body = request.get_json(silent=True) or {}
    phone = str(body.get("phone") or "").strip()[:32]
    email = str(body.get("email") or "").strip()[:128]
    try:
        accounts.set_contact(get_store(_hub()), principal.user_id, phone=phone, email=email)
    except accounts.AccountError as exc:
        return _bad(str(exc))
    detail = {"action": "contact", "phone": mask_address(phone), "email": mask_address(email)}
    audit.record(audit.USER_CHANGE, principal.user_id, "ok", detail)
    return jsonify({"phone": mask_address(phone), "email": mask_address(email)})


@bp.route("/inbox/unsubscribe", methods=["POST"])
def remove_subscription() -> Any:
    """Remove one of the user's own subscriptions."""
    body = request.get_json(silent=True) or {}
    try:
        sub_id = int(body["id"])
    except (TypeError, ValueError):
        return _bad("订阅编号无效")
    if not unsubscribe(get_store(_hub()), current_principal().user_id, sub_id):
        return _bad("没有这条订阅", 404)
    return jsonify({"removed": sub_id})


@bp.route("/admin/jobs", methods=["GET"])
def jobs_page() -> Any:
    """Job runs, failures, queued and dead messages: administrators only."""
    from cockpit.jobs import runner

    principal = current_principal()
    if not principal.can(MANAGE_USERS):
        return _page(page="denied", title="任务与推送"), 403
    app = current_app.extensions["cockpit_dash_app"]
    store = get_store(_hub())
    return _page(
        page="jobs",
        title="任务与推送",
        runs=runner.last_runs(app),
        counts=outbox.counts(store),
        waiting=outbox.rows(store, (QUEUED, "claimed")),
        dead=outbox.rows(store, (DEAD,)),
        queue=runner.queue_status(app),
        mode=notify_config(_hub().settings).queue,
        local=clock.local_time,
        masked=outbox._masked_recipient,
        progress=runner.progress_of,
        batch=lambda detail: runner.batch_progress(app, detail),
        detail_text=runner.detail_text,
    )


def register(app: Any, panels: list | None = None) -> None:
    """Add the pages to the app's Flask server (`panels`: the navigation's modules)."""
    server: Flask = app.server
    server.extensions["cockpit_panels"] = list(panels or [])
    notify_config(server.extensions["cockpit_hub"].settings)  # a bad notify section stops start-up
    server.extensions["cockpit_dash_app"] = app
    here = FileSystemLoader(str(Path(__file__).parent / "templates"))
    server.jinja_loader = ChoiceLoader([server.jinja_loader, here]) if server.jinja_loader else here
    server.register_blueprint(bp)
