"""一屏知全市 in Chromium (#20 items 3, 4): one screen at 1920x1080 with what needs attention
first, each item a link to its screen and item; maps whose colours read the same way in both
themes, with a legend, the chosen county highlighted and 返回全市.

Marked `browser`; skipped with a reason where no Chromium is installed.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from cockpit.domains.configured import loader
from tests.browser_support import console_errors, emulate, shot, skip_without_chromium, start

pytestmark = pytest.mark.browser
skip_without_chromium()

RED_WARNING = "长治市燃气类诉求异常增多"  # the demo's red warning named in #20


def _theme(dash_duo, theme: str) -> None:
    """Open the overview in a theme (the user's choice is kept in the browser)."""
    dash_duo.driver.execute_script(f"localStorage.setItem('cockpit-theme', '{theme}')")
    dash_duo.driver.refresh()


def _overview_ready(dash_duo) -> None:
    dash_duo.wait_for_element("#overview-map .main-svg", timeout=30)
    dash_duo.wait_for_element("#overview-card-emergency", timeout=30)
    dash_duo.wait_for_element("#overview-attention .attention-item", timeout=30)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_desktop_overview_fits_1920x1080_with_attention_first(dash_duo, app, theme) -> None:
    """At 1920x1080 the leader's overview does not scroll; 需要关注 is at the top of the screen,
    with its counts by severity, and every item is a link to its screen and item."""
    emulate(dash_duo, 1920, 1080, mobile=False)
    start(dash_duo, app)
    _theme(dash_duo, theme)
    _overview_ready(dash_duo)
    dash_duo.wait_for_element("#overview-map .legend", timeout=30)
    height = dash_duo.driver.execute_script("return document.documentElement.scrollHeight")
    shot(dash_duo, f"overview-{theme}-1920x1080")
    assert height <= 1080, height
    tops = dash_duo.driver.execute_script(
        "return ['.attention-panel', '.map-panel'].map("
        "s => document.querySelector(s).getBoundingClientRect().top)"
    )
    assert tops[0] < tops[1], tops  # what needs attention comes before the map
    # The domains of config/domains/ are on the same screen: each its headline figure with
    # unit and period, its threshold warnings and 数据截至, a link to its page (#24 added a
    # full card each under 12345, and the page grew to 1,852 px).
    domains = loader.domains()
    assert domains
    for domain in domains:
        tile = dash_duo.find_element(f"#overview-domain-{domain.key}")
        box = tile.rect
        assert box["y"] + box["height"] <= 1080, (domain.key, box)
        assert urlparse(tile.get_attribute("href")).path == "/" + domain.key.replace("_", "-")
        text = tile.text
        assert domain.title in text and "数据截至" in text and "预警" in text, text
        assert tile.find_element("css selector", ".stat-unit").text, text
        assert tile.find_element("css selector", ".domain-period").text, text
    counts = dash_duo.find_element("#overview-attention-counts").text
    for word in ("红", "橙", "黄"):
        assert word in counts, counts
    items = dash_duo.find_elements("#overview-attention .attention-item")
    links = dash_duo.find_elements("#overview-attention a.attention-item")
    assert items and len(links) == len(items)
    hrefs = [urlparse(a.get_attribute("href")) for a in links]
    red = next(h for a, h in zip(links, hrefs, strict=True) if RED_WARNING in a.text)
    assert red.path == "/risk" and parse_qs(red.query).get("warning"), red
    assert any(h.path == "/key-work" and parse_qs(h.query).get("task") for h in hrefs), hrefs
    # 每万人 (a longer title, a two-line legend) still fits.
    dash_duo.find_elements("#overview-map-measure input")[1].click()
    dash_duo.wait_for_contains_text("#overview-map-title", "每万人", timeout=30)
    dash_duo.wait_for_contains_text("#overview-map .legend", "万人", timeout=30)
    height = dash_duo.driver.execute_script("return document.documentElement.scrollHeight")
    assert height <= 1080, height
    assert console_errors(dash_duo) == []


def test_an_attention_item_opens_its_warning_and_its_task(dash_duo, app) -> None:
    """The red warning's item opens 风险管控 with that warning marked; a task's item opens
    重点工作 with the task in the 督办 panel."""
    emulate(dash_duo, 1920, 1080, mobile=False)
    start(dash_duo, app)
    _overview_ready(dash_duo)
    item = next(
        a
        for a in dash_duo.find_elements("#overview-attention a.attention-item")
        if RED_WARNING in a.text
    )
    item.click()
    dash_duo.wait_for_element(".rk-highlight", timeout=30)
    assert RED_WARNING in dash_duo.find_element(".rk-highlight").text
    dash_duo.driver.back()
    _overview_ready(dash_duo)
    task = next(
        a
        for a in dash_duo.find_elements("#overview-attention a.attention-item")
        if "/key-work" in a.get_attribute("href")
    )
    title = task.find_element("css selector", ".attention-text").text.split("（")[0]
    task.click()
    dash_duo.wait_for_contains_text("#key_work-detail", title, timeout=30)
    assert console_errors(dash_duo) == []


def test_the_phone_overview_lists_attention_as_links_first(dash_duo, app) -> None:
    """At 390x844 需要关注 comes first and its items are links too."""
    emulate(dash_duo, 390, 844)
    start(dash_duo, app)
    # The map, below the first screen, waits for the leader to scroll to it (plotly.js is
    # fetched when a chart is about to be seen): only the cards and the list are awaited.
    dash_duo.wait_for_element("#overview-card-emergency", timeout=30)
    dash_duo.wait_for_element("#overview-attention .attention-item", timeout=30)
    first = dash_duo.driver.execute_script(
        "return document.querySelector('.attention-panel').getBoundingClientRect().top"
        " < document.querySelector('.module-card').getBoundingClientRect().top"
    )
    assert first
    items = dash_duo.find_elements("#overview-attention .attention-item")
    assert len(dash_duo.find_elements("#overview-attention a.attention-item")) == len(items)
    shot(dash_duo, "overview-light-390x844")
    assert console_errors(dash_duo) == []


def _fill_luminance(dash_duo, code: str) -> float:
    """WCAG luminance of a county's fill as the browser paints it (after theme CSS)."""
    return dash_duo.driver.execute_script(
        """
        const gd = document.querySelector('#overview-map .js-plotly-plot');
        const i = gd.data.findIndex(t => t.fill === 'toself' && t.customdata[0] === arguments[0]);
        const path = gd.querySelectorAll('.scatterlayer .trace')[i].querySelector('path.js-fill');
        const rgb = getComputedStyle(path).fill.match(/\\d+/g).map(Number).slice(0, 3);
        const lin = rgb.map(c => { c /= 255; return c <= 0.03928 ? c / 12.92
                                    : Math.pow((c + 0.055) / 1.055, 2.4); });
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
        """,
        code,
    )


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_map_reads_darker_for_more_and_returns_to_the_city(dash_duo, app, theme) -> None:
    """As painted: 潞州区 (most tickets) is darker than 沁源县 (fewest) in either theme, the map
    has a legend with its unit; a county clicked is outlined and 返回全市 takes the screen back."""
    emulate(dash_duo, 1920, 1080, mobile=False)
    start(dash_duo, app)
    _theme(dash_duo, theme)
    _overview_ready(dash_duo)
    dash_duo.wait_for_element("#overview-map .legend", timeout=30)
    assert "件" in dash_duo.find_element("#overview-map .legend").text
    assert _fill_luminance(dash_duo, "140403") < _fill_luminance(dash_duo, "140431")
    back = dash_duo.find_element("#overview-map-city")
    assert not back.is_displayed()  # the whole city is on screen already
    labels = dash_duo.find_elements("#overview-map .scatterlayer .trace .textpoint")
    from selenium.webdriver.common.action_chains import ActionChains

    target = next(t for t in labels if "潞州区" in t.text)
    ActionChains(dash_duo.driver).move_to_element(target).pause(0.3).click().perform()
    dash_duo.wait_for_contains_text("#filter-breadcrumb", "潞州区", timeout=15)
    dash_duo.wait_for_element("#overview-map-city", timeout=15)
    WebDriverWait(dash_duo.driver, 15).until(lambda _: back.is_displayed())
    selected = dash_duo.driver.execute_script(
        "return document.querySelector('#overview-map .js-plotly-plot').data"
        ".filter(t => t.name === 'selected').map(t => t.customdata[0])"
    )
    assert selected == ["140403"], selected
    shot(dash_duo, f"overview-map-selected-{theme}-1920x1080")
    back.click()
    WebDriverWait(dash_duo.driver, 15).until(lambda d: "county=" not in d.current_url)
    WebDriverWait(dash_duo.driver, 15).until(lambda _: not back.is_displayed())
    assert console_errors(dash_duo) == []


def test_a_county_account_has_no_return_to_the_city(dash_duo, settings) -> None:
    """A county's staff see their county outlined and no 返回全市: 全市 is not theirs to choose."""
    from cockpit.scope import Principal
    from tests.apps import running_app

    staff = Principal("county8", "county_staff", frozenset({"140404"}), display_name="上党区")
    for app in running_app(settings, staff):
        emulate(dash_duo, 1920, 1080, mobile=False)
        start(dash_duo, app)
        dash_duo.wait_for_element("#overview-map .main-svg", timeout=30)
        dash_duo.wait_for_contains_text("#filter-breadcrumb", "上党区", timeout=30)
        outlined = dash_duo.driver.execute_script(
            "return document.querySelector('#overview-map .js-plotly-plot').data"
            ".filter(t => t.name === 'selected').map(t => t.customdata[0])"
        )
        assert outlined == ["140404"], outlined
        assert not dash_duo.find_element("#overview-map-city").is_displayed()
        assert console_errors(dash_duo) == []
