#!/usr/bin/python3
"""Draw train_log.json loss curves as a small standalone SVG (no plotting library needed).

    /usr/bin/python3 -m scripts.plot_loss OUT.svg LOG.json [LOG.json ...] [--baselines EVAL.json]

Several logs (a run continued with train.py --init) are drawn one after the other. A run with
--holdout-package gets a second panel: the held-out package's masked-patch PSNR at each evaluation
(raw weights and EMA), against the baselines' PSNR on the same photos: those the run logged at its
start, or those of `npm run --silent eval -- --json` on the package (--baselines), for a run
started without them.
"""

import argparse
import json
from pathlib import Path

WIDTH, HEIGHT, MARGIN = 640, 320, 48


def polyline(points, x_of, y_of, colour):
    coords = " ".join(f"{x_of(x):.1f},{y_of(y):.1f}" for x, y in points)
    return f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" points="{coords}"/>'


def value_grid(bottom, top, y_of):
    """Five horizontal grid lines from `bottom` to `top`, labelled with their values."""
    parts = []
    for i in range(5):
        value = bottom + (top - bottom) * i / 4
        y = y_of(value)
        parts.append(f'<line x1="{MARGIN}" x2="{WIDTH - MARGIN}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{MARGIN - 6}" y="{y + 4:.1f}" text-anchor="end">{value:.2f}</text>')
    return parts


def step_axis(last_step, x_of, bottom_y):
    """Five step labels and the axis name under a panel whose plot area ends at `bottom_y`."""
    parts = []
    for i in range(5):
        step = round(last_step * i / 4)
        parts.append(f'<text x="{x_of(step):.1f}" y="{bottom_y + 16}" text-anchor="middle">{step}</text>')
    parts.append(f'<text x="{WIDTH / 2}" y="{bottom_y + MARGIN - 8}" text-anchor="middle">step</text>')
    return parts


BASELINE_COLOURS = {"interpolation": "#8a8a8a", "diffusion:1000": "#222"}
BASELINE_NAMES = {"interpolation": "interpolation (200 rounds)", "diffusion:1000": "converged diffusion"}


def psnr_panel(held_out, baselines, x_of, last_step):
    """The held-out PSNR curves, drawn below the loss panel (y from HEIGHT to 2 * HEIGHT)."""
    curves = {
        name: [(e["step"], e["psnr"]) for e in held_out if e["weights"] == name]
        for name in ("weights", "ema")
    }
    values = [y for points in curves.values() for _, y in points] + list(baselines.values())
    # The first evaluations of a run from scratch sit far below: the panel shows the last dB.
    bottom, top = max(min(values), max(values) - 2.5), max(values)
    top, bottom = top + 0.05 * (top - bottom), bottom - 0.05 * (top - bottom)

    def y_of(y):
        return 2 * HEIGHT - MARGIN - (HEIGHT - 2 * MARGIN) * (max(y, bottom) - bottom) / (top - bottom)

    parts = value_grid(bottom, top, y_of)
    for name, value in baselines.items():
        y = y_of(value)
        colour = BASELINE_COLOURS.get(name, "#999")
        parts.append(
            f'<line x1="{MARGIN}" x2="{WIDTH - MARGIN}" y1="{y:.1f}" y2="{y:.1f}" stroke="{colour}" '
            'stroke-dasharray="5 4"/>'
        )
        label = f"{BASELINE_NAMES.get(name, name)} {value:.2f} dB"
        parts.append(
            f'<text x="{WIDTH - MARGIN}" y="{y - 4:.1f}" text-anchor="end" fill="{colour}">{label}</text>'
        )
    parts.append(polyline(curves["weights"], x_of, y_of, "#3b6fd8"))
    parts.append(
        f'<text x="{MARGIN}" y="{HEIGHT + 20}" fill="#3b6fd8">held-out masked-patch PSNR, dB (weights)</text>'
    )
    if curves["ema"]:
        parts.append(polyline(curves["ema"], x_of, y_of, "#2a9d5c"))
        parts.append(f'<text x="{MARGIN + 300}" y="{HEIGHT + 20}" fill="#2a9d5c">EMA of the weights</text>')
    parts += step_axis(last_step, x_of, 2 * HEIGHT - MARGIN)
    return parts


def main():
    parser = argparse.ArgumentParser(description="Draw train_log.json curves as an SVG.")
    parser.add_argument("out", type=Path)
    parser.add_argument("logs", type=Path, nargs="+")
    parser.add_argument(
        "--baselines", type=Path, help="`npm run --silent eval -- --json` of the held-out package"
    )
    args = parser.parse_args()
    train, val, held_out, switch, offset, start = [], [], [], None, 0, None
    for path in args.logs:
        log = json.loads(path.read_text())
        train += [(offset + e["step"], e["loss"]) for e in log["steps"]]
        val += [(offset + e["step"], e["loss"]) for e in log["validation"]]
        held_out += [{**e, "step": offset + e["step"]} for e in log.get("held_out", [])]
        start = start or log.get("held_out_start")
        if log["steps"] and log["steps"][0]["phase"] == "window":  # a run that began on patch windows
            first_full = next((offset + e["step"] for e in log["steps"] if e["phase"] == "full"), None)
            switch = switch or first_full
        offset = train[-1][0]
    last_step = train[-1][0]
    top = max(y for _, y in train[2:] + val)
    bottom = min(y for _, y in train + val)
    top, bottom = top + 0.05 * (top - bottom), bottom - 0.05 * (top - bottom)
    x_of = lambda x: MARGIN + (WIDTH - 2 * MARGIN) * x / last_step  # noqa: E731
    y_of = lambda y: HEIGHT - MARGIN - (HEIGHT - 2 * MARGIN) * (y - bottom) / (top - bottom)  # noqa: E731
    height = 2 * HEIGHT if held_out else HEIGHT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
    ]
    parts += value_grid(bottom, top, y_of)
    parts += step_axis(last_step, x_of, HEIGHT - MARGIN)
    if switch:
        parts.append(
            f'<line x1="{x_of(switch):.1f}" x2="{x_of(switch):.1f}" y1="{MARGIN}" y2="{HEIGHT - MARGIN}" '
            'stroke="#999" stroke-dasharray="4 3"/>'
        )
        parts.append(f'<text x="{x_of(switch) + 4:.1f}" y="{MARGIN + 12}">whole images from here</text>')
    parts.append(polyline(train, x_of, y_of, "#3b6fd8"))
    parts.append(polyline(val, x_of, y_of, "#d8573b"))
    parts.append(
        f'<text x="{MARGIN}" y="20" fill="#3b6fd8">training loss (masked-patch MSE, normalised pixels)</text>'
    )
    if val:
        legend = "held-out loss (whole images, 75 % masked, 3 seeds)"
        parts.append(f'<text x="{MARGIN}" y="36" fill="#d8573b">{legend}</text>')
    if held_out:
        if args.baselines:  # the eval's own means over the package
            summary = json.loads(args.baselines.read_text())["summary"]
            logged = {"interpolation": summary["interpolation_psnr"], **summary["diffusion_psnr"]}
        else:
            logged = (start or {}).get("baselines", {})
        baselines = {k: v for k, v in logged.items() if k in BASELINE_NAMES}
        parts += psnr_panel(held_out, baselines, x_of, last_step)
    parts.append("</svg>")
    args.out.write_text("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
