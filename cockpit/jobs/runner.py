"""The task bodies and how they are dispatched: eagerly in-process, or onto the RQ queue.

Each body takes the app (its hub, store and audit key) and runs inside its app context as the
system (whole city), never as a request's user. `dispatch` is the one place that decides
between running a delivery now (queue: eager) and enqueuing it (queue: rq).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from cockpit import audit, clock
from cockpit.notify import outbox
from cockpit.notify.config import NotifyConfig, notify_config
from cockpit.notify.tables import job_runs
from cockpit.scope import Principal, acting_as
from cockpit.store import get_store
from cockpit.store.store import inserted_id

log = logging.getLogger(__name__)

SYSTEM = Principal("system", "system", None, frozenset(), "系统")
TICK = "warning_tick"
DELIVER = "deliver"
BRIEFING = "briefing"
SYNC = "sync"  # python -m cockpit sync, recorded with its progress (datasets done)


def hub_of(app: Any) -> Any:
    """The app's data hub."""
    return app.server.extensions["cockpit_hub"]


def seal_of(app: Any) -> audit.Seal:
    """The audit seal the app's requests use (so `audit verify` accepts jobs' records)."""
    hub = hub_of(app)
    return audit.seal_for(hub.settings, get_store(hub), app.server.config["COCKPIT_AUDIT_KEY"])


class RunDetail(dict[str, Any]):
    """What a recorded run did (saved as its row's detail when it ends), and its progress:
    `progress(done, total)` writes {"progress": {"done", "total"}} into the row's detail while
    the job still runs, committed at once, so /admin/jobs (another connection) shows 进度 N%.
    Writes are spaced by PROGRESS_EVERY seconds, except the first and the last step."""

    def __init__(self, store: Any, run_id: int) -> None:
        super().__init__()
        self._store, self._run_id, self._written = store, run_id, 0.0

    def progress(self, done: int, total: int) -> None:
        self["progress"] = {"done": done, "total": total}
        now = time.monotonic()
        if self._written and done < total and now - self._written < PROGRESS_EVERY:
            return
        self._written = now
        with self._store.writing("任务进度") as conn:
            conn.execute(
                job_runs.update()
                .where(job_runs.c.id == self._run_id, job_runs.c.state == "running")
                .values(detail=json.dumps(self, ensure_ascii=False, default=str))
            )


PROGRESS_EVERY = 1.0  # seconds between two progress writes of one run


def progress_of(detail: str) -> int | None:
    """The percentage a run's detail records (None: it records none)."""
    try:
        step = json.loads(detail or "{}").get("progress") or {}
        done, total = int(step["done"]), int(step["total"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return 100 if total <= 0 else min(100, max(0, done * 100 // total))


@contextlib.contextmanager
def run_recorded(app: Any, job: str) -> Iterator[RunDetail]:
    """Record a job run (started, finished, ok or failed, what it did, and its progress while
    it runs: RunDetail.progress) in job_runs."""
    store = get_store(hub_of(app))
    with store.writing("任务记录") as conn:
        run_id = inserted_id(
            conn.execute(
                job_runs.insert().values(
                    job=job, started_at=dt.datetime.now(dt.UTC), state="running"
                )
            )
        )
    detail = RunDetail(store, run_id)
    state = "ok"
    try:
        yield detail
    except Exception as exc:
        state = "failed"
        detail["error"] = f"{type(exc).__name__}: {exc}"[:300]
        raise
    finally:
        with store.writing("任务记录") as conn:
            conn.execute(
                job_runs.update()
                .where(job_runs.c.id == run_id)
                .values(
                    finished_at=dt.datetime.now(dt.UTC),
                    state=state,
                    detail=json.dumps(detail, ensure_ascii=False, default=str),
                )
            )


def places(app: Any) -> dict[str, str]:
    """Division code -> name, the city included."""
    city = hub_of(app).settings.city
    return {city.code: city.name, **city.county_names}


def tick(app: Any, today: dt.date | None = None) -> dict[str, Any]:
    """One scheduler tick: publish new warnings, then deliver (or enqueue) every due row."""
    hub = hub_of(app)
    cfg = notify_config(hub.settings)
    from cockpit.domains.key_work.duban import escalate_overdue
    from cockpit.notify.stale import check_stale
    from cockpit.notify.warnings import check_warnings

    with app.server.app_context(), acting_as(SYSTEM), run_recorded(app, TICK) as detail:
        made = check_warnings(hub, cfg, seal_of(app), today or clock.today())
        detail["messages"] = len(made)
        detail["stale"] = len(check_stale(hub, cfg, seal_of(app)))
        detail["escalated"] = len(escalate_overdue(hub))
        detail.update(sweep(app, detail.progress))
    return dict(detail)


Progress = Callable[[int, int], None]


def sweep(app: Any, progress: Progress | None = None) -> dict[str, Any]:
    """Deliver (or enqueue) every due outbox row: new ones, retries whose backoff has passed,
    and rows a dead worker left claimed once their lease has run out. `progress(done, total)`
    hears of each row delivered (the run's RunDetail.progress)."""
    cfg = notify_config(hub_of(app).settings)
    due = outbox.due(get_store(hub_of(app)))
    done: dict[str, Any] = {"due": len(due), "deliveries": dispatch(app, cfg, due, progress)}
    if cfg.queue == "rq" and due:
        # The workers deliver after this run has ended: the rows it enqueued are kept with it,
        # so /admin/jobs can count how they go (batch_progress).
        done[BATCH] = due
    return done


BATCH = "batch"  # a run's detail key: the outbox rows it enqueued (rq mode)


def batch_progress(app: Any, detail: str) -> dict[str, int] | None:
    """How the deliveries a run enqueued are going, from their outbox rows: total, queued
    (waiting or being sent), sent, failed (dead) and the percentage done (sent or failed);
    None for a run that enqueued none."""
    try:
        ids = [int(i) for i in json.loads(detail or "{}").get(BATCH) or []]
    except (ValueError, TypeError, AttributeError):
        return None
    if not ids:
        return None
    states = outbox.states_of(get_store(hub_of(app)), ids)
    sent, failed = states.get(outbox.SENT, 0), states.get(outbox.DEAD, 0)
    total = len(ids)
    return {
        "total": total,
        "queued": total - sent - failed,
        "sent": sent,
        "failed": failed,
        "percent": (sent + failed) * 100 // total,
    }


def detail_text(detail: str) -> str:
    """A run's detail as the admin list shows it (without the batch's row ids)."""
    try:
        values = json.loads(detail or "{}")
    except ValueError:
        return detail
    if not isinstance(values, dict) or BATCH not in values:
        return detail
    values.pop(BATCH)
    return json.dumps(values, ensure_ascii=False, default=str)


def dispatch(
    app: Any, cfg: NotifyConfig, outbox_ids: list[int], progress: Progress | None = None
) -> dict[str, int]:
    """Deliver now (eager) or enqueue one delivery task per row (rq); counts by outcome."""
    outcomes: dict[str, int] = {}
    if cfg.queue == "rq":
        from cockpit.jobs import tasks

        queue = rq_queue(cfg)
        for outbox_id in outbox_ids:
            queue.enqueue(tasks.deliver, outbox_id, job_timeout=cfg.lease_seconds)
        return {"enqueued": len(outbox_ids)} if outbox_ids else {}
    for done, outbox_id in enumerate(outbox_ids):
        if progress is not None:
            progress(done, len(outbox_ids))
        outcome = deliver(app, outbox_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    if progress is not None and outbox_ids:
        progress(len(outbox_ids), len(outbox_ids))
    return outcomes


def deliver(app: Any, outbox_id: int) -> str:
    """Deliver one outbox row (claimed first; see cockpit/notify/outbox.py)."""
    hub = hub_of(app)
    cfg = notify_config(hub.settings)
    with app.server.app_context(), acting_as(SYSTEM):
        return outbox.deliver(get_store(hub), seal_of(app), cfg, outbox_id, places(app))


def briefing(app: Any, out_dir: str = "instance/briefings") -> dict[str, Any]:
    """The morning 要情专报 of the city as .docx and .pdf (what `python -m cockpit briefing`
    writes), as a recorded job."""
    from pathlib import Path

    from cockpit.domains.briefing import documents
    from cockpit.domains.briefing.build import build_briefing, default_day

    hub = hub_of(app)
    with app.server.app_context(), acting_as(SYSTEM), run_recorded(app, BRIEFING) as detail:
        folder = Path(out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        detail.progress(0, 4)  # steps: build, .docx, .pdf, tell
        b = build_briefing(hub, "daily", None, default_day(hub))
        detail.progress(1, 4)
        for step, fmt in enumerate(("docx", "pdf"), start=2):
            data = documents.to_pdf(b) if fmt == "pdf" else documents.to_docx(b)
            path = folder / documents.filename(b, fmt)
            tmp = path.with_suffix(path.suffix + ".part")
            tmp.write_bytes(data)
            tmp.replace(path)
            detail[fmt] = str(path)
            detail.progress(step, 4)
        detail.update(_tell_briefing(app, b))
        detail.progress(4, 4)
    return dict(detail)


def _tell_briefing(app: Any, b: Any) -> dict[str, Any]:
    """Tell the briefing's subscribers (whole-city users) it is out, and deliver."""
    from cockpit.notify.outbox import Draft, publish
    from cockpit.notify.subscriptions import subscriptions
    from cockpit.notify.warnings import principals_of

    hub = hub_of(app)
    store = get_store(hub)
    city = hub.settings.city.code
    sections = "、".join(s.title for s in b.sections if s.title)
    draft = Draft(
        key=f"briefing:{b.kind}:{b.day}",
        level=None,
        domain="",
        county_code=city,
        title=f"{b.title}（{b.day.month}月{b.day.day}日）已生成",
        body=f"统计时段：{b.span}" + (f"；内容：{sections}" if sections else ""),
        link="/briefing",
        topic="briefing",
    )
    with store.reading() as conn:
        names = {s.username for s in subscriptions(conn, topic="briefing")}
    cfg = notify_config(hub.settings)
    made = publish(store, seal_of(app), cfg, draft, principals_of(store, names), city)
    return {"message": made, **sweep(app)} if made is not None else {}


def rq_queue(cfg: NotifyConfig) -> Any:
    """The RQ queue on the Redis named by redis_url_env (default redis://127.0.0.1:6379/0)."""
    import os

    from redis import Redis
    from rq import Queue

    url = os.environ.get(cfg.redis_url_env) or "redis://127.0.0.1:6379/0"
    return Queue(cfg.queue_name, connection=Redis.from_url(url))


def last_runs(app: Any, limit: int = 30) -> Sequence[sa.Row]:
    """The newest job runs (the admin list)."""
    with get_store(hub_of(app)).reading() as conn:
        return conn.execute(sa.select(job_runs).order_by(job_runs.c.id.desc()).limit(limit)).all()


def queue_status(app: Any) -> dict[str, Any]:
    """What the queue holds: queued and failed (dead-letter) jobs; {} in eager mode."""
    cfg = notify_config(hub_of(app).settings)
    if cfg.queue != "rq":
        return {}
    try:
        queue = rq_queue(cfg)
        return {
            "queued": queue.count,
            "started": queue.started_job_registry.count,
            "failed": queue.failed_job_registry.count,
            "failed_ids": queue.failed_job_registry.get_job_ids(0, 20),
        }
    except Exception as exc:  # Redis down: the page says so instead of failing
        return {"error": type(exc).__name__}


def briefing_due(app: Any, now: dt.datetime | None = None) -> bool:
    """Is the morning briefing due: past briefing_at (Beijing time) and not yet run today?"""
    cfg = notify_config(hub_of(app).settings)
    now = now or clock.now()
    if not cfg.briefing_at or f"{now:%H:%M}" < cfg.briefing_at:
        return False
    start = dt.datetime.combine(now.date(), dt.time(), clock.CITY_TZ)
    with get_store(hub_of(app)).reading() as conn:
        ran = conn.execute(
            sa.select(sa.func.count())
            .select_from(job_runs)
            .where(
                job_runs.c.job == BRIEFING,
                job_runs.c.started_at >= start,
                job_runs.c.state != "failed",
            )
        ).scalar_one()
    return ran == 0


def start_embedded(app: Any, stop: threading.Event | None = None) -> threading.Thread | None:
    """On the embedded default (queue: eager), tick every tick_seconds in a daemon thread of
    this process, and write the morning briefing when it is due, so `python -m cockpit run`
    needs no worker, scheduler or Redis. Production (queue: rq) runs the scheduler and workers
    as their own processes instead. `stop` ends the loop (tests)."""
    cfg = notify_config(hub_of(app).settings)
    if cfg.queue != "eager":
        return None
    stop = stop or threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                tick(app)
                if briefing_due(app):
                    briefing(app)
            except Exception:  # recorded in job_runs as failed; the next tick tries again
                log.exception("embedded job failed")
            stop.wait(cfg.tick_seconds)

    thread = threading.Thread(target=loop, name="cockpit-jobs", daemon=True)
    thread.start()
    return thread
