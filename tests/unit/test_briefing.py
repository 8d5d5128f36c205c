"""要情专报: its sentences on hand-made figures, the briefing built from the demo data through the
hub (scope included), the .docx and .pdf read back, and the command for the scheduled job."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pandas as pd
import pytest

from cockpit.domains.briefing.build import ScopeRefused, build_briefing, resolve_county
from cockpit.domains.briefing.sentences import (
    EventItem,
    HotlineFigures,
    RedTask,
    Spike,
    Topic,
    WarningItem,
    economy_lines,
    event_lines,
    hotline_lines,
    key_work_lines,
    warning_lines,
)
from cockpit.domains.economy.transform import reading
from cockpit.formatting import change, chinese_numeral, count, rate_change, span_label
from cockpit.scope import EXPORT, Principal
from cockpit.settings import Indicator, Target

CITY = "140400"
A, B, C = "140403", "140404", "140405"
COUNTIES = [A, B, C]
DAY = dt.date(2026, 11, 20)  # the day after the test demo data end (tests/conftest.py)


# -- number formatting ---------------------------------------------------------------------------
def test_counts_are_written_with_wan_and_yi_and_no_separators() -> None:
    assert count(856, "件") == "856件"
    assert count(8560, "件") == "8560件"
    assert count(12345, "件") == "1.23万件"
    assert count(30000, "件") == "3万件"
    assert count(4.5e8, "元") == "4.5亿元"
    assert count(None, "件") == "—"


def test_changes_say_direction_amount_and_rate() -> None:
    assert change(41, 37) == "增加4件（增长10.8%）"
    assert change(36, 40) == "减少4件（下降10.0%）"
    assert change(40, 40) == "持平"
    assert change(5, 0) == "增加5件"  # no rate against nothing
    assert change(5, None) == ""
    assert rate_change(90.3, 89.3) == "提高1.0个百分点"
    assert rate_change(88.0, 89.9) == "回落1.9个百分点"
    assert chinese_numeral(2) == "二" and chinese_numeral(12) == "十二"
    assert chinese_numeral(20) == "二十" and chinese_numeral(123) == "123"
    assert span_label(dt.date(2026, 11, 13), dt.date(2026, 11, 19)) == "11月13日—19日"
    assert span_label(dt.date(2026, 11, 28), dt.date(2026, 12, 4)) == "11月28日—12月4日"


# -- economy sentences on hand-made releases -----------------------------------------------------
def _indicator(**overrides: object) -> Indicator:
    fields: dict[str, object] = {
        "id": "fai",
        "name": "固定资产投资",
        "unit": "亿元",
        "definition": "测试口径",
        "department": "市统计局",
        "frequency": "monthly",
        "form": "cumulative",
        "growth": "published",
        "good": "up",
        "additive": True,
        "target": Target(kind="growth", value=6.0),
        "warn_margin": 1.0,
    }
    fields.update(overrides)
    return Indicator(**fields)


def _rows(figures: dict[tuple[str, str], tuple[float | None, float | None]]) -> pd.DataFrame:
    """economy.indicator_values rows from {(place, period): (value, growth)}."""
    return pd.DataFrame(
        [
            {
                "indicator_id": "fai",
                "county_code": place,
                "period": period,
                "period_type": "cumulative",
                "value": value,
                "growth": growth,
                "unit": "亿元",
                "release_date": pd.Timestamp(f"{period}-01") + pd.DateOffset(months=1, days=17),
            }
            for (place, period), (value, growth) in figures.items()
        ]
    )


def _reading(rows: pd.DataFrame, place: str, indicator: Indicator | None = None):
    return reading(rows, indicator or _indicator(), "2026-10", place, COUNTIES)


def test_growth_up_above_target_and_a_county_whose_growth_falls_below_it() -> None:
    rows = _rows(
        {
            (CITY, "2026-09"): (780.0, 6.3),
            (CITY, "2026-10"): (872.1, 6.8),
            (A, "2026-09"): (300.0, 7.0),
            (A, "2026-10"): (331.5, -2.5),
            (B, "2026-09"): (200.0, 1.0),
            (B, "2026-10"): (220.0, 3.0),
            (C, "2026-09"): (100.0, 2.0),
            (C, "2026-10"): (110.0, 8.0),
        }
    )
    city = economy_lines([_reading(rows, CITY)], "全市")
    assert city[0] == "全市1项主要指标中，1项增速达到年度目标。"
    assert city[1] == (
        "1-10月，全市固定资产投资872.1亿元，同比增长6.8%，高于目标0.8个百分点，"
        "比1-9月提高0.5个百分点。"
    )
    county = economy_lines([_reading(rows, A)], "潞州区")
    assert county[0] == "潞州区1项主要指标中，1项低于目标（固定资产投资）。"
    # Down, below target, and from first of three in 1-9月 to last in 1-10月.
    assert county[1] == (
        "1-10月，潞州区固定资产投资331.5亿元，同比下降2.5%，低于目标8.5个百分点，"
        "比1-9月回落9.5个百分点，增速居全市第3位，比1-9月下降2位。"
    )
    rose = economy_lines([_reading(rows, C)], "屯留区")[1]
    assert "同比增长8.0%，高于目标2.0个百分点" in rose and "增速居全市第1位，比1-9月上升1位" in rose


def test_a_missing_month_is_said_to_be_missing_never_zero() -> None:
    rows = _rows(
        {
            (CITY, "2026-10"): (872.1, 6.8),
            (A, "2026-10"): (330.0, 6.1),
            (B, "2026-09"): (200.0, 5.0),  # B did not report October
            (C, "2026-10"): (110.0, 8.0),
        }
    )
    lines = economy_lines([_reading(rows, B)], "上党区")
    assert lines[0] == "上党区1项主要指标中，1项数据未报送。"
    assert lines[1] == "1-10月，上党区固定资产投资数据未报送（缺失，不按零计）。"
    assert not any("0.0%" in line or "0亿元" in line for line in lines)


def test_rate_words_follow_the_indicator_cpi_rises() -> None:
    cpi = _indicator(
        id="cpi",
        name="居民消费价格指数",
        unit="上年同期=100",
        good="down",
        target=Target(kind="growth", value=3.0),
        additive=False,
    )
    rows = _rows({(CITY, "2026-10"): (100.6, 0.6)}).assign(indicator_id="cpi")
    line = economy_lines([_reading(rows, CITY, cpi)], "全市", {"cpi": ("上涨", "下降")})[1]
    assert line.startswith("1-10月，全市居民消费价格指数100.6（上年同期=100），同比上涨0.6%")


# -- the other modules' sentences ---------------------------------------------------------------
def test_hotline_lines_carry_volume_change_rates_topics_and_spikes() -> None:
    figures = HotlineFigures(
        span="11月19日",
        before_label="前一日",
        received=12345,
        received_before=11000,
        on_time=96.5,
        on_time_before=97.0,
        satisfaction=95.0,
        satisfaction_before=95.0,
        topics=(Topic("供热", 3200), Topic("燃气", 1500)),
        hot_week="上周（11月9日—15日）",
        spikes=(Spike("燃气", 83, 6.6, 12.6),),
        keywords=("做饭", "压力"),
    )
    lines = hotline_lines(figures, "全市")
    assert (
        lines[0] == "11月19日，全市12345热线受理群众诉求1.23万件，较前一日增加1345件（增长12.2%）。"
    )
    assert lines[1] == "按时办结率96.5%，较前一日回落0.5个百分点；满意率95.0%，与前一日持平。"
    assert lines[2] == "诉求主要集中在供热（3200件）、燃气（1500件）。"
    assert lines[3] == (
        "上周（11月9日—15日）诉求明显增多的类别：燃气类诉求83件，为前8周周均（6.6件）的12.6倍。"
        "热点词：做饭、压力。"
    )
    quiet = HotlineFigures("11月19日", "前一日", 41, 45, hot_week="上周（11月9日—15日）")
    assert hotline_lines(quiet, "上党区") == [
        "11月19日，上党区12345热线受理群众诉求41件，较前一日减少4件（下降8.9%）。",
        "上周（11月9日—15日）未发现诉求量明显异常增长的类别。",
    ]
    assert hotline_lines(HotlineFigures("11月19日", "前一日", None, 3), "全市") == [
        "11月19日，全市12345热线受理量暂无数据。"
    ]


def test_key_work_lines_name_the_tasks_that_turned_red() -> None:
    counts = {"red": 2, "yellow": 1, "green": 4, "done": 1}
    red = [RedTask("老旧小区改造", "市住建局", "逾期3天")]
    assert key_work_lines(counts, red, "前一日", "全市") == [
        "全市重点工作共8项，其中红灯2项、黄灯1项、绿灯4项、已完成1项。",
        "较前一日新转为红灯1项：《老旧小区改造》（牵头单位：市住建局，逾期3天）。",
    ]
    assert key_work_lines(counts, [], "前一周", "全市")[1] == "较前一周无新转为红灯的事项。"
    many = [RedTask(f"任务{i}", "市发改委", "逾期1天") for i in range(7)]
    assert key_work_lines(counts, many, "前一周", "全市", limit=2)[1].endswith("等7项。")


def test_warning_and_event_lines() -> None:
    warnings = [
        WarningItem(3, "河道水位上涨", "沁县", "市水利局", "响应"),
        WarningItem(1, "燃气类诉求异常增多", "长治市", "市12345中心", "发布"),
    ]
    lines = warning_lines(warnings, "全市")
    assert lines[0] == "全市当前在发布风险预警2条，其中红色1条、黄色1条。"
    assert lines[1] == "红色预警：燃气类诉求异常增多（长治市，责任单位市12345中心，发布阶段）。"
    assert len(lines) == 2  # the yellow one is counted, not named
    assert warning_lines([], "上党区") == ["上党区当前无在发布的风险预警。"]
    events = [
        EventItem(4, "屯留区传染病疫情", "西街街道", "处置中", None, 0, 0),
        EventItem(3, "长子县群体性事件", "北关街道", "接报", 3, 0, 4),
        EventItem(4, "沁县燃气爆炸", "南街镇", "处置中", None, None, 2),
    ]
    lines = event_lines(events, "全市")
    assert lines[0] == "全市当前正在处置突发事件3起，其中较大1起、一般2起。"
    assert (
        lines[1]
        == "长子县群体性事件（北关街道，较大事件，接报，已启动Ⅲ级应急响应，死亡0人、受伤4人）。"
    )
    assert lines[2].endswith("暂无人员伤亡）。")
    assert lines[3].endswith("伤亡情况待核实）。")  # a missing figure is not zero
    assert event_lines([], "全市") == ["全市当前无正在处置的突发事件。"]


# -- scope --------------------------------------------------------------------------------------
def test_scope_comes_from_the_principal() -> None:
    city = Principal("lead", "city_leader")
    county = Principal("c", "county_leader", frozenset({B}))
    two = Principal("d", "county_leader", frozenset({A, B}))
    assert resolve_county(city, None, COUNTIES) is None
    assert resolve_county(city, C, COUNTIES) == C
    assert resolve_county(county, None, COUNTIES) == B  # a county user gets their county
    assert resolve_county(county, B, COUNTIES) == B
    with pytest.raises(ScopeRefused, match="无权"):
        resolve_county(county, C, COUNTIES)
    with pytest.raises(ScopeRefused, match="请选择县区"):
        resolve_county(two, None, COUNTIES)
    with pytest.raises(ScopeRefused):
        resolve_county(Principal("n", "none", frozenset()), None, COUNTIES)
    with pytest.raises(ScopeRefused):
        resolve_county(city, "999999", COUNTIES)


# -- the briefing from the demo data -------------------------------------------------------------
def _number(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in {text!r}"
    return float(found.group(1))


def test_daily_briefing_figures_match_the_demo_data(hub, demo_sql, settings) -> None:
    """受理量 of the day, the task counts and the warnings named agree with SQL on the data."""
    b = build_briefing(hub, "daily", None, DAY)
    assert b.title == "长治市要情专报（日报）" and b.span == "11月19日" and b.is_demo
    sections = {s.key: s for s in b.sections}
    assert list(sections) == [
        "economy",
        "hotline",
        "key_work",
        "risk",
        "emergency",
        "domains",  # 六、其他领域: the domains of config/domains/ (docs/domains.md)
    ]
    assert all(not s.error for s in b.sections), [s.error for s in b.sections]
    day = demo_sql(
        "SELECT count(*) AS n FROM hotline_tickets "
        "WHERE received_at >= '2026-11-19' AND received_at < '2026-11-20'"
    )["n"].iloc[0]
    before = demo_sql(
        "SELECT count(*) AS n FROM hotline_tickets "
        "WHERE received_at >= '2026-11-18' AND received_at < '2026-11-19'"
    )["n"].iloc[0]
    hotline = sections["hotline"].lines[0]
    assert _number(r"受理群众诉求(\d+)件", hotline) == day
    assert f"较前一日{change(day, before)}" in hotline
    economy = "\n".join(sections["economy"].lines)
    fai = demo_sql(
        "SELECT value, growth FROM economy_indicator_values WHERE indicator_id='fai' "
        f"AND county_code='{settings.city.code}' AND period='2026-10' "
        "AND period_type='cumulative' ORDER BY release_date DESC LIMIT 1"
    ).iloc[0]
    # The value as the source carries it (872.1, not 872.10: #18), the growth to one decimal.
    value = format(Decimal(repr(float(fai["value"]))).normalize(), "f")
    assert f"固定资产投资{value}亿元，同比增长{fai['growth']:.1f}%" in economy
    tasks = demo_sql("SELECT count(*) AS n FROM key_work_tasks")["n"].iloc[0]
    assert f"重点工作共{tasks}项" in sections["key_work"].lines[0]
    # The red count is the 重点工作 page's, milestones included: an overdue milestone counts.
    from cockpit.domains.key_work import data as kw_data
    from cockpit.domains.key_work.supervision import config as kw_config
    from cockpit.domains.key_work.transform import with_lights

    rules = kw_config(hub).lights.rules()
    milestones, _ = kw_data.usable_milestones(kw_data.milestones(hub, None))
    page = with_lights(kw_data.tasks(hub, None).frame, DAY, rules, milestones)
    without = with_lights(kw_data.tasks(hub, None).frame, DAY, rules)
    reds = int((page["light"] == "red").sum())
    assert reds != int((without["light"] == "red").sum())  # milestones change the count here
    assert _number(r"红灯(\d+)项", sections["key_work"].lines[0]) == reds


def test_county_principal_gets_only_their_county(settings) -> None:
    from cockpit.factory import create_app

    app = create_app(settings, principal_provider=lambda: Principal("c", "county", frozenset({B})))
    hub = app.server.extensions["cockpit_hub"]
    try:
        with app.server.test_request_context("/"):
            b = build_briefing(hub, "weekly", None, DAY)
            assert (
                b.county == B and b.place == "上党区" and b.title == "长治市上党区要情专报（周报）"
            )
            text = b.text()
            others = [c.name for c in settings.city.counties if c.code != B]
            # Rankings name the city ("居全市第N位"), never another county's figures.
            assert not any(name in text for name in others), text
            with pytest.raises(ScopeRefused):
                build_briefing(hub, "weekly", A, DAY)
    finally:
        for source in hub.sources.values():
            source.close()


def test_docx_and_pdf_read_back_with_the_figures(hub) -> None:
    from docx import Document
    from pypdf import PdfReader

    from cockpit.domains.briefing import documents

    b = build_briefing(hub, "weekly", None, DAY)
    received = re.search(r"受理群众诉求(\S+?件)", b.text()).group(1)
    doc = Document(io.BytesIO(documents.to_docx(b)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "长治市要情专报" in text and "2026年11月20日" in text and "演示数据" in text
    assert f"受理群众诉求{received}" in text
    assert all(line in text for s in b.sections for line in s.lines)
    pdf = PdfReader(io.BytesIO(documents.to_pdf(b)))
    pdf_text = "".join(page.extract_text() for page in pdf.pages).replace("\n", "")
    assert "长治市要情专报" in pdf_text and "2026年11月20日" in pdf_text
    assert f"受理群众诉求{received}" in pdf_text
    assert b.sections[0].lines[1] in pdf_text  # the first indicator's whole sentence
    assert documents.filename(b, "pdf") == "长治市要情专报_周报_全市_2026-11-20.pdf"


def test_page_and_export_callbacks(app) -> None:
    from panels.briefing.callbacks import export_file, view

    with app.server.test_request_context("/"):
        shown = view(app.server.extensions["cockpit_hub"], "daily", "city")
        assert shown["title"] == "长治市要情专报（日报）" and shown["demo"]
        assert "数据截至 2026-11-19" in shown["meta"]
        payload = export_file(app.server.extensions["cockpit_hub"], "daily", "city", "docx")
        assert payload["filename"].endswith(".docx") and payload["base64"]
        from cockpit import audit
        from cockpit.store import get_store

        logged = audit.entries(get_store(app.server.extensions["cockpit_hub"]), action="export")
        assert [(e.object, e.result) for e in logged] == [("briefing.docx", "ok")]


def test_export_is_refused_without_the_export_permission(settings) -> None:
    from cockpit.factory import create_app
    from panels.briefing.callbacks import export_file

    viewer = Principal("v", "analyst", None, frozenset())
    assert not viewer.can(EXPORT)
    app = create_app(settings, principal_provider=lambda: viewer)
    hub = app.server.extensions["cockpit_hub"]
    try:
        with app.server.test_request_context("/"), pytest.raises(PermissionError):
            export_file(hub, "daily", None, "pdf")
    finally:
        for source in hub.sources.values():
            source.close()


def test_command_writes_the_days_files(demo_db, tmp_path, monkeypatch, capsys) -> None:
    from conftest import demo_environ

    from cockpit import __main__ as cli

    for key, value in demo_environ(demo_db, tmp_path / "cache").items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "briefings"
    code = cli.main(["briefing", "--out", str(out), "--date", "2026-11-20", "--county", B])
    assert code == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "长治市要情专报_日报_上党区_2026-11-20.docx",
        "长治市要情专报_日报_上党区_2026-11-20.pdf",
    ]
    assert cli.main(["briefing", "--out", str(out), "--county", "999999"]) == 2
    assert "没有编码为 999999 的县区" in capsys.readouterr().err
