"""Demo data of a domain defined in configuration, drawn from its declaration alone.

Each dataset's `demo` block says the grain (a row per entity per day or month, or events at
random times) and each column's `demo` its distribution; the county and time columns fill
themselves. Every dataset draws from a stream of its own (ctx.stream), so the same seed gives
the same rows, and the built-in modules' tables are untouched (tests/unit/test_demo_digest.py).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cockpit.demo_kit import DemoContext, Table
from cockpit.domains.configured import table_name
from cockpit.domains.configured.schema import Column, Dataset, DemoColumn, DemoDataset, Domain


def slice_of(domain: Domain | None) -> Callable[[DemoContext], dict[str, Table]]:
    """The domain's demo slice: its tables by name (those served by the demo source)."""

    def tables(ctx: DemoContext) -> dict[str, Table]:
        if domain is None:
            return {}
        return {
            table_name(domain, d.key): frame(ctx, domain.key, d)
            for d in domain.datasets
            if d.source == "demo"
        }

    return tables


def _times(ctx: DemoContext, spec: DemoDataset) -> pd.DatetimeIndex:
    start = pd.Timestamp(ctx.end_date.year - spec.years, 1, 1)
    last = pd.Timestamp(ctx.end_date)
    if spec.grain == "day":
        return pd.date_range(start, last, freq="D")
    return pd.date_range(start, last, freq="MS")


def frame(ctx: DemoContext, domain_key: str, d: Dataset) -> pd.DataFrame:
    """One dataset's demo rows."""
    spec = d.demo or DemoDataset(grain="day")
    rng = ctx.stream("configured", domain_key, d.key)
    counties = list(ctx.counties)
    # Counties differ in size: one weight each, the same for every numeric column.
    weight = dict(zip(counties, rng.lognormal(0, 0.2, len(counties)), strict=True))
    months = _times(ctx, spec)
    if spec.grain == "event":
        parts = []
        for county in counties:
            n = rng.poisson(spec.per_county * weight[county], len(months))
            for month, k in zip(months, n, strict=True):
                if not k:
                    continue
                seconds = (month + pd.offsets.MonthBegin(1) - month).total_seconds()
                at = month + pd.to_timedelta(np.sort(rng.uniform(0, seconds, k)), unit="s")
                parts.append(pd.DataFrame({"_county": county, "_time": at, "_entity": 0}))
        rows = pd.concat(parts, ignore_index=True)
        rows = rows[rows["_time"] < ctx.end].reset_index(drop=True)
    else:
        per = max(int(spec.per_county), 1)
        grid = pd.MultiIndex.from_product(
            [counties, range(per), months], names=["_county", "_entity", "_time"]
        )
        rows = grid.to_frame(index=False)
    out: dict[str, object] = {}
    entity_of = rows["_county"] + "-" + rows["_entity"].astype(str)
    entities = entity_of.drop_duplicates().tolist()
    years = (rows["_time"].dt.year - rows["_time"].dt.year.min()).to_numpy()
    month = rows["_time"].dt.month.to_numpy()
    w = rows["_county"].map(weight).to_numpy()
    for i, c in enumerate(d.columns):
        if c.name == d.county:
            out[c.name] = rows["_county"].to_numpy()
        elif c.name == d.time:
            out[c.name] = rows["_time"].dt.date if c.type == "date" else rows["_time"]
        elif spec.entity and c.name == spec.entity:
            prefix = d.key[:1].upper()
            out[c.name] = (
                prefix + rows["_county"] + "-" + (rows["_entity"] + 1).map("{:03d}".format)
            ).to_numpy()
        else:
            draw = c.demo or DemoColumn()
            if draw.per_entity or draw.names:
                once = _draw(rng, c, draw, len(entities), np.zeros(len(entities)), None, None, i)
                if draw.names:
                    names = _names(draw.names, entities, ctx.names)
                    once = np.array(names, dtype=object)
                out[c.name] = pd.Series(once, index=entities).reindex(entity_of).to_numpy()
            else:
                out[c.name] = _draw(rng, c, draw, len(rows), years, month, w, i)
    return pd.DataFrame(out)


def _names(templates: tuple[str, ...], entities: list[str], county_names: dict[str, str]) -> list:
    out = []
    for e in entities:
        county, n = e.rsplit("-", 1)
        text = templates[int(n) % len(templates)]
        out.append(text.replace("{county}", county_names.get(county, county)))
    return out


def _draw(
    rng: np.random.Generator,
    column: Column,
    draw: DemoColumn,
    n: int,
    years: np.ndarray,
    month: np.ndarray | None,
    weight: np.ndarray | None,
    index: int,
) -> np.ndarray:
    """n values of a column by its demo declaration (numbers grow by year, swing by season)."""
    if column.type == "string":
        options = draw.choice or column.values or tuple(f"{column.title}{k}" for k in range(1, 6))
        p = np.array(draw.weights, dtype=float) if draw.weights else None
        return rng.choice(np.array(options, dtype=object), n, p=None if p is None else p / p.sum())
    if column.type == "bool" or draw.bernoulli is not None:
        hits = rng.random(n) < (0.5 if draw.bernoulli is None else draw.bernoulli)
        return hits if column.type == "bool" else hits.astype("int64")
    values: np.ndarray
    factor = (1 + draw.growth / 100) ** years
    if month is not None:
        factor = factor * (1 + draw.winter * np.cos(2 * np.pi * (month - 1) / 12))
    if weight is not None:
        factor = factor * weight
    if draw.poisson is not None:
        values = rng.poisson(np.maximum(draw.poisson * factor, 0)).astype(float)
    elif draw.normal is not None:
        values = rng.normal(draw.normal[0], draw.normal[1], n) * factor
    else:
        low, high = draw.uniform or (0.0, 100.0)
        values = rng.uniform(low, high, n) * factor
    if draw.minimum is not None or column.non_negative:
        values = np.maximum(values, draw.minimum if draw.minimum is not None else 0.0)
    if column.type == "int":
        return np.round(values).astype("int64")
    return np.round(values, 2 if draw.decimals is None else draw.decimals)
