"""File drops are checked like a sync (issue #19): a file cut short is refused whole and the
last good file stays on screen; bad rows are set aside with their file and line; a manifest
(`<file>.ok`: rows, sha256) is honoured; what was held back shows in `cockpit check`."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from cockpit.health import report
from cockpit.settings import DatasetBinding
from data_sources.files import FileConfig
from data_sources.query import DatasetQuery, Measure

COUNT = DatasetQuery(measures=(Measure("n", "count"),))


def tasks(n: int = 150) -> pd.DataFrame:
    """Key tasks that pass every check."""
    return pd.DataFrame(
        {
            "task_id": [f"T{i:04d}" for i in range(n)],
            "title": [f"重点任务{i}：推进项目建设" for i in range(n)],
            "source": "政府工作报告",
            "lead_leader": "张市长",
            "lead_unit": "市发改委",
            "co_units": "市财政局、市住建局",
            "county_code": "140403",
            "start_date": "2026-01-01",
            "deadline": "2026-12-31",
            "progress": [float(i % 100) for i in range(n)],
            "last_feedback": "按计划推进",
            "last_feedback_date": "2026-11-01",
            "completed_at": None,
        }
    )


def write(folder: Path, name: str, frame: pd.DataFrame, encoding: str = "gbk") -> Path:
    """A drop file as the platform writes it (a line break after every line)."""
    path = folder / name
    frame.to_csv(path, index=False, encoding=encoding)
    return path


def manifest(path: Path, rows: int | None = None, sha256: str | None = None) -> None:
    """The platform's `<file>.ok`, written after the file."""
    lines = [] if rows is None else [f"rows: {rows}"]
    lines += [] if sha256 is None else [f"sha256: {sha256}"]
    path.with_name(path.name + ".ok").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def drop(settings, tmp_path):
    """A drop folder serving key_work.tasks, and a function giving (hub, app) over it."""
    from tests.apps import app_as

    folder = tmp_path / "drop"
    folder.mkdir()
    changed = settings.model_copy(
        update={
            "sources": {
                **settings.sources,
                "drop": FileConfig(
                    kind="file", folder=str(folder), quarantine_dir=str(tmp_path / "quarantine")
                ),
            },
            "datasets": {
                **settings.datasets,
                "key_work.tasks": DatasetBinding(source="drop", table="tasks"),
            },
        }
    )
    app = app_as(changed)
    hub = app.server.extensions["cockpit_hub"]
    with app.server.test_request_context("/"):
        yield folder, hub


def shown(hub) -> int:
    """The number of tasks the cockpit shows."""
    result = hub.query("key_work.tasks", COUNT)
    assert result.ok, result.error
    return int(result.frame["n"].iloc[0])


def held(hub) -> str | None:
    """What `cockpit check` says was held back of the tasks (None: nothing)."""
    data = report(hub)
    entry = data["datasets"]["key_work.tasks"]
    assert entry["ok"] is (entry["held_back"] is None)
    return entry["held_back"]


def test_a_gbk_file_cut_in_half_is_refused_and_the_last_good_file_stays(drop) -> None:
    """Yesterday's 150 tasks, then today's file cut half way through a line: the cut file is
    refused whole (not 75 tasks and a corrupted row) and yesterday's 150 stay, reported."""
    folder, hub = drop
    write(folder, "tasks_20261119.csv", tasks())
    today = write(folder, "tasks_20261120.csv", tasks().assign(progress=60.0))
    data = today.read_bytes()
    today.write_bytes(data[: len(data) // 2])
    assert shown(hub) == 150
    result = hub.query("key_work.tasks", DatasetQuery(columns=("progress",)))
    assert set(result.frame["progress"]) != {60.0}  # yesterday's values, not today's
    note = held(hub)
    assert "tasks_20261120.csv 被拒收" in note and "截断" in note
    assert "仍显示 tasks_20261119.csv" in note


def test_a_file_cut_at_a_line_break_is_caught_by_its_manifest(drop) -> None:
    """Cut exactly after a line, the file parses: only the manifest's row count tells."""
    folder, hub = drop
    write(folder, "tasks_20261119.csv", tasks())
    today = write(folder, "tasks_20261120.csv", tasks(), encoding="utf-8")
    manifest(today, rows=150)
    lines = today.read_bytes().splitlines(keepends=True)
    today.write_bytes(b"".join(lines[:76]))  # the header and 75 tasks
    assert shown(hub) == 150
    assert "清单（.ok）写 150 行，文件有 75 行" in held(hub)


def test_a_manifest_checksum_is_honoured(drop) -> None:
    """sha256 right: the file is shown; one byte changed afterwards: refused."""
    folder, hub = drop
    write(folder, "tasks_20261119.csv", tasks(100))
    today = write(folder, "tasks_20261120.csv", tasks(), encoding="utf-8")
    manifest(today, rows=150, sha256=hashlib.sha256(today.read_bytes()).hexdigest())
    assert shown(hub) == 150 and held(hub) is None
    today.write_bytes(today.read_bytes().replace("按计划推进".encode(), "按计划推迟".encode(), 1))
    assert shown(hub) == 100
    assert "sha256 不符" in held(hub)


def test_bad_rows_are_set_aside_with_their_file_and_line(drop, tmp_path) -> None:
    """Duplicate ids, a null key, a date in 2031 and progress −250: those rows are kept apart
    with their line and reason; the others are shown; check reports the file."""
    folder, hub = drop
    frame = tasks()
    frame.loc[20, "task_id"] = None
    frame.loc[30, "last_feedback_date"] = "2031-05-01"
    frame.loc[40, "progress"] = -250.0
    frame = pd.concat([frame, frame.iloc[100:105]], ignore_index=True)  # 155 lines, 5 ids twice
    write(folder, "tasks_20261120.csv", frame)
    assert shown(hub) == 155 - 10 - 3
    note = held(hub)
    assert "13 行校验未通过已隔离" in note
    kept = pd.read_csv(next((tmp_path / "quarantine").glob("*.csv")), dtype=str)
    reasons = dict(zip(kept["task_id"].fillna("(空)"), kept["_quarantine_reason"], strict=False))
    assert reasons["(空)"] == "task_id 为空（必填）（tasks_20261120.csv 第 22 行）"
    assert reasons["T0030"] == "last_feedback_date 是未来时间（tasks_20261120.csv 第 32 行）"
    assert reasons["T0040"] == "progress 超出范围 0~100（tasks_20261120.csv 第 42 行）"
    assert reasons["T0100"].startswith("主键（task_id）重复（tasks_20261120.csv 第 ")
    assert len(kept) == 13


def test_a_truncated_parquet_file_is_refused(drop) -> None:
    """A Parquet file cut short has no footer: refused, the CSV before it stays."""
    import duckdb

    folder, hub = drop
    write(folder, "tasks_20261119.csv", tasks(120))
    path = folder / "tasks_20261120.parquet"
    con = duckdb.connect()
    con.register("t", tasks())
    con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
    con.close()
    assert shown(hub) == 150
    path.write_bytes(path.read_bytes()[:-100])
    assert shown(hub) == 120
    assert "tasks_20261120.parquet 被拒收" in held(hub)


def test_a_clean_file_is_read_straight_from_disk(drop) -> None:
    """A UTF-8 file that passes is still queried by DuckDB from disk (not held in memory)."""
    folder, hub = drop
    path = write(folder, "tasks_20261120.csv", tasks(), encoding="utf-8")
    assert shown(hub) == 150
    source = hub.sources["drop"]
    verdict = source.verdict(path, hub.origin_binding("key_work.tasks"))
    assert verdict.whole and verdict.clean is None


def test_a_refused_file_read_by_a_sync_is_reported_too(settings, tmp_path) -> None:
    """A drop in sync mode: the sync copies yesterday's good file, and check still says that
    today's was refused (the check process never reads the drop itself)."""
    from cockpit.settings import SyncSettings
    from cockpit.sync import run_sync
    from tests.apps import app_as

    folder = tmp_path / "drop"
    folder.mkdir()
    write(folder, "tasks_20261119.csv", tasks())
    today = write(folder, "tasks_20261120.csv", tasks())
    today.write_bytes(today.read_bytes()[:-30])
    changed = settings.model_copy(
        update={
            "sources": {**settings.sources, "drop": FileConfig(kind="file", folder=str(folder))},
            "datasets": {
                **settings.datasets,
                "key_work.tasks": DatasetBinding(source="drop", table="tasks", mode="sync"),
            },
            "sync": SyncSettings(
                path=str(tmp_path / "sync" / "store.duckdb"),
                quarantine_dir=str(tmp_path / "quarantine"),
            ),
        }
    )
    syncing = app_as(changed)
    with syncing.server.app_context():
        result = run_sync(syncing.server.extensions["cockpit_hub"], ["key_work.tasks"])[0]
    assert result["total"] == 150 and not result["ok"]
    checking = app_as(changed)  # another process: `python -m cockpit check`
    with checking.server.test_request_context("/"):
        note = held(checking.server.extensions["cockpit_hub"])
    assert "tasks_20261120.csv 被拒收" in note


def test_a_query_out_of_time_is_not_read_again_through_pandas(drop, monkeypatch) -> None:
    """A request whose deadline ran out (at 10M, checking a new file takes minutes) gets the
    timeout, not a second reading of the whole file through pandas after DuckDB was stopped
    (#22: B1 on a 10M Parquet drop fell back to pandas, loading every row, then timed out)."""
    import duckdb

    from data_sources.base import DataSourceError, time_budget
    from data_sources.files import FileSource

    folder, hub = drop
    con = duckdb.connect()
    con.register("t", tasks())
    con.execute(f"COPY t TO '{folder / 'tasks_20261120.parquet'}' (FORMAT parquet)")
    con.close()
    source = hub.sources["drop"]
    binding = hub.origin_binding("key_work.tasks")
    source.fetch(binding, COUNT)  # checked once, within time
    read_whole: list[Path] = []
    real = FileSource._good_rows
    monkeypatch.setattr(
        FileSource, "_good_rows", lambda self, p, v: read_whole.append(p) or real(self, p, v)
    )
    with time_budget(0), pytest.raises(DataSourceError, match="超时"):
        source.fetch(binding, COUNT)
    assert read_whole == []
