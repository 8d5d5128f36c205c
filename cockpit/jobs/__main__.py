"""python -m cockpit.jobs {worker,scheduler,tick,status}: run and inspect the cockpit's jobs.

worker     run an RQ worker on the notify queue (queue: rq); SIGTERM finishes the current job
scheduler  enqueue the tick every tick_seconds and the morning briefing at briefing_at
tick       one tick now: check warnings, deliver or enqueue what is due (eager or rq)
status     the outbox by state, the queue, and the last job runs
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time


def _app():
    from cockpit.jobs.tasks import worker_app

    return worker_app()


def _cfg():
    from cockpit.notify.config import notify_config
    from cockpit.settings import load_settings

    return notify_config(load_settings())


def cmd_worker(args: argparse.Namespace) -> int:
    """Run RQ's SimpleWorker (no fork per job: one app per worker process)."""
    from rq import SimpleWorker

    from cockpit.jobs.runner import rq_queue

    cfg = _cfg()
    if cfg.queue != "rq":
        print("error: notify.queue 为 eager，任务在驾驶舱进程内执行，无需 worker", file=sys.stderr)
        return 2
    queue = rq_queue(cfg)
    _app()  # build the app before taking jobs: a bad configuration fails here, loudly
    print(f"worker on queue {queue.name} ({queue.connection})", file=sys.stderr)
    SimpleWorker([queue], connection=queue.connection).work(burst=args.burst)
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    """Enqueue the tick every tick_seconds, and the briefing once a day at briefing_at."""
    from cockpit import clock
    from cockpit.jobs import tasks
    from cockpit.jobs.runner import rq_queue

    cfg = _cfg()
    if cfg.queue != "rq":
        print(
            "error: notify.queue 为 eager，由 python -m cockpit run 自带的定时器执行",
            file=sys.stderr,
        )
        return 2
    queue = rq_queue(cfg)
    print(f"scheduler: tick every {cfg.tick_seconds}s on {queue.name}", file=sys.stderr)
    while True:
        queue.enqueue(tasks.tick, job_timeout=max(600, cfg.tick_seconds))
        now = clock.now()
        if cfg.briefing_at and f"{now:%H:%M}" >= cfg.briefing_at:
            # Once a day across restarts and several schedulers: the first SET NX wins.
            key = f"{cfg.queue_name}:briefing:{now:%Y-%m-%d}"
            if queue.connection.set(key, "1", nx=True, ex=2 * 86400):
                queue.enqueue(tasks.briefing, job_timeout=1800)
        if args.once:
            return 0
        time.sleep(cfg.tick_seconds)


def cmd_tick(args: argparse.Namespace) -> int:
    """One tick in this process (deliveries run here on eager, are enqueued on rq)."""
    from cockpit.jobs import runner

    today = dt.date.fromisoformat(args.date) if args.date else None
    print(runner.tick(_app(), today=today))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Print the outbox by state, the queue and the last runs."""
    from cockpit.jobs import runner
    from cockpit.notify import outbox
    from cockpit.store import get_store

    app = _app()
    print("outbox:", outbox.counts(get_store(runner.hub_of(app))))
    print("queue:", runner.queue_status(app) or "eager (in-process)")
    for run in runner.last_runs(app, 10):
        print(f"{run.started_at:%Y-%m-%d %H:%M:%S} {run.job:14} {run.state:8} {run.detail}")
    return 0


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m cockpit.jobs", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    w = sub.add_parser("worker", help="run an RQ worker (notify.queue: rq)")
    w.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    w.set_defaults(func=cmd_worker)
    s = sub.add_parser("scheduler", help="enqueue the tick and the morning briefing")
    s.add_argument("--once", action="store_true", help="enqueue once and stop")
    s.set_defaults(func=cmd_scheduler)
    t = sub.add_parser("tick", help="check warnings and deliver what is due, now")
    t.add_argument("--date", help="judge warnings as of this day (YYYY-MM-DD)")
    t.set_defaults(func=cmd_tick)
    sub.add_parser("status", help="outbox, queue and last runs").set_defaults(func=cmd_status)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
