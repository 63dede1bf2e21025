#!/usr/bin/env bash
# make demo: sample → train (cpu preset) → render → report, on a capture the project renders itself.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${DEMO_OUT:-out/demo}
MINUTES=${DEMO_MINUTES:-5}
rlq() { node bin/reliquary.js "$@"; }
mkdir -p "$OUT"
[ -f "$OUT/sample/transforms.json" ] || rlq sample --out "$OUT/sample"
rlq train "$OUT/sample" --out "$OUT/model" --preset cpu --max-minutes "$MINUTES" --json | tee "$OUT/train.json"
rlq render "$OUT/model" --poses "$OUT/sample/transforms.json" --out "$OUT/render.mp4" --json > "$OUT/render.json"
node -e '
const t = require(process.argv[1]), r = require(process.argv[2]);
console.log("\nReliquary demo report");
console.log("  adapter              " + t.adapter);
console.log("  training             " + t.steps + " steps, " + t.seconds.toFixed(0) + " s, " + Math.round(t.samplesPerSecond).toLocaleString("en") + " samples/s");
console.log("  held-out PSNR / SSIM " + t.heldOutPsnr.toFixed(2) + " dB / " + t.heldOutSsim.toFixed(4) + " (" + t.evalFrames + " frames)");
console.log("  all frames PSNR/SSIM " + r.quality.psnr.toFixed(2) + " dB / " + r.quality.ssim.toFixed(4) + " (" + r.frames + " frames rendered)");
console.log("  video                " + process.argv[3]);
' "$PWD/$OUT/train.json" "$PWD/$OUT/render.json" "$OUT/render.mp4"
