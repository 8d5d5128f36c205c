"""Production serving: nested timeouts, compressed responses, gunicorn's configuration."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from cockpit.settings import ConfigError, load_settings
from tests.conftest import demo_environ

ROOT = Path(__file__).resolve().parents[2]


def test_timeouts_must_grow_outwards(tmp_path: Path) -> None:
    """A gunicorn timeout shorter than the callback's is refused with the order expected."""
    env = demo_environ(tmp_path / "d.duckdb", tmp_path / "c") | {
        "COCKPIT_SERVER__WORKER_TIMEOUT": "20"
    }
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env)
    assert "callback_timeout=30 < worker_timeout=20 < proxy_timeout=60" in str(err.value)


def test_a_source_timeout_at_or_above_the_callback_timeout_is_refused(tmp_path: Path) -> None:
    """A source allowed to run longer than a callback would end in the proxy's error page."""
    env = demo_environ(tmp_path / "d.duckdb", tmp_path / "c") | {
        "COCKPIT_SERVER__CALLBACK_TIMEOUT": "5",
        "COCKPIT_SERVER__WORKER_TIMEOUT": "6",
        "COCKPIT_SERVER__PROXY_TIMEOUT": "7",
        "COCKPIT_SOURCES__PLATFORM__KIND": "sql",
        "COCKPIT_SOURCES__PLATFORM__URL": "sqlite:///x.db",
        "COCKPIT_SOURCES__PLATFORM__QUERY_TIMEOUT": "5",
    }
    with pytest.raises(ConfigError) as err:
        load_settings(environ=env)
    assert "sources.platform.query_timeout is 5s" in str(err.value)


def test_gunicorn_reads_the_server_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """gunicorn.conf.py takes workers, threads and timeouts from the settings (env overrides)."""
    monkeypatch.setenv("COCKPIT_SERVER__WORKERS", "3")
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert conf["workers"] == 3
    assert conf["worker_class"] == "gthread"
    assert conf["timeout"] == 45 and conf["graceful_timeout"] == 45
    assert conf["preload_app"] is False


def test_callback_answers_are_compressed(app) -> None:
    """A callback answer goes out brotli- or gzip-compressed to browsers that accept it."""
    from bench.run import overview_body

    client = app.server.test_client()
    for encoding in ("br", "gzip"):
        answer = client.post(
            "/_dash-update-component",
            json=overview_body(),
            headers={"Accept-Encoding": f"{encoding}, deflate", "Origin": "http://localhost"},
        )
        assert answer.status_code == 200
        assert answer.headers["Content-Encoding"] == encoding
    plain = client.post(
        "/_dash-update-component", json=overview_body(), headers={"Origin": "http://localhost"}
    )
    assert "Content-Encoding" not in plain.headers
    assert len(answer.data) < len(plain.data) / 3


def test_dash_scripts_are_compressed_once(app) -> None:
    """Dash's scripts are compressed on the first request and served from memory afterwards."""
    import re

    client = app.server.test_client()
    html = client.get("/").get_data(as_text=True)
    plotly = next(u for u in re.findall(r'src="([^"]+)"', html) if "dash_core_components." in u)
    first = client.get(plotly, headers={"Accept-Encoding": "br"})
    assert first.headers["Content-Encoding"] == "br"
    compressor = app.server.extensions["cockpit_compress"]
    assert any(plotly in key for key in compressor.cache._items)
    second = client.get(plotly, headers={"Accept-Encoding": "br"})
    assert second.data == first.data


def test_gunicorn_keeps_idle_connections_longer_than_nginx_does() -> None:
    """The side that reuses an idle connection (nginx's upstream pool) must drop it first:
    gunicorn's keepalive is above the keepalive_timeout of the nginx example in the docs."""
    import re

    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    docs = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    upstream = re.search(r"upstream cockpit \{(.*?)\}", docs, re.S).group(1)
    nginx = int(re.search(r"keepalive_timeout (\d+)s;", upstream).group(1))
    assert conf["keepalive"] > nginx
    assert conf["worker_connections"] >= 300 // conf["workers"]  # a browsing crowd's sockets


def test_a_reload_transfers_no_script_again(app) -> None:
    """#22: on a reload the browser either keeps a fingerprinted file without asking (a year's
    max-age, immutable) or asks with the ETag it was given (Flask-Compress adds ':br' or
    ':gzip') and must get a bodiless 304, in each encoding; otherwise a reload re-downloads
    plotly.js and the rest, half a megabyte."""
    import re

    client = app.server.test_client()
    html = client.get("/").get_data(as_text=True)
    # The page's scripts and stylesheet (src=, href=; not data-plotly-src=), and plotly.js,
    # which is no script of the page: its URL is in <html data-plotly-src>, fetched when a
    # chart is about to be seen (assets/plotly_on_demand.js).
    urls = re.findall(r'(?<![\w-])(?:src|href)="(/(?:_dash-component-suites|assets)/[^"]+)"', html)
    assert len(urls) >= 5
    assert not any("plotly-cockpit" in u for u in urls), "plotly.js is a script of the page"
    plotly = re.search(r'<html [^>]*\bdata-plotly-src="([^"]+)"', html).group(1)
    urls.append(plotly)
    for encoding in ("br", "gzip", "identity"):
        for url in urls:
            first = client.get(url, headers={"Accept-Encoding": encoding})
            assert first.status_code == 200, url
            cache = first.headers.get("Cache-Control", "")
            if "max-age=31536000" in cache:
                continue  # fingerprinted: the browser does not ask again for a year
            assert url != plotly, f"plotly.js is not kept: {cache}"
            etag = first.headers.get("ETag")
            assert etag, f"{url} has neither a long max-age nor an ETag"
            again = client.get(url, headers={"Accept-Encoding": encoding, "If-None-Match": etag})
            assert again.status_code == 304, f"{url} ({encoding}): {again.status_code}"
            assert again.data == b""


def test_an_answer_sent_again_is_compressed_once(app, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same callback answer (a cached figure many screens ask for) is compressed once per
    worker: brotli was a fifth of a cached callback's time (#22, B2)."""
    import flask_compress.flask_compress as fc

    from bench.run import overview_body

    compressed: list[int] = []
    real = fc.brotli.compress

    def counting(data: bytes, **options: object) -> bytes:
        compressed.append(len(data))
        return real(data, **options)

    monkeypatch.setattr(fc.brotli, "compress", counting)
    client = app.server.test_client()
    headers = {"Accept-Encoding": "br", "Origin": "http://localhost"}
    first = client.post("/_dash-update-component", json=overview_body(), headers=headers)
    again = client.post("/_dash-update-component", json=overview_body(), headers=headers)
    assert len(compressed) == 1
    assert again.data == first.data and again.headers["Content-Encoding"] == "br"
    other = client.post("/_dash-update-component", json=overview_body("2026-09"), headers=headers)
    assert len(compressed) == 2 and other.data != first.data
