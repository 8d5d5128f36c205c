"""Command line: python -m cockpit {run, demo-data, check-config, sync, check, docs, db, users,
audit, briefing, contacts} --help."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from cockpit import clock
from cockpit.settings import ConfigError, Settings, key_problems, load_settings


def _progress_printer() -> Callable[[str, float], None]:
    """Progress on stderr: one bar redrawn on a terminal, one line per step in a log."""
    started = time.monotonic()
    terminal = sys.stderr.isatty()
    start = "\r" if terminal else ""

    def show(stage: str, fraction: float) -> None:
        bar = "#" * int(fraction * 30)
        print(
            f"{start}[{bar:<30}] {fraction:4.0%} {stage:<8} {time.monotonic() - started:5.1f}s",
            end="" if fraction < 1 and terminal else "\n",
            flush=True,
            file=sys.stderr,
        )

    return show


def cmd_run(args: argparse.Namespace) -> int:
    """Serve the cockpit locally (use gunicorn app:server in production)."""
    from cockpit.factory import create_app

    settings = load_settings()
    # The local server is for trying the cockpit: development mode keeps a generated secret
    # key in instance/ and makes demo accounts. Production runs under gunicorn; --production
    # applies its checks here, and --debug is app.debug, which production refuses (harden):
    # the Werkzeug debugger runs code for whoever reaches it.
    env = "production" if args.production else "development"
    settings = settings.model_copy(
        update={
            "app": settings.app.model_copy(
                update={"env": env, "debug": settings.app.debug or args.debug}
            )
        }
    )
    app = create_app(settings)
    hub = app.server.extensions["cockpit_hub"]
    for name, source in hub.sources.items():
        if hasattr(source, "ensure_generated"):
            print(f"准备演示数据源 {name} ...", file=sys.stderr)
            source.ensure_generated(progress=_progress_printer())
    print(f"领导驾驶舱: http://{args.host}:{args.port}/", file=sys.stderr)
    hint = app.server.extensions["cockpit_gate"].demo_hint
    if hint:
        print(hint, file=sys.stderr)
    if not settings.app.debug or os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        # The warning check and deliveries, in-process on the embedded default (docs/notifications.md);
        # with the reloader, only in the child that serves.
        from cockpit.jobs.runner import start_embedded

        start_embedded(app)
    app.run(host=args.host, port=args.port, debug=settings.app.debug)
    return 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    """Generate the demo database the app serves: tickets streamed, meta and rollups written."""
    import duckdb

    from cockpit.demo_data import demo_source
    from data_sources.demo import DemoConfig, meta_path

    settings = load_settings()
    configured = settings.sources.get("demo")
    base = configured if isinstance(configured, DemoConfig) else DemoConfig(kind="demo")
    # Unset options take the configured demo source's values, so that by default the file is
    # the one the app would generate itself, and the app serves it as it is.
    config = base.model_copy(
        update={
            key: value
            for key, value in {
                "path": args.out,
                "seed": args.seed,
                "tickets": args.tickets,
                "start_year": args.start_year,
                "end_date": args.end_date,
            }.items()
            if value is not None
        }
    )
    source = demo_source("demo", config, city=settings.city, base_dir=settings.base_dir)
    out = source.path
    if out.exists() and not args.force:
        print(f"error: {out} exists (use --force to replace it)", file=sys.stderr)
        return 2
    meta_path(out).unlink(missing_ok=True)  # so that the source regenerates it
    source.ensure_generated(progress=_progress_printer(), block_size=args.block_size)
    con = duckdb.connect(str(out), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SHOW TABLES").fetchall()]
        for table in tables:
            rows = con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]
            print(f"{table:28s} {rows:>12,d}")
    finally:
        con.close()
    print(
        f"{out}: the app serves it as it is with sources.demo path, tickets={config.tickets}, "
        f"seed={config.seed}, start_year={config.start_year}, "
        f"end_date={config.end_date or clock.today()} (e.g. COCKPIT_SOURCES__DEMO__TICKETS="
        f"{config.tickets}); with other settings it generates its own.",
        file=sys.stderr,
    )
    return 0


def _ticket_count(text: str) -> int:
    """--tickets: a whole number the demo source accepts (1,000 to 50,000,000)."""
    from data_sources.demo import DemoConfig

    field = DemoConfig.model_fields["tickets"]
    low = next(m.ge for m in field.metadata if hasattr(m, "ge"))
    high = next(m.le for m in field.metadata if hasattr(m, "le"))
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number: {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
    if value > high:
        raise argparse.ArgumentTypeError(f"must be at most {high:,}, got {value:,}")
    return value


def _block_size(text: str) -> int:
    """--block-size: tickets held in memory at once."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number: {text!r}") from None
    if value < 1000:
        raise argparse.ArgumentTypeError(f"must be at least 1000, got {value}")
    return value


def cmd_check_config(args: argparse.Namespace) -> int:
    """Validate config/*.yaml and what it needs from the machine; every problem at once."""
    from cockpit.factory import validate_module_sections
    from cockpit.modules import all_modules
    from cockpit.preflight import preflight_problems
    from cockpit.settings import read_sections

    problems: list[str] = []
    try:
        settings = load_settings(args.config_dir)
    except ConfigError as exc:
        settings, problems = None, list(exc.problems)
    # Each module's own section, as at start-up, even when the shared sections are wrong.
    sections = settings.module_section if settings else read_sections(args.config_dir).get
    _, module_problems = validate_module_sections(
        lambda key: sections(key) or {}, list(all_modules())
    )
    problems += module_problems
    if settings:
        problems += preflight_problems(settings)
    if settings and not problems:
        problems += _township_problems(settings)
    if problems or settings is None:  # settings is None only where loading found problems
        raise ConfigError(problems)
    from cockpit.domains.configured import loader

    domains = loader.load(Path(args.config_dir) if args.config_dir else None).domains
    print(
        f"配置正确: {settings.city.name}，{len(settings.city.counties)} 个县区，"
        f"{len(settings.sources)} 个数据源，{len(settings.datasets)} 个数据集，"
        f"{len(settings.indicators)} 个经济指标"
        + (
            f"，{len(domains)} 个配置领域（{'、'.join(d.title for d in domains)}）"
            if domains
            else ""
        )
    )
    return 0


def _township_problems(settings: Settings) -> list[str]:
    """check-config's lines on the township file (where one is configured and readable, as
    preflight checked): townships outside the city's counties, and township codes in the data
    that the file lacks."""
    from cockpit import townships
    from cockpit.factory import create_app

    path = settings.city.township_path()
    if path is None:
        return []
    counties = [c.code for c in settings.city.counties]
    problems = townships.file_problems(path, counties, settings.city.former_codes)
    if settings.app.env == "production" and not settings.secret_key:  # reads, serves no one
        settings = settings.model_copy(
            update={"app": settings.app.model_copy(update={"env": "development"})}
        )
    app = create_app(settings)
    hub = app.server.extensions["cockpit_hub"]
    try:
        with app.server.app_context():
            found = townships.codes_in_data(hub)
    finally:
        hub.close()
    if isinstance(found, str):
        return [*problems, found]
    for dataset, codes in found.items():
        problems += townships.data_problems(path, dataset, codes)
    return problems


def cmd_docs(args: argparse.Namespace) -> int:
    """Regenerate docs/datasets.md from the dataset contracts."""
    from cockpit.contracts import contracts_markdown
    from cockpit.settings import PROJECT_ROOT

    path = PROJECT_ROOT / "docs" / "datasets.md"
    path.write_text(contracts_markdown(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


def cmd_modules(args: argparse.Namespace) -> int:
    """List the registered modules (cockpit/modules.py): datasets, config section, page rights."""
    from cockpit.modules import all_modules

    for spec in all_modules():
        datasets = "、".join(c.name for c in spec.contracts) or "—"
        config = f"config/{spec.key}.yaml" if spec.config_model else "—"
        roles = "、".join(sorted(spec.roles)) or "—"
        print(
            f"{spec.key:13s} {spec.title}\n  数据集: {datasets}\n  配置: {config}\n  角色: {roles}"
        )
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    """The cockpit's own database: upgrade its schema to the newest, or show where it is."""
    from cockpit.store import Store, StoreError
    from cockpit.store.migrate import head_revision

    settings = load_settings(args.config_dir)
    try:
        store = Store.from_settings(settings)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    where = store.url.render_as_string(hide_password=True)
    try:
        if args.db_command == "upgrade":
            print(f"督办数据库已是最新结构：{store.upgrade()}（{where}）")
        else:
            print(f"{store.revision() or '未初始化'}（最新 {head_revision()}，{where}）")
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        store.dispose()
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    """Pull new and changed rows of the sync-mode datasets into the local store (exit 1 when a
    dataset failed, refused a batch or quarantined rows)."""
    import time

    from cockpit.factory import create_app
    from cockpit.jobs.runner import SYNC, run_recorded
    from cockpit.sync import run_sync

    app = create_app(_tool_settings())
    hub = app.server.extensions["cockpit_hub"]
    if hub.local_store is None:
        print("没有同步模式（mode: sync）的数据集：见 config/datasets.yaml", file=sys.stderr)
        return 2
    every = args.every if args.every is not None else None
    say = lambda text: print(text, file=sys.stderr)  # noqa: E731
    while True:
        with app.server.app_context():
            try:  # recorded in job_runs, its progress (datasets done) shown on /admin/jobs
                with run_recorded(app, SYNC) as detail:
                    if args.full:  # re-read these datasets whole, replacing the local copy
                        results = run_sync(
                            hub, args.full, progress=say, full=True, step=detail.progress
                        )
                        args.full = None  # once: the schedule goes on incrementally
                    else:
                        results = run_sync(
                            hub, args.dataset or None, progress=say, step=detail.progress
                        )
                    detail["rows"] = sum(int(str(r.get("rows") or 0)) for r in results)
                    detail["failed"] = [r["dataset"] for r in results if not r["ok"]]
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
        failed = [r for r in results if not r["ok"]]
        if every is None:
            return 1 if failed else 0
        time.sleep(every * 60)


def cmd_check(args: argparse.Namespace) -> int:
    """Print each source's health and each dataset's freshness (exit 1 if anything is wrong)."""
    import json

    from cockpit.factory import create_app
    from cockpit.health import lines, report

    app = create_app(_tool_settings())
    with app.server.app_context():
        data = report(app.server.extensions["cockpit_hub"])
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print("\n".join(lines(data)))
    return 0 if data["ok"] else 1


def cmd_briefing(args: argparse.Namespace) -> int:
    """Write the day's 要情专报 (.docx and .pdf) to a folder: the morning's scheduled job."""
    from cockpit.domains.briefing import documents
    from cockpit.domains.briefing.build import ScopeRefused, build_briefing, default_day
    from cockpit.exports import audit_export
    from cockpit.factory import create_app

    app = create_app(_tool_settings(signs_audit=True))
    hub = app.server.extensions["cockpit_hub"]
    codes = [c.code for c in hub.settings.city.counties]
    places: list[str | None] = [None] if not args.county else []
    for code in args.county or ():
        if code == "all":
            places += codes
        elif code in codes:
            places.append(code)
        else:
            print(
                f"error: 没有编码为 {code} 的县区（可选：{', '.join(codes)}，或 all）",
                file=sys.stderr,
            )
            return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    kinds = ["daily", "weekly"] if args.kind == "both" else [args.kind]
    written = 0
    # An app context without a request: the principal is the system itself (whole city), and
    # the audit log records the job as 系统 from "local".
    with app.server.app_context():
        day = args.date or default_day(hub)
        for kind in kinds:
            for county in places:
                try:
                    b = build_briefing(hub, kind, county, day)
                except ScopeRefused as exc:
                    print(f"error: {exc}", file=sys.stderr)
                    return 2
                for fmt in args.format:
                    path = out / documents.filename(b, fmt)
                    data = documents.to_pdf(b) if fmt == "pdf" else documents.to_docx(b)
                    tmp = path.with_suffix(path.suffix + ".part")
                    tmp.write_bytes(data)
                    tmp.replace(path)  # a reader never sees half a file
                    audit_export(
                        f"briefing.{fmt}",
                        detail={"kind": kind, "county": county, "day": f"{day}", "via": "cli"},
                    )
                    written += 1
                    print(f"wrote {path} ({len(data):,} bytes)", file=sys.stderr)
    print(f"{written} 个文件已写入 {out}")
    return 0


def cmd_contacts(args: argparse.Namespace) -> int:
    """一键直联's directory: list it, or import from the sharing platform or a CSV/Excel file."""
    import pandas as pd

    from cockpit import audit, directory
    from cockpit.factory import create_app
    from cockpit.store import get_store

    app = create_app(_tool_settings(signs_audit=True))
    hub = app.server.extensions["cockpit_hub"]
    store = get_store(hub)
    if args.contacts_command == "list":
        for c in directory.listing(store, include_inactive=True):
            phones = " ".join(number for _, number in c.phones())
            state = "" if c.active else "\t停用"
            print(f"{c.id}\t{c.name}\t{c.post}\t{c.org}\t{c.county_code}\t{phones}{state}")
        return 0
    with app.server.app_context():
        try:
            if args.file:
                path = Path(args.file)
                if not path.is_file():
                    print(f"error: 没有文件 {path}", file=sys.stderr)
                    return 2
                if path.suffix.lower() in (".xlsx", ".xls"):
                    frame = pd.read_excel(path, dtype=str)
                else:  # CSV in UTF-8 (with or without BOM, as Excel writes it)
                    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
                missing = {"contact_id", *directory.SOURCE_FIELDS[:4]} - set(frame.columns)
                if missing:
                    print(f"error: {path} 缺少列：{', '.join(sorted(missing))}", file=sys.stderr)
                    return 2
                city = hub.settings.city
                known = [city.code, *(c.code for c in city.counties)]
                report = directory.import_rows(store, frame, by="cli", known_codes=known)
            else:
                report = directory.import_from_platform(hub, by="cli")
        except (directory.DirectoryError, ValueError, UnicodeDecodeError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        audit.append(
            store,
            audit.seal_for(hub.settings, store),
            user_id="cli",
            role="admin",
            address="local",
            action=audit.CONTACT_CHANGE,
            obj="directory.import",
            detail={"file": args.file or "", "added": report.added, "updated": report.updated},
        )
    print(report.text())
    return 1 if report.rejected else 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _tool_settings(*, signs_audit: bool = False) -> Settings:
    """Settings for a command that reads data but serves no one (check, sync, briefing).

    Outside a request the code runs as the system principal (whole city). Without a secret key
    it uses the development key in instance/, since it opens no sessions; a command that signs
    audit records (briefing, contacts) needs the production keys all the same."""
    settings = _keyed_settings() if signs_audit else load_settings()
    if settings.secret_key or settings.app.env != "production":
        return settings
    return settings.model_copy(
        update={"app": settings.app.model_copy(update={"env": "development"})}
    )


def _keyed_settings() -> Settings:
    """Settings for a command that signs audit records or seals secrets (users, audit,
    contacts, briefing): in production, the keys the server uses, or a refusal.

    Another key (the development one in instance/) would sign records that `audit verify`
    rejects for good, and seal second factors the server cannot open."""
    settings = load_settings()
    if settings.app.env == "production":
        problems = key_problems(settings)
        if problems:
            raise ConfigError(problems)
    return settings


def _role_keys() -> list[str]:
    from cockpit.security.roles import ROLES

    return list(ROLES)


def _store_of(settings):
    from cockpit.store import Store

    store = Store.from_settings(settings)
    store.ensure_ready()
    return store


def cmd_users(args: argparse.Namespace) -> int:
    """Manage accounts from the shell (the first administrator is made here)."""
    import pyotp

    from cockpit.security import accounts, sessions

    settings = _keyed_settings()
    store = _store_of(settings)
    counties = [c.code for c in settings.city.counties]
    if args.users_command == "list":
        for u in accounts.list_users(store):
            scope = "全市" if u.counties is None else (",".join(sorted(u.counties)) or "无")
            state = "停用" if not u.active else ("锁定" if u.locked_until else "正常")
            print(f"{u.username}\t{u.role}\t{scope}\t{state}\t{u.display_name}")
        return 0
    if not args.username and args.users_command != "reseal":
        print("error: give the username", file=sys.stderr)
        return 2
    unreadable: list[str] = []
    try:
        if args.users_command == "reseal":
            changed, unreadable = accounts.reseal_secrets(store)
            algorithm = settings.security.at_rest.algorithm
            print(f"已用 {algorithm} 重新加密 {changed} 个动态口令密钥")
        elif args.users_command == "add":
            if not args.role:
                print(f"error: --role is required ({', '.join(_role_keys())})", file=sys.stderr)
                return 2
            password = accounts.temporary_password(max(16, settings.security.password.min_length))
            user = accounts.create_user(
                store,
                username=args.username,
                role=args.role,
                password=password,
                policy=settings.security.password,
                known_counties=counties,
                counties=args.county,
                display_name=args.name,
                unit=args.unit,
                phone=args.phone,
                email=args.email,
                by=accounts.CONSOLE,  # 三员分立 as on the admin page (cockpit/security/roles.py)
            )
            if not user.active:
                print(f"已创建 {args.username}（停用）：待安全管理员在系统管理页面审核启用")
                return _audit_user_change(store, settings, args)
            print(f"已创建 {args.username}；临时口令（首次登录须修改）：{password}")
            if args.role in settings.security.totp_roles:
                print(f"该角色须动态口令：python -m cockpit users totp {args.username}")
        elif args.users_command == "reset-password":
            temporary = accounts.reset_password(
                store, args.username, policy=settings.security.password, by=accounts.CONSOLE
            )
            sessions.revoke_user(store, args.username, "password_reset")
            print(f"临时口令（首次登录须修改）：{temporary}")
        elif args.users_command == "unlock":
            accounts.unlock(store, args.username, by=accounts.CONSOLE)
            print(f"已解锁 {args.username}")
        elif args.users_command == "revoke":
            accounts.authorize(store, accounts.CONSOLE, "revoke", args.username)
            print(f"已结束 {sessions.revoke_user(store, args.username, 'admin')} 个会话")
        elif args.users_command == "totp" and args.off:
            accounts.set_totp(store, args.username, None, by=accounts.CONSOLE)
            print(f"已关闭 {args.username} 的动态口令")
        elif args.users_command == "totp":
            # Everything the operator must see is made before anything is stored: a secret
            # stored but never shown would lock the account out of its second factor.
            secret = pyotp.random_base32()
            uri = pyotp.TOTP(secret).provisioning_uri(
                name=args.username, issuer_name=f"{settings.city.name}{settings.app.title}"
            )
            accounts.set_totp(store, args.username, secret, by=accounts.CONSOLE)
            print(f"动态口令密钥：{secret}\n验证器App添加链接：{uri}")
    except accounts.AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return _audit_user_change(store, settings, args, unreadable)


def _contact_detail(args: argparse.Namespace) -> dict[str, str]:
    """The unit and the account's address as the log keeps them (the address masked)."""
    from cockpit.domains.hotline.masking import mask_address

    detail = {"unit": getattr(args, "unit", None) or ""}
    for name in ("phone", "email"):
        value = getattr(args, name, None)
        if value:
            detail[name] = mask_address(value)
    return {k: v for k, v in detail.items() if v}


def _audit_user_change(store, settings, args: argparse.Namespace, unreadable=()) -> int:
    """Record a console account change in the audit log; the exit code (1 when secrets could
    not be opened by `users reseal`, else 0)."""
    from cockpit import audit

    audit.append(
        store,
        audit.seal_for(settings, store),
        user_id="cli",
        role="admin",
        address="local",
        action=audit.USER_CHANGE,
        obj=args.username or "users.totp_secret",
        detail={"command": args.users_command, "role": args.role, **_contact_detail(args)},
    )
    if unreadable:
        print(f"error: 无法解密（数据密钥不同？）：{'、'.join(unreadable)}", file=sys.stderr)
        return 1
    return 0


def cmd_leaders(args: argparse.Namespace) -> int:
    """我的驾驶舱: show or set what a leader account 分管 (cockpit/leaders.py)."""
    from cockpit import audit, leaders
    from cockpit.modules import all_modules
    from cockpit.security import accounts

    settings = _keyed_settings()
    store = _store_of(settings)
    titles = {m.key: m.title for m in all_modules()}
    names = settings.city.county_names
    if args.leaders_command == "list":
        for user in accounts.list_users(store):
            found = leaders.links_for(store, settings, user.username)
            if not found.empty:
                print(f"{user.username}\t{leaders.as_text(found, titles, names)}")
        return 0
    if not args.username or accounts.get_user(store, args.username) is None:
        print("error: give an existing username", file=sys.stderr)
        return 2
    if args.leaders_command == "show":
        print(leaders.as_text(leaders.links_for(store, settings, args.username), titles, names))
        return 0
    links = leaders.make_links(
        modules=args.module, tasks=args.task, bureaus=args.bureau, counties=args.county
    )
    try:
        leaders.save(
            store,
            args.username,
            links,
            modules=leaders.known_modules(),
            counties=[c.code for c in settings.city.counties],
        )
    except leaders.LinkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    audit.append(
        store,
        audit.seal_for(settings, store),
        user_id="cli",
        role="admin",
        address="local",
        action=audit.USER_CHANGE,
        obj=args.username,
        detail={"command": "leaders set", "links": links.__dict__},
    )
    print(f"已保存：{leaders.as_text(links, titles, names)}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """Verify the audit chain (exit 1 when broken), or print the newest records."""
    from cockpit import audit
    from cockpit.factory import secret_key

    settings = _keyed_settings()
    store = _store_of(settings)
    if args.audit_command == "tail":
        for e in reversed(audit.entries(store, limit=args.n)):
            # Values are escaped: a newline in a user name must not print a fake record.
            fields = (e.user_id, e.address, e.action, e.object, e.result)
            print(f"{e.seq}\t{e.at:%Y-%m-%d %H:%M:%S}\t" + "\t".join(map(audit.printable, fields)))
        return 0
    seal = audit.seal_for(
        settings, store, audit.audit_key(secret_key(settings), settings.audit_key)
    )
    verdict = audit.verify(store, seal)
    if verdict.ok:
        print(f"审计日志完整：{verdict.records} 条记录，哈希链校验通过")
        if not verdict.anchored:
            print("注意：未配置外部锚点（security.audit_anchor: off），无法发现日志被截断")
        else:
            print(f"外部锚点 {seal.anchor} 与数据库一致")
        return 0
    print(f"审计日志校验失败：{verdict.problem}（已校验 {verdict.records} 条）", file=sys.stderr)
    return 1


def parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    p = argparse.ArgumentParser(prog="python -m cockpit", description="城市领导驾驶舱")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="serve the cockpit on this machine (demo data by default)")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8050)
    run.add_argument("--debug", action="store_true", help="Dash dev tools (never in production)")
    run.add_argument(
        "--production",
        action="store_true",
        help="production checks (secret key, no debug, no demo accounts) on the local server",
    )
    run.set_defaults(func=cmd_run)
    users = sub.add_parser(
        "users", help="accounts: add, list, reset-password, unlock, revoke, totp, reseal"
    )
    users.add_argument(
        "users_command",
        choices=["add", "list", "reset-password", "unlock", "revoke", "totp", "reseal"],
        help="reseal: encrypt every second-factor secret with security.at_rest.algorithm",
    )
    users.add_argument("username", nargs="?", help="the account (all but list and reseal)")
    users.add_argument("--role", help="add: " + ", ".join(_role_keys()))
    users.add_argument("--county", action="append", help="add: a county code (county_staff)")
    users.add_argument("--name", default="", help="add: display name")
    users.add_argument("--unit", help="add: the 承办单位 a unit_staff account answers for")
    users.add_argument("--phone", help="add: the account's mobile (where SMS pushes reach it)")
    users.add_argument("--email", help="add: the account's e-mail (where e-mail pushes reach it)")
    users.add_argument("--off", action="store_true", help="totp: turn the second factor off")
    users.set_defaults(func=cmd_users)
    leaders_cmd = sub.add_parser(
        "leaders", help="我的驾驶舱: list, show or set what a leader account 分管 (in order)"
    )
    leaders_cmd.add_argument("leaders_command", choices=["list", "show", "set"])
    leaders_cmd.add_argument("username", nargs="?", help="the account (show, set)")
    for flag, what in (
        ("--module", "a module key of the registry (python -m cockpit modules)"),
        ("--task", "a 重点工作 task id"),
        ("--bureau", "a bureau's name, e.g. 市住建局"),
        ("--county", "a county code"),
    ):
        leaders_cmd.add_argument(flag, action="append", help=f"set: {what}; repeat, in order")
    leaders_cmd.set_defaults(func=cmd_leaders)
    audit_cmd = sub.add_parser("audit", help="the audit log: verify the chain, or show the newest")
    audit_cmd.add_argument("audit_command", choices=["verify", "tail"])
    audit_cmd.add_argument("-n", type=int, default=20, help="tail: how many records")
    audit_cmd.set_defaults(func=cmd_audit)
    demo = sub.add_parser(
        "demo-data",
        help="generate the demo database (DuckDB) the app serves",
        description="Generate the demo database, tickets streamed to disk a block at a time "
        "(about 1 GB at most for 10M tickets), with the parameters file and rollup tables the "
        "app checks, so that it serves the file without regenerating it. Options left out "
        "take the configured demo source's values (config/sources.yaml); the app serves the "
        "file when its settings match, e.g. COCKPIT_SOURCES__DEMO__TICKETS=N for --tickets N.",
    )
    demo.add_argument("--out", help="file to write (default: the demo source's path)")
    demo.add_argument(
        "--tickets", type=_ticket_count, help="12345 tickets, 1000 to 50000000 (default 300000)"
    )
    demo.add_argument("--seed", type=int, help="same seed, same data (default 20261121)")
    demo.add_argument("--start-year", type=int, help="first year of the economy (default 2021)")
    demo.add_argument("--end-date", type=_date, help="YYYY-MM-DD (default: today, Beijing time)")
    demo.add_argument(
        "--block-size",
        type=_block_size,
        default=None,
        help="tickets built in memory at once (default 100000; more is faster, needs more memory)",
    )
    demo.add_argument("--force", action="store_true", help="replace an existing file")
    demo.set_defaults(func=cmd_demo_data)
    check = sub.add_parser("check-config", help="validate config/*.yaml")
    check.add_argument("--config-dir", default=None)
    check.set_defaults(func=cmd_check_config)
    sync = sub.add_parser("sync", help="pull new rows of sync-mode datasets into the local store")
    sync.add_argument("--dataset", action="append", help="only this dataset (repeatable)")
    sync.add_argument(
        "--full",
        action="append",
        metavar="DATASET",
        help="re-read this dataset whole from its source and replace the local copy (repeatable)",
    )
    sync.add_argument(
        "--every",
        type=float,
        default=None,
        metavar="MINUTES",
        help="keep running, syncing every MINUTES (the schedule)",
    )
    sync.set_defaults(func=cmd_sync)
    check = sub.add_parser("check", help="health of every source, freshness of every dataset")
    check.add_argument("--json", action="store_true", help="print JSON (as /healthz serves)")
    check.set_defaults(func=cmd_check)
    docs = sub.add_parser("docs", help="regenerate docs/datasets.md from the dataset contracts")
    docs.set_defaults(func=cmd_docs)
    modules = sub.add_parser(
        "modules", help="list the registered modules: datasets, config section, page rights"
    )
    modules.set_defaults(func=cmd_modules)
    db = sub.add_parser("db", help="the cockpit's own database (supervision, acknowledgements)")
    db.add_argument("db_command", choices=["upgrade", "current"], help="upgrade to head, or show")
    db.add_argument("--config-dir", default=None)
    db.set_defaults(func=cmd_db)
    brief = sub.add_parser(
        "briefing",
        help="write 要情专报 (.docx, .pdf) to a folder (for a scheduled job, see docs/briefing.md)",
    )
    brief.add_argument("--out", default="instance/briefings", help="folder to write the files to")
    brief.add_argument(
        "--kind", choices=["daily", "weekly", "both"], default="daily", help="日报, 周报 or both"
    )
    brief.add_argument(
        "--county",
        action="append",
        metavar="CODE",
        help="a county's briefing instead of the city's (repeatable; 'all' for every county)",
    )
    brief.add_argument(
        "--date",
        type=_date,
        default=None,
        help="date of issue YYYY-MM-DD (default: today, or the day after the newest 12345 data)",
    )
    brief.add_argument(
        "--format",
        nargs="+",
        choices=["docx", "pdf"],
        default=["docx", "pdf"],
        help="file formats (default: both)",
    )
    brief.set_defaults(func=cmd_briefing)
    contacts_cmd = sub.add_parser(
        "contacts", help="一键直联 directory: list, or import from the platform or a file"
    )
    contacts_cmd.add_argument("contacts_command", choices=["list", "import"])
    contacts_cmd.add_argument(
        "--file",
        help="import: a CSV (UTF-8) or Excel file with the contacts.directory columns "
        "(contact_id, name, post, org, county_code, office_phone, mobile) instead of the platform",
    )
    contacts_cmd.set_defaults(func=cmd_contacts)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run a subcommand; configuration errors print one line each and exit 2."""
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        if len(exc.problems) == 1:  # one problem, one line
            print(f"配置错误 (configuration error): {exc.problems[0]}", file=sys.stderr)
            return 2
        print("配置错误 (configuration errors):", file=sys.stderr)
        for line in exc.problems:
            print(f"  {line}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
