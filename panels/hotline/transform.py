"""Pure functions over aggregated 12345 tickets: rates and weekly spikes.

The rates take counts the engine computed (pushdown); nothing here sees a ticket row.
Working definitions (configurable in the 12345 module's issue):
  按时办结率 = tickets closed by their deadline / tickets closed or past their deadline
  满意率     = (满意 + 基本满意) / tickets evaluated
"""

from __future__ import annotations

import pandas as pd

SPIKE_RATIO = 1.8  # this week's count against the mean of the baseline weeks
SPIKE_MIN_COUNT = 20  # below this a "spike" is noise
BASELINE_WEEKS = 8


def rate(numerator: float | None, denominator: float | None) -> float | None:
    """A percentage, or None when there is nothing to divide by."""
    if not denominator or pd.isna(denominator) or numerator is None or pd.isna(numerator):
        return None
    return round(float(numerator) / float(denominator) * 100, 1)


def weekly_spikes(weekly: pd.DataFrame, this_week: str) -> pd.DataFrame:
    """Categories whose count in `this_week` stands out from their own last 8 weeks.

    `weekly` has columns category, week (Monday as YYYY-MM-DD) and tickets.
    """
    if weekly.empty:
        return pd.DataFrame(columns=["category", "tickets", "baseline", "ratio"])
    weeks = sorted(w for w in weekly["week"].unique() if w < this_week)[-BASELINE_WEEKS:]
    table = weekly.pivot_table(
        index="category", columns="week", values="tickets", aggfunc="sum", fill_value=0
    )
    if this_week not in table.columns or len(weeks) < BASELINE_WEEKS // 2:
        return pd.DataFrame(columns=["category", "tickets", "baseline", "ratio"])
    baseline = table[weeks].mean(axis=1)
    current = table[this_week]
    out = pd.DataFrame(
        {"category": table.index, "tickets": current.values, "baseline": baseline.round(1).values}
    )
    out["ratio"] = (out["tickets"] / out["baseline"].where(out["baseline"] > 0)).round(1)
    spikes = out[(out["tickets"] >= SPIKE_MIN_COUNT) & (out["ratio"] >= SPIKE_RATIO)]
    return spikes.sort_values("ratio", ascending=False).reset_index(drop=True)
