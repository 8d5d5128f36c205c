"""The shape of a domain defined in configuration: config/domains/<key>.yaml, checked by pydantic.

One file declares a whole domain (docs/domains.md): its datasets (columns, types, units, keys,
non-negative measures: turned into the same cockpit.contracts.Contract as a built-in module's),
its indicators (aggregates of a dataset, with the economy module's semantics: cumulative or
monthly, computed growth, targets by year against 序时进度, county ranking), its screen from a
few section kinds, its threshold warnings and how its demo data is drawn. Cross-references
(an indicator's dataset and columns, a section's indicators) are checked in `cross_problems`,
so each mistake is reported on one line with its path.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cockpit.settings import Target

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Level = Literal["红色", "橙色", "黄色", "蓝色"]
LEVELS: dict[str, int] = {"红色": 1, "橙色": 2, "黄色": 3, "蓝色": 4}


class Strict(BaseModel):
    """Unknown keys are errors: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DemoColumn(Strict):
    """How the demo generator draws one column (one of the distributions)."""

    uniform: tuple[float, float] | None = None  # low, high
    normal: tuple[float, float] | None = None  # mean, standard deviation
    poisson: float | None = Field(None, ge=0)  # mean count
    bernoulli: float | None = Field(None, ge=0, le=1)  # share of 1s
    choice: tuple[str, ...] = ()  # the values (default: the column's `values`)
    weights: tuple[float, ...] = ()
    names: tuple[str, ...] = ()  # entity names: 「{county}」 is replaced by the county's name
    growth: float = 0.0  # % a year, for numbers: later years larger
    winter: float = Field(0.0, ge=-1, le=1)  # seasonal swing: + higher in winter, - in summer
    minimum: float | None = None
    decimals: int | None = Field(None, ge=0, le=6)
    per_entity: bool = False  # drawn once per entity (a project's industry), not per row


class DemoDataset(Strict):
    """The rows the demo generator makes for a dataset (deterministic from the seed)."""

    # day: a row per entity per day; month: a row per entity per month (dated the 1st);
    # event: about `per_county` rows per county per month at random times.
    grain: Literal["day", "month", "event"]
    per_county: float = Field(1, gt=0, le=200)  # entities per county (day, month) or events
    years: int = Field(2, ge=1, le=10)  # full years of history before the last one
    entity: Name | None = None  # the id column of an entity (a project): P140403-001 ...


class Column(Strict):
    """One column of a dataset."""

    name: Name
    type: Literal["string", "int", "float", "bool", "date", "datetime"]
    title: str = Field(min_length=1)
    unit: str = ""
    required: bool = True
    non_negative: bool = False
    values: tuple[str, ...] = ()  # text: the only values allowed
    demo: DemoColumn | None = None


class Dataset(Strict):
    """One dataset of the domain: its contract is `<domain key>.<key>`."""

    key: Name
    title: str = Field(min_length=1)
    county: Name = "county_code"  # the column scope applies to (6-digit county code)
    time: Name  # a date or datetime column: months are taken from it; its max is 数据截至
    key_columns: tuple[Name, ...] = ()
    columns: tuple[Column, ...] = Field(min_length=1)
    source: str = "demo"  # the source serving it unless config/datasets.yaml binds it
    table: str | None = None  # default: <domain>_<dataset>
    demo: DemoDataset | None = None


class Measure(Strict):
    """An aggregate of a dataset's rows of a month and county: sum, mean, count, max or min,
    of the rows meeting `where` ({column: value}, {column: [values]} or {column: {le: 100}})."""

    agg: Literal["sum", "mean", "count", "max", "min"]
    column: Name | None = None
    where: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _column_needed(self) -> Measure:
        if self.agg != "count" and not self.column:
            raise ValueError(f"{self.agg} needs a column")
        return self


class Indicator(Strict):
    """An indicator of the domain, computed from a dataset by county and month."""

    id: Name
    name: str = Field(min_length=1)
    short_name: str | None = None  # in the briefing's sentences
    unit: str = ""
    dataset: Name
    measure: Measure
    per: Measure | None = None  # a ratio: measure / per x scale (开工率, 优良天数比例)
    scale: float | None = None  # default 100 for a ratio, 1 otherwise (万元 -> 亿元: 0.0001)
    form: Literal["cumulative", "monthly"] = "cumulative"  # 1-N月 累计, or the month alone
    growth: Literal["computed", "none"] = "computed"  # 同比 from last year's same period
    good: Literal["up", "down"] = "up"
    target: Target | None = None  # growth (%) or level, by year (settings.Target)
    warn_margin: float = Field(1.0, ge=0)  # points behind target (or 序时进度) that turn red
    decimals: int = Field(1, ge=0, le=4)
    definition: str = ""  # 口径
    department: str = ""


class Section(Strict):
    """One part of the domain's screen."""

    kind: Literal["kpis", "trend", "ranking", "table", "warnings"]
    title: str | None = None
    indicators: tuple[Name, ...] = ()  # kpis: the cards; trend: the lines; ranking: the first
    dataset: Name | None = None  # table: its rows
    group_by: tuple[Name, ...] = ()  # table: rows summed by these columns
    columns: tuple[Name, ...] = ()  # table: the columns shown (summed ones when grouped)
    sort: Name | None = None  # table: largest first by this column (or count)
    count: str | None = None  # table, grouped: a column counting the rows, with this title
    limit: int = Field(20, ge=1, le=500)


class Warning(Strict):
    """A threshold warning on an indicator, per county (and/or the city), at the period."""

    indicator: Name
    above: float | None = None
    below: float | None = None
    level: Level = "黄色"
    places: Literal["counties", "city", "both"] = "counties"
    unit: str = ""  # the responsible unit named in the warning

    @model_validator(mode="after")
    def _one_bound(self) -> Warning:
        if (self.above is None) == (self.below is None):
            raise ValueError("give exactly one of above or below")
        return self


class Domain(Strict):
    """A whole domain, as one file config/domains/<key>.yaml declares it."""

    key: Name
    title: str = Field(min_length=1)
    department: str = ""  # the bureau that answers for it (市生态环境局)
    order: int = 100  # among the configured domains: navigation, overview, wall, briefing
    roles: tuple[str, ...] = ("city_leader", "city_staff", "county_staff")
    wall_seconds: int | None = Field(30, ge=5, le=3600)  # on the wall's carousel; null: not
    briefing: bool = True  # a paragraph in 要情专报
    risk_warnings: bool = True  # its threshold warnings are also 风险管控's warnings in force
    datasets: tuple[Dataset, ...] = Field(min_length=1)
    indicators: tuple[Indicator, ...] = Field(min_length=1)
    screen: tuple[Section, ...] = Field(min_length=1)
    warnings: tuple[Warning, ...] = ()


def cross_problems(domain: Domain) -> list[tuple[str, str]]:
    """(path, what is wrong) for every reference that does not resolve within the file."""
    from cockpit.security.roles import ROLES

    out: list[tuple[str, str]] = []
    datasets = {d.key: d for d in domain.datasets}
    numeric = {"int", "float", "bool"}
    for i, role in enumerate(domain.roles):
        if role not in ROLES:
            out.append((f"roles.{i}", f"unknown role {role!r}; expected one of {', '.join(ROLES)}"))
    for i, d in enumerate(domain.datasets):
        names = [c.name for c in d.columns]
        cols = {c.name: c for c in d.columns}
        if len(set(names)) != len(names):
            out.append((f"datasets.{i}.columns", "column names repeated"))
        if d.county not in cols:
            out.append((f"datasets.{i}.county", f"column {d.county!r} is not in columns"))
        if d.time not in cols:
            out.append((f"datasets.{i}.time", f"column {d.time!r} is not in columns"))
        elif cols[d.time].type not in ("date", "datetime"):
            out.append((f"datasets.{i}.time", f"column {d.time!r} must be a date or datetime"))
        for j, k in enumerate(d.key_columns):
            if k not in cols:
                out.append((f"datasets.{i}.key_columns.{j}", f"column {k!r} is not in columns"))
        for j, c in enumerate(d.columns):
            if c.non_negative and c.type not in numeric:
                out.append((f"datasets.{i}.columns.{j}.non_negative", "only numbers can be"))
        if d.demo and d.demo.entity and d.demo.entity not in cols:
            out.append((f"datasets.{i}.demo.entity", f"column {d.demo.entity!r} not in columns"))
    ids = [ind.id for ind in domain.indicators]
    for i, ind in enumerate(domain.indicators):
        if ids.count(ind.id) > 1:
            out.append((f"indicators.{i}.id", f"indicator id {ind.id!r} repeated"))
        found = datasets.get(ind.dataset)
        if found is None:
            out.append(
                (
                    f"indicators.{i}.dataset",
                    f"unknown dataset {ind.dataset!r}; expected one of {', '.join(datasets)}",
                )
            )
            continue
        cols = {c.name: c for c in found.columns}
        if ind.per is not None and ind.per.agg not in ("sum", "count"):
            out.append((f"indicators.{i}.per.agg", "a ratio's denominator is a sum or a count"))
        for part, m in (("measure", ind.measure), ("per", ind.per)):
            if m is None:
                continue
            if m.column and m.column not in cols:
                out.append(
                    (f"indicators.{i}.{part}.column", f"column {m.column!r} is not in {found.key}")
                )
            elif m.column and m.agg != "count" and cols[m.column].type not in numeric:
                out.append((f"indicators.{i}.{part}.column", f"{m.agg} needs a number column"))
            for column in m.where:
                if column not in cols:
                    out.append(
                        (f"indicators.{i}.{part}.where.{column}", f"not a column of {found.key}")
                    )
    known = set(ids)
    for i, s in enumerate(domain.screen):
        for j, ref in enumerate(s.indicators):
            if ref not in known:
                out.append((f"screen.{i}.indicators.{j}", f"unknown indicator {ref!r}"))
        if s.kind in ("kpis", "trend", "ranking") and not s.indicators:
            out.append((f"screen.{i}.indicators", f"a {s.kind} section names its indicators"))
        if s.kind == "table":
            table = datasets.get(s.dataset or "")
            if table is None:
                out.append((f"screen.{i}.dataset", f"unknown dataset {s.dataset!r}"))
                continue
            table_columns = {c.name for c in table.columns}
            for part in ("group_by", "columns"):
                for j, ref in enumerate(getattr(s, part)):
                    if ref not in table_columns:
                        out.append((f"screen.{i}.{part}.{j}", f"column {ref!r} not in {table.key}"))
    for i, w in enumerate(domain.warnings):
        if w.indicator not in known:
            out.append((f"warnings.{i}.indicator", f"unknown indicator {w.indicator!r}"))
    return out
