"""The 重点工作 task list as CSV and Excel: every task in scope, its light and why, as on screen."""

from __future__ import annotations

import pandas as pd

from cockpit import clock
from cockpit.domains.key_work import data
from cockpit.domains.key_work.supervision import config
from cockpit.domains.key_work.transform import LIGHT_NAMES, light_reason, with_lights
from cockpit.exports import ExportTable, Header, Table, place_label
from cockpit.formatting import as_of as as_of_text
from cockpit.hub import DataHub
from cockpit.shell import screen_county

COLUMNS = {
    "task_id": "任务编号",
    "title": "任务名称",
    "source": "任务来源",
    "lead_leader": "牵头领导",
    "lead_unit": "牵头单位",
    "co_units": "配合单位",
    "county": "县区",
    "start_date": "开始日期",
    "deadline": "完成时限",
    "progress": "进度（%）",
    "light": "状态",
    "reason": "状态原因",
    "days_left": "距时限（天，负为逾期）",
    "last_feedback_date": "最近反馈日期",
    "last_feedback": "最近反馈",
    "completed_at": "完成日期",
}


def tasks(hub: DataHub, params: dict[str, str]) -> Table:
    """Every task of the screen's county (or all in scope) with its light on today's date."""
    county = screen_county(params.get("county"))
    today = clock.today()
    rules = config(hub).lights.rules()
    result = data.tasks(hub, county)
    lit = with_lights(result.frame, today, rules)
    names = {**hub.settings.city.county_names, hub.settings.city.code: "全市性任务"}
    rows = lit.to_dict("records")
    frame = pd.DataFrame(
        {
            label: [
                names.get(r["county_code"], r["county_code"])
                if column == "county"
                else LIGHT_NAMES.get(r["light"], r["light"])
                if column == "light"
                else light_reason(r, today, rules)
                if column == "reason"
                else r.get(column)
                for r in rows
            ]
            for column, label in COLUMNS.items()
        },
        columns=list(COLUMNS.values()),
    )
    place = place_label(hub, county)
    header = Header(
        title=f"{hub.settings.city.name}重点工作任务清单",
        place=place,
        period=f"截至{today:%Y-%m-%d}的状态",
        as_of=as_of_text(result.as_of),
        units="进度为%；距时限为天",
        is_demo=result.is_demo,
    )
    return Table(frame, header, f"{hub.settings.city.name}重点工作任务清单_{place}_{today}")


def scorecard(hub: DataHub, params: dict[str, str]) -> Table:
    """The units' 督办 scorecard (绩效考核), as the page shows it to this user."""
    from cockpit.domains.key_work.duban import scorecard_for

    today = clock.today()
    header = Header(
        title=f"{hub.settings.city.name}承办单位督办考核",
        place="全市",
        period=f"截至{today:%Y-%m-%d}",
        as_of=as_of_text(clock.now()),  # read live from the cockpit's own database
        units="件；评分为1–5分",
        is_demo=False,
    )
    frame = scorecard_for(hub)
    return Table(frame, header, f"{hub.settings.city.name}承办单位督办考核_{today}")


TABLES = (
    ExportTable("key_work.tasks", "重点工作任务清单", tasks),
    ExportTable("key_work.scorecard", "承办单位督办考核", scorecard),
)
