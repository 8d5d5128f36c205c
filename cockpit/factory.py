"""The app factory: create_app(settings=None) builds a fresh cockpit (gunicorn, tests, CLI)."""

from __future__ import annotations

import logging
import secrets

from dash import Dash, html
from pydantic import ValidationError

from cockpit import shell, theme
from cockpit.cache import SafeCache
from cockpit.hub import DataHub
from cockpit.panels import all_panels
from cockpit.scope import PrincipalProvider, install_principal_provider
from cockpit.settings import PROJECT_ROOT, ConfigError, Settings, load_settings
from data_sources.registry import build_source

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, *, principal_provider: PrincipalProvider | None = None
) -> Dash:
    """Build the Dash app: settings, sources, cache, hub, shell and every registered panel."""
    settings = settings or load_settings()
    theme.register_template()
    app = Dash(
        __name__,
        title=f"{settings.city.name}{settings.app.title}",
        assets_folder=str(PROJECT_ROOT / "assets"),
        serve_locally=True,  # the intranet has no CDN: every script comes from this server
        suppress_callback_exceptions=True,  # pages are swapped in by the router
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    server = app.server
    # Without a configured key, sessions last as long as this process (fine for the demo).
    server.config["SECRET_KEY"] = settings.secret_key or secrets.token_hex(32)
    if principal_provider is not None:
        install_principal_provider(server, principal_provider)

    sources = {
        name: build_source(name, cfg, city=settings.city, base_dir=settings.base_dir)
        for name, cfg in settings.sources.items()
    }
    hub = DataHub(settings, sources, SafeCache(server, settings.cache, settings.base_dir))
    server.extensions["cockpit_hub"] = hub
    panels = all_panels()
    hub.module_config = module_configs(settings, panels)

    app.layout = lambda: shell.layout(app, hub, panels)
    _health_route(server, hub)
    shell.register_callbacks(app, hub, panels)
    for panel in panels:
        panel.register_callbacks(app, hub)
    # Every id any callback uses, so Dash can check the callbacks against the full page set.
    skeleton = shell.frame(hub, panels, [], "", [])
    app.validation_layout = html.Div([skeleton, *(p.layout() for p in panels)])
    return app


def module_configs(settings: Settings, panels: list) -> dict[str, object]:
    """Validate each module's config section with its model; ConfigError names every problem."""
    configs: dict[str, object] = {}
    problems: list[str] = []
    for panel in panels:
        if panel.config_model is None:
            continue
        try:
            configs[panel.key] = panel.config_model.model_validate(
                settings.module_section(panel.key)
            )
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(p) for p in (panel.key, *err["loc"]))
                message = err["msg"].removeprefix("Value error, ")
                problems.append(f"config/{panel.key}.yaml: {field}: {message}")
    if problems:
        raise ConfigError(problems)
    return configs


def _health_route(server, hub: DataHub) -> None:  # noqa: ANN001
    """GET /healthz: sources and freshness as JSON (503 when something is wrong)."""
    from flask import jsonify

    from cockpit.health import report

    @server.route("/healthz")
    def healthz():  # noqa: ANN202
        data = report(hub)
        return jsonify(data), 200 if data["ok"] else 503
