#!/bin/bash
# Pick, export and evaluate the best checkpoint of a training run (issue 15).
#
#   scripts/finish_training.sh RUN_DIR [OUT_DIR]
#
# RUN_DIR is a `scripts/train.py --holdout-package PKG` run: its best.pth holds the weights (raw
# or EMA) with the highest held-out PSNR seen at any evaluation, scored with the eval's masks.
# This exports best.pth to OUT_DIR (default RUN_DIR/export, never models/), then runs
# `npm run eval` on the held-out package with both baselines, for the new model and for the
# bundled models/mae-small, and writes both reports beside the export; the new model's result also
# goes into its config.json (`evaluation`). Nothing in models/ changes.
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:?usage: scripts/finish_training.sh RUN_DIR [OUT_DIR]}
out=${2:-$run/export}
arg() { /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["args"][sys.argv[2]])' "$run/train_log.json" "$1"; }
package=$(arg holdout_package)
data=$(arg data)  # the training's --data, where the held-out photos are
/usr/bin/python3 - "$run/best.pth" <<'PY'
import sys, torch
info = torch.load(sys.argv[1], map_location="cpu")["train"]
print(f"best.pth: step {info['step']} of {info['total_steps']}, {info['weights']} weights, "
      f"held-out PSNR {info['held_out_psnr']:.3f} dB on {info['held_out_package']}, wins {info['wins']}")
PY

# The held-out package as a folder of links, so the eval sees exactly its photos.
held="$run/heldout-$package"
mkdir -p "$held"
while read -r name; do ln -sf "$(realpath "$data/$name")" "$held/$name"; done < "$run/holdout.txt"

/usr/bin/python3 -m scripts.export_onnx --checkpoint "$run/best.pth" --out "$out" \
  --name "MAE small (trained by MAE Lens)"
for model in "$out" models/mae-small; do
  report="$out/eval-$(basename "$model").txt"
  # The export's config.json keeps its own result: the page's model entry shows it.
  record=()
  [ "$model" = "$out" ] && record=(--record-in-config "$package, a Debian package it never trained on")
  npm run --silent eval -- --model "$model" --data "$held" --seeds 0,1,2 --baseline diffusion:200 \
    "${record[@]}" | tee "$report"
done
echo "exported to $out; reports: $out/eval-$(basename "$out").txt, $out/eval-mae-small.txt"
