"""What the RQ worker runs: the task bodies of cockpit/jobs/runner.py on the worker's own app.

The worker builds one app (settings from config/ and the environment, as gunicorn does) the
first time a job needs it and keeps it: `python -m cockpit.jobs worker` runs RQ's SimpleWorker,
which does not fork per job, so engines and caches are reused.
"""

from __future__ import annotations

import functools
from typing import Any

from cockpit.jobs import runner


@functools.cache
def worker_app() -> Any:
    """This worker process's app."""
    from cockpit.factory import create_app
    from cockpit.settings import load_settings

    return create_app(load_settings())


def tick() -> dict[str, Any]:
    """The scheduler's tick: new warnings published, due deliveries enqueued."""
    return runner.tick(worker_app())


def deliver(outbox_id: int) -> str:
    """Deliver one outbox row (a no-op if it is not due or another worker holds it)."""
    return runner.deliver(worker_app(), outbox_id)


def briefing() -> dict[str, Any]:
    """The morning 要情专报."""
    return runner.briefing(worker_app())
