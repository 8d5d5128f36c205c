"""The app factory: create_app(settings=None) builds a fresh cockpit (gunicorn, tests, CLI).

Security is always on: the gate (cockpit/security/gate.py) asks every request for a session.
Only tests pass `principal_provider`, a fixed user without login; it is a code argument, so
no configuration or request can switch login off.
"""

from __future__ import annotations

import atexit
import logging
import os
import secrets
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dash import Dash, html
from pydantic import ValidationError

from cockpit import audit, calls, directory, exports, maps, phone, screens, shell, theme, wall
from cockpit.cache import SafeCache
from cockpit.demo_data import services as demo_services
from cockpit.drop_checks import ContractChecks
from cockpit.hub import DataHub
from cockpit.notify import views as notify_views
from cockpit.outputs import answer_busy
from cockpit.panels import all_panels
from cockpit.preflight import folder_problems, multi_host_problems, township_file_problems
from cockpit.scope import PrincipalProvider, install_principal_provider
from cockpit.security import gate as security_gate
from cockpit.serving import enable_compression, keep_fingerprinted_assets
from cockpit.settings import PROJECT_ROOT, ConfigError, Settings, key_problems, load_settings
from cockpit.store import StoreError, get_store
from cockpit.sync import open_local_store
from data_sources.registry import build_source

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, *, principal_provider: PrincipalProvider | None = None
) -> Dash:
    """Build the Dash app: settings, sources, cache, hub, shell and every registered panel."""
    settings = settings or load_settings()
    harden(settings)
    # A read-only instance/ or cache folder is one line each here, not a traceback later;
    # so is a multi-host setup whose hosts would keep their own cache or database.
    # A township file named but missing or unreadable, likewise (the maps would need it).
    unwritable = (
        multi_host_problems(settings) + folder_problems(settings) + township_file_problems(settings)
    )
    if unwritable:
        raise ConfigError(unwritable)
    theme.register_template()
    app = screens.CockpitDash(  # its scripts deferred: the first paint waits for none
        __name__,
        title=f"{settings.city.name}{settings.app.title}",
        assets_folder=str(PROJECT_ROOT / "assets"),
        assets_path_ignore=screens.NOT_AUTOLOADED,  # head script, wall frame, login CSS
        assets_ignore=screens.NOT_AUTOLOADED_FILES,  # stylesheets: linked as one (screens.py)
        serve_locally=True,  # the intranet has no CDN: every script comes from this server
        suppress_callback_exceptions=True,  # pages are swapped in by the router
        # None: no "Updating..." page title (documented by Dash; its type hint says str).
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    server = app.server
    server.config["SECRET_KEY"] = secret_key(settings)
    server.config["COCKPIT_AUDIT_KEY"] = audit.audit_key(
        server.config["SECRET_KEY"], settings.audit_key
    )
    enable_compression(server, settings.server)
    keep_fingerprinted_assets(server)

    sources = {
        name: build_source(
            name,
            cfg,
            city=settings.city,
            base_dir=settings.base_dir,
            checks=ContractChecks(settings.city, settings.indicators),
            demo=demo_services(),  # the demo adapter's today, generator and rollups
        )
        for name, cfg in settings.sources.items()
    }
    panels = all_panels()
    hub = DataHub(
        settings,
        sources,
        SafeCache(server, settings.cache, settings.base_dir),
        module_config=module_configs(settings, panels),
        local_store=open_local_store(settings),
    )
    server.extensions["cockpit_hub"] = hub
    # A worker's exit closes the hub's sources and store (a weak reference: an app dropped
    # before, as tests drop theirs, is not kept alive for it).
    atexit.register(_close_at_exit, weakref.ref(hub))
    answer_busy(server)  # 503 + Retry-After when a worker's personal slots are all taken

    gate = security_gate.install(app, settings, hub, [p.key for p in panels])
    if principal_provider is not None:
        install_principal_provider(server, principal_provider)
        gate.test_principal = principal_provider
    elif settings.app.env == "production":
        refuse_demo_accounts(hub)
    elif settings.security.demo_accounts:
        gate.demo_hint = demo_accounts_hint(hub, settings)
        seed_demo_directory(hub)

    app.layout = lambda: shell.layout(app, hub, panels)
    _health_route(server, hub)
    townships = settings.city.township_path()
    maps.register_geometry_route(
        app, str(settings.city.map_path()), *([str(townships)] if townships else [])
    )
    screens.register(app, settings)
    wall.register(app, settings, panels)
    shell.register_callbacks(app, hub, panels)
    calls.register_callbacks(app, hub)
    phone.register_callbacks(app)  # folds: detail on demand on a phone
    for panel in panels:
        panel.register_callbacks(app, hub)
    exports.register(app, hub, [t for p in panels for t in p.tables])
    notify_views.register(app, panels)  # 站内消息 (/inbox) and 任务与推送 (/admin/jobs)
    # Every id any callback uses, so Dash can check the callbacks against the full page set.
    skeleton = shell.frame(hub, panels, [], "", [])
    # Dash declares the attribute as None until an app sets it.
    app.validation_layout = html.Div([skeleton, *(p.layout() for p in panels)])  # type: ignore[assignment]
    security_gate.finish(app, gate)
    return app


def _close_at_exit(hub: weakref.ref[DataHub]) -> None:
    """Close the hub at the process's exit, if it is still alive."""
    alive = hub()
    if alive is not None:
        alive.close()


def harden(settings: Settings) -> None:
    """Refuse to start a production cockpit that is not safe to expose (one line per reason)."""
    if settings.app.env != "production":
        return
    problems = []
    if settings.app.debug:
        problems.append(
            "config/cockpit.yaml: app.debug (or run --debug): must be false in production "
            "(the debugger runs code for whoever reaches it)"
        )
    problems += key_problems(settings)  # missing, default or patterned (cockpit/settings.py)
    if problems:
        raise ConfigError(problems)


def secret_key(settings: Settings) -> str:
    """The Flask secret key: the configured one, else (development) one kept in instance/."""
    if settings.secret_key:
        return settings.secret_key
    # Development: a key that survives restarts, so sessions and the audit chain's HMAC do.
    path = Path(settings.base_dir) / "instance" / "secret_key"
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # instance/: owner only
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def demo_accounts_hint(hub: DataHub, settings: Settings) -> str:
    """Make the demo accounts on first start (development); the login page's hint."""
    from cockpit.security.demo_accounts import ensure_demo_accounts
    from cockpit.store import get_store

    file = Path(settings.security.demo_accounts_file)
    written = ensure_demo_accounts(
        get_store(hub), settings, file if file.is_absolute() else Path(settings.base_dir) / file
    )
    return f"演示环境：各角色演示账号与口令见 {written}" if written else ""


def seed_demo_directory(hub: DataHub) -> None:
    """Development on demo data: fill an empty 一键直联 directory from the demo's 通讯录, so the
    page and its calls can be tried at once. Real directories are imported or typed in."""
    bound = hub.settings.datasets.get(directory.DATASET)
    source = hub.sources.get(bound.source) if bound is not None else None
    if source is None or not source.is_demo:
        return
    try:
        if directory.count(get_store(hub)) == 0:
            report = directory.import_from_platform(hub, by="demo")
            log.info("一键直联通讯录为空，已从演示数据导入：%s", report.text())
    except StoreError as exc:
        log.warning("演示通讯录未能导入：%s", exc)


def refuse_demo_accounts(hub: DataHub) -> None:
    """A production cockpit must not start while demo accounts (known to anyone) exist."""
    import sqlalchemy as sa

    from cockpit.store import get_store
    from cockpit.store.schema import users

    with get_store(hub).reading() as conn:
        names = conn.execute(sa.select(users.c.username).where(users.c.demo)).scalars().all()
    if names:
        raise ConfigError(
            [f"store: demo accounts exist ({', '.join(names)}); delete them before production"]
        )


def module_configs(settings: Settings, panels: list) -> dict[str, object]:
    """Validate each module's config section with its model; ConfigError names every problem."""
    configs, problems = validate_module_sections(settings.module_section, panels)
    if problems:
        raise ConfigError(problems)
    return configs


def validate_module_sections(
    section: Callable[[str], dict[str, Any]], panels: list
) -> tuple[dict[str, object], list[str]]:
    """Each module's config model over its section (`section(key)`): the configs, the problems."""
    configs: dict[str, object] = {}
    problems: list[str] = []
    for panel in panels:
        if panel.config_model is None:
            if section(panel.key):  # a section for a module with no settings: a misplaced key
                problems.append(
                    f"config/{panel.key}.yaml: {panel.key}: this module has no settings"
                )
            continue
        try:
            configs[panel.key] = panel.config_model.model_validate(section(panel.key))
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(p) for p in (panel.key, *err["loc"]))
                message = err["msg"].removeprefix("Value error, ")
                problems.append(f"config/{panel.key}.yaml: {field}: {message}")
    return configs, problems


def _health_route(server, hub: DataHub) -> None:
    """GET /healthz: sources and freshness as JSON (503 when something is wrong)."""
    from flask import jsonify

    from cockpit.health import report

    @server.route("/healthz")
    def healthz():
        data = report(hub)
        return jsonify(data), 200 if data["ok"] else 503
