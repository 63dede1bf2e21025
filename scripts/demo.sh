#!/usr/bin/env bash
# make demo: the synthetic sample video → encode FP and PC → decode → compare, printing the table.
# The sample ships its masks and poses, so the demo skips segmentation (IS-Net) and COLMAP, which a real
# video needs (see the README); both have tests of their own. PC reuses FP's training (same work folder).
# DEMO_STEPS sets the training steps (default 600, about 4 minutes on a 2-core CPU), DEMO_LAMBDA λ.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${DEMO_OUT:-out/demo}
STEPS=${DEMO_STEPS:-600}
LAMBDA=${DEMO_LAMBDA:-2e-3}
rlq() { node bin/reliquary.js "$@"; }
mkdir -p "$OUT"
[ -f "$OUT/sample/video.mp4" ] || rlq sample --out "$OUT/sample"
common=("$OUT/sample/video.mp4" --masks "$OUT/sample/masks" --poses "$OUT/sample/transforms.json"
        --lambda "$LAMBDA" --df 2 --preset cpu --steps "$STEPS" --work "$OUT/work")
rlq encode "${common[@]}" -o "$OUT/object-fp.rlq" --mode fp --json > "$OUT/encode-fp.json"
rlq encode "${common[@]}" -o "$OUT/scene-pc.rlq" --mode pc --resume --json > "$OUT/encode-pc.json"
rlq info "$OUT/scene-pc.rlq"
rlq decode "$OUT/object-fp.rlq" -o "$OUT/object-fp.mp4" --json > "$OUT/decode-fp.json"
rlq decode "$OUT/scene-pc.rlq" -o "$OUT/scene-pc.mp4" --json > "$OUT/decode-pc.json"
rlq compare "$OUT/sample/video.mp4" "$OUT/scene-pc.mp4" --mask "$OUT/sample/masks" --bytes "$OUT/scene-pc.rlq" --json > "$OUT/compare-pc.json"
rlq compare "$OUT/sample/video.mp4" "$OUT/object-fp.mp4" --mask "$OUT/sample/masks" --bytes "$OUT/object-fp.rlq" --json > "$OUT/compare-fp.json"
node -e '
const [fp, pc, cfp, cpc] = process.argv.slice(1, 5).map((f) => require(f));
const n = (x, d) => (x === null || x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(d));
console.log("\nReliquary demo: " + fp.frames + " frames of " + fp.width + "x" + fp.height + ", " + fp.train.steps + " training steps on " + fp.train.adapter);
console.log("| mode | file | bpp | PSNR | SSIM | MS-SSIM | PSNR-CENTER |");
console.log("|---|---|---|---|---|---|---|");
for (const [name, e, c] of [["FP (object)", fp, cfp], ["PC (scene)", pc, cpc]]) {
  console.log("| " + name + " | " + (e.bytes / 1024).toFixed(1) + " KiB | " + n(c.bpp, 4) + " | " + n(c.psnr.mean, 2) + " | " + n(c.ssim.mean, 4) + " | " + n(c.msssim.mean, 4) + " | " + n(c.psnrCenter && c.psnrCenter.mean, 2) + " |");
}
console.log("(FP is scored against the full source frames, so only PSNR-CENTER, over the object, is meaningful for it.)");
console.log("videos: '"$OUT"'/object-fp.mp4, '"$OUT"'/scene-pc.mp4");
' "$PWD/$OUT/encode-fp.json" "$PWD/$OUT/encode-pc.json" "$PWD/$OUT/compare-fp.json" "$PWD/$OUT/compare-pc.json"
