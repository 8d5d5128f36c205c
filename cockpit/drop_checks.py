"""The row checks the frame lends a file drop (data_sources.files.RowChecks).

data_sources/ knows nothing of the cockpit: a file drop checks its rows with what it is given
when the frame builds it. This is that: the dataset contracts and cockpit.validation (the same
checks as sync and the hub's read_whole datasets), with the city's county codes and clock and
the indicator catalog's units and signs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd

from cockpit import validation
from cockpit.contracts import CONTRACTS


class ContractChecks:
    """Checks rows against the dataset contracts, for one city and indicator catalog."""

    reason_column = validation.REASON_COLUMN

    def __init__(self, city: Any = None, indicators: Any = None) -> None:
        # Without a city (an adapter made alone) county codes are not checked; without a
        # catalog, economy rows' units and signs are not.
        self.county_codes: set[str] | None = None
        self.timezone = "Asia/Shanghai"
        if city is not None:
            self.county_codes = (
                {c.code for c in city.counties} | set(city.former_codes) | {city.code}
            )
            self.timezone = city.timezone
        self.catalog = validation.economy_catalog(indicators) if indicators is not None else None

    def key(self, dataset: str) -> tuple[str, ...] | None:
        """The dataset's key columns; None for a dataset without a contract (not checked)."""
        contract = CONTRACTS.get(dataset)
        return None if contract is None else tuple(contract.key)

    def check(self, rows: pd.DataFrame, dataset: str) -> validation.Report:
        """Check rows (contract names) with the key left out: the file drop compares keys
        across its chunks itself."""
        alone = dataclasses.replace(CONTRACTS[dataset], key=())
        now = validation.city_now(self.timezone)
        return validation.check_batch(
            rows, alone, county_codes=self.county_codes, now=now, catalog=self.catalog
        )

    def quarantine(self, folder: Path, dataset: str, rows: pd.DataFrame, text: str) -> Path:
        """Keep set-aside rows and their report (cockpit.validation.quarantine)."""
        return validation.quarantine(folder, dataset, rows, text)
