"""The economy module's questions to the data hub: one function per question, each a Result.

Indicator values are few (indicators x places x months), and every figure on the screen needs
the latest release per period, which no aggregate expresses: these queries ask for rows,
narrowed by the engine to the indicator, the periods and the places needed.
"""

from __future__ import annotations

from cockpit.hub import DataHub, Result
from data_sources.query import DatasetQuery, Filter

DATASET = "economy.indicator_values"
COLUMNS = (
    "indicator_id",
    "county_code",
    "period",
    "period_type",
    "value",
    "growth",
    "unit",
    "release_date",
)


def year_rows(hub: DataHub, period: str) -> Result:
    """Every indicator, every place of the city, from January of last year to the period.

    Last year is needed for computed growth, and for the year's first release, which is
    compared with 上年全年. Every county's rows are read whoever asks (peers): a county's
    rank is its place among all counties. The page shows the readings of one place the user
    may see (callbacks.visible_place) and redacts the ranking (cockpit.scope.redact_peers).
    """
    first = f"{int(period[:4]) - 1}-01"
    query = DatasetQuery(
        filters=(Filter("period", "between", (first, period)),),
        columns=COLUMNS,
    )
    return hub.query(DATASET, query, peers=True)


def history_rows(hub: DataHub, indicator_id: str, places: tuple[str, ...], period: str) -> Result:
    """One indicator's whole history up to the period for some places (trend and projection)."""
    query = DatasetQuery(
        filters=(
            Filter("indicator_id", "eq", indicator_id),
            Filter("county_code", "in", places),
            Filter("period", "le", period),
        ),
        columns=COLUMNS,
    )
    return hub.query(DATASET, query)
