#!/usr/bin/env python3
"""Draws the app's icons into app/static/ (the package stages app/static/ as
the app's static/ folder, where Splunk Web looks for them):

  appIcon.png      36x36  the app's icon: a white globe on a teal tile, with an
                          orange arrow turning round it (a name that follows a
                          moving address: dynamic DNS)
  appIcon_2x.png   72x72  the same for high-density screens
  appIconAlt.png   36x36  the same glyph without the tile, on transparency
                          (Splunk Web's alternate icon; where Splunk shows it
                          is not documented in the material we have, so it
                          is drawn to read on dark and mid-tone backgrounds)
  appIconAlt_2x.png 72x72

Each image is drawn at 8 times its size and scaled down (Lanczos), so the
edges are smooth. Needs Pillow (PyPI): python3 -m venv VENV &&
VENV/bin/pip install Pillow && VENV/bin/python scripts/lib/draw_icons.py
The output is deterministic for a given Pillow version.
"""

import math
import pathlib
import sys

from PIL import Image, ImageDraw

TEAL = (27, 94, 117, 255)
TEAL_DARK = (16, 66, 84, 255)
WHITE = (255, 255, 255, 255)
ORANGE = (244, 133, 33, 255)
SCALE = 8


def arrow(draw, cx, cy, r, width, start, end, colour):
    """An arc from `start` to `end` degrees (clockwise from 3 o'clock) with a
    triangular head at `end`."""
    box = [cx - r, cy - r, cx + r, cy + r]
    draw.arc(box, start, end, fill=colour, width=width)
    a = math.radians(end)
    # Tip ahead of the arc's end, along the tangent (clockwise direction).
    px, py = cx + r * math.cos(a), cy + r * math.sin(a)
    tx, ty = -math.sin(a), math.cos(a)  # clockwise tangent
    nx, ny = math.cos(a), math.sin(a)  # outward normal
    head = width * 1.5
    tip = (px + tx * head, py + ty * head)
    left = (px + nx * head * 0.95, py + ny * head * 0.95)
    right = (px - nx * head * 0.95, py - ny * head * 0.95)
    draw.polygon([tip, left, right], fill=colour)


def glyph(draw, size, globe_colour, line_colour, arrow_colour):
    s = size
    cx = cy = s / 2
    # Globe: a filled disc with an equator, one meridian and two parallels.
    r = s * 0.27
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=globe_colour)
    w = max(1, round(s * 0.035))
    draw.line([cx - r, cy, cx + r, cy], fill=line_colour, width=w)
    draw.ellipse([cx - r * 0.42, cy - r, cx + r * 0.42, cy + r], outline=line_colour, width=w)
    for dy in (-0.55, 0.55):
        y = cy + r * dy
        half = r * math.sqrt(1 - dy * dy) * 0.93
        draw.line([cx - half, y, cx + half, y], fill=line_colour, width=w)
    # The arrow round it, from the left over the top to the lower right.
    arrow(draw, cx, cy, s * 0.365, max(2, round(s * 0.07)), 165, 375, arrow_colour)


def icon(size, tile):
    big = size * SCALE
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    if tile:
        radius = big * 0.2
        draw.rounded_rectangle([0, 0, big - 1, big - 1], radius, fill=TEAL)
        glyph(draw, big, WHITE, TEAL_DARK, ORANGE)
    else:
        glyph(draw, big, WHITE, TEAL, ORANGE)
    return img.resize((size, size), Image.LANCZOS)


def main():
    root = pathlib.Path(__file__).resolve().parents[2]
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root / "app" / "static"
    out.mkdir(parents=True, exist_ok=True)
    for name, size, tile in [
        ("appIcon.png", 36, True),
        ("appIcon_2x.png", 72, True),
        ("appIconAlt.png", 36, False),
        ("appIconAlt_2x.png", 72, False),
    ]:
        icon(size, tile).save(out / name, optimize=True)
        print(f"{out / name}: {size}x{size}")


if __name__ == "__main__":
    main()
