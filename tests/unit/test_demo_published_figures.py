"""The demo city's economy page shows the city's published annual figures exactly.

The table below is copied from shared/domain/city.md ("Published figures", the government work
reports), independently of the generator's own PUBLISHED: for each figure, the economy page at
that year's December (`build_page`, the function the screen renders) shows the published value,
and a published growth rate as published, never a rate the cockpit recomputed from the rounded
levels (224 / 166.4 gives 34.6%, the report says 34.7%).

Not covered, and not claimed by the README: the 2020 levels (before the demo's first year, 2021,
they are only the base of 2021's growth) and 常住人口 (not an indicator of the cockpit).
"""

from __future__ import annotations

import pytest

from panels.economy.callbacks import build_page

# (indicator, year, field, published) from shared/domain/city.md.
PUBLISHED_TABLE = [
    ("gdp", 2021, "value", 2311.0),
    ("gdp", 2021, "growth", 11.0),
    ("gdp", 2022, "value", 2804.8),
    ("gdp", 2022, "growth", 7.2),
    ("gdp", 2023, "value", 2806.2),
    ("gdp", 2023, "growth", 5.6),
    ("budget_revenue", 2021, "value", 224.0),
    ("budget_revenue", 2021, "growth", 34.7),
    ("budget_revenue", 2022, "value", 310.5),
    ("budget_revenue", 2022, "growth", 38.6),
    ("budget_revenue", 2023, "value", 315.08),
    ("budget_revenue", 2023, "growth", 1.48),
    ("fai", 2021, "value", 892.0),
    ("fai", 2021, "growth", 10.3),
    ("fai", 2023, "value", 963.5),
    ("industry_va", 2022, "growth", 12.4),
    ("industry_va", 2023, "growth", 6.1),
]


@pytest.fixture(scope="module")
def december_pages(demo_db, tmp_path_factory):
    """The city's economy page (as the city leader) at December of each year of the table."""
    from cockpit.settings import load_settings
    from tests.apps import app_as, close_app
    from tests.conftest import demo_environ

    cache = tmp_path_factory.mktemp("published-figures") / "cache"
    app = app_as(load_settings(environ=demo_environ(demo_db, cache)))
    try:
        hub = app.server.extensions["cockpit_hub"]
        with app.server.test_request_context("/"):
            years = sorted({year for _, year, _, _ in PUBLISHED_TABLE})
            return {year: build_page(hub, f"{year}-12", None) for year in years}
    finally:
        close_app(app)


@pytest.mark.parametrize(
    ("indicator", "year", "field", "published"),
    PUBLISHED_TABLE,
    ids=[f"{i}-{y}-{f}" for i, y, f, _ in PUBLISHED_TABLE],
)
def test_the_economy_page_shows_each_published_annual_figure(
    december_pages, indicator: str, year: int, field: str, published: float
) -> None:
    page = december_pages[year]
    shown = next(r for r in page.readings if r.indicator_id == indicator)
    assert shown.period == f"{year}-12", (indicator, year, shown.period, shown.note)
    assert getattr(shown, field) == published, (indicator, year, field, getattr(shown, field))
    if field == "growth":
        # A published rate is shown as published (no 测算 tag), not recomputed from levels.
        assert not shown.growth_computed, (indicator, year)
