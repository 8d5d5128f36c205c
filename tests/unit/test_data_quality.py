"""数据质量 (#19 item 3, #18 item 5): a dataset with rows held back shows on the page, with the
count and the reason, never the rows themselves nor a server path; administrators and city
staff may open it, county staff and leaders may not."""

from __future__ import annotations

import json

import pytest

from cockpit.domains.data_quality.transform import without_paths
from cockpit.security.roles import may_open
from panels.data_quality.callbacks import build_table
from tests.unit.test_file_drops import COUNT, drop, tasks, write  # noqa: F401 (drop: fixture)


def test_held_back_rows_show_with_count_and_reason_not_rows_or_paths(drop, tmp_path) -> None:  # noqa: F811
    """The file-drop fixture of tests/unit/test_file_drops.py: key_work.tasks from a drop folder."""
    folder, hub = drop
    frame = tasks(20)
    frame.loc[3, "task_id"] = None  # a null key: set aside, the other 19 shown
    frame.loc[5, "title"] = "王小明 13812345678 反映的问题"  # what a held-back row might hold
    frame.loc[5, "progress"] = -250.0
    write(folder, "tasks_20261120.csv", frame)
    hub.query("key_work.tasks", COUNT)
    table, note = build_table(hub)
    shown = json.dumps(
        table.to_plotly_json(), default=lambda c: c.to_plotly_json(), ensure_ascii=False
    )
    assert "key_work.tasks" in shown and "异常" in shown
    assert "tasks_20261120.csv" in shown  # the file, by name
    assert str(tmp_path) not in shown  # never a server path
    assert "13812345678" not in shown and "王小明" not in shown  # never a row's contents
    assert "python -m cockpit check" in note


def test_paths_are_cut_to_file_names() -> None:
    text = "2 行被隔离（见 /srv/cockpit/instance/quarantine/key_work__tasks-abc.txt）"
    assert without_paths(text) == "2 行被隔离（见 key_work__tasks-abc.txt）"


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("admin", True), ("city_staff", True), ("county_staff", False), ("city_leader", False)],
)
def test_who_may_open_the_page(role: str, allowed: bool) -> None:
    assert may_open(role, "data_quality") is allowed
