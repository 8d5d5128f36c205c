"""What the rest of the cockpit reads from the configured domains: a card and red lights for
一屏知全市, and a paragraph for 要情专报, from the same rules as the domain's own page."""

from __future__ import annotations

from cockpit.domains.configured import data, loader, readings
from cockpit.domains.configured.schema import Domain
from cockpit.domains.overview.transform import Attention, ModuleCard, Stat
from cockpit.hub import DataHub

CARD_STATS = 3  # headline figures per domain on the overview


def figures_and_alerts(
    hub: DataHub, domain: Domain, period: str, county: str | None
) -> tuple[data.Loaded, list[readings.Figure], list[readings.Alert]]:
    """The domain's headline figures for the place and its threshold warnings at the period."""
    city = hub.settings.city
    names = {**city.county_names, city.code: "全市"}
    county = county if county in city.county_names else None  # an odd value: the whole scope
    place = county or city.code
    loaded = data.load(hub, domain, period)
    # The city's own total only for an account that sees the whole city (a county account's
    # 全市 is its scope's total, not the city's: no city target applies to it).
    whole_city = county is None and hub.principal().counties is None
    figures = [
        readings.figure(domain, ind, loaded.rows[ind.id], period, place, whole_city=whole_city)
        for ind in readings.kpi_indicators(domain)
    ]
    codes = [county] if county else [*city.county_names, city.code]
    found = readings.alerts(domain, loaded.rows, period, {c: names[c] for c in codes}, city.code)
    return loaded, figures, found


def overview(
    hub: DataHub, period: str, county: str | None
) -> tuple[list[ModuleCard], list[Attention]]:
    """A card per configured domain and its warnings as things needing attention (the red
    and orange ones first, as the overview sorts them)."""
    cards, attention = [], []
    for domain in loader.domains():
        loaded, figures, found = figures_and_alerts(hub, domain, period, county)
        main = loaded.main if loaded.results else None
        card = ModuleCard(
            domain.key,
            domain.title,
            figures[0].label if figures else "",
            as_of=loaded.as_of,
            error=loaded.error,
            stale=bool(main and main.stale),
            late_by=main.late_by() if main else None,
        )
        for f in figures[:CARD_STATS]:
            card.stats.append(Stat(f.name, f.value_text, f.unit, f.note, f.status))
            if f.status == "red":
                card.alerts.append((f"{f.name}{f.label}{f.value_text}{f.unit}，{f.note}", f.id))
        worst = min((a.level for a in found), default=None)
        card.stats.append(
            Stat(
                "阈值预警",
                str(len(found)),
                "条",
                "未触发" if worst is None else f"最高{'红橙黄蓝'[worst - 1]}色",
                "none" if worst is None else ("red" if worst <= 2 else "yellow"),
            )
        )
        cards.append(card)
        href = "/" + domain.key.replace("_", "-")
        attention += [Attention(min(a.level, 3), domain.title, a.text, href) for a in found]
        attention += [Attention(1, domain.title, text, href) for text, _ in card.alerts]
    return cards, attention


def early_warnings(hub: DataHub, period: str, county: str | None) -> tuple[list, list[str]]:
    """The configured domains' threshold warnings as the cockpit's own early warnings
    (风险管控's warnings in force: its page, the overview's risk card, 要情专报, subscriptions);
    a domain whose data fail is a note, not a silence."""
    from cockpit.domains.risk.early_warning import EarlyWarning

    made, notes = [], []
    for domain in loader.domains():
        if not domain.risk_warnings or not domain.warnings:
            continue
        try:
            loaded, _, found = figures_and_alerts(hub, domain, period, county)
        except Exception as exc:  # one domain failing does not take the warnings with it
            notes.append(f"{domain.title}阈值预警：计算失败（{type(exc).__name__}）")
            continue
        if loaded.error:
            notes.append(f"{domain.title}阈值预警：{loaded.error}")
        path = "/" + domain.key.replace("_", "-")
        names = {i.id: i.name for i in domain.indicators}
        for a in found:
            word = "低于" if "低于预警阈值" in a.text else "高于"
            made.append(
                EarlyWarning(
                    warning_id=f"EW-D-{domain.key}-{a.indicator}-{a.place}-{period}",
                    origin="threshold",
                    domain=domain.title,
                    level=a.level,
                    title=f"{a.place_name}{names[a.indicator]}{word}预警线",
                    reason=a.text,
                    county_code=a.place,
                    responsible_unit=a.unit or domain.department,
                    source="驾驶舱阈值预警",
                    issued_at=loaded.as_of,
                    link=f"{path}?period={period}",
                    topic=f"{domain.key}:{a.indicator}",
                )
            )
    return made, notes


def paragraph(hub: DataHub, domain: Domain, period: str, county: str | None, place: str) -> str:
    """The domain's paragraph of 要情专报 (「生态环境方面，……。」)."""
    _, figures, found = figures_and_alerts(hub, domain, period, county)
    return readings.paragraph(domain, figures, found, place)
