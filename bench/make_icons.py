"""Draw the web app icons (assets/icons/icon-192.png, icon-512.png) once; they are committed.

A gauge in the cockpit's colours, drawn from shapes (no font, so nothing to license), with its
marks inside the central 80% so that phones may crop it to a circle (a "maskable" icon).
Needs Pillow (pip install pillow); run: python -m bench.make_icons [--out assets/icons].
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

GROUND = "#06162e"
RING = "#1c3a66"
ACCENT = "#35c2ff"
GREEN = "#2fd28a"
YELLOW = "#ffd21a"
RED = "#ff4d4f"
SIZES = (192, 512)


def draw(size: int):
    """One icon of size x size pixels (drawn 4x larger, then scaled down for smooth edges)."""
    from PIL import Image, ImageDraw

    big = size * 4
    img = Image.new("RGB", (big, big), GROUND)
    d = ImageDraw.Draw(img)
    c = big / 2
    r = big * 0.30  # the gauge stays inside the maskable safe zone (radius 0.4)
    width = int(big * 0.055)
    box = (c - r, c - r + big * 0.04, c + r, c + r + big * 0.04)
    # Three coloured bands of the dial, from 150 to 390 degrees (PIL counts clockwise from 3 o'clock).
    for start, end, colour in ((150, 230, GREEN), (232, 310, YELLOW), (312, 390, RED)):
        d.arc(box, start, end, fill=colour, width=width)
    d.arc(
        (box[0] - width * 1.2, box[1] - width * 1.2, box[2] + width * 1.2, box[3] + width * 1.2),
        150,
        390,
        fill=RING,
        width=int(width * 0.4),
    )
    # The needle, pointing into the yellow band, and its hub.
    cy = c + big * 0.04
    angle = math.radians(250)
    tip = (c + math.cos(angle) * r * 0.82, cy + math.sin(angle) * r * 0.82)
    d.line((c, cy, *tip), fill=ACCENT, width=int(width * 0.7))
    hub = big * 0.045
    d.ellipse((c - hub, cy - hub, c + hub, cy + hub), fill=ACCENT)
    # Three bars below the dial: the figures.
    bar_w = big * 0.06
    for i, h in enumerate((0.08, 0.13, 0.10)):
        x = c - bar_w * 2.5 + i * bar_w * 1.8 + bar_w * 0.2
        d.rectangle((x, cy + r * 0.62 - big * h * 0.6, x + bar_w, cy + r * 0.62), fill=ACCENT)
    return img.resize((size, size), Image.LANCZOS)


def main(argv: list[str] | None = None) -> None:
    """Write the icons."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="assets/icons", help="folder (default assets/icons)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        path = out / f"icon-{size}.png"
        draw(size).save(path, optimize=True)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
