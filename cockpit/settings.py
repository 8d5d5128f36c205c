"""Settings: config/*.yaml validated at start-up, with environment overrides.

Every top-level section lives in one YAML file of the config folder (city, sources, datasets,
indicators, app, cache). COCKPIT_<SECTION>__<KEY>=value overrides a key; secrets come only from
the environment (COCKPIT_SECRET_KEY, COCKPIT_AUDIT_KEY, COCKPIT_DATA_KEY, and each SQL source's
url_env). A wrong configuration stops start-up with one line per problem: file, field, what was
expected. `key_problems` says which of those keys production must refuse (missing, a known
default, or patterned: see `key_strength_bits`).
"""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from cockpit.contracts import CONTRACTS
from data_sources.registry import ADAPTERS, config_models
from data_sources.sql import SqlConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_DIR = PROJECT_ROOT / "config"
ENV_PREFIX = "COCKPIT_"
# Environment variables with the prefix that are not overrides of a config key.
_NOT_OVERRIDES = {
    "COCKPIT_CONFIG_DIR",
    "COCKPIT_SECRET_KEY",
    "COCKPIT_AUDIT_KEY",
    "COCKPIT_DATA_KEY",
    "COCKPIT_ENV",
}

Code6 = Annotated[str, Field(pattern=r"^\d{6}$", description="6-digit division code")]


class Strict(BaseModel):
    """Unknown keys are errors: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class County(Strict):
    """A county-level division (县、区、县级市)."""

    code: Code6
    name: str = Field(min_length=1)


class Population(Strict):
    """Residents per county, for maps' rates per 10,000 residents (每万人): the year they are
    of and where they come from, both said on screen."""

    year: int = Field(ge=1949, le=2100)
    source: str = ""
    counties: dict[Code6, Annotated[float, Field(gt=0)]] = Field(min_length=1)  # 万人


class City(Strict):
    """The city the cockpit serves."""

    name: str = Field(min_length=1)
    code: Code6
    province: str = ""
    counties: tuple[County, ...] = Field(min_length=1)
    former_codes: dict[Code6, Code6] = Field(default_factory=dict)
    map_file: str
    # Township (乡镇/街道) boundaries (GeoJSON, feature id = 9-digit township code): with it,
    # and data carrying township codes, a chosen county drills down to its townships
    # (cockpit/townships.py). Without it the county is the lowest level.
    township_file: str | None = None
    population: Population | None = None  # without it, maps offer no rate per 10,000
    # The zone the city's data is stamped in: every "now" a check compares with is this
    # zone's wall clock, never the server's (a UTC server would see Beijing data as future).
    timezone: str = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from exc
        return value

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
        unknown = sorted(set(self.population.counties) - set(codes)) if self.population else []
        if unknown:
            raise ValueError(
                f"population given for codes that are not counties: {', '.join(unknown)}"
            )
        return self

    @property
    def county_names(self) -> dict[str, str]:
        """Current code -> name."""
        return {c.code: c.name for c in self.counties}

    def map_path(self, base: Path = PROJECT_ROOT) -> Path:
        """The boundary file, relative paths taken from the project root."""
        path = Path(self.map_file)
        return path if path.is_absolute() else base / path

    def township_path(self, base: Path = PROJECT_ROOT) -> Path | None:
        """The township boundary file (relative to the project root), or None: no townships."""
        if not self.township_file:
            return None
        path = Path(self.township_file)
        return path if path.is_absolute() else base / path


Year = Annotated[int, Field(ge=1949, le=2100)]
CountyCode = Annotated[str, Field(pattern=r"^\d{6}$")]


class Target(Strict):
    """An annual target: a growth rate in % or a level in the indicator's unit.

    Targets change from year to year (长治's GDP target was 7% in 2023, 6% later), and a
    county may have its own: `value` holds for every year without its own entry in `years`,
    and `counties` overrides both for a county in the years it names.
    """

    kind: Literal["growth", "level"]
    value: float | None = None  # every year's target unless `years` gives one
    years: dict[Year, float] = Field(default_factory=dict)
    counties: dict[CountyCode, dict[Year, float]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _has_a_value(self) -> Target:
        if self.value is None and not self.years and not self.counties:
            raise ValueError("a target needs a value, or values by year (years: {2023: 7.0})")
        return self

    def for_year(self, year: int | None, county: str | None = None) -> float | None:
        """The target of `year` (for `county` where it has its own); None when none is set.
        Without a year: the target that holds for every year."""
        if year is None:
            return self.value
        own = self.counties.get(county or "", {})
        if year in own:
            return own[year]
        return self.years.get(year, self.value)


class Decimals(Strict):
    """How many decimals an indicator is shown with, where its bulletin says so; unset, the
    figures show the decimals their source row carries (see cockpit.formatting.carried_decimals)."""

    value: int | None = Field(None, ge=0, le=6)
    growth: int | None = Field(None, ge=0, le=4)


class Release(Strict):
    """When a period's figure is published: `day` of the month `months_after` the period's last
    month (monthly figures on the 18th-20th of the next month; an annual figure later)."""

    months_after: int = Field(1, ge=0, le=12)
    day: int = Field(20, ge=1, le=31)


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
    # Do the counties' figures add up to the city's? Unset: as additive. False where the city
    # has a part of its own (市本级 revenue): the data check does not compare them.
    county_sum: bool | None = None
    target: Target | None = None
    warn_margin: float = Field(1.0, ge=0)
    decimals: Decimals = Decimals()
    # Published by county as well as for the city (false: for the city only, like CPI); a
    # county without a figure then reads 不分县区发布, not 暂无数据.
    by_county: bool = True
    # The release calendar: a period's figure not due yet reads 尚未发布; due and absent, 暂无数据.
    release: Release = Release()

    def release_date(self, period: str) -> dt.date:
        """When the figure of `period` (YYYY-MM, its last month) is due by the release calendar."""
        import calendar

        index = int(period[:4]) * 12 + int(period[5:7]) - 1 + self.release.months_after
        year, month = divmod(index, 12)
        last_day = calendar.monthrange(year, month + 1)[1]
        return dt.date(year, month + 1, min(self.release.day, last_day))

    def growth_target(self, year: int | None, county: str | None = None) -> float | None:
        """The growth target (%) of `year` for the city or a county; None without one."""
        if self.target is None or self.target.kind != "growth":
            return None
        return self.target.for_year(year, county)


Month = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class LeaderLinks(Strict):
    """What one leader account 分管 (config/leaders.yaml; cockpit/leaders.py): registry module
    keys, 重点工作 task ids, bureau names and county codes, each in the leader's own order. The
    admin page and `python -m cockpit leaders` keep links in the store, which win over these."""

    modules: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    bureaus: tuple[str, ...] = ()
    counties: tuple[str, ...] = ()

    @field_validator("modules")
    @classmethod
    def _registered(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from cockpit.modules import module_keys

        keys = module_keys()  # the built-in modules and the domains of config/domains/
        unknown = [m for m in value if m not in keys]
        if unknown:
            raise ValueError(
                f"unknown module {', '.join(unknown)}; expected one of {', '.join(keys)}"
            )
        return value


class PeriodBounds(Strict):
    """Months a module's 统计期 selector offers beyond its data's own range (cockpit.periods):
    `first` to reach back further, `last` to offer months the data have not reached yet."""

    first: Month | None = None
    last: Month | None = None


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


class ExportLimits(Strict):
    """Who may download personal columns unmasked, and how much (every export is masked else).

    A right granted rarely, by the operator, here: no built-in role holds it. A role that a
    city defines with the `export_unmasked` permission holds it too."""

    unmasked_roles: tuple[str, ...] = ()  # roles granted the unmasked export
    unmasked_users: tuple[str, ...] = ()  # usernames granted it
    unmasked_max_rows: int = Field(2000, ge=1, le=50_000)  # a bigger file is refused
    unmasked_per_day: int = Field(3, ge=1, le=100)  # unmasked files per user in 24 hours
    min_reason: int = Field(6, ge=4, le=50)  # characters of the stated reason

    @field_validator("unmasked_roles")
    @classmethod
    def _roles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from cockpit.security.roles import known_roles

        return known_roles(value)


class UnmaskLimits(Strict):
    """How often one user may reveal one ticket's personal information (查看完整信息)."""

    per_window: int = Field(20, ge=1, le=1000)
    window_minutes: int = Field(10, ge=1, le=24 * 60)
    min_reason: int = Field(4, ge=2, le=50)  # characters of the stated reason


class AtRestSettings(Strict):
    """How the cockpit encrypts the secrets it keeps in its own database (cockpit/security/crypto.py).

    aes-256-gcm (the default) or sm4-gcm (商用密码, GB/T 39786; SM4 from OpenSSL through the
    `cryptography` package). Values carry the algorithm they were sealed with, so switching
    keeps old values readable; `python -m cockpit users reseal` re-encrypts them all.
    """

    algorithm: Literal["aes-256-gcm", "sm4-gcm"] = "aes-256-gcm"

    @field_validator("algorithm")
    @classmethod
    def _available(cls, value: str) -> str:
        from cockpit.security.crypto import available

        if not available(value):
            raise ValueError(f"{value} is not offered by this server's OpenSSL (cryptography)")
        return value


class SecuritySettings(Strict):
    """Login, sessions, lockout and where wall-screen accounts may sign in from."""

    idle_minutes: int = Field(30, ge=1, le=24 * 60)
    session_hours: int = Field(12, ge=1, le=24 * 30)
    # Wall-screen accounts run for days without a touch: no idle timeout, this lifetime.
    wall_session_days: int = Field(30, ge=1, le=365)
    # Wrong passwords or one-time codes for one account from one address within lockout_minutes
    # lock that account at that address; from all addresses together, lockout_total locks it
    # everywhere. So anyone can lock an account only for themselves, not for its owner.
    lockout_attempts: int = Field(5, ge=1, le=100)
    lockout_minutes: int = Field(15, ge=1, le=24 * 60)
    lockout_total: int = Field(20, ge=1, le=1000)
    # Failed sign-ins from one address (any usernames) within address_minutes: then that
    # address may not try again until the window passes (password spraying, name guessing).
    address_attempts: int = Field(20, ge=1, le=1000)
    address_minutes: int = Field(15, ge=1, le=24 * 60)
    # Minutes between the password and the one-time code (the pending step lives this long).
    totp_pending_minutes: int = Field(5, ge=1, le=30)
    # Requests without a live session are audited, at most this many records a minute per
    # worker (a flood must not fill the log); the rest are counted in the next record.
    unauthenticated_audit_per_minute: int = Field(30, ge=1, le=10_000)
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
    # The addresses of those proxies (CIDR): X-Forwarded-For from any other peer is ignored,
    # so a client that reaches gunicorn directly cannot claim another address.
    proxy_addresses: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    # Cookies only over HTTPS; "auto" = in production.
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    # Development only: create one account per role on first start (passwords in instance/).
    demo_accounts: bool = True
    demo_accounts_file: str = "instance/demo-accounts.txt"
    oidc: OidcSettings = OidcSettings()
    exports: ExportLimits = ExportLimits()
    unmask: UnmaskLimits = UnmaskLimits()
    # Second-factor secrets encrypted at rest, and with which algorithm (AES-GCM or SM4-GCM).
    at_rest: AtRestSettings = AtRestSettings()

    @field_validator("wall_networks", "proxy_addresses", "admin_networks")
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
    # More than one: the hosts must share their cache and database (cockpit.preflight).
    hosts: int = Field(1, ge=1, le=64, description="app hosts behind the load balancer")
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
        from cockpit.modules import MODULES, module_keys

        if value in MODULES:  # a built-in module (also at import: the default screens)
            return value
        keys = list(module_keys())
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
    # A Redis that hangs must not hang the screens: every call gives up after these seconds,
    # and after a failure the cache is skipped for retry_seconds (answers are computed).
    connect_timeout: float = Field(0.5, gt=0, le=10)
    socket_timeout: float = Field(0.5, gt=0, le=10)
    retry_seconds: float = Field(5.0, gt=0, le=300)


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


class SyncOverride(Strict):
    """One dataset's own look-back and reconciliation schedule (unset: the sync defaults)."""

    lookback_hours: float | None = Field(None, ge=0)
    reconcile_hours: float | None = Field(None, gt=0)
    reconcile_every_syncs: int | None = Field(None, ge=0)


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
    # Each sync re-reads the rows stamped within this many hours before the newest stamp it
    # has seen (upserting them by key): a row delivered late, stamped in the same second, or
    # committed by a long transaction after a later stamp was read is still copied. Cover the
    # platform's usual delay (T+1 deliveries: two days).
    lookback_hours: float = Field(48, ge=0, description="look-back window of every sync")
    # Reconciliation compares counts and checksums per month page with the source and
    # re-pulls the pages that differ (rows missed beyond the look-back, rows deleted at the
    # source). It runs when the last one is older than reconcile_hours, or every
    # reconcile_every_syncs runs (0: by time only).
    reconcile_hours: float = Field(24, gt=0, description="reconcile at least this often")
    reconcile_every_syncs: int = Field(0, ge=0, description="also reconcile every N syncs")
    # Per dataset: {dataset: {lookback_hours: .., reconcile_hours: .., reconcile_every_syncs: ..}}
    datasets: dict[str, SyncOverride] = Field(default_factory=dict)
    # `sync --every`: how long to keep retrying while another process holds the store open.
    busy_retry_seconds: float = Field(300, ge=0, description="wait for a busy store this long")

    def for_dataset(self, dataset: str) -> SyncOverride:
        """The look-back and reconciliation schedule of one dataset (its override, else these)."""
        own = self.datasets.get(dataset)
        return SyncOverride(
            lookback_hours=self.lookback_hours
            if own is None or own.lookback_hours is None
            else own.lookback_hours,
            reconcile_hours=self.reconcile_hours
            if own is None or own.reconcile_hours is None
            else own.reconcile_hours,
            reconcile_every_syncs=self.reconcile_every_syncs
            if own is None or own.reconcile_every_syncs is None
            else own.reconcile_every_syncs,
        )


def _sources_type() -> Any:
    """One model per adapter kind, chosen by `kind`; each forbids unknown keys."""
    from typing import Union

    return Annotated[Union[config_models()], Field(discriminator="kind")]  # noqa: UP007


class SharedSettings(Strict):
    """The whole validated configuration but the modules' own sections (see Settings)."""

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
    # Per module key (economy, hotline, overview...): months added to its period selector.
    periods: dict[str, PeriodBounds] = Field(default_factory=dict)
    notify: dict[str, Any] = Field(default_factory=dict)  # cockpit/notify/config.py
    # Username -> what that leader account 分管 (我的驾驶舱, cockpit/leaders.py).
    leaders: dict[str, LeaderLinks] = Field(default_factory=dict)
    secret_key: str | None = None
    audit_key: str | None = None
    data_key: str | None = None  # COCKPIT_DATA_KEY: secrets at rest (else from secret_key)
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

    @field_validator("periods")
    @classmethod
    def _known_modules(cls, value: dict[str, PeriodBounds]) -> dict[str, PeriodBounds]:
        from cockpit.modules import module_keys

        keys = list(module_keys())
        unknown = sorted(set(value) - set(keys))
        if unknown:
            raise ValueError(
                f"unknown module {', '.join(unknown)}; expected one of {', '.join(keys)}"
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
    def _aggregate_tables_name_rollups(self) -> Settings:
        # A SQL source's platform tables stand for the cockpit's rollups by name (the adapter
        # knows nothing of ours, so the names are checked here, with the rest of the config).
        from cockpit.rollups import platform_problem

        for name, source in self.sources.items():
            if not isinstance(source, SqlConfig):
                continue
            problem = platform_problem(source.aggregate_tables)
            if problem:
                raise ValueError(f"sources.{name}.{problem}")
        return self

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

    @field_validator("leaders")
    @classmethod
    def _leader_counties_known(
        cls, value: dict[str, LeaderLinks], info: ValidationInfo
    ) -> dict[str, LeaderLinks]:
        city = info.data.get("city")
        if city is None:
            return value
        for name, links in value.items():
            unknown = [c for c in links.counties if c not in city.county_names]
            if unknown:
                raise ValueError(
                    f"{name}.counties: {', '.join(unknown)} is not a county of {city.name}"
                )
        return value

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


def _with_module_sections(shared: type[SharedSettings]) -> type[SharedSettings]:
    """Settings: the shared sections, and one section per module of the registry
    (cockpit.modules.MODULES), so that config/<module>.yaml of a module added there is read
    without a line here. A section is kept raw; the module's config model (ModuleSpec) checks
    it when the app is built (cockpit.factory.module_configs) and `check-config` runs."""
    from cockpit.modules import MODULES

    clash = sorted(set(MODULES) & set(shared.model_fields))
    if clash:
        raise ValueError(f"module keys {clash} are also shared settings sections")
    sections: dict[str, Any] = {
        key: (dict[str, Any], Field(default_factory=dict)) for key in MODULES
    }
    return create_model(
        "Settings",
        __base__=shared,
        __module__=__name__,
        __doc__="The whole validated configuration: the shared sections and each module's own.",
        **sections,
    )


# A class made from the registry: type checkers see the shared sections (modules' sections are
# read through module_section).
if TYPE_CHECKING:
    Settings = SharedSettings
else:
    Settings = _with_module_sections(SharedSettings)


class ConfigError(Exception):
    """The configuration is wrong; `problems` holds one readable line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# Secret keys seen in examples and tutorials: a production cockpit refuses them.
WEAK_KEYS = frozenset({"secret", "changeme", "change-me", "dev", "development", "cockpit", "test"})
MIN_KEY_LENGTH = 32
# The estimate below is deliberately pessimistic: a random 32-hex-digit key (128 bits) scores
# 64 to 190, patterned keys ("a"*32, "abcd"*8, "0123456789...", keyboard rows, a word
# repeated) score under 50. 56 lies between.
MIN_KEY_BITS = 56
# Runs of characters a person types as "random": the alphabet, the digits, keyboard rows and
# columns. A character next to the previous one in a run (either way) is predictable.
_RUNS = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
)


def key_strength_bits(key: str) -> float:
    """A pessimistic estimate of a key's entropy in bits.

    A character that could be predicted from the ones before it counts nothing: a pair seen
    earlier in the key (repeated blocks), the same step as the last (aaaa, 2468), or the next
    character of a run (abcd, 4321, qwer). Every other character counts log2 of the alphabet
    its key draws from (hex digits 16; else digits 10, lower 26, upper 26, symbols 33)."""
    if not key:
        return 0.0
    surprising = 0
    seen: set[str] = set()
    for i, char in enumerate(key):
        predictable = False
        if i:
            prev = key[i - 1]
            pair = prev + char
            lowered = pair.lower()
            predictable = (
                pair in seen
                or any(lowered in run or lowered[::-1] in run for run in _RUNS)
                or (i >= 2 and ord(char) - ord(prev) == ord(prev) - ord(key[i - 2]))
            )
            seen.add(pair)
        surprising += not predictable
    return surprising * math.log2(_alphabet_size(key))


def _alphabet_size(key: str) -> int:
    if all(c in "0123456789abcdef" for c in key) or all(c in "0123456789ABCDEF" for c in key):
        return 16
    size = 10 if any(c.isdigit() for c in key) else 0
    size += 26 if any(c.islower() for c in key) else 0
    size += 26 if any(c.isupper() for c in key) else 0
    size += 33 if any(not c.isalnum() for c in key) else 0
    return max(size, 2)


def secret_key_problem(key: str | None, name: str = "COCKPIT_SECRET_KEY") -> str | None:
    """One line saying why production must refuse this key (None: it is fine)."""
    advice = (
        "use 32+ random characters, e.g. python -c 'import secrets; print(secrets.token_hex(32))'"
    )
    if not key:
        return f"{name}: not set; production needs a random key of 32+ characters"
    if key.lower() in WEAK_KEYS or len(key) < MIN_KEY_LENGTH:
        return f"{name}: too weak or a known default; {advice}"
    if key_strength_bits(key) < MIN_KEY_BITS:
        return f"{name}: too weak (a repeated or sequential pattern); {advice}"
    return None


def key_problems(settings: Settings) -> list[str]:
    """What production refuses about the keys in the environment, one line each."""
    problems = [secret_key_problem(settings.secret_key)]
    if settings.data_key is not None:  # optional; when given, as strong as the secret key
        problems.append(secret_key_problem(settings.data_key, "COCKPIT_DATA_KEY"))
    return [p for p in problems if p]


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
    unreadable = False  # a file could not be read: its sections are missing, not wrong
    for path in sorted(folder.glob("*.yaml")):
        data, problem = _read_yaml(path)
        if problem:
            problems.append(problem)
            unreadable = True
            continue
        for section, value in data.items():
            if section in raw:
                problems.append(
                    f"{_rel(path)}: section {section!r} is also defined in {origin[section]}"
                )
            raw[section] = value
            origin[section] = _rel(path)
    overrides: dict[tuple[str, ...], str] = {}  # key path -> the variable that set it
    for name, value in sorted(environ.items()):
        # Only COCKPIT_<SECTION>__<KEY> is an override; other COCKPIT_* variables (a source's
        # url_env, test settings) are not, and their values must never reach an error line.
        if name.startswith(ENV_PREFIX) and "__" in name and name not in _NOT_OVERRIDES:
            keys = name[len(ENV_PREFIX) :].lower().split("__")
            try:
                resolved = _set_path(raw, keys, _env_value(value))
            except _OverrideError as exc:
                problems.append(f"${name}: {exc}")
                continue
            overrides[resolved] = name
            origin.setdefault(resolved[0], f"${name}")
    # The domains defined in config/domains/ (docs/domains.md): each mistake on one line, and
    # their datasets bound to the source they name unless datasets.yaml binds them itself.
    problems += _configured_domains(folder, raw)
    raw["secret_key"] = environ.get("COCKPIT_SECRET_KEY")
    raw["audit_key"] = environ.get("COCKPIT_AUDIT_KEY")
    raw["data_key"] = environ.get("COCKPIT_DATA_KEY")
    # Relative paths in config (the map, the demo file) are taken from the project root.
    raw.setdefault("base_dir", PROJECT_ROOT)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        # Every problem at once: those of the files that were read are reported beside those
        # that stopped a file being read, except "missing" for what such a file would hold.
        problems += _explain(exc, origin, overrides, skip_missing_sections=unreadable)
        raise ConfigError(problems) from None
    if problems:
        raise ConfigError(problems)
    return settings


def _configured_domains(folder: Path, raw: dict[str, Any]) -> list[str]:
    """The mistakes in the folder's domain files; binds their datasets in `raw` (default
    source: each dataset's `source`, table <domain>_<dataset>)."""
    from cockpit.domains.configured import dataset_name, loader, table_name

    loaded = loader.load(folder)
    bindings = raw.get("datasets")
    if isinstance(bindings, dict):
        for domain in loaded.domains:
            for d in domain.datasets:
                name = dataset_name(domain, d.key)
                if name not in CONTRACTS:  # registered from another config dir (the env's)
                    continue
                bindings.setdefault(name, {"source": d.source, "table": table_name(domain, d.key)})
    return list(loaded.problems)


def read_sections(config_dir: Path | str | None = None) -> dict[str, Any]:
    """The sections of every readable config file, unvalidated (for checks beside Settings)."""
    folder = Path(config_dir or os.environ.get("COCKPIT_CONFIG_DIR") or DEFAULT_CONFIG_DIR)
    sections: dict[str, Any] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        sections.update(_read_yaml(path)[0])
    return sections


def _read_yaml(path: Path) -> tuple[dict[str, Any], str | None]:
    """A config file's sections, or the one line that says why it cannot be read."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return {}, (
            f"{_rel(path)} line {line}: not UTF-8 (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8 (GBK and other encodings are not read)"
        )
    try:
        parsed = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        return {}, f"{_rel(path)}{where}: not valid YAML ({getattr(exc, 'problem', exc)})"
    if not isinstance(parsed, dict):
        return {}, f"{_rel(path)}: expected a mapping of sections at the top"
    return parsed, None


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


class _OverrideError(ValueError):
    """An override variable names a key path that the configuration does not have."""


def _set_path(data: dict[str, Any], keys: list[str], value: Any) -> tuple[str, ...]:
    """Set `value` at the key path of an override; return the path as config spells it.

    Shells accept only letters, digits and underscores in variable names, so a step may name
    a list item by its index or its `id` (COCKPIT_INDICATORS__GDP__TARGET__VALUE), and a key
    with dots or dashes with underscores instead (COCKPIT_DATASETS__HOTLINE_TICKETS__TABLE).
    """
    node: Any = data
    path: list[str] = []
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        where = ".".join(path) or "(top)"
        if isinstance(node, list):
            index = _list_index(node, key)
            if index is None:
                raise _OverrideError(
                    f"{where} has no item {key!r} (give its index 0-{len(node) - 1} or its id)"
                )
            path.append(str(index))
            if last:
                node[index] = value
            elif isinstance(node[index], dict | list):
                node = node[index]
            else:
                raise _OverrideError(f"{'.'.join(path)} is a value, not a section")
            continue
        if not isinstance(node, dict):
            raise _OverrideError(f"{where} is a value, not a section")
        key = _dict_key(node, key, known=CONTRACTS if path == ["datasets"] else ())
        path.append(key)
        if last:
            node[key] = value
        else:
            child = node.get(key)
            if child is None:
                child = node[key] = {}
            elif not isinstance(child, dict | list):
                raise _OverrideError(f"{'.'.join(path)} is a value, not a section")
            node = child
    return tuple(path)


def _list_index(items: list[Any], key: str) -> int | None:
    """A list item named by its index or its id (case-insensitive), else None."""
    if key.isdigit():
        return int(key) if int(key) < len(items) else None
    for index, item in enumerate(items):
        if isinstance(item, dict) and _shell_name(str(item.get("id", ""))) == key:
            return index
    return None


def _dict_key(node: dict[str, Any], key: str, known: Any = ()) -> str:
    """The key of `node` (or a known name) that a shell-safe step stands for; else the step."""
    for name in [*node, *known]:
        if _shell_name(str(name)) == key:
            return str(name)
    return key


def _shell_name(name: str) -> str:
    """How a key is written in a variable name: lower case, dots and dashes as underscores."""
    return name.lower().replace(".", "_").replace("-", "_")


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _explain(
    exc: ValidationError,
    origin: dict[str, str],
    overrides: dict[tuple[str, ...], str],
    skip_missing_sections: bool = False,
) -> list[str]:
    """One line per problem: file (or $VARIABLE): field: what was expected (got what)."""
    lines = []
    for err in exc.errors():
        loc = [str(part) for part in err["loc"]]
        if skip_missing_sections and err["type"] == "missing" and len(loc) == 1:
            continue  # the section is in a file that could not be read: already said
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
