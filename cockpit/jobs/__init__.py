"""Jobs: the warning check tick, message delivery and the morning briefing, run on RQ.

Why RQ (over Redis): the cockpit already uses Redis (cache and leases across hosts), RQ needs
nothing else, its jobs are plain functions named by import path, and a worker that does not
fork (SimpleWorker) keeps one app (engines, caches) across jobs. The embedded default
(`python -m cockpit run`, no server) calls the same task bodies (cockpit/jobs/runner.py)
in-process instead of enqueuing them. Dramatiq would serve as well; Celery brings a broker
abstraction, a result backend and a beat process the cockpit does not need.

What makes delivery safe is not the queue but the outbox (cockpit/notify/outbox.py): a task
only delivers a row it has claimed in the database, so RQ's at-least-once execution, a retry
or a sweep running beside a slow worker never sends a row twice. Retries with backoff are the
outbox's (next_at after each failure, swept every tick); after max_attempts a row is dead,
listed on the administrators' jobs page with the queue's own failed jobs.

- cockpit/jobs/runner.py : the task bodies (tick, deliver, briefing), each given an app;
  every run recorded in job_runs.
- cockpit/jobs/tasks.py  : what RQ imports in the worker: the same bodies on the worker's app.
- python -m cockpit.jobs : worker, scheduler, tick, status (see docs/notifications.md).
"""
