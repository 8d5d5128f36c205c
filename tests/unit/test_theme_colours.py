"""Every colour of the interface comes from a theme variable (assets/cockpit.css), so that a
rule written once reads in both themes: component CSS names no colour of its own."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "assets"
# theme-light.css is the theme itself (generated from cockpit/theme.py's two palettes); the
# wall's frame page (/wall) is always dark and holds no component; vendor/ is not ours.
NOT_COMPONENTS = {"theme-light.css", "wall-frame/frame.css"}
COLOUR = re.compile(
    r"#[0-9a-fA-F]{3,8}\b|\b(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch)\(|\b(?:white|black)\b"
)


def declarations(css: str):
    """(property, value) of every declaration, comments left out."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    for block in re.findall(r"\{([^{}]*)\}", css):
        for item in block.split(";"):
            name, sep, value = item.partition(":")
            if sep:
                yield name.strip(), value.strip()


def stylesheets() -> list[Path]:
    """The cockpit's own stylesheets."""
    return [
        p
        for p in sorted(ASSETS.rglob("*.css"))
        if "vendor" not in p.parts and p.relative_to(ASSETS).as_posix() not in NOT_COMPONENTS
    ]


def test_component_css_names_no_colour_only_theme_variables() -> None:
    """A colour literal may only be the value of a variable (--name: #hex), never of a rule."""
    assert len(stylesheets()) > 5
    found = [
        f"{path.relative_to(ROOT)}: {name}: {value}"
        for path in stylesheets()
        for name, value in declarations(path.read_text(encoding="utf-8"))
        if not name.startswith("--") and COLOUR.search(value)
    ]
    assert found == [], "\n".join(found)


def test_variables_with_colours_are_defined_in_the_theme_only() -> None:
    """Colour values of variables live in cockpit.css (the two themes), not per component."""
    found = [
        f"{path.relative_to(ROOT)}: {name}: {value}"
        for path in stylesheets()
        if path.name != "cockpit.css"
        for name, value in declarations(path.read_text(encoding="utf-8"))
        if name.startswith("--") and COLOUR.search(value)
    ]
    assert found == [], "\n".join(found)
