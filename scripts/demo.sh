#!/usr/bin/env bash
# make demo: sample → encode (FP mode, cpu preset) → info → decode → report, on a capture the project
# renders itself. DEMO_MINUTES sets the training budget (default 5), DEMO_LAMBDA the rate weight λ.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${DEMO_OUT:-out/demo}
MINUTES=${DEMO_MINUTES:-5}
LAMBDA=${DEMO_LAMBDA:-2e-3}
rlq() { node bin/reliquary.js "$@"; }
mkdir -p "$OUT"
[ -f "$OUT/sample/transforms.json" ] || rlq sample --out "$OUT/sample"
rlq encode "$OUT/sample" -o "$OUT/object.rlq" --mode fp --lambda "$LAMBDA" --df 2 --preset cpu --max-minutes "$MINUTES" --json > "$OUT/encode.json"
rlq info "$OUT/object.rlq"
rlq decode "$OUT/object.rlq" -o "$OUT/decoded.mp4" --json > "$OUT/decode.json"
node -e '
const e = require(process.argv[1]), d = require(process.argv[2]);
const kib = (b) => (b / 1024).toFixed(1) + " KiB";
console.log("\nReliquary demo report");
console.log("  adapter               " + e.train.adapter);
console.log("  training              " + e.train.steps + " steps, " + e.seconds.train.toFixed(0) + " s");
console.log("  file                  " + kib(e.bytes) + ", " + e.bpp.toPrecision(3) + " bpp (" + e.frames + " frames of " + e.width + "x" + e.height + ")");
console.log("  same field as float32 " + kib(e.float32Bytes) + " (" + (e.float32Bytes / e.bytes).toFixed(1) + "x larger)");
console.log("  held-out PSNR / SSIM  " + e.quality.decoded.psnr.toFixed(2) + " dB / " + e.quality.decoded.ssim.toFixed(4) + " as decoded from the file (" + e.quality.decoded.frames + " frames)");
console.log("  decode                " + d.seconds.decode.toFixed(1) + " s bitstream + " + d.seconds.render.toFixed(1) + " s rendering " + d.frames + " frames");
console.log("  video                 " + process.argv[3]);
' "$PWD/$OUT/encode.json" "$PWD/$OUT/decode.json" "$OUT/decoded.mp4"
