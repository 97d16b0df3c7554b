#!/usr/bin/python3
"""Draw train_log.json loss curves as a small standalone SVG (no plotting library needed).

    /usr/bin/python3 -m scripts.plot_loss OUT.svg LOG.json [LOG.json ...]

Several logs (a run continued with train.py --init) are drawn one after the other.
"""

import json
import sys
from pathlib import Path

WIDTH, HEIGHT, MARGIN = 640, 320, 48


def polyline(points, x_of, y_of, colour):
    coords = " ".join(f"{x_of(x):.1f},{y_of(y):.1f}" for x, y in points)
    return f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" points="{coords}"/>'


def main():
    train, val, switch, offset = [], [], None, 0
    for path in sys.argv[2:]:
        log = json.loads(Path(path).read_text())
        train += [(offset + e["step"], e["loss"]) for e in log["steps"]]
        val += [(offset + e["step"], e["loss"]) for e in log["validation"]]
        first_full = next((offset + e["step"] for e in log["steps"] if e["phase"] == "full"), None)
        switch = switch or first_full
        offset = train[-1][0]
    last_step = train[-1][0]
    top = max(y for _, y in train[2:] + val)
    bottom = min(y for _, y in train + val)
    top, bottom = top + 0.05 * (top - bottom), bottom - 0.05 * (top - bottom)
    x_of = lambda x: MARGIN + (WIDTH - 2 * MARGIN) * x / last_step  # noqa: E731
    y_of = lambda y: HEIGHT - MARGIN - (HEIGHT - 2 * MARGIN) * (y - bottom) / (top - bottom)  # noqa: E731
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
    ]
    for i in range(5):
        value = bottom + (top - bottom) * i / 4
        y = y_of(value)
        parts.append(f'<line x1="{MARGIN}" x2="{WIDTH - MARGIN}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{MARGIN - 6}" y="{y + 4:.1f}" text-anchor="end">{value:.2f}</text>')
    for i in range(5):
        step = round(last_step * i / 4)
        parts.append(
            f'<text x="{x_of(step):.1f}" y="{HEIGHT - MARGIN + 16}" text-anchor="middle">{step}</text>'
        )
    if switch:
        parts.append(
            f'<line x1="{x_of(switch):.1f}" x2="{x_of(switch):.1f}" y1="{MARGIN}" y2="{HEIGHT - MARGIN}" '
            'stroke="#999" stroke-dasharray="4 3"/>'
        )
        parts.append(f'<text x="{x_of(switch) + 4:.1f}" y="{MARGIN + 12}">whole images from here</text>')
    parts.append(polyline(train, x_of, y_of, "#3b6fd8"))
    parts.append(polyline(val, x_of, y_of, "#d8573b"))
    parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT - 8}" text-anchor="middle">step</text>')
    parts.append(
        f'<text x="{MARGIN}" y="20" fill="#3b6fd8">training loss (masked-patch MSE, normalised pixels)</text>'
    )
    parts.append(
        f'<text x="{MARGIN}" y="36" fill="#d8573b">held-out loss (whole images, 75 % masked, 3 seeds)</text>'
    )
    parts.append("</svg>")
    Path(sys.argv[1]).write_text("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
