"""Settings: config/*.yaml validated at start-up, with environment overrides.

Every top-level section lives in one YAML file of the config folder (city, sources, datasets,
indicators, app, cache). COCKPIT_<SECTION>__<KEY>=value overrides a key; secrets come only from
the environment (COCKPIT_SECRET_KEY, and each SQL source's url_env). A wrong configuration
stops start-up with one line per problem: file, field, what was expected.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from cockpit.contracts import CONTRACTS
from data_sources.registry import ADAPTERS, config_models

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_DIR = PROJECT_ROOT / "config"
ENV_PREFIX = "COCKPIT_"
# Environment variables with the prefix that are not overrides of a config key.
_NOT_OVERRIDES = {"COCKPIT_CONFIG_DIR", "COCKPIT_SECRET_KEY", "COCKPIT_AUDIT_KEY", "COCKPIT_ENV"}

Code6 = Annotated[str, Field(pattern=r"^\d{6}$", description="6-digit division code")]


class Strict(BaseModel):
    """Unknown keys are errors: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class County(Strict):
    """A county-level division (县、区、县级市)."""

    code: Code6
    name: str = Field(min_length=1)


class City(Strict):
    """The city the cockpit serves."""

    name: str = Field(min_length=1)
    code: Code6
    province: str = ""
    counties: tuple[County, ...] = Field(min_length=1)
    former_codes: dict[Code6, Code6] = Field(default_factory=dict)
    map_file: str

    @model_validator(mode="after")
    def _codes_consistent(self) -> City:
        codes = [c.code for c in self.counties]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"county codes repeated: {', '.join(duplicates)}")
        for old, new in self.former_codes.items():
            if new not in codes:
                raise ValueError(f"former code {old} maps to {new}, which is not a current county")
            if old in codes:
                raise ValueError(f"former code {old} is also a current county")
        return self

    @property
    def county_names(self) -> dict[str, str]:
        """Current code -> name."""
        return {c.code: c.name for c in self.counties}

    def map_path(self, base: Path = PROJECT_ROOT) -> Path:
        """The boundary file, relative paths taken from the project root."""
        path = Path(self.map_file)
        return path if path.is_absolute() else base / path


class Target(Strict):
    """An annual target: a growth rate in % or a level in the indicator's unit."""

    kind: Literal["growth", "level"]
    value: float


class Indicator(Strict):
    """One economic indicator of the catalog."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    unit: str = Field(min_length=1)
    definition: str = Field(min_length=1)
    department: str = Field(min_length=1)
    frequency: Literal["monthly", "quarterly", "annual"]
    form: Literal["cumulative", "monthly", "both"]
    growth: Literal["published", "computed", "none"]
    good: Literal["up", "down"]
    additive: bool
    target: Target | None = None
    warn_margin: float = Field(1.0, ge=0)


class AppSettings(Strict):
    """The web app itself."""

    title: str = "领导驾驶舱"
    debug: bool = False
    # production refuses debug and a missing or weak secret key, and never seeds demo
    # accounts; development (`python -m cockpit run`) keeps a generated key in instance/.
    env: Literal["development", "production"] = "production"
    # Desktops and phones: light, dark, or auto (the device's own light/dark setting). Each
    # user can switch in the header; the wall is always dark.
    theme: Literal["light", "dark", "auto"] = "auto"


class PasswordPolicy(Strict):
    """What a password must be (GB/T 22239 身份鉴别: complexity and regular change)."""

    min_length: int = Field(12, ge=8, le=128)
    min_classes: int = Field(3, ge=1, le=4)
    history: int = Field(5, ge=0, le=24, description="how many earlier passwords may not return")
    max_age_days: int = Field(90, ge=0, description="0: never expires")


class OidcSettings(Strict):
    """Single sign-on with the province's unified identity platform (OpenID Connect)."""

    enabled: bool = False
    title: str = "统一身份认证登录"
    issuer: str = ""  # e.g. https://ids.example.gov.cn/oidc (its discovery document is read)
    client_id: str = ""
    client_secret_env: str = "COCKPIT_OIDC_CLIENT_SECRET"
    scopes: tuple[str, ...] = ("openid", "profile")
    # The claim matched to a local user's username: roles and scope stay in the cockpit.
    username_claim: str = "preferred_username"

    @model_validator(mode="after")
    def _complete(self) -> OidcSettings:
        if self.enabled and not (self.issuer and self.client_id):
            raise ValueError("oidc.enabled needs issuer and client_id")
        return self


class SecuritySettings(Strict):
    """Login, sessions, lockout and where wall-screen accounts may sign in from."""

    idle_minutes: int = Field(30, ge=1, le=24 * 60)
    session_hours: int = Field(12, ge=1, le=24 * 30)
    # Wall-screen accounts run for days without a touch: no idle timeout, this lifetime.
    wall_session_days: int = Field(30, ge=1, le=365)
    lockout_attempts: int = Field(5, ge=1, le=100)
    lockout_minutes: int = Field(15, ge=1, le=24 * 60)
    password: PasswordPolicy = PasswordPolicy()
    totp_roles: tuple[str, ...] = ("admin", "security_admin", "auditor")
    # Wall-screen accounts sign in only from these networks (CIDR).
    wall_networks: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    # The management accounts (系统管理员, 安全管理员, 审计管理员) likewise: the admins' desks.
    admin_networks: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    # The audit chain (cockpit/audit.py): its HMAC (sha256, or sm3 for 商用密码), and where its
    # head is also written outside the database so truncation and wiping are found: "auto"
    # (beside a SQLite database file, else instance/audit-anchor.log), a path, or "off".
    audit_hmac: Literal["sha256", "sm3"] = "sha256"
    audit_anchor: str = "auto"
    audit_syslog: str = ""  # also send each head to syslog: "/dev/log" or "host:port" (UDP)
    # How many reverse proxies (nginx) stand in front and set X-Forwarded-For; 0 = none.
    trusted_proxies: int = Field(0, ge=0, le=5)
    # Cookies only over HTTPS; "auto" = in production.
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    # Development only: create one account per role on first start (passwords in instance/).
    demo_accounts: bool = True
    demo_accounts_file: str = "instance/demo-accounts.txt"
    oidc: OidcSettings = OidcSettings()

    @field_validator("wall_networks", "admin_networks")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import ipaddress

        for net in value:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise ValueError(f"not a network: {net!r} (write e.g. 10.1.2.0/24)") from None
        return value

    @field_validator("totp_roles")
    @classmethod
    def _roles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from cockpit.security.roles import known_roles

        return known_roles(value)

    @field_validator("audit_hmac")
    @classmethod
    def _hmac_available(cls, value: str) -> str:
        from cockpit.audit import hmac_available

        if not hmac_available(value):
            raise ValueError(f"{value} is not available in this OpenSSL (cryptography)")
        return value


class ServerSettings(Strict):
    """How gunicorn serves the cockpit (gunicorn.conf.py reads this), and its timeouts.

    The timeouts nest, each layer giving up before the one outside it, so that the user sees
    the cockpit's own message ("数据源超时，显示最近一次成功数据") and never a proxy's 504:
    a source query (each source's query_timeout or timeout, checked in Settings) < a callback
    (waiting for another worker's answer) < a gunicorn worker < the proxy in front (nginx's
    proxy_read_timeout; docs/deployment.md).
    """

    workers: int = Field(2, ge=1, le=64, description="processes; about one per core")
    threads: int = Field(4, ge=1, le=64, description="threads per worker (waits on sources)")
    callback_timeout: int = Field(
        30, ge=1, description="seconds a callback waits for a shared answer"
    )
    worker_timeout: int = Field(45, ge=1, description="gunicorn timeout and graceful timeout")
    proxy_timeout: int = Field(60, ge=1, description="the proxy's read timeout (for its config)")
    compress: bool = Field(True, description="gzip/brotli responses (off when the proxy does it)")
    # Personal answers (never cached: lists with names, repeat callers, keyword samples) are
    # computed for every screen; at most this many at once per worker, the others wait.
    personal_queries: int = Field(2, ge=1, le=64, description="personal computations per worker")
    personal_wait: int = Field(
        10, ge=1, description="seconds to wait for one, then 系统繁忙 (at most callback_timeout/2)"
    )

    @model_validator(mode="after")
    def _timeouts_nest(self) -> ServerSettings:
        order = ("callback_timeout", "worker_timeout", "proxy_timeout")
        values = [getattr(self, name) for name in order]
        if values != sorted(values) or len(set(values)) != len(values):
            shown = " < ".join(f"{n}={v}" for n, v in zip(order, values, strict=True))
            raise ValueError(f"timeouts must grow outwards: expected {shown}")
        return self


class WallScreen(Strict):
    """One screen of the wall's carousel: a module's page, shown for so many seconds."""

    panel: str = Field(min_length=1, description="module key, e.g. overview or economy")
    seconds: int = Field(30, ge=5, le=3600)
    county: Code6 | None = None  # show one county instead of the whole city

    @field_validator("panel")
    @classmethod
    def _known_module(cls, value: str) -> str:
        from cockpit.panels import MODULES

        keys = [key for key, _title in MODULES]
        if value not in keys:
            raise ValueError(f"unknown module {value!r}; expected one of {', '.join(keys)}")
        return value


class WallSettings(Strict):
    """The wall (大屏): its design canvas, how it fits the screen, and what it rotates through.

    Pages are laid out on a canvas of design_width x design_height CSS pixels, exactly as on a
    screen of that size, then scaled to the real screen. tiles > 1 puts screens side by side
    (a 5760x1080 spliced wall shows three 1920x1080 screens at once).
    """

    design_width: int = Field(1920, ge=640, le=7680)
    design_height: int = Field(1080, ge=360, le=4320)
    # contain: all of the canvas, dark bands where the shapes differ; width / height: fill
    # that side; fill: stretch to the screen (no bands, shapes distorted).
    fit: Literal["contain", "width", "height", "fill"] = "contain"
    tiles: int = Field(1, ge=1, le=8)
    screens: tuple[WallScreen, ...] = (WallScreen(panel="overview", seconds=60),)
    refresh_seconds: int = Field(60, ge=10, le=3600, description="panel data refresh")
    health_poll_seconds: float = Field(10, ge=2, le=300)
    reload_hours: float = Field(6, gt=0, le=168, description="fresh page every so often")

    @field_validator("screens")
    @classmethod
    def _some_screen(cls, value: tuple[WallScreen, ...]) -> tuple[WallScreen, ...]:
        # Checked here, not with min_length, so a bad screen is not also reported as "none".
        if not value:
            raise ValueError("list at least one screen")
        return value


class CacheSettings(Strict):
    """Where query results are cached (Flask-Caching)."""

    type: Literal["filesystem", "redis", "null"] = "filesystem"
    dir: str = "instance/cache"
    redis_url: str = "redis://127.0.0.1:6379/0"
    timeout: int = Field(300, ge=1, le=86_400)


class StoreSettings(Strict):
    """The cockpit's own database (supervision actions, acknowledgements, users, audit).

    SQLite by default; PostgreSQL in production through url_env (the URL carries a password).
    """

    url: str | None = "sqlite:///instance/cockpit.db"
    url_env: str | None = None

    @model_validator(mode="after")
    def _no_secret(self) -> StoreSettings:
        if self.url_env is None and self.url is None:
            raise ValueError("give url or url_env")
        if self.url and "@" in self.url and ":" in self.url.split("@")[0].split("//")[-1]:
            raise ValueError("passwords may not be written in config: put the URL in url_env")
        return self


class DatasetBinding(Strict):
    """Which source serves a dataset, from which table, with which column names."""

    source: str
    table: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.]*$")
    columns: dict[str, str] = Field(default_factory=dict)
    # How fresh the data must be: older than this, panels flag it as late ("已超期2天").
    max_age_hours: float | None = Field(None, gt=0)
    # direct (直连): every query goes to the source; sync (抽取): panels read a local copy that
    # `python -m cockpit sync` keeps up to date.
    mode: Literal["direct", "sync"] = "direct"


class SyncSettings(Strict):
    """Where sync mode keeps its local analytic store and its refused batches."""

    path: str = "instance/sync/analytic.duckdb"
    quarantine_dir: str = "instance/quarantine"
    every_minutes: float = Field(
        10, gt=0, description="schedule of `python -m cockpit sync --every`"
    )
    # What one query on the local store may take in a web worker (as a DuckDB source's).
    duckdb_memory_limit: str = Field(
        "64MB", pattern=r"^\d+(\.\d+)?\s*[KMGT]i?B$", description="DuckDB memory per query"
    )
    duckdb_threads: int = Field(2, ge=1, le=64, description="DuckDB threads per query")


def _sources_type() -> Any:
    """One model per adapter kind, chosen by `kind`; each forbids unknown keys."""
    from typing import Union

    return Annotated[Union[config_models()], Field(discriminator="kind")]  # noqa: UP007


class Settings(Strict):
    """The whole validated configuration."""

    app: AppSettings = AppSettings()
    cache: CacheSettings = CacheSettings()
    server: ServerSettings = ServerSettings()
    city: City
    sources: dict[str, _sources_type()]  # type: ignore[valid-type]
    datasets: dict[str, DatasetBinding]
    indicators: tuple[Indicator, ...] = ()
    store: StoreSettings = StoreSettings()
    sync: SyncSettings = SyncSettings()
    security: SecuritySettings = SecuritySettings()
    wall: WallSettings = WallSettings()
    # Each module's own section (config/<module>.yaml), validated by the module's PanelSpec
    # config_model when the app is built, so a module's settings live with the module.
    overview: dict[str, Any] = Field(default_factory=dict)
    economy: dict[str, Any] = Field(default_factory=dict)
    key_work: dict[str, Any] = Field(default_factory=dict)
    risk: dict[str, Any] = Field(default_factory=dict)
    emergency: dict[str, Any] = Field(default_factory=dict)
    hotline: dict[str, Any] = Field(default_factory=dict)
    briefing: dict[str, Any] = Field(default_factory=dict)
    secret_key: str | None = None
    audit_key: str | None = None
    base_dir: Path = PROJECT_ROOT

    @field_validator("datasets")
    @classmethod
    def _known_datasets(
        cls, value: dict[str, DatasetBinding], info: ValidationInfo
    ) -> dict[str, DatasetBinding]:
        sources = info.data.get("sources") or {}
        for name, binding in value.items():
            if sources and binding.source not in sources:
                raise ValueError(
                    f"dataset {name} uses source {binding.source!r}, which is not in sources"
                )
        unknown = sorted(set(value) - set(CONTRACTS))
        if unknown:
            raise ValueError(
                f"unknown dataset {', '.join(unknown)}; expected one of {', '.join(sorted(CONTRACTS))}"
            )
        for name, binding in value.items():
            contract_columns = {c.name for c in CONTRACTS[name].columns}
            bad = sorted(set(binding.columns) - contract_columns)
            if bad:
                raise ValueError(
                    f"{name}.columns maps {', '.join(bad)}, not in the dataset contract"
                )
        return value

    @field_validator("indicators")
    @classmethod
    def _unique_indicators(cls, value: tuple[Indicator, ...]) -> tuple[Indicator, ...]:
        ids = [i.id for i in value]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"indicator ids repeated: {', '.join(repeated)}")
        return value

    @model_validator(mode="after")
    def _sources_within_callback_timeout(self) -> Settings:
        limit = self.server.callback_timeout
        for name, source in self.sources.items():
            for field in ("query_timeout", "timeout"):  # sql, rest
                seconds = getattr(source, field, None)
                if seconds is not None and seconds >= limit:
                    raise ValueError(
                        f"sources.{name}.{field} is {seconds:g}s: it must be below "
                        f"server.callback_timeout ({limit}s)"
                    )
        return self

    @field_validator("wall")
    @classmethod
    def _wall_counties_known(cls, value: WallSettings, info: ValidationInfo) -> WallSettings:
        city = info.data.get("city")
        if city is None:
            return value
        for i, screen in enumerate(value.screens):
            if screen.county is not None and screen.county not in city.county_names:
                raise ValueError(
                    f"screens.{i}.county: {screen.county} is not a county of {city.name}"
                )
        return value

    def path(self, value: str) -> Path:
        """A configured path, relative ones taken from the project root."""
        path = Path(value)
        return path if path.is_absolute() else self.base_dir / path

    def module_section(self, key: str) -> dict[str, Any]:
        """The raw config section of a module (empty when the file has none)."""
        return dict(getattr(self, key, {}) or {})

    @property
    def indicator_map(self) -> dict[str, Indicator]:
        """Indicator id -> its catalog entry."""
        return {i.id: i for i in self.indicators}


class ConfigError(Exception):
    """The configuration is wrong; `problems` holds one readable line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_settings(
    config_dir: Path | str | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """Read, merge and validate config/*.yaml and COCKPIT_* overrides; ConfigError if wrong."""
    environ = dict(os.environ if environ is None else environ)
    folder = Path(config_dir or environ.get("COCKPIT_CONFIG_DIR") or DEFAULT_CONFIG_DIR)
    if not folder.is_dir():
        raise ConfigError([f"{folder}: config folder not found"])
    raw: dict[str, Any] = {}
    origin: dict[str, str] = {}  # top-level section -> the file it came from
    problems: list[str] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark else ""
            problems.append(f"{_rel(path)}{where}: not valid YAML ({getattr(exc, 'problem', exc)})")
            continue
        if not isinstance(data, dict):
            problems.append(f"{_rel(path)}: expected a mapping of sections at the top")
            continue
        for section, value in data.items():
            if section in raw:
                problems.append(
                    f"{_rel(path)}: section {section!r} is also defined in {origin[section]}"
                )
            raw[section] = value
            origin[section] = _rel(path)
    if problems:
        raise ConfigError(problems)
    overrides: dict[tuple[str, ...], str] = {}  # key path -> the variable that set it
    for name, value in sorted(environ.items()):
        # Only COCKPIT_<SECTION>__<KEY> is an override; other COCKPIT_* variables (a source's
        # url_env, test settings) are not, and their values must never reach an error line.
        if name.startswith(ENV_PREFIX) and "__" in name and name not in _NOT_OVERRIDES:
            keys = name[len(ENV_PREFIX) :].lower().split("__")
            _set_path(raw, keys, _env_value(value))
            overrides[tuple(keys)] = name
            origin.setdefault(keys[0], f"${name}")
    raw["secret_key"] = environ.get("COCKPIT_SECRET_KEY")
    raw["audit_key"] = environ.get("COCKPIT_AUDIT_KEY")
    # Relative paths in config (the map, the demo file) are taken from the project root.
    raw.setdefault("base_dir", PROJECT_ROOT)
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, origin, overrides)) from None


def _env_value(text: str) -> Any:
    """An override's value: text as written (pydantic turns "5000" into a number where a
    number is expected), except a YAML list or mapping, which is parsed.

    Reading scalars as YAML would turn COCKPIT_CITY__CODE=140400 into a number, "no" into
    False and "null" into nothing."""
    if text.lstrip().startswith(("[", "{")):
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError:
            return text
    return text


def _set_path(data: dict[str, Any], keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        data = data.setdefault(key, {})
    data[keys[-1]] = value


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _explain(
    exc: ValidationError, origin: dict[str, str], overrides: dict[tuple[str, ...], str]
) -> list[str]:
    """One line per problem: file (or $VARIABLE): field: what was expected (got what)."""
    lines = []
    for err in exc.errors():
        loc = [str(part) for part in err["loc"]]
        # A source's errors carry its kind as a path step (sources.<name>.<kind>.<field>),
        # put there by the discriminated union: drop that step for the reader.
        if len(loc) > 2 and loc[0] == "sources" and loc[2] in ADAPTERS:
            del loc[2]
        where = origin.get(loc[0], "config") if loc else "config"
        for path, variable in overrides.items():
            if tuple(loc[: len(path)]) == path:
                where = f"${variable}"
        field = ".".join(loc) or "(top)"
        message = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        shown = "" if isinstance(got, (dict, list)) or got is None else f" (got {got!r})"
        if loc and loc[0] == "sources" and isinstance(got, str) and "://" in got:
            shown = ""  # a URL may carry a password: never echo it
        if err["type"] == "missing":
            message = "required, missing"
            shown = ""
        lines.append(f"{where}: {field}: {message}{shown}")
    return lines
