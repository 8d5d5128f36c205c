"""The Store: reads and writes of the cockpit's own database, each write in one transaction.

A supervision action or an acknowledgement is written whole or not at all: every write opens
one transaction (BEGIN IMMEDIATE on SQLite, so concurrent writers queue instead of failing
half-way), and any error rolls it back and reaches the user as a StoreError with a message
they can read. Nothing is swallowed: the caller must show the message.

One engine per process, made on first use: a pool must not cross fork() (gunicorn forks its
workers after importing the app), so a child process makes its own.

A SQLite file holds password hashes, second-factor secrets (sealed, cockpit/security/crypto.py)
and personal data: it is made readable by its owner only (0600, in a folder made 0700), and its
-wal, -shm and -journal files, which SQLite creates with the database's own mode, follow.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

from cockpit.security.crypto import AtRest, at_rest
from cockpit.store import migrate
from cockpit.store.schema import (
    ALL_ACTIONS,
    APPLY_DONE,
    APPROVE_EXTENSION,
    CASE_CLOSED,
    CASE_OPEN,
    CONFIRM_DONE,
    ESCALATE,
    EVALUATE,
    EXTEND,
    EXTENSION_ANSWERS,
    OPEN,
    PROGRESS,
    RETURN,
    supervision_actions,
    supervision_cases,
    warning_acks,
)

log = logging.getLogger(__name__)
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Writes this process has committed to any store. What a worker keeps from a read for a
# moment (the gate's recall of live sessions) is dropped when this number has moved.
_writes = 0
_writes_lock = threading.Lock()


def _count_write() -> None:
    global _writes
    with _writes_lock:
        _writes += 1


def writes_so_far() -> int:
    """How many write transactions this process has ended (committed or not)."""
    return _writes


MAX_COMMENT = 2000  # characters; a comment is a note, not a report
# The second of two people acting on one case at once (optimistic versioning).
STALE = "该事项已被他人更新，请刷新后重试"
KEEP = object()  # due_at left as it is


class StoreError(Exception):
    """A store operation failed; the message is written for the user (Chinese)."""


class NotAllowed(StoreError):
    """The user may not do this (role or scope)."""


class Conflict(StoreError):
    """The action does not fit the case's state (already closed, already acknowledged...)."""

    def __init__(self, message: str, case_id: int | None = None) -> None:
        super().__init__(message)
        self.case_id = case_id


@dataclass(frozen=True)
class Actor:
    """Who writes: the server-side principal's id and role (never from the browser)."""

    user_id: str
    role: str


@dataclass(frozen=True)
class Case:
    """A supervised matter: a key task, or an item opened from a signal."""

    id: int
    task_id: str | None
    signal_key: str | None
    signal_kind: str | None
    title: str
    reason: str | None
    link: str | None
    county_code: str
    level: int
    status: str
    opened_at: dt.datetime
    opened_by: str
    closed_at: dt.datetime | None
    closed_by: str | None
    updated_at: dt.datetime
    unit: str | None = None
    due_at: dt.datetime | None = None
    ticket_id: str | None = None
    rating: int | None = None
    rating_remark: str | None = None
    version: int = 1
    lead_leader: str | None = None  # the task's 牵头领导 (name), told of the item's events

    @property
    def is_open(self) -> bool:
        """Still under supervision (not confirmed done)."""
        return self.status == CASE_OPEN


@dataclass(frozen=True)
class Action:
    """One recorded supervision action."""

    id: int
    case_id: int
    action: str
    comment: str
    actor_id: str
    actor_role: str
    acted_at: dt.datetime
    level_after: int
    request_key: str | None = None
    on_time: bool | None = None  # a unit's reply: before the deadline it answered?
    replayed: bool = False  # this submission had been recorded already (a retry)


# Called inside the transaction that records an action (the audit record of it, so that the
# two commit or roll back together); not called for a recognised retry.
ActionHook = Callable[[sa.Connection, "Action"], None]


@dataclass(frozen=True)
class Ack:
    """One acknowledgement (签收) of a warning."""

    warning_id: str
    warning_title: str
    warning_level: int
    county_code: str
    actor_id: str
    actor_role: str
    acked_at: dt.datetime
    comment: str


@dataclass(frozen=True)
class Signal:
    """What a supervision item opened from a signal carries (computed on the server)."""

    key: str  # stable id of the signal, e.g. economy:gdp:2026-09:140400
    kind: str  # economy | hotline | risk
    title: str
    reason: str
    link: str  # back to the figure: path and query, e.g. /economy?period=2026-10&indicator=gdp
    county_code: str


def resolve_url(url: str, base_dir: Path) -> URL:
    """The URL with a relative SQLite path taken from the project root."""
    parsed = make_url(url)
    database = parsed.database
    if (
        parsed.get_backend_name() == "sqlite"
        and database
        and database != ":memory:"
        and not database.startswith("file:")
        and not Path(database).is_absolute()
    ):
        parsed = parsed.set(database=str((base_dir / database).resolve()))
    return parsed


class Store:
    """The cockpit's own database: supervision cases and actions, warning acknowledgements."""

    def __init__(
        self,
        url: str | URL,
        *,
        schema: str | None = None,
        timeout: int = 15,
        at_rest: AtRest | None = None,
    ) -> None:
        self.url = make_url(url) if isinstance(url, str) else url
        # How secrets kept in this database are sealed (None: no key, so none can be written).
        self.at_rest = at_rest
        if schema is not None and not _SCHEMA_NAME.match(schema):
            raise ValueError(f"not a plain schema name: {schema!r}")
        if schema is not None and self.url.get_backend_name() != "postgresql":
            raise ValueError("a schema is only supported on PostgreSQL")
        self.schema = schema
        self.timeout = timeout
        self._engine: sa.Engine | None = None
        self._engine_pid: int | None = None
        self._ready_pid: int | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any, environ: Mapping[str, str] | None = None) -> Store:
        """The store settings.store names: the URL in url_env if set there, else url."""
        environ = os.environ if environ is None else environ
        cfg = settings.store
        url = environ.get(cfg.url_env) if cfg.url_env else None
        if not url:
            if cfg.url is None:
                raise StoreError(f"督办数据库未配置：环境变量 {cfg.url_env} 为空")
            url = cfg.url
        return cls(resolve_url(url, Path(settings.base_dir)), at_rest=at_rest(settings))

    # -- the engine ----------------------------------------------------------------------------
    def engine(self) -> sa.Engine:
        """This process's engine, made on first use (and again after a fork)."""
        with self._lock:
            if self._engine is None or self._engine_pid != os.getpid():
                if self._engine is not None:
                    # Inherited from the parent: drop its pool without closing the parent's
                    # connections (they are the parent's sockets).
                    self._engine.dispose(close=False)
                self._engine = self._make_engine()
                self._engine_pid = os.getpid()
            return self._engine

    def _make_engine(self) -> sa.Engine:
        backend = self.url.get_backend_name()
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        connect_args: dict[str, Any] = {}
        if backend == "sqlite":
            connect_args["timeout"] = self.timeout  # wait for a busy writer, do not fail
            database = self.url.database
            if not database or database == ":memory:":
                # One shared connection, or every checkout would see an empty database.
                kwargs["poolclass"] = StaticPool
                connect_args["check_same_thread"] = False
            elif not database.startswith("file:"):
                _private_sqlite_file(Path(database))
        elif backend == "postgresql":
            connect_args["connect_timeout"] = self.timeout
            if self.schema:
                connect_args["options"] = f"-csearch_path={self.schema}"
        engine = sa.create_engine(self.url, connect_args=connect_args, **kwargs)
        if backend == "sqlite":
            _sqlite_transactions(engine)
        return engine

    def ensure_ready(self) -> None:
        """Upgrade the schema to head once per process (safe when workers start together)."""
        if self._ready_pid == os.getpid():
            return
        self.upgrade()
        self._ready_pid = os.getpid()

    def upgrade(self) -> str | None:
        """Run the migrations up to head; return the revision the database is at."""
        try:
            return migrate.upgrade(self.engine(), self.schema)
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            log.exception("store migration failed")
            raise StoreError(f"督办数据库不可用（{type(exc).__name__}）") from exc

    def revision(self) -> str | None:
        """The schema revision of the database."""
        return migrate.current_revision(self.engine())

    def dispose(self) -> None:
        """Close this process's connections."""
        with self._lock:
            if self._engine is not None and self._engine_pid == os.getpid():
                self._engine.dispose()
            self._engine = None
            self._ready_pid = None

    # -- transactions --------------------------------------------------------------------------
    @contextlib.contextmanager
    def writing(self, what: str) -> Iterator[sa.Connection]:
        """One write transaction; any failure rolls all of it back and becomes a StoreError."""
        try:
            with self.engine().connect() as conn:
                conn.execution_options(cockpit_write=True)
                try:
                    with conn.begin():
                        yield conn
                finally:  # after the commit: what was read before it is forgotten
                    _count_write()
        except StoreError:
            raise
        except sa.exc.IntegrityError as exc:
            log.warning("store write refused (%s): %s", what, exc.orig)
            raise Conflict(f"{what}未保存：与已有记录冲突，请刷新后再试") from exc
        except Exception as exc:  # any failure: the transaction is rolled back, the user told
            log.exception("store write failed: %s", what)
            raise StoreError(
                f"{what}未能保存，本次操作已全部撤销，请稍后重试（{type(exc).__name__}）"
            ) from exc

    @contextlib.contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        try:
            with self.engine().connect() as conn:
                yield conn
        except StoreError:
            raise
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            log.exception("store read failed")
            raise StoreError(f"督办数据库暂不可用（{type(exc).__name__}）") from exc

    # -- supervision ---------------------------------------------------------------------------
    def act_on_task(
        self,
        task_id: str,
        title: str,
        county_code: str,
        action: str,
        comment: str,
        actor: Actor,
        max_level: int,
        *,
        request_key: str | None = None,
        in_transaction: ActionHook | None = None,
        unit: str | None = None,
        due_at: Any = KEEP,
        expected_version: int | None = None,
        rating: int | None = None,
        now: dt.datetime | None = None,
        lead_leader: str | None = None,
    ) -> Action:
        """Record an action on a key task; its supervision case is opened by the first action.

        `request_key` recognises a retry of the same submission (the action recorded then is
        returned, marked replayed); `in_transaction` runs in the same transaction (the audit
        record), so the action and its record are saved together or not at all."""
        _check_action(action, comment)
        now = now or _now()
        with self.writing(action) as conn:
            earlier = _replayed(conn, request_key)
            if earlier is not None:
                return earlier
            row = _case_row(conn, supervision_cases.c.task_id == task_id)
            if row is None:
                case_id = _insert_case(
                    conn,
                    task_id=task_id,
                    title=title[:300],
                    county_code=county_code,
                    opened_at=now,
                    opened_by=actor.user_id,
                    unit=(unit or None) and unit[:64],
                    lead_leader=(lead_leader or None) and lead_leader[:64],
                )
                row = _case_row(conn, supervision_cases.c.id == case_id)
                assert row is not None  # inserted just now, in this transaction
            done = _act(
                conn,
                row,
                action,
                comment,
                actor,
                now,
                max_level,
                request_key,
                due_at=due_at,
                expected_version=expected_version,
                rating=rating,
            )
            if in_transaction is not None:
                in_transaction(conn, done)
            return done

    def act_on_case(
        self,
        case_id: int,
        action: str,
        comment: str,
        actor: Actor,
        max_level: int,
        *,
        request_key: str | None = None,
        in_transaction: ActionHook | None = None,
        due_at: Any = KEEP,
        expected_version: int | None = None,
        rating: int | None = None,
        now: dt.datetime | None = None,
    ) -> Action:
        """Record an action on an existing case (e.g. one opened from a signal); `request_key`
        and `in_transaction` as for act_on_task; `due_at` the unit's new deadline (KEEP: as
        it is; a timedelta: that much later than the case's deadline as it is now); `expected_version` the version the user saw (another's write since: STALE);
        `rating` the 效果评估's 1-5."""
        _check_action(action, comment)
        now = now or _now()
        with self.writing(action) as conn:
            earlier = _replayed(conn, request_key)
            if earlier is not None:
                return earlier
            row = _case_row(conn, supervision_cases.c.id == case_id)
            if row is None:
                raise Conflict(f"督办事项 #{case_id} 不存在")
            done = _act(
                conn,
                row,
                action,
                comment,
                actor,
                now,
                max_level,
                request_key,
                due_at=due_at,
                expected_version=expected_version,
                rating=rating,
            )
            if in_transaction is not None:
                in_transaction(conn, done)
            return done

    def open_from_signal(
        self,
        signal: Signal,
        comment: str,
        actor: Actor,
        *,
        unit: str | None = None,
        ticket_id: str | None = None,
        due_at: dt.datetime | None = None,
        now: dt.datetime | None = None,
    ) -> Case:
        """Open a supervision item from a signal, with its link back (转督办); a 12345 ticket's
        item also carries the ticket, its 承办单位 and the deadline of its answer."""
        _check_comment(comment)
        now = now or _now()
        with self.writing("转督办") as conn:
            existing = _case_row(conn, supervision_cases.c.signal_key == signal.key)
            if existing is not None:
                raise Conflict(f"该线索已转督办（督办事项 #{existing.id}）", existing.id)
            case_id = _insert_case(
                conn,
                signal_key=signal.key,
                signal_kind=signal.kind,
                title=signal.title[:300],
                reason=signal.reason,
                link=signal.link[:500],
                county_code=signal.county_code,
                opened_at=now,
                opened_by=actor.user_id,
                unit=(unit or None) and unit[:64],
                ticket_id=ticket_id,
                due_at=due_at,
            )
            _insert_action(
                conn,
                case_id=case_id,
                action=OPEN,
                comment=comment or signal.reason,
                actor_id=actor.user_id,
                actor_role=actor.role,
                acted_at=now,
                level_after=1,
            )
            row = _case_row(conn, supervision_cases.c.id == case_id)
            assert row is not None  # inserted just now, in this transaction
            return _to_case(row)

    def case(self, case_id: int) -> Case | None:
        """One case by id."""
        with self.reading() as conn:
            row = _case_row(conn, supervision_cases.c.id == case_id)
        return None if row is None else _to_case(row)

    def case_for_task(self, task_id: str) -> Case | None:
        """The supervision case of a key task, if any action was ever recorded on it."""
        with self.reading() as conn:
            row = _case_row(conn, supervision_cases.c.task_id == task_id)
        return None if row is None else _to_case(row)

    def cases(
        self,
        *,
        status: str | None = None,
        signals_only: bool = False,
        counties: frozenset[str] | None = None,
        limit: int = 500,
        unit: str | None = None,
    ) -> list[Case]:
        """Cases, newest first; `counties` limits them to a scope (None = the whole city)."""
        stmt = sa.select(supervision_cases)
        if status:
            stmt = stmt.where(supervision_cases.c.status == status)
        if signals_only:
            stmt = stmt.where(supervision_cases.c.signal_key.is_not(None))
        if counties is not None:
            stmt = stmt.where(supervision_cases.c.county_code.in_(sorted(counties)))
        if unit is not None:
            stmt = stmt.where(supervision_cases.c.unit == unit)
        stmt = stmt.order_by(supervision_cases.c.updated_at.desc()).limit(limit)
        with self.reading() as conn:
            return [_to_case(r) for r in conn.execute(stmt)]

    def count_cases(
        self, *, status: str | None = None, counties: frozenset[str] | None = None
    ) -> int:
        """How many cases (of a status, in a scope) there are."""
        stmt = sa.select(sa.func.count()).select_from(supervision_cases)
        if status:
            stmt = stmt.where(supervision_cases.c.status == status)
        if counties is not None:
            stmt = stmt.where(supervision_cases.c.county_code.in_(sorted(counties)))
        with self.reading() as conn:
            return int(conn.execute(stmt).scalar_one())

    def cases_for_tasks(self, task_ids: list[str]) -> dict[str, Case]:
        """Task id -> its case, for the tasks that have one."""
        if not task_ids:
            return {}
        stmt = sa.select(supervision_cases).where(supervision_cases.c.task_id.in_(task_ids))
        with self.reading() as conn:
            return {r.task_id: _to_case(r) for r in conn.execute(stmt)}

    def cases_for_signals(self, keys: list[str]) -> dict[str, Case]:
        """Signal key -> the case opened from it, for the signals that have one."""
        if not keys:
            return {}
        stmt = sa.select(supervision_cases).where(supervision_cases.c.signal_key.in_(keys))
        with self.reading() as conn:
            return {r.signal_key: _to_case(r) for r in conn.execute(stmt)}

    def actions(self, case_id: int) -> list[Action]:
        """A case's actions, oldest first."""
        stmt = (
            sa.select(supervision_actions)
            .where(supervision_actions.c.case_id == case_id)
            .order_by(supervision_actions.c.acted_at, supervision_actions.c.id)
        )
        with self.reading() as conn:
            return [Action(**r._mapping) for r in conn.execute(stmt)]

    def pending(self, case_id: int) -> str | None:
        """The unit's request awaiting the leader (办结申请, 申请延期), or None."""
        with self.reading() as conn:
            return _pending(conn, case_id)

    def overdue_cases(self, now: dt.datetime) -> list[Case]:
        """Open cases whose unit has not answered the awaited action by its deadline."""
        stmt = (
            sa.select(supervision_cases)
            .where(
                supervision_cases.c.status == CASE_OPEN,
                supervision_cases.c.due_at.is_not(None),
                supervision_cases.c.due_at < now,
            )
            .order_by(supervision_cases.c.due_at, supervision_cases.c.id)
        )
        with self.reading() as conn:
            return [_to_case(r) for r in conn.execute(stmt)]

    def unit_actions(self) -> Sequence[sa.Row]:
        """Every action on a case with a unit, with the case's unit, status and rating (for
        the units' scorecard)."""
        c, a = supervision_cases.c, supervision_actions.c
        stmt = (
            sa.select(c.unit, c.id.label("case_id"), c.status, c.rating, a.action, a.actor_role)
            .select_from(supervision_actions.join(supervision_cases))
            .add_columns(a.on_time, c.county_code)
            .where(c.unit.is_not(None))
            .order_by(c.unit, a.id)
        )
        with self.reading() as conn:
            return conn.execute(stmt).all()

    # -- acknowledgements ----------------------------------------------------------------------
    def acknowledge(
        self,
        warning_id: str,
        title: str,
        level: int,
        county_code: str,
        actor: Actor,
        comment: str = "",
    ) -> Ack:
        """Record that the actor has seen and taken charge of a warning (签收)."""
        _check_comment(comment)
        now = _now()
        with self.writing("签收") as conn:
            done = conn.execute(
                sa.select(warning_acks.c.id).where(
                    warning_acks.c.warning_id == warning_id,
                    warning_acks.c.actor_id == actor.user_id,
                )
            ).first()
            if done is not None:
                raise Conflict("您已签收过该预警")
            values: dict[str, Any] = {
                "warning_id": warning_id,
                "warning_title": title[:300],
                "warning_level": int(level),
                "county_code": county_code,
                "actor_id": actor.user_id,
                "actor_role": actor.role,
                "acked_at": now,
                "comment": comment,
            }
            conn.execute(warning_acks.insert().values(**values))
            return Ack(**values)

    def acks(self, warning_ids: list[str]) -> dict[str, list[Ack]]:
        """Warning id -> its acknowledgements, oldest first."""
        if not warning_ids:
            return {}
        stmt = (
            sa.select(warning_acks)
            .where(warning_acks.c.warning_id.in_(warning_ids))
            .order_by(warning_acks.c.acked_at, warning_acks.c.id)
        )
        out: dict[str, list[Ack]] = {}
        with self.reading() as conn:
            for r in conn.execute(stmt):
                values = {k: v for k, v in r._mapping.items() if k != "id"}
                out.setdefault(r.warning_id, []).append(Ack(**values))
        return out


# -- the steps of a write (module functions, so a test can make one fail mid-transaction) ------
def _insert_case(conn: sa.Connection, **values: Any) -> int:
    """Insert a case; return its id."""
    values.setdefault("level", 1)
    values.setdefault("status", CASE_OPEN)
    values.setdefault("updated_at", values["opened_at"])
    result = conn.execute(supervision_cases.insert().values(**values))
    return inserted_id(result)


def _insert_action(conn: sa.Connection, **values: Any) -> int:
    """Insert one action row; return its id."""
    result = conn.execute(supervision_actions.insert().values(**values))
    return inserted_id(result)


def inserted_id(result: sa.CursorResult) -> int:
    """The id of the row an INSERT made (the driver always returns it for a single row)."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def _update_case(conn: sa.Connection, case_id: int, version: int, **values: Any) -> None:
    """Update a case's state after an action, only if it is still at `version` (and bump it):
    a write in between makes this one fail whole, with STALE, rather than overwrite it."""
    result = conn.execute(
        supervision_cases.update()
        .where(supervision_cases.c.id == case_id, supervision_cases.c.version == version)
        .values(version=version + 1, **values)
    )
    if result.rowcount != 1:
        raise Conflict(STALE, case_id)


def _act(
    conn: sa.Connection,
    row: sa.Row,
    action: str,
    comment: str,
    actor: Actor,
    now: dt.datetime,
    max_level: int,
    request_key: str | None = None,
    *,
    due_at: Any = KEEP,
    expected_version: int | None = None,
    rating: int | None = None,
) -> Action:
    """Check the action against the case's state, record it, and move the case on."""
    if expected_version is not None and row.version != expected_version:
        raise Conflict(STALE, row.id)
    if action == EVALUATE:
        if row.status != CASE_CLOSED:
            raise Conflict("办结确认后才能进行效果评估", row.id)
        if row.rating is not None:
            raise Conflict("该事项已完成效果评估", row.id)
    elif row.status == CASE_CLOSED:
        raise Conflict(f"督办事项已办结确认，不能再{action}", row.id)
    level = row.level
    update: dict[str, Any] = {"updated_at": now}
    if isinstance(due_at, dt.timedelta):  # an extension: from the deadline as it is now
        update["due_at"] = (row.due_at or now) + due_at
    elif due_at is not KEEP:
        update["due_at"] = due_at
    if action == ESCALATE:
        if level >= max_level:
            raise Conflict("已是最高督办级别，不能再提级", row.id)
        level += 1
        update["level"] = level
    elif action == CONFIRM_DONE:
        update.update(status=CASE_CLOSED, closed_at=now, closed_by=actor.user_id, due_at=None)
    elif action == RETURN and _pending(conn, row.id) != APPLY_DONE:
        raise Conflict("没有待确认的办结申请，无需退回", row.id)
    elif action == APPLY_DONE and _pending(conn, row.id) == APPLY_DONE:
        raise Conflict("办结申请已提交，正在等待确认", row.id)
    elif action == EXTEND and _pending(conn, row.id) == EXTEND:
        raise Conflict("本次督办已申请过延期，正在等待审批", row.id)
    elif action in EXTENSION_ANSWERS:
        if _pending(conn, row.id) != EXTEND:
            raise Conflict("没有待审批的延期申请", row.id)
        if action != APPROVE_EXTENSION:
            update.pop("due_at", None)  # refused: the deadline stands
    elif action == EVALUATE:
        if rating is None or not 1 <= int(rating) <= 5:
            raise StoreError("效果评估请选择 1–5 分")
        update.update(rating=int(rating), rating_remark=comment)
    values = {
        "case_id": row.id,
        "action": action,
        "comment": comment,
        "actor_id": actor.user_id,
        "actor_role": actor.role,
        "acted_at": now,
        "level_after": level,
        "request_key": request_key,
        "on_time": (row.due_at is None or now <= row.due_at) if action in _UNIT_STATES else None,
    }
    # An 办结申请 answers the action: nothing is awaited from the unit until the leader
    # confirms or sends it back. A progress report is welcome but does not stop the clock.
    if action == APPLY_DONE:
        update.setdefault("due_at", None)
    action_id = _insert_action(conn, **values)
    _update_case(conn, row.id, row.version, **update)
    return Action(id=action_id, **values)


# What the unit's last word since the leader's last action was: 办结申请 awaits confirmation,
# 申请延期 has been used for this action.
_UNIT_STATES = (APPLY_DONE, EXTEND, PROGRESS)


def _pending(conn: sa.Connection, case_id: int) -> str | None:
    """The newest unit action (办结申请, 申请延期) not yet answered by a leader's action."""
    rows = conn.execute(
        sa.select(supervision_actions.c.action)
        .where(supervision_actions.c.case_id == case_id)
        .order_by(supervision_actions.c.acted_at.desc(), supervision_actions.c.id.desc())
    ).scalars()
    for action in rows:
        if action in (APPLY_DONE, EXTEND):
            return action
        if action not in _UNIT_STATES:
            return None
    return None


def _replayed(conn: sa.Connection, request_key: str | None) -> Action | None:
    """The action an earlier attempt of this submission recorded, marked replayed; None when
    this submission is new (or carries no key)."""
    if not request_key:
        return None
    row = conn.execute(
        sa.select(supervision_actions).where(supervision_actions.c.request_key == request_key)
    ).first()
    return None if row is None else Action(**row._mapping, replayed=True)


def _case_row(conn: sa.Connection, condition: sa.ColumnElement) -> sa.Row | None:
    """One case row; locked for the transaction where the engine can (PostgreSQL)."""
    stmt = sa.select(supervision_cases).where(condition)
    if conn.dialect.name == "postgresql" and conn.in_transaction():
        stmt = stmt.with_for_update()
    return conn.execute(stmt).first()


def _to_case(row: sa.Row) -> Case:
    return Case(**row._mapping)


def _check_action(action: str, comment: str) -> None:
    if action not in ALL_ACTIONS or action == OPEN:
        raise StoreError(f"未知的督办动作：{action}")
    _check_comment(comment)


def _check_comment(comment: str) -> None:
    if len(comment) > MAX_COMMENT:
        raise StoreError(f"意见过长（最多 {MAX_COMMENT} 字）")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def _private_sqlite_file(path: Path) -> None:
    """Make the database file (and any folder it needs) before SQLite does, owner-only.

    SQLite creates a new file 0644 (world-readable) and gives its -wal, -shm and -journal files
    the database's mode: creating the file 0600 first covers all of them. A file left 0644 by
    an earlier version is tightened, with a warning."""
    missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_FOLDER, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    for name in ("", "-wal", "-shm", "-journal"):
        companion = path.with_name(path.name + name)
        try:
            if companion.stat().st_mode & 0o077:
                companion.chmod(PRIVATE_FILE)
                log.warning("%s was open to others: now owner-only (0600)", companion)
        except FileNotFoundError:
            pass
        except PermissionError:  # not ours to change: say so, the database still opens
            log.warning("%s is open to others and cannot be changed by this user", companion)


def _sqlite_transactions(engine: sa.Engine) -> None:
    """Let SQLite transactions be real: BEGIN emitted by us (IMMEDIATE for writes).

    The sqlite3 module otherwise starts transactions late and on its own terms, so DDL would
    run outside them and two writers could both read before either writes, then one fail.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait for a writer
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        write = conn.get_execution_options().get("cockpit_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
