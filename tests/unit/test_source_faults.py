"""Fault tests: sources that are down, slow, flaky, oddly paged or sending bad data.

Each fault must end in a DataSourceError with a message a user can read (nothing raw, nothing
lost silently), and the REST breaker must open, fail fast, and close again by itself.
"""

from __future__ import annotations

import socket
import threading
import time

import pandas as pd
import pytest

from data_sources.base import DataSourceError, time_budget
from data_sources.files import FileConfig, FileSource
from data_sources.query import DatasetQuery, Measure
from data_sources.rest import CircuitBreaker, RestConfig, RestSource, sign
from tests.contract.test_adapter_contract import TABLE, bound, reference_tickets
from tests.fake_platform import FakePlatform

COUNT = DatasetQuery(measures=(Measure("n", "count"),))


@pytest.fixture
def rows() -> pd.DataFrame:
    """Reference rows as JSON would carry them."""
    frame = reference_tickets(120)
    for name in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[name]):
            frame[name] = (
                frame[name].dt.strftime("%Y-%m-%d %H:%M:%S").where(frame[name].notna(), None)
            )
    return frame.astype(object).where(frame.notna(), None)


@pytest.fixture
def platform(rows):
    """A fresh fake platform per test (its behaviour is changed by the test)."""
    with FakePlatform({TABLE: rows}) as fake:
        yield fake


def make_source(platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, **overrides) -> RestSource:
    monkeypatch.setenv("F_KEY", platform.behaviour.key)
    monkeypatch.setenv("F_SECRET", platform.behaviour.secret)
    config = {
        "kind": "rest",
        "base_url": platform.url,
        "app_key_env": "F_KEY",
        "app_secret_env": "F_SECRET",
        "backoff": 0.01,
        "retries": 2,
        "pagination": {"size": 25},
        "timeout": 2,
    }
    config.update(overrides)
    return RestSource("platform", RestConfig.model_validate(config))


def test_signature_is_hmac_over_method_path_time_and_nonce() -> None:
    """The signature changes with each signed part and with the secret."""
    base = sign("k", "GET", "/api/x", "1", "n", "sha256")
    assert base == sign("k", "get", "/api/x", "1", "n", "sha256")
    for changed in (
        sign("k2", "GET", "/api/x", "1", "n", "sha256"),
        sign("k", "POST", "/api/x", "1", "n", "sha256"),
        sign("k", "GET", "/api/y", "1", "n", "sha256"),
        sign("k", "GET", "/api/x", "2", "n", "sha256"),
        sign("k", "GET", "/api/x", "1", "m", "sha256"),
        sign("k", "GET", "/api/x", "1", "n", "sha1"),
    ):
        assert changed != base


def test_all_pages_are_read_and_the_server_verifies_signatures(platform, monkeypatch, rows) -> None:
    """120 rows in pages of 25 arrive whole; every request carried a valid signature."""
    source = make_source(platform, monkeypatch)
    assert source.fetch(bound(), COUNT)["n"].iloc[0] == len(rows)
    assert len(platform.behaviour.requests) == 5


def test_a_wrong_secret_is_refused_with_a_clear_message(platform, monkeypatch) -> None:
    """A 401 is not retried and says the request was refused."""
    source = make_source(platform, monkeypatch)
    monkeypatch.setenv("F_SECRET", "wrong")
    with pytest.raises(DataSourceError, match="拒绝请求（HTTP 401）"):
        source.fetch(bound(), COUNT)
    assert len(platform.behaviour.requests) == 1


@pytest.mark.parametrize("style", ["page", "cursor"])
def test_short_pages_and_cursors_lose_no_rows(platform, monkeypatch, rows, style) -> None:
    """A server that caps page size below the asked size, or pages by cursor, still gives every row."""
    platform.behaviour.short_pages = True
    platform.behaviour.style = style
    source = make_source(platform, monkeypatch, pagination={"size": 25, "style": style})
    frame = source.fetch_rows(TABLE)
    assert sorted(frame["ticket_id"]) == sorted(rows["ticket_id"])


def test_server_errors_are_retried_with_backoff(platform, monkeypatch, rows) -> None:
    """Two 503s then success: the answer arrives, after three attempts at the first page."""
    platform.behaviour.fail_next = 2
    source = make_source(platform, monkeypatch)
    assert source.fetch(bound(), COUNT)["n"].iloc[0] == len(rows)
    first_page = [r for r in platform.behaviour.requests if r["args"].get("page") == "1"]
    assert len(first_page) == 3


def test_429_honours_retry_after(platform, monkeypatch) -> None:
    """A 429 with Retry-After: 1 waits about a second before trying again."""
    platform.behaviour.fail_next, platform.behaviour.fail_status = 1, 429
    platform.behaviour.retry_after = "1"
    source = make_source(platform, monkeypatch)
    started = time.monotonic()
    source.fetch_rows(TABLE)
    assert time.monotonic() - started >= 0.9


def _http_date(seconds_ahead: float) -> tuple[str, float]:
    """An HTTP-date `seconds_ahead` from now (whole seconds, as HTTP has), and its instant."""
    import email.utils

    target = int(time.time() + seconds_ahead)
    return email.utils.formatdate(target, usegmt=True), float(target)


def test_503_with_an_http_date_retry_after_is_retried_at_that_time(platform, monkeypatch) -> None:
    """A 503 with Retry-After as an HTTP-date 1-2 s ahead: the retry waits until that instant
    (not the 0.01 s backoff), and the answer still comes within the request's deadline."""
    stamp, target = _http_date(2)
    platform.behaviour.fail_next, platform.behaviour.fail_status = 1, 503
    platform.behaviour.retry_after = stamp
    source = make_source(platform, monkeypatch, deadline=5)
    started = time.monotonic()
    frame = source.fetch_rows(TABLE)
    assert len(frame) == 120
    assert time.time() >= target - 0.05  # the retry went out at the time the server gave
    assert time.monotonic() - started < 5
    first_page = [r for r in platform.behaviour.requests if r["args"].get("page") == "1"]
    assert len(first_page) == 2


def test_a_retry_after_beyond_the_deadline_fails_at_once_with_a_message(
    platform, monkeypatch
) -> None:
    """A server that asks for a wait past the request's deadline: no sleeping through it, a
    clear error now (the last good figures stay on screen)."""
    platform.behaviour.fail_next, platform.behaviour.fail_status = 1, 503
    platform.behaviour.retry_after = _http_date(60)[0]
    source = make_source(platform, monkeypatch, deadline=3)
    started = time.monotonic()
    with pytest.raises(DataSourceError, match="秒后重试"):
        source.fetch_rows(TABLE)
    assert time.monotonic() - started < 1


def test_slow_attempts_stop_at_the_request_deadline(platform, monkeypatch) -> None:
    """Retries of a slow service end at the deadline, not after every attempt's own timeout."""
    platform.behaviour.delay = 1.0
    source = make_source(platform, monkeypatch, timeout=0.6, retries=5, deadline=1.5)
    started = time.monotonic()
    with pytest.raises(DataSourceError, match="超时"):
        source.fetch_rows(TABLE)
    assert time.monotonic() - started < 2.2


def test_a_slow_source_times_out_with_a_message(platform, monkeypatch) -> None:
    """Slower than its timeout: DataSourceError saying 超时, after the configured attempts."""
    platform.behaviour.delay = 1.0
    source = make_source(platform, monkeypatch, timeout=0.2, retries=1)
    with pytest.raises(DataSourceError, match="超时"):
        source.fetch_rows(TABLE)


def test_a_source_that_is_down_says_it_cannot_connect(monkeypatch) -> None:
    """Nothing listening: a readable connection error, and health() is not ok."""
    source = RestSource(
        "down",
        RestConfig.model_validate(
            {"kind": "rest", "base_url": "http://127.0.0.1:9/api", "retries": 0}
        ),
    )
    with pytest.raises(DataSourceError, match="无法连接"):
        source.fetch_rows(TABLE)
    assert source.health().ok is False


@pytest.mark.parametrize(
    "fault, message", [("bad_json", "不是 JSON"), ("bad_shape", "不是记录列表")]
)
def test_bad_data_is_refused(platform, monkeypatch, fault, message) -> None:
    """A body that is not JSON, or not a list of records, is refused with a clear message."""
    setattr(platform.behaviour, fault, True)
    with pytest.raises(DataSourceError, match=message):
        make_source(platform, monkeypatch).fetch_rows(TABLE)


def test_rows_breaking_the_contract_are_refused(monkeypatch) -> None:
    """A missing column and a value of the wrong type are named in the error."""
    rows = reference_tickets(10).drop(columns=["deadline"])
    with (
        FakePlatform({TABLE: rows.astype(str)}) as fake,
        pytest.raises(DataSourceError, match="缺少字段：deadline"),
    ):
        make_source(fake, monkeypatch).fetch(bound(), COUNT)
    bad = reference_tickets(10).astype(str)
    bad.loc[3, "returned_count"] = "三"
    with (
        FakePlatform({TABLE: bad}) as fake,
        pytest.raises(DataSourceError, match="returned_count 不是 int"),
    ):
        make_source(fake, monkeypatch).fetch(bound(), COUNT)


def test_breaker_opens_fails_fast_and_closes_again(platform, monkeypatch, rows) -> None:
    """After N failures calls fail fast without reaching the server; after the reset time a probe
    goes through and, when it succeeds, the breaker closes."""
    platform.behaviour.fail_next = 100
    source = make_source(
        platform, monkeypatch, retries=0, breaker={"failures": 2, "reset_seconds": 0.5}
    )
    for _ in range(2):
        with pytest.raises(DataSourceError, match="请求失败"):
            source.fetch_rows(TABLE)
    assert source.breaker.state == "open"
    seen = len(platform.behaviour.requests)
    with pytest.raises(DataSourceError, match="熔断中"):
        source.fetch_rows(TABLE)
    assert len(platform.behaviour.requests) == seen  # failed fast: the server saw nothing
    platform.behaviour.fail_next = 0
    time.sleep(0.6)
    assert source.breaker.state == "half-open"
    assert len(source.fetch_rows(TABLE)) == len(rows)
    assert source.breaker.state == "closed"


def test_a_failed_probe_opens_the_breaker_again() -> None:
    """Half-open plus one failure is open again at once."""
    now = [0.0]
    breaker = CircuitBreaker(3, 10, clock=lambda: now[0])
    for _ in range(3):
        breaker.failure()
    now[0] = 11
    assert breaker.state == "half-open"
    breaker.failure()
    assert breaker.state == "open"


def test_gbk_file_with_a_malformed_line_is_refused_with_the_line(tmp_path) -> None:
    """A GBK CSV with one line of too many fields: refused, the bad line shown, nothing skipped."""
    frame = reference_tickets(20)
    path = tmp_path / f"{TABLE}_20261120.csv"
    frame.to_csv(path, index=False, encoding="gbk", date_format="%Y-%m-%d %H:%M:%S")
    text = path.read_bytes().decode("gbk").splitlines()
    text.insert(5, text[5] + ",多余,字段")
    path.write_bytes("\n".join(text).encode("gbk"))
    source = FileSource("drop", FileConfig(kind="file", folder=str(tmp_path)))
    assert source.encoding_of(path) == "gb18030"
    with pytest.raises(DataSourceError, match="1 行格式错误"):
        source.fetch(bound(), COUNT)


def test_utf8_file_with_a_malformed_line_is_refused(tmp_path) -> None:
    """The same fault in a UTF-8 file (read by DuckDB from disk) is refused too."""
    frame = reference_tickets(20)
    path = tmp_path / f"{TABLE}_20261120.csv"
    frame.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S")
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(5, lines[5] + ",extra,fields")
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(DataSourceError):
        FileSource("drop", FileConfig(kind="file", folder=str(tmp_path))).fetch(bound(), COUNT)


def test_the_newest_drop_file_is_read(tmp_path) -> None:
    """Files are picked by the date in their names: the newest wins, whatever their mtimes."""
    old, new = reference_tickets(10), reference_tickets(30)
    new.to_csv(tmp_path / f"{TABLE}_20261120.csv", index=False)
    old.to_csv(tmp_path / f"{TABLE}_20261119.csv", index=False)  # written later, dated earlier
    source = FileSource("drop", FileConfig(kind="file", folder=str(tmp_path)))
    assert source.fetch(bound(), COUNT)["n"].iloc[0] == 30
    every = FileSource("drop", FileConfig(kind="file", folder=str(tmp_path), mode="all"))
    assert every.fetch(bound(), COUNT)["n"].iloc[0] == 40


def test_a_missing_folder_or_file_says_so(tmp_path) -> None:
    """No folder, or no file for the dataset: clear errors; health reports the folder."""
    gone = FileSource("drop", FileConfig(kind="file", folder=str(tmp_path / "nope")))
    with pytest.raises(DataSourceError, match="目录不存在"):
        gone.fetch(bound(), COUNT)
    assert gone.health().ok is False
    empty = FileSource("drop", FileConfig(kind="file", folder=str(tmp_path)))
    with pytest.raises(DataSourceError, match="没有 ref_tickets 的文件"):
        empty.fetch(bound(), COUNT)


# -- timeouts that nest, and one probe (#19 item 8) -------------------------------------------
def _trickling_server() -> tuple[socket.socket, str, threading.Event]:
    """A server that answers 200 and then sends one byte of body every 0.3 s, forever."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                listener.settimeout(0.2)
                conn, _ = listener.accept()
            except OSError:
                continue
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[")
            while not stop.is_set():
                try:
                    conn.sendall(b" ")
                except OSError:
                    break
                time.sleep(0.3)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener, f"http://127.0.0.1:{listener.getsockname()[1]}/api", stop


def test_a_trickling_server_is_cut_off_at_the_deadline(monkeypatch) -> None:
    """Bytes that keep coming slowly never reset the clock: the whole answer has a deadline."""
    listener, url, stop = _trickling_server()
    monkeypatch.setenv("F_KEY", "k")
    monkeypatch.setenv("F_SECRET", "s")
    config = {
        "kind": "rest",
        "base_url": url,
        "app_key_env": "F_KEY",
        "app_secret_env": "F_SECRET",
        "timeout": 1,
        "retries": 0,
        "deadline": 2,
    }
    source = RestSource("trickle", RestConfig.model_validate(config))
    started = time.monotonic()
    try:
        with pytest.raises(DataSourceError, match="超时"):
            source.fetch_rows(TABLE)
    finally:
        stop.set()
        listener.close()
    assert time.monotonic() - started < 3.0


def test_rest_keeps_within_the_requests_budget(platform, monkeypatch) -> None:
    """Inside a web request with 1 s left, a slow service is given 1 s, not its own 25 s."""
    platform.behaviour.delay = 3.0
    source = make_source(platform, monkeypatch, timeout=5, retries=3, deadline=25)
    started = time.monotonic()
    with time_budget(1.0), pytest.raises(DataSourceError, match="超时"):
        source.fetch_rows(TABLE)
    assert time.monotonic() - started < 1.8


def test_half_open_lets_one_probe_through_not_every_caller() -> None:
    """After the reset time, 8 concurrent callers: one probes, seven still fail fast."""
    now = [0.0]
    breaker = CircuitBreaker(failures=1, reset_seconds=10, clock=lambda: now[0])
    breaker.failure()
    assert not breaker.allow()
    now[0] = 11.0
    barrier = threading.Barrier(8)
    allowed: list[bool] = []

    def ask() -> None:
        barrier.wait()
        allowed.append(breaker.allow())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert allowed.count(True) == 1
    breaker.success()  # the probe answered: everyone may call again
    assert breaker.allow() and breaker.allow()


def test_a_probe_that_never_reports_does_not_block_forever() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failures=1, reset_seconds=10, clock=lambda: now[0])
    breaker.failure()
    now[0] = 11.0
    assert breaker.allow()  # the probe, which hangs and never reports
    assert not breaker.allow()
    now[0] = 22.0  # another reset time later: another probe
    assert breaker.allow()
