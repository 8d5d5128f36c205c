"""The warnings in force as CSV and Excel: the sources' and the cockpit's own, as on screen."""

from __future__ import annotations

import pandas as pd

from cockpit import clock
from cockpit.domains.key_work.supervision import config as key_work_config
from cockpit.domains.risk.config import RiskConfig
from cockpit.domains.risk.early_warning import LEVEL_NAMES
from cockpit.domains.risk.warnings import ORIGIN_NAMES, in_force, place_names
from cockpit.exports import ExportTable, Header, Table, place_label
from cockpit.formatting import as_of as as_of_text
from cockpit.hub import DataHub
from cockpit.shell import screen_county

COLUMNS = {
    "warning_id": "预警编号",
    "level": "级别",
    "domain": "领域",
    "title": "预警事项",
    "place": "地点",
    "responsible_unit": "责任单位",
    "origin": "来源",
    "issued_at": "发布时间",
    "stage": "阶段",
    "reason": "预警依据",
}


def warnings(hub: DataHub, params: dict[str, str]) -> Table:
    """Every warning in force for the screen's county (or all in scope)."""
    county = screen_county(params.get("county"))
    today = clock.today()
    cfg = hub.module_config.get("risk") or RiskConfig()
    view = in_force(hub, cfg, county, today, key_work_config(hub).lights.rules())
    names = place_names(hub)
    frame = view.frame.copy()
    frame["level"] = [f"{LEVEL_NAMES.get(int(v), '')}预警" for v in frame["level"]]
    frame["origin"] = [ORIGIN_NAMES.get(o, o) for o in frame["origin"]]
    frame["place"] = [
        p if isinstance(p, str) and p else names.get(c, "")
        for p, c in zip(frame["place"], frame["county_code"], strict=True)
    ]
    frame = (
        frame[list(COLUMNS)].rename(columns=COLUMNS)
        if not frame.empty
        else pd.DataFrame(columns=list(COLUMNS.values()))
    )
    place = place_label(hub, county)
    header = Header(
        title=f"{hub.settings.city.name}在发布风险预警清单",
        place=place,
        period=f"截至{today:%Y-%m-%d}在发布（未解除）",
        as_of=as_of_text(view.source.as_of),
        units="条",
        is_demo=view.source.is_demo,
        notes=tuple(view.notes),
    )
    return Table(frame, header, f"{hub.settings.city.name}风险预警清单_{place}_{today}")


TABLES = (ExportTable("risk.warnings", "风险预警清单", warnings),)
