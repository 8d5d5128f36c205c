"""The REST adapter: JSON services of a data-sharing platform, with signed requests.

Sharing platforms (数据共享交换平台) hand a dataset out as a paged JSON API behind an app key
and secret. Each request is signed (HMAC over method, path, timestamp and nonce), retried with
backoff on 429 and 5xx, and guarded by a circuit breaker per source that fails fast while the
service is down and probes again later. The rows are then queried locally (local_engine), so a
REST dataset answers the same DatasetQuery as a SQL one. Large datasets belong in sync mode.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import os
import socket
import threading
import time
import uuid
from typing import Any, ClassVar, Literal

import pandas as pd
import requests
from pydantic import BaseModel, ConfigDict, Field, model_validator
from urllib3.exceptions import InvalidHeader
from urllib3.util.retry import Retry

from data_sources.base import DataSourceError, Health, SourceConfig, remaining_budget
from data_sources.local_engine import query_rows
from data_sources.query import BoundDataset, DatasetQuery

log = logging.getLogger(__name__)
RETRY_STATUSES = {429, 500, 502, 503, 504}


class Signing(BaseModel):
    """How requests are signed: HMAC-<algorithm> over method, path, timestamp and nonce."""

    model_config = ConfigDict(extra="forbid")
    algorithm: Literal["sha256", "sha512", "sha1", "md5"] = "sha256"
    app_key_header: str = "X-App-Key"
    timestamp_header: str = "X-Timestamp"
    nonce_header: str = "X-Nonce"
    signature_header: str = "X-Signature"


class Pagination(BaseModel):
    """How the API pages: page/size numbers or an opaque cursor."""

    model_config = ConfigDict(extra="forbid")
    style: Literal["page", "cursor", "none"] = "page"
    data_field: str = "data"  # where the rows are in each response (dotted path)
    page_param: str = "page"
    size_param: str = "size"
    size: int = Field(500, ge=1, le=10_000)
    first_page: int = 1
    total_field: str | None = "total"  # total row count, if the API gives one
    cursor_param: str = "cursor"
    next_cursor_field: str = "next_cursor"
    max_pages: int = Field(10_000, ge=1, description="a runaway API must not loop forever")


class Breaker(BaseModel):
    """Circuit breaker: after `failures` consecutive failures, fail fast for `reset_seconds`."""

    model_config = ConfigDict(extra="forbid")
    failures: int = Field(5, ge=1)
    reset_seconds: float = Field(30.0, gt=0)


class RestConfig(SourceConfig):
    """A JSON API of the sharing platform; a dataset's `table` is its resource path."""

    kind: Literal["rest"]
    base_url: str = Field(pattern=r"^https?://")
    app_key_env: str | None = None
    app_secret_env: str | None = Field(None, description="environment variable with the secret")
    timeout: float = Field(10.0, gt=0, le=300, description="seconds per request")
    retries: int = Field(3, ge=0, le=10)
    backoff: float = Field(0.5, ge=0, le=60, description="seconds, doubled at each retry")
    deadline: float = Field(
        25.0, gt=0, le=600, description="seconds for one request with all its retries"
    )
    signing: Signing = Signing()
    pagination: Pagination = Pagination()
    breaker: Breaker = Breaker()
    health_path: str | None = None

    @model_validator(mode="after")
    def _key_with_secret(self) -> RestConfig:
        if (self.app_key_env is None) != (self.app_secret_env is None):
            raise ValueError("give both app_key_env and app_secret_env, or neither")
        return self


def sign(secret: str, method: str, path: str, timestamp: str, nonce: str, algorithm: str) -> str:
    """The request signature: base64 of HMAC(secret, METHOD\\npath\\ntimestamp\\nnonce)."""
    message = "\n".join([method.upper(), path, timestamp, nonce]).encode("utf-8")
    digest = hmac.new(secret.encode("utf-8"), message, getattr(hashlib, algorithm)).digest()
    return base64.b64encode(digest).decode("ascii")


class CircuitBreaker:
    """Closed (calls pass), open (fail fast), half-open (one probe after the reset time).

    In half-open exactly one caller is let through as the probe; the others still fail fast
    until it reports. A probe that never reports (its worker died) is replaced by another one
    after a further reset time.
    """

    def __init__(self, failures: int, reset_seconds: float, clock=time.monotonic) -> None:
        self.threshold = failures
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probe_since: float | None = None  # when the current probe was let through
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        """closed | open | half-open."""
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.reset_seconds:
            return "half-open"
        return "open"

    def allow(self) -> bool:
        """May a call go through now? (In half-open, only the one probe.)"""
        with self._lock:
            state = self._state()
            if state == "closed":
                return True
            if state == "open":
                return False
            now = self._clock()
            if self._probe_since is not None and now - self._probe_since < self.reset_seconds:
                return False  # a probe is under way
            self._probe_since = now
            return True

    def success(self) -> None:
        """A call worked: close the breaker."""
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._probe_since = None

    def failure(self) -> None:
        """A call failed: open after enough failures, or again after a failed probe."""
        with self._lock:
            self._failures += 1
            if self._state() == "half-open" or self._failures >= self.threshold:
                self._opened_at = self._clock()
            self._probe_since = None


def _read_within(response: requests.Response, deadline: float) -> bytes:
    """The response body, or requests.Timeout when it is not all there by `deadline`.

    A read timeout restarts with every byte that arrives, so a server trickling its answer
    would hold the request for ever: a timer cuts the connection at the deadline instead
    (shutdown wakes the read blocked on it).
    """
    cut = threading.Event()

    def cut_off() -> None:
        cut.set()
        sock = _socket_of(response)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(max(deadline - time.monotonic(), 0.0), cut_off)
    timer.daemon = True
    timer.start()
    try:
        body = response.content
    except requests.RequestException as exc:
        if cut.is_set():
            raise requests.Timeout("the answer did not arrive within the deadline") from exc
        raise
    finally:
        timer.cancel()
        response.close()
    if cut.is_set():
        raise requests.Timeout("the answer did not arrive within the deadline")
    return body


def _socket_of(response: requests.Response) -> socket.socket | None:
    """The socket a streamed response reads from. urllib3 keeps no public handle on it: the
    connection's `sock` while kept alive, else http.client's reader holds it (`fp.raw._sock`).
    tests/unit/test_source_faults.py (the trickling server) checks that this still finds it."""
    raw = response.raw
    sock = getattr(getattr(raw, "_connection", None), "sock", None)
    if sock is None:
        reader = getattr(getattr(raw, "_fp", None), "fp", None)
        sock = getattr(getattr(reader, "raw", None), "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


class RestSource:
    """Reads datasets from a signed, paged JSON API."""

    kind: ClassVar[str] = "rest"
    is_demo: ClassVar[bool] = False

    def __init__(self, name: str, config: RestConfig) -> None:
        self.name = name
        self.config = config
        self.breaker = CircuitBreaker(config.breaker.failures, config.breaker.reset_seconds)
        self._session: requests.Session | None = None
        self._session_pid: int | None = None
        self._lock = threading.Lock()

    # -- the interface --------------------------------------------------------------------
    def fetch(self, dataset: BoundDataset, query: DatasetQuery) -> pd.DataFrame:
        """Fetch every page of the dataset's resource, then answer the query locally."""
        rows = self.fetch_rows(dataset.table)
        return query_rows(rows, dataset, query, self.name)

    def fetch_rows(self, resource: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """All rows of a resource, page after page."""
        pages = self.config.pagination
        records: list[dict[str, Any]] = []
        page, cursor = pages.first_page, None
        for _ in range(pages.max_pages):
            query = dict(params or {})
            if pages.style == "page":
                query.update({pages.page_param: page, pages.size_param: pages.size})
            elif pages.style == "cursor":
                query[pages.size_param] = pages.size
                if cursor is not None:
                    query[pages.cursor_param] = cursor
            body = self._get(resource, query)
            batch = _dig(body, pages.data_field)
            if not isinstance(batch, list) or not all(isinstance(r, dict) for r in batch):
                raise DataSourceError(
                    f"数据源 {self.name} 返回的数据格式不对：{pages.data_field} 不是记录列表"
                )
            records.extend(batch)
            if pages.style == "none":
                break
            if pages.style == "page":
                total = _dig(body, pages.total_field) if pages.total_field else None
                if not batch:
                    break
                if isinstance(total, int):
                    # Trust the total, not the page length: servers cap page sizes silently.
                    if len(records) >= total:
                        break
                elif len(batch) < pages.size:
                    break
                page += 1
            else:
                cursor = _dig(body, pages.next_cursor_field)
                if not cursor or not batch:
                    break
        else:
            raise DataSourceError(f"数据源 {self.name} 分页超过 {pages.max_pages} 页，已停止")
        return pd.DataFrame.from_records(records)

    def health(self) -> Health:
        """One signed request to the health path (or the base URL)."""
        now = dt.datetime.now()
        if not self.breaker.allow():
            return Health(False, "熔断中（服务连续失败，稍后自动重试）", now)
        try:
            self._get(self.config.health_path or "", {})
        except DataSourceError as exc:
            return Health(False, str(exc), now)
        return Health(True, "ok", now)

    def version(self) -> str:
        """A live service: its name and address."""
        return f"rest:{self.name}:{self.config.base_url}"

    def close(self) -> None:
        """Close the HTTP session."""
        with self._lock:
            if self._session is not None:
                self._session.close()
            self._session = None

    # -- HTTP -----------------------------------------------------------------------------
    def _http(self) -> requests.Session:
        with self._lock:
            if self._session is None or self._session_pid != os.getpid():
                self._session = requests.Session()
                self._session_pid = os.getpid()
            return self._session

    def _headers(self, method: str, path: str) -> dict[str, str]:
        cfg = self.config
        if cfg.app_key_env is None:
            return {"Accept": "application/json"}
        key, secret = os.environ.get(cfg.app_key_env), os.environ.get(cfg.app_secret_env or "")
        if not key or not secret:
            raise DataSourceError(
                f"数据源 {self.name} 未配置密钥：环境变量 {cfg.app_key_env} / {cfg.app_secret_env}"
            )
        timestamp = str(int(time.time() * 1000))
        nonce = uuid.uuid4().hex
        s = cfg.signing
        return {
            "Accept": "application/json",
            s.app_key_header: key,
            s.timestamp_header: timestamp,
            s.nonce_header: nonce,
            s.signature_header: sign(secret, method, path, timestamp, nonce, s.algorithm),
        }

    def _get(self, resource: str, params: dict[str, Any]) -> Any:
        """One GET with signing, retries and the breaker; the parsed JSON body.

        The retry loop is ours rather than urllib3's Retry because every attempt must be
        signed afresh: Retry resends the same headers, and a platform refuses a nonce it has
        seen (or a timestamp gone stale). urllib3 still reads Retry-After for us, in both of
        its forms (seconds, or an HTTP-date). Everything ends within `deadline` seconds.
        """
        if not self.breaker.allow():
            raise DataSourceError(f"数据源 {self.name} 暂时不可用（熔断中，稍后自动重试）")
        url = self.config.base_url.rstrip("/") + ("/" + resource.lstrip("/") if resource else "")
        path = requests.utils.urlparse(url).path or "/"
        # Its own deadline, or what is left of the request's (a web request's callback
        # timeout, shared by every source it asks), whichever ends first.
        budget = remaining_budget()
        allowed = self.config.deadline if budget is None else min(self.config.deadline, budget)
        deadline = time.monotonic() + allowed
        delay = self.config.backoff
        problem = ""
        for attempt in range(self.config.retries + 1):
            wait = min(self.config.timeout, deadline - time.monotonic())
            if wait <= 0:
                break
            try:
                response = self._http().get(
                    url,
                    params=params,
                    headers=self._headers("GET", path),
                    timeout=wait,
                    stream=True,  # the body is read below against the deadline
                )
                if response.status_code < 400:
                    _read_within(response, deadline)  # the body, cached in response.content
            except requests.Timeout:
                problem = f"超时（>{wait:.3g} 秒）"
            except requests.RequestException as exc:
                problem = f"无法连接（{type(exc).__name__}）"
            else:
                if response.status_code in RETRY_STATUSES:
                    problem = f"HTTP {response.status_code}"
                    asked = _retry_after(response.headers.get("Retry-After"))
                    if asked is not None:
                        if time.monotonic() + asked > deadline:
                            # Sleeping through it would only end in a timeout: say so now.
                            self.breaker.failure()
                            raise DataSourceError(
                                f"数据源 {self.name} 繁忙（HTTP {response.status_code}），"
                                f"要求 {asked:.0f} 秒后重试，超出本次请求时限"
                            )
                        delay = max(delay, asked)
                elif response.status_code >= 400:
                    self.breaker.failure()
                    raise DataSourceError(
                        f"数据源 {self.name} 拒绝请求（HTTP {response.status_code}）"
                    )
                else:
                    try:
                        body = response.json()
                    except ValueError:
                        self.breaker.failure()
                        raise DataSourceError(f"数据源 {self.name} 返回的不是 JSON") from None
                    self.breaker.success()
                    return body
            if attempt == self.config.retries or time.monotonic() + delay >= deadline:
                break
            time.sleep(delay)
            delay *= 2
        self.breaker.failure()
        log.warning("source %s failed after %d attempts: %s", self.name, attempt + 1, problem)
        raise DataSourceError(f"数据源 {self.name} 请求失败：{problem}")


def _retry_after(value: str | None) -> float | None:
    """Seconds a Retry-After header asks for (seconds or an HTTP-date); None if absent or bad."""
    if not value:
        return None
    try:
        return float(Retry().parse_retry_after(value))
    except InvalidHeader:
        return None


def _dig(body: Any, path: str | None) -> Any:
    """body['a']['b'] for path 'a.b'; None where it is missing."""
    if not path:
        return body
    for part in path.split("."):
        if not isinstance(body, dict):
            return None
        body = body.get(part)
    return body
