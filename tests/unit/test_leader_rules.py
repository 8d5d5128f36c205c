"""我的驾驶舱's rules on exact cases (cockpit/domains/overview/leader.py, cockpit/leaders.py):
the leader's own order, counties that narrow and never widen, overdue tasks and 督办 items."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pandas as pd

from cockpit.domains.overview.leader import leader_view
from cockpit.domains.overview.transform import Attention
from cockpit.leaders import Links, make_links, problems, shown_counties
from cockpit.scope import Principal

A, B, C = "140403", "140404", "140405"
NAMES = {A: "潞州区", B: "上党区", C: "屯留区"}
PATHS = {"economy": "/economy", "key_work": "/key-work", "risk": "/risk", "hotline": "/hotline"}
TITLES = {"economy": "经济运行", "key_work": "重点工作", "risk": "风险管控", "hotline": "12345热线"}


def tasks() -> pd.DataFrame:
    """Four tasks with their lights as the 重点工作 rules give them."""
    return pd.DataFrame(
        [
            ("T1", "改造A", "市住建局", A, "red", -5, 40.0),
            ("T2", "改造B", "市住建局", B, "yellow", 10, 50.0),
            ("T3", "园区C", "市发改委", C, "red", -2, 30.0),
            ("T4", "园区D", "市发改委", A, "done", -9, 100.0),
        ],
        columns=["task_id", "title", "lead_unit", "county_code", "light", "days_left", "progress"],
    )


def warnings() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("W1", 2, "燃气", A, "市住建局", "响应"),
            ("W2", 4, "扬尘", B, "市生态环境局", "发布"),
            ("W3", 1, "洪水", C, "市应急管理局", "发布"),
            ("W4", 3, "供热", B, "市住建局", "处置"),
        ],
        columns=["warning_id", "level", "title", "county_code", "responsible_unit", "stage"],
    )


def view(links: Links, counties: tuple[str, ...], items=(), cases=()):
    return leader_view(
        links,
        counties,
        module_titles=TITLES,
        module_paths=PATHS,
        county_names=NAMES,
        place_items=list(items),
        tasks=tasks(),
        warnings=warnings(),
        cases=list(cases),
        period="2026-10",
        today=dt.date(2026, 11, 20),
    )


def test_red_lights_follow_the_leaders_module_order_and_name_the_county() -> None:
    """Linked to hotline then economy: hotline's items come first; each names its county; an
    item of a module not linked is not shown."""
    items = [
        (A, Attention(2, "经济运行", "GDP低于目标", "/economy?indicator=gdp&county=140403")),
        (A, Attention(2, "12345热线", "燃气诉求激增", "/hotline?drill=hot%7C燃气")),
        (A, Attention(2, "应急指挥", "事件", "/emergency?event=E1")),
        (B, Attention(2, "经济运行", "投资低于目标", "/economy?indicator=fai")),
    ]
    got = view(Links(modules=("hotline", "economy"), counties=(A, B)), (A, B), items)
    assert [a.text for a in got.red] == [
        "【潞州区】燃气诉求激增",
        "【潞州区】GDP低于目标",
        "【上党区】投资低于目标",
    ]


def test_counties_narrow_warnings_in_the_county_order() -> None:
    """Counties B then A: B's warnings first (blue ones left to the risk page), none of C."""
    got = view(Links(modules=("economy",), counties=(B, A)), (B, A))
    assert [a.href.split("warning=")[1] for a in got.warnings] == ["W4", "W1"]


def test_a_bureau_brings_its_warnings_of_every_level_and_its_red_tasks() -> None:
    """市住建局 without counties: its two warnings, its red task T1; its line counts them."""
    got = view(Links(bureaus=("市住建局",)), ())
    assert sorted(a.href.split("warning=")[1] for a in got.warnings) == ["W1", "W4"]
    assert [a.href.split("task=")[1] for a in got.red] == ["T1"]
    [line] = got.bureaus
    assert (line.tasks, line.red, line.yellow, line.warnings) == (2, 1, 1, 2)
    assert line.href.startswith("/bureaus?") and "name=" in line.href


def test_overdue_tasks_and_cases_in_the_leaders_order() -> None:
    """Linked tasks T3 then T1 (both past their deadline): T3 first; the done T4 is not late;
    an overdue 督办 item of its county follows, one of another county does not."""
    due = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    cases = [
        SimpleNamespace(
            id=7, title="督办甲", county_code=A, task_id=None, unit="市住建局", due_at=due, link=""
        ),
        SimpleNamespace(
            id=8, title="督办乙", county_code=C, task_id=None, unit="市住建局", due_at=due, link=""
        ),
    ]
    got = view(Links(tasks=("T3", "T1", "T4"), counties=(A, C)), (A, C), cases=cases[:1])
    assert [a.href.split("task=")[1] for a in got.overdue[:2]] == ["T3", "T1"]
    assert [a.module for a in got.overdue] == ["重点工作", "重点工作", "督办"]
    assert "督办甲" in got.overdue[2].text
    narrowed = view(Links(tasks=("T1",), counties=(A,)), (A,), cases=cases)
    assert [a.text for a in narrowed.overdue if a.module == "督办"] == [
        "督办甲（市住建局逾期未答复，应于11月01日前答复）"
    ]
    assert [a.href.split("task=")[1].split("&")[0] for a in got.tasks] == ["T3", "T1", "T4"]


def test_linked_counties_never_widen_the_scope() -> None:
    """A county account linked to another county: the link is dropped, and nothing is shown."""
    county_user = Principal("u", "county_staff", frozenset({A}))
    links = Links(modules=("economy",), counties=(B,))
    assert shown_counties(links, county_user) == ()
    got = view(links, shown_counties(links, county_user))
    assert got.counties_outside and not got.red and not got.warnings and not got.overdue
    assert shown_counties(Links(counties=(B, A)), county_user) == (A,)


def test_links_are_cleaned_and_checked() -> None:
    """Blanks and repeats go; unknown module keys and counties are named."""
    links = make_links(modules=["economy", " ", "economy", "risk"], counties=[A], tasks=["T-1"])
    assert links == Links(("economy", "risk"), ("T-1",), (), (A,))
    found = problems(
        make_links(modules=["economy", "x"], counties=["1"], tasks=["a b"]), PATHS, NAMES
    )
    assert len(found) == 3 and "x" in found[0] and "1" in found[1] and "a b" in found[2]
