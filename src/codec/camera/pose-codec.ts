/**
 * Camera codec: the intrinsics K and the per-frame camera-to-world poses [R_i | c_i] (the payload of
 * the `CAMERA` section), coded predictively with a guaranteed reprojection-error bound.
 *
 * ## Quantization and the bound it guarantees
 *
 * Rotation: each R_i becomes a unit quaternion q_i = (w, x, y, z) (Shepperd's method) whose four
 * components are quantized uniformly with step Δq: n = round(q / Δq). The decoder rebuilds R from
 * the unnormalized q' = n·Δq with the exact rotation formula for non-unit quaternions
 * (R = I + 2/|q'|²·(…)), so no square root or transcendental is evaluated on the decoding side.
 * Translation: the camera centre c_i (the pose's last column) is quantized uniformly per axis with
 * step Δt: m = round(c / Δt), c' = m·Δt.
 *
 * Errors: per component |q − q'| ≤ Δq/2, so the 4-vector error is |e| ≤ √4·Δq/2 = Δq, the angle
 * between q and q' on S³ is θ ≤ asin(Δq), and the relative rotation E = Rᵀ·R' has angle
 * ε = 2θ ≤ 2·asin(Δq). The centre error is |δc| ≤ √3·Δt/2.
 *
 * Reprojection (first order). A world point X has camera coordinates P = Rᵀ(X − c); the decoded pose
 * gives P' = Eᵀ(P − Rᵀδc), so |P' − P| ≤ 2 sin(ε/2)|P| + |δc| ≤ ε|P| + |δc|. The pinhole projection
 * at P (normalized coordinates (x, y), r² = x² + y², depth Z = |P|/√(1 + r²)) has the Jacobian
 * (1/Z)·[[1, 0, −x], [0, 1, −y]], whose operator norm is √(1 + r²)/Z = (1 + r²)/|P|. Distortion
 * multiplies by at most D (the operator norm of the Jacobian of the OpenCV model, see
 * {@link distortionGain}) and the pixel scale by f = max(fx, fy). Hence
 *
 *     |Δpixel| ≤ G·(ε + |δc| / d),     G = f · D · (1 + r_max²)
 *
 * for every point at Euclidean distance ≥ d from the camera whose undistorted normalized radius is
 * ≤ r_max (the largest over the image: every point that projects into the image). The budget B
 * (`maxReprojectionErrorPx`, shrunk by {@link BOUND_SAFETY} = 1 % to absorb the second-order terms)
 * is split half and half:
 *
 *     ε_max = B'/(2G)         →  Δq = ε_max/2 − (ε_max/2)³/6   (a lower bound of sin(ε_max/2))
 *     δc_max = B'·d_min/(2G)  →  Δt = 1.1547·δc_max            (1.1547 < 2/√3)
 *
 * with B' = 0.99·B,
 *
 * both rounded DOWN to float32 (the header stores them as float32). d_min, the smallest distance from
 * a camera centre to a point that matters, is `minDistance` when given, else min_i |c_i| − sceneRadius
 * (points inside the sceneRadius ball around the origin), but never below sceneRadius/16.
 *
 * The guarantee: for every frame and every world point X with |X| ≤ sceneRadius (or, with
 * `minDistance`, any point at distance ≥ minDistance from the camera) that projects into the image
 * through the original pose, the decoded pose (same intrinsics) moves its projection by at most
 * `maxReprojectionErrorPx` pixels. The derivation is first order: over the segment from P to P' the
 * Jacobian's norm changes by a relative ≲ (1 + 2r + distortion terms)·|ΔP|/|P| ≲ 5·B/G, which the
 * 1 % margin covers while B ≤ G/500 (G ≥ f, so any B up to f/500 pixels: 1.8 px at f = 900; the
 * usual sub-pixel bounds are far inside). r_max is measured by undistorting 64 points on every image edge
 * (the maximum of the radius over the image is on its boundary when the distortion is monotone in
 * the radius, as it is within any valid field of view); for a distortion-free camera it is exact (the
 * corners). Only +, −, ×, ÷, `Math.round` / `Math.fround` and (in the encoder) `Math.sqrt` are used,
 * all exactly specified by ECMAScript (ECMA-262 defines sqrt as 𝔽(√n), i.e. correctly rounded), so
 * the steps, the bytes and the decoded poses are identical in every engine. Measured on an 800x600
 * camera (f ≈ 900, G ≈ 1260 px/rad): the largest error found is about half the bound (0.127 px for
 * B = 0.25), because the bound adds the worst cases of both halves at the image corner.
 *
 * ## Prediction
 *
 * The quantized integers of each component (qw, qx, qy, qz, tx, ty, tz) are predicted by polynomial
 * extrapolation of order k from the previous decoded integers a = v[i−1], b = v[i−2], c = v[i−3]:
 * k = 0: 0 (no prediction); k = 1: a; k = 2 (second order, linear extrapolation): 2a − b;
 * k = 3 (quadratic extrapolation): 3a − 3b + c. The first frames use the highest order they have
 * history for (frame 0 predicts 0). The encoder picks k ∈ {0, 1, 2, 3} separately for the rotation
 * and the translation (it tries all sixteen pairs and keeps the shortest stream; ties go to the lower
 * orders) and writes them in the header. On a smooth orbit k = 3 wins (the second differences of a
 * circular path are not small, its third differences are: 2.6 against 4.0 bytes/frame with k = 2
 * in the tests); on independent random poses k = 0 does. Because q and −q are the same rotation, the
 * encoder also picks per frame the sign of q whose quantized integers are closest (L1) to the
 * prediction, which keeps the quaternion track continuous; the decoder needs no sign information.
 *
 * ## Binarization and contexts
 *
 * Each residual r = v − pred (an integer, |r| < 2^34) is coded with the range coder as
 *   1. ZERO: r = 0?                                    context: (set, component, class)
 *   2. SIGN: r < 0?                                    context: (set, component, sign of previous r)
 *   3. Elias-gamma of |r| ≥ 1: k = ⌊log2 |r|⌋ as k ones and a zero (prefix bit j with context
 *      (set, component, class, min(j, 11)), at most {@link MAX_PREFIX} ones), then the k bits of
 *      |r| − 2^k, most significant first: the first with context (set, component, k), the rest with
 *      probability 1/2.
 * `set` is 0 for frames with full prediction history and 1 for the first `order` frames (whose
 * residuals are whole coordinates); `class` = min(3, bit length of |previous residual|) of the same
 * component. Every context is a pair of integer counts (c0, c1), both starting at 1 and increased by 2
 * per observed bit (the Krichevsky–Trofimov estimator), halved (rounding up) when c0 + c1 exceeds
 * {@link COUNT_LIMIT}; P(1) = ⌊65536·c1 / (c0 + c1)⌋ clamped to [{@link PROB_FLOOR}, 65536 − PROB_FLOOR]
 * (integer arithmetic only; the decoder mirrors it exactly).
 *
 * ## Byte layout (little-endian)
 *
 * ```
 *  0  u8   version               1
 *  1  u8   flags                 bit 0: distortion coefficients present; bits 1-7 must be 0
 *  2  u8   rotation order        0..3
 *  3  u8   translation order     0..3
 *  4  u32  frame count N         ≤ 2^24 and ≤ 256 · (range-coded bytes)
 *  8  u32  width                 ≥ 1
 * 12  u32  height                ≥ 1
 * 16  f64  fx, fy, cx, cy        (32 bytes)
 * 48  f64  k1, k2, p1, p2        (32 bytes, only with flag bit 0)
 *  …  f32  Δq                    quaternion step, in [2^-30, 2^-2]
 *  …  f32  Δt                    centre step, finite, > 0
 *  …  f32  maxReprojectionErrorPx   the bound (informational)
 *  …  f32  d_min                 the distance from which the bound holds (informational)
 *  …  f32  sceneRadius           (informational)
 *  …  …    range-coded residuals of the N frames, to the end of the payload
 * ```
 * The intrinsics are float64 so that they round-trip exactly; that costs 16 bytes more than float32
 * without distortion and 32 bytes more with it, once per file. The header is 36 bytes + 32 (4 f64) +
 * 0 or 32 (distortion). Measured (test/codec/pose-codec.test.ts, B = 0.25 px, header included): a
 * smooth 300-frame orbit 2.6 bytes/frame, independent random poses 16 bytes/frame, against 48 for
 * 12 float32.
 *
 * The frame count bound: a context probability never exceeds 1 − PROB_FLOOR/65536 = 255/256, so every
 * frame (at least seven ZERO symbols) carries at least 7·(−log2(255/256)) ≈ 0.0395 bits, and a range
 * stream of L bytes carries less than 8L bits: N ≤ 203·L. The decoder rejects N > 256·L before it
 * decodes anything, and stops as soon as it reads past the end of the input.
 */

import { type Intrinsics, undistort } from '../../data/camera.ts';
import { BinaryDecoder, BinaryEncoder, PROB_ONE } from '../entropy/range-coder.ts';
import { BitstreamError } from '../errors.ts';

/** Options of {@link encodePoses}. */
export interface PoseCodecOptions {
  /** Reprojection-error bound B, pixels: no point that matters moves by more (default 0.25). */
  maxReprojectionErrorPx: number;
  /** Radius of the ball around the origin holding the points that matter (default √3: the unit box). */
  sceneRadius: number;
  /**
   * Smallest distance d_min from a camera centre to a point that matters. Default: the smallest
   * |c_i| − sceneRadius over the frames, but at least sceneRadius / 16.
   */
  minDistance?: number;
}

/** Defaults of {@link PoseCodecOptions}. */
export const POSE_CODEC_DEFAULTS: Readonly<PoseCodecOptions> = Object.freeze({
  maxReprojectionErrorPx: 0.25,
  sceneRadius: Math.sqrt(3),
});

/** The format version {@link encodePoses} writes and {@link decodePoses} reads. */
export const POSE_CODEC_VERSION = 1;
/** Most frames a stream may hold. */
export const MAX_POSE_FRAMES = 1 << 24;
/** A stream of L range-coded bytes may declare at most this many frames per byte (see the header doc). */
export const MAX_FRAMES_PER_BYTE = 256;
/** Relative margin taken off the budget for the second-order terms of the bound. */
export const BOUND_SAFETY = 0.99;
/** Count total above which a context's counts are halved. */
export const COUNT_LIMIT = 1024;
/** Context probabilities are clamped to [PROB_FLOOR, 65536 − PROB_FLOOR] (1/256). */
export const PROB_FLOOR = 256;
/** Most ones in an Elias-gamma prefix (|r| < 2^MAX_PREFIX); more is a corrupted stream. */
export const MAX_PREFIX = 40;

/** Smallest and largest quaternion step. */
const MIN_ROT_STEP = 2 ** -30;
const MAX_ROT_STEP = 0.25;
/** Quantized centres must satisfy |m| ≤ MAX_T_INT. */
const MAX_T_INT = 2 ** 30;
/** Prefix contexts per (set, component, class): prefix bit j uses min(j, PREFIX_CTX − 1). */
const PREFIX_CTX = 12;
const CLASSES = 4;
const COMPONENTS = 7;
const SECTION = 'CAMERA';

/** The quantization {@link encodePoses} derives, and the bound it guarantees. */
export interface PoseQuantization {
  /** Quaternion step Δq (float32). */
  rotationStep: number;
  /** Camera-centre step Δt (float32). */
  translationStep: number;
  /** Largest rotation error ε the steps allow, radians: 2·asin(Δq) ≤ this. */
  maxRotationError: number;
  /** Largest camera-centre error the steps allow: √3·Δt/2 ≤ this. */
  maxCentreError: number;
  /** Distance from the camera from which the bound holds. */
  minDistance: number;
  /** G = f·D·(1 + r_max²): pixels per radian of rotation error. */
  gain: number;
  /** The bound B, pixels. */
  maxReprojectionErrorPx: number;
  /** The scene radius the default minDistance was derived from. */
  sceneRadius: number;
}

/** What {@link decodePoses} returns. */
export interface DecodedPoses {
  /** The intrinsics, exactly as encoded. */
  intrinsics: Intrinsics;
  /** Camera-to-world 3x4 row-major poses, one Float64Array(12) per frame. */
  c2w: Float64Array[];
  /** The bound stated in the header. */
  bound: { maxReprojectionErrorPx: number; minDistance: number; sceneRadius: number };
}

// ---------------------------------------------------------------------------------------------------
// Step derivation

/**
 * Upper bound D of the operator norm of the Jacobian of the OpenCV distortion over radius ≤ r:
 * J = radial·I + 2·(k1 + 2k2r²)·v·vᵀ + T (v = (x, y), T the tangential part), so
 * ‖J‖ ≤ 1 + 3|k1|r² + 5|k2|r⁴ + 12(|p1| + |p2|)·r, with r ≤ (1 + r²)/2 to avoid a square root.
 */
export function distortionGain(intr: Intrinsics, rMax2: number): number {
  const r = (1 + rMax2) / 2;
  return (
    1 +
    3 * Math.abs(intr.k1) * rMax2 +
    5 * Math.abs(intr.k2) * rMax2 * rMax2 +
    12 * (Math.abs(intr.p1) + Math.abs(intr.p2)) * r
  );
}

/** Largest squared undistorted normalized radius over the image boundary (64 samples per edge). */
function maxRadius2(intr: Intrinsics): number {
  const { width: w, height: h } = intr;
  const distorted = intr.k1 !== 0 || intr.k2 !== 0 || intr.p1 !== 0 || intr.p2 !== 0;
  let best = 0;
  const visit = (px: number, py: number): void => {
    let x = (px - intr.cx) / intr.fx;
    let y = (py - intr.cy) / intr.fy;
    if (distorted) [x, y] = undistort(intr, x, y);
    const r2 = x * x + y * y;
    if (r2 > best) best = r2;
  };
  const n = distorted ? 64 : 1;
  for (let i = 0; i <= n; i++) {
    const s = i / n;
    visit(s * w, 0);
    visit(s * w, h);
    visit(0, s * h);
    visit(w, s * h);
  }
  return best;
}

/** The largest float32 ≤ x (x > 0, finite). */
function float32Down(x: number): number {
  const f = Math.fround(x);
  if (f <= x) return f;
  const buf = new Float32Array([f]);
  new Uint32Array(buf.buffer)[0] -= 1;
  return buf[0];
}

/**
 * Derives the quantization steps for a sequence (see the module doc): the bound B, split half for the
 * rotation and half for the centre, at the smallest distance d_min.
 *
 * @param c2w the poses (only their centres are read, for the default d_min).
 */
export function derivePoseQuantization(
  intr: Intrinsics,
  c2w: readonly Float64Array[],
  opts: Partial<PoseCodecOptions> = {},
): PoseQuantization {
  checkIntrinsics(intr);
  const o = resolveOptions(opts);
  let minDistance = o.minDistance;
  if (minDistance === undefined) {
    let minNorm2 = Infinity;
    for (const m of c2w) minNorm2 = Math.min(minNorm2, m[3] * m[3] + m[7] * m[7] + m[11] * m[11]);
    minDistance = o.sceneRadius / 16;
    if (minNorm2 !== Infinity) minDistance = Math.max(minDistance, Math.sqrt(minNorm2) - o.sceneRadius);
  }
  const rMax2 = maxRadius2(intr);
  const gain = Math.max(intr.fx, intr.fy) * distortionGain(intr, rMax2) * (1 + rMax2);
  const budget = (o.maxReprojectionErrorPx * BOUND_SAFETY) / 2;
  const epsMax = budget / gain;
  const half = epsMax / 2;
  let rotationStep = float32Down(Math.min(MAX_ROT_STEP, half - (half * half * half) / 6));
  if (!(rotationStep >= MIN_ROT_STEP)) {
    throw new TypeError(
      `opts.maxReprojectionErrorPx: ${o.maxReprojectionErrorPx} px needs a quaternion step below 2^-30 ` +
        `with a gain of ${gain.toPrecision(4)} px/rad; use a larger bound`,
    );
  }
  const centreMax = (budget * minDistance) / gain;
  const translationStep = float32Down(Math.min(2 ** 100, 1.1547 * centreMax));
  if (!(translationStep >= 2 ** -100)) {
    throw new TypeError(`opts.minDistance: the centre step ${translationStep} is too small; use a larger bound`);
  }
  return {
    rotationStep,
    translationStep,
    maxRotationError: epsMax,
    maxCentreError: centreMax,
    minDistance,
    gain,
    maxReprojectionErrorPx: o.maxReprojectionErrorPx,
    sceneRadius: o.sceneRadius,
  };
}

function resolveOptions(opts: Partial<PoseCodecOptions>): PoseCodecOptions {
  const o = { ...POSE_CODEC_DEFAULTS, ...opts };
  for (const [k, v] of [
    ['maxReprojectionErrorPx', o.maxReprojectionErrorPx],
    ['sceneRadius', o.sceneRadius],
    ['minDistance', o.minDistance],
  ] as const) {
    if (k === 'minDistance' && v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) {
      throw new TypeError(`opts.${k}, when provided, must be a finite number > 0, got ${String(v)}`);
    }
  }
  if (Math.fround(o.maxReprojectionErrorPx) === Infinity) {
    throw new TypeError(`opts.maxReprojectionErrorPx must fit a float32, got ${o.maxReprojectionErrorPx}`);
  }
  return o;
}

function checkIntrinsics(intr: Intrinsics): void {
  for (const k of ['width', 'height'] as const) {
    const v = intr[k];
    if (!Number.isInteger(v) || v < 1 || v > 0xffffffff) {
      throw new TypeError(`intr.${k} must be an integer in [1, 2^32 − 1], got ${String(v)}`);
    }
  }
  for (const k of ['fx', 'fy', 'cx', 'cy', 'k1', 'k2', 'p1', 'p2'] as const) {
    const v = intr[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new TypeError(`intr.${k} must be a finite number, got ${String(v)}`);
    }
  }
  if (!(intr.fx > 0) || !(intr.fy > 0)) {
    throw new TypeError(`intr.fx and intr.fy must be > 0, got ${intr.fx} and ${intr.fy}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Rotations

/**
 * Unit quaternion (w, x, y, z) of a rotation matrix (Shepperd's method: the largest of 1 + trace and
 * 1 + 2R_ii − trace under the square root), normalized.
 */
function matrixToQuaternion(m: Float64Array): [number, number, number, number] {
  const m00 = m[0], m01 = m[1], m02 = m[2];
  const m10 = m[4], m11 = m[5], m12 = m[6];
  const m20 = m[8], m21 = m[9], m22 = m[10];
  const tr = m00 + m11 + m22;
  let w: number, x: number, y: number, z: number;
  if (tr >= m00 && tr >= m11 && tr >= m22) {
    const s = 2 * Math.sqrt(1 + tr);
    w = s / 4;
    x = (m21 - m12) / s;
    y = (m02 - m20) / s;
    z = (m10 - m01) / s;
  } else if (m00 >= m11 && m00 >= m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    w = (m21 - m12) / s;
    x = s / 4;
    y = (m01 + m10) / s;
    z = (m02 + m20) / s;
  } else if (m11 >= m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    w = (m02 - m20) / s;
    x = (m01 + m10) / s;
    y = s / 4;
    z = (m12 + m21) / s;
  } else {
    const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
    w = (m10 - m01) / s;
    x = (m02 + m20) / s;
    y = (m12 + m21) / s;
    z = s / 4;
  }
  const n = Math.sqrt(w * w + x * x + y * y + z * z);
  return [w / n, x / n, y / n, z / n];
}

/**
 * Writes the rotation of the (not necessarily unit) quaternion (w, x, y, z) into the 3x3 block of
 * `out` (3x4 row-major): R = I + s·(…) with s = 2/|q|², exact for any non-zero q.
 */
function quaternionToMatrix(w: number, x: number, y: number, z: number, out: Float64Array): void {
  const s = 2 / (w * w + x * x + y * y + z * z);
  const xx = x * x * s, yy = y * y * s, zz = z * z * s;
  const xy = x * y * s, xz = x * z * s, yz = y * z * s;
  const wx = w * x * s, wy = w * y * s, wz = w * z * s;
  out[0] = 1 - (yy + zz);
  out[1] = xy - wz;
  out[2] = xz + wy;
  out[4] = xy + wz;
  out[5] = 1 - (xx + zz);
  out[6] = yz - wx;
  out[8] = xz - wy;
  out[9] = yz + wx;
  out[10] = 1 - (xx + yy);
}

/** Throws a TypeError unless the 3x3 block of `m` is a rotation to within 1e-3. */
function checkPose(m: Float64Array, i: number): void {
  if (!(m instanceof Float64Array) || (m.length !== 12 && m.length !== 16)) {
    throw new TypeError(`c2w[${i}] must be a Float64Array of 12 (3x4) or 16 (4x4) values`);
  }
  for (let k = 0; k < 12; k++) {
    if (!Number.isFinite(m[k])) throw new TypeError(`c2w[${i}][${k}] must be finite, got ${m[k]}`);
  }
  let worst = 0;
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      const dot = m[a] * m[b] + m[4 + a] * m[4 + b] + m[8 + a] * m[8 + b];
      worst = Math.max(worst, Math.abs(dot - (a === b ? 1 : 0)));
    }
  }
  const det =
    m[0] * (m[5] * m[10] - m[6] * m[9]) - m[1] * (m[4] * m[10] - m[6] * m[8]) + m[2] * (m[4] * m[9] - m[5] * m[8]);
  if (!(worst <= 1e-3) || !(det > 0)) {
    throw new TypeError(`c2w[${i}]: the 3x3 block is not a rotation (|RᵀR − I| = ${worst}, det = ${det})`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Prediction and the adaptive binary model

/** Order-k polynomial extrapolation of the values v[i−1], v[i−2], v[i−3] (k limited by i). */
function predict(v: Float64Array, stride: number, i: number, comp: number, order: number): number {
  const k = Math.min(order, i);
  if (k === 0) return 0;
  const a = v[(i - 1) * stride + comp];
  if (k === 1) return a;
  const b = v[(i - 2) * stride + comp];
  if (k === 2) return 2 * a - b;
  return 3 * a - 3 * b + v[(i - 3) * stride + comp];
}

/** Number of bits of |r| (0 for 0), capped at CLASSES − 1: the activity class of the next residual. */
function classOf(r: number): number {
  const m = Math.abs(r);
  return m === 0 ? 0 : m === 1 ? 1 : m <= 3 ? 2 : 3;
}

// Context layout per (set, component).
const CTX_ZERO = 0; // + class
const CTX_SIGN = CTX_ZERO + CLASSES; // + previous sign (0: zero, 1: +, 2: −)
const CTX_PREFIX = CTX_SIGN + 3; // + class·PREFIX_CTX + min(j, PREFIX_CTX − 1)
const CTX_SUFFIX = CTX_PREFIX + CLASSES * PREFIX_CTX; // + k
const CTX_PER_COMPONENT = CTX_SUFFIX + MAX_PREFIX + 1;

/** Adaptive binary contexts: integer count pairs, KT-initialized, halved at COUNT_LIMIT. */
class ContextModel {
  private readonly c0: Uint16Array;
  private readonly c1: Uint16Array;

  constructor(n: number) {
    this.c0 = new Uint16Array(n).fill(1);
    this.c1 = new Uint16Array(n).fill(1);
  }

  /** P(bit = 1) in 1/65536 units, in [PROB_FLOOR, 65536 − PROB_FLOOR]. */
  p1(ctx: number): number {
    const c1 = this.c1[ctx];
    const p = Math.floor((c1 * PROB_ONE) / (this.c0[ctx] + c1));
    return p < PROB_FLOOR ? PROB_FLOOR : p > PROB_ONE - PROB_FLOOR ? PROB_ONE - PROB_FLOOR : p;
  }

  update(ctx: number, bit: 0 | 1): void {
    if (bit) this.c1[ctx] += 2;
    else this.c0[ctx] += 2;
    if (this.c0[ctx] + this.c1[ctx] > COUNT_LIMIT) {
      this.c0[ctx] = (this.c0[ctx] + 1) >> 1;
      this.c1[ctx] = (this.c1[ctx] + 1) >> 1;
    }
  }
}

/** Per-component state shared by the residual encoder and decoder. */
class ResidualCoder {
  readonly model = new ContextModel(2 * COMPONENTS * CTX_PER_COMPONENT);
  private readonly prev = new Float64Array(COMPONENTS); // previous residual per component

  private base(set: number, comp: number): number {
    return (set * COMPONENTS + comp) * CTX_PER_COMPONENT;
  }

  encode(enc: BinaryEncoder, set: number, comp: number, r: number): void {
    const base = this.base(set, comp);
    const prev = this.prev[comp];
    const cls = classOf(prev);
    const m = this.model;
    const bit = (ctx: number, b: 0 | 1): void => {
      enc.encode(b, m.p1(ctx));
      m.update(ctx, b);
    };
    bit(base + CTX_ZERO + cls, r === 0 ? 1 : 0);
    if (r !== 0) {
      bit(base + CTX_SIGN + (prev === 0 ? 0 : prev > 0 ? 1 : 2), r < 0 ? 1 : 0);
      const a = Math.abs(r);
      let k = 0;
      while (2 ** (k + 1) <= a) k++;
      if (k > MAX_PREFIX) throw new Error(`pose codec: residual ${r} out of range`); // unreachable
      const pre = base + CTX_PREFIX + cls * PREFIX_CTX;
      for (let j = 0; j < k; j++) bit(pre + Math.min(j, PREFIX_CTX - 1), 1);
      if (k < MAX_PREFIX) bit(pre + Math.min(k, PREFIX_CTX - 1), 0);
      const rest = a - 2 ** k;
      for (let j = k - 1; j >= 0; j--) {
        const b = (Math.floor(rest / 2 ** j) % 2) as 0 | 1;
        if (j === k - 1) bit(base + CTX_SUFFIX + k, b);
        else enc.encode(b, PROB_ONE / 2);
      }
    }
    this.prev[comp] = r;
  }

  decode(dec: BinaryDecoder, set: number, comp: number): number {
    const base = this.base(set, comp);
    const prev = this.prev[comp];
    const cls = classOf(prev);
    const m = this.model;
    const bit = (ctx: number): 0 | 1 => {
      const b = dec.decode(m.p1(ctx));
      m.update(ctx, b);
      return b;
    };
    let r = 0;
    if (bit(base + CTX_ZERO + cls) === 0) {
      const negative = bit(base + CTX_SIGN + (prev === 0 ? 0 : prev > 0 ? 1 : 2)) === 1;
      const pre = base + CTX_PREFIX + cls * PREFIX_CTX;
      let k = 0;
      while (k < MAX_PREFIX && bit(pre + Math.min(k, PREFIX_CTX - 1)) === 1) k++;
      let a = 1;
      for (let j = k - 1; j >= 0; j--) {
        const b = j === k - 1 ? bit(base + CTX_SUFFIX + k) : dec.decode(PROB_ONE / 2);
        a = 2 * a + b;
      }
      r = negative ? -a : a;
    }
    this.prev[comp] = r;
    return r;
  }
}

// ---------------------------------------------------------------------------------------------------
// Encoder

/** Quantized quaternions (4 per frame) with the sign of each chosen against the order-k prediction. */
function quantizeRotations(quats: Float64Array, n: number, step: number, order: number): Float64Array {
  const v = new Float64Array(4 * n);
  for (let i = 0; i < n; i++) {
    let costPlus = 0;
    let costMinus = 0;
    const plus = [0, 0, 0, 0];
    const minus = [0, 0, 0, 0];
    for (let c = 0; c < 4; c++) {
      const q = quats[4 * i + c];
      const pred = predict(v, 4, i, c, order);
      plus[c] = Math.round(q / step);
      minus[c] = Math.round(-q / step);
      costPlus += Math.abs(plus[c] - pred);
      costMinus += Math.abs(minus[c] - pred);
    }
    // Ties (frame 0 among them, and every frame with k = 0) take the sign with w ≥ 0.
    const pick = costMinus < costPlus || (costMinus === costPlus && quats[4 * i] < 0) ? minus : plus;
    for (let c = 0; c < 4; c++) v[4 * i + c] = pick[c];
  }
  return v;
}

/** The range-coded residuals of all frames for one pair of predictor orders. */
function codeResiduals(
  rot: Float64Array,
  trans: Float64Array,
  n: number,
  rotOrder: number,
  transOrder: number,
): Uint8Array {
  const enc = new BinaryEncoder();
  const coder = new ResidualCoder();
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 4; c++) {
      coder.encode(enc, i < rotOrder ? 1 : 0, c, rot[4 * i + c] - predict(rot, 4, i, c, rotOrder));
    }
    for (let c = 0; c < 3; c++) {
      coder.encode(enc, i < transOrder ? 1 : 0, 4 + c, trans[3 * i + c] - predict(trans, 3, i, c, transOrder));
    }
  }
  return enc.finish();
}

/**
 * Encodes intrinsics and camera-to-world poses into the `CAMERA` payload (format in the module doc).
 * Deterministic: the same input gives the same bytes in every ECMAScript engine.
 *
 * @param intr the camera intrinsics (stored exactly, as float64).
 * @param c2w camera-to-world poses, 3x4 row-major Float64Array(12) (a 4x4 Float64Array(16) is accepted
 *   and its last row ignored); the 3x3 blocks must be rotations.
 * @param opts the bound and the scene extent; see {@link PoseCodecOptions}.
 */
export function encodePoses(
  intr: Intrinsics,
  c2w: readonly Float64Array[],
  opts: Partial<PoseCodecOptions> = {},
): Uint8Array {
  checkIntrinsics(intr);
  if (!Array.isArray(c2w)) throw new TypeError('c2w must be an array of Float64Array poses');
  const n = c2w.length;
  if (n > MAX_POSE_FRAMES) throw new TypeError(`c2w: at most ${MAX_POSE_FRAMES} frames, got ${n}`);
  c2w.forEach(checkPose);
  const qz = derivePoseQuantization(intr, c2w, opts);

  const quats = new Float64Array(4 * n);
  const trans = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    quats.set(matrixToQuaternion(c2w[i]), 4 * i);
    for (let c = 0; c < 3; c++) {
      const m = Math.round(c2w[i][4 * c + 3] / qz.translationStep);
      if (!(Math.abs(m) <= MAX_T_INT)) {
        throw new TypeError(
          `c2w[${i}]: the camera centre is too far from the origin for the centre step ` +
            `${qz.translationStep} (more than 2^30 steps); use a larger bound or minDistance`,
        );
      }
      trans[3 * i + c] = m;
    }
  }

  let best: { payload: Uint8Array; rotOrder: number; transOrder: number } | undefined;
  for (let rotOrder = 0; rotOrder <= 3; rotOrder++) {
    const rot = quantizeRotations(quats, n, qz.rotationStep, rotOrder);
    for (let transOrder = 0; transOrder <= 3; transOrder++) {
      const payload = codeResiduals(rot, trans, n, rotOrder, transOrder);
      if (best === undefined || payload.length < best.payload.length) best = { payload, rotOrder, transOrder };
    }
  }
  const { payload, rotOrder, transOrder } = best!;

  const distorted = intr.k1 !== 0 || intr.k2 !== 0 || intr.p1 !== 0 || intr.p2 !== 0;
  const headerSize = 16 + 32 + (distorted ? 32 : 0) + 20;
  const out = new Uint8Array(headerSize + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint8(0, POSE_CODEC_VERSION);
  dv.setUint8(1, distorted ? 1 : 0);
  dv.setUint8(2, rotOrder);
  dv.setUint8(3, transOrder);
  dv.setUint32(4, n, true);
  dv.setUint32(8, intr.width, true);
  dv.setUint32(12, intr.height, true);
  let p = 16;
  const f64s = distorted
    ? [intr.fx, intr.fy, intr.cx, intr.cy, intr.k1, intr.k2, intr.p1, intr.p2]
    : [intr.fx, intr.fy, intr.cx, intr.cy];
  for (const v of f64s) {
    dv.setFloat64(p, v, true);
    p += 8;
  }
  for (const v of [qz.rotationStep, qz.translationStep, qz.maxReprojectionErrorPx, qz.minDistance, qz.sceneRadius]) {
    dv.setFloat32(p, v, true);
    p += 4;
  }
  out.set(payload, p);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Decoder

function fail(message: string): never {
  throw new BitstreamError(`${SECTION}: ${message}`, SECTION);
}

/**
 * Decodes a payload written by {@link encodePoses}. Throws a {@link BitstreamError} for a truncated,
 * corrupted or newer-version payload (never loops: at most 256 frames per payload byte are decoded,
 * and decoding stops as soon as the range decoder reads past the end).
 */
export function decodePoses(bytes: Uint8Array): DecodedPoses {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodePoses: bytes must be a Uint8Array');
  if (bytes.length < 4) fail(`truncated: the header needs at least 4 bytes, the payload has ${bytes.length}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint8(0);
  if (version !== POSE_CODEC_VERSION) {
    fail(`unsupported version ${version} (this decoder reads version ${POSE_CODEC_VERSION})`);
  }
  const flags = dv.getUint8(1);
  if ((flags & ~1) !== 0) fail(`unknown flags 0x${flags.toString(16)} (only bit 0 is defined)`);
  const distorted = (flags & 1) !== 0;
  const headerSize = 16 + 32 + (distorted ? 32 : 0) + 20;
  if (bytes.length < headerSize) {
    fail(`truncated: the header needs ${headerSize} bytes, the payload has ${bytes.length}`);
  }
  const rotOrder = dv.getUint8(2);
  const transOrder = dv.getUint8(3);
  if (rotOrder > 3 || transOrder > 3) {
    fail(`predictor orders must be 0..3, got rotation ${rotOrder} and translation ${transOrder}`);
  }
  const n = dv.getUint32(4, true);
  const rangeBytes = bytes.length - headerSize;
  if (n > MAX_POSE_FRAMES || n > MAX_FRAMES_PER_BYTE * rangeBytes) {
    fail(
      `frame count ${n} is impossible for ${rangeBytes} range-coded bytes (at most ` +
        `${Math.min(MAX_POSE_FRAMES, MAX_FRAMES_PER_BYTE * rangeBytes)}); truncated or corrupted`,
    );
  }
  const width = dv.getUint32(8, true);
  const height = dv.getUint32(12, true);
  if (width < 1 || height < 1) fail(`image size ${width}x${height} must be at least 1x1`);
  let p = 16;
  const f64 = (): number => {
    const v = dv.getFloat64(p, true);
    p += 8;
    return v;
  };
  const intrinsics: Intrinsics = {
    width,
    height,
    fx: f64(),
    fy: f64(),
    cx: f64(),
    cy: f64(),
    k1: 0,
    k2: 0,
    p1: 0,
    p2: 0,
  };
  if (distorted) {
    intrinsics.k1 = f64();
    intrinsics.k2 = f64();
    intrinsics.p1 = f64();
    intrinsics.p2 = f64();
  }
  for (const k of ['fx', 'fy', 'cx', 'cy', 'k1', 'k2', 'p1', 'p2'] as const) {
    if (!Number.isFinite(intrinsics[k])) fail(`intrinsic ${k} is not finite (${intrinsics[k]})`);
  }
  if (!(intrinsics.fx > 0 && intrinsics.fy > 0)) {
    fail(`focal lengths must be > 0, got ${intrinsics.fx}, ${intrinsics.fy}`);
  }
  const f32 = (): number => {
    const v = dv.getFloat32(p, true);
    p += 4;
    return v;
  };
  const rotStep = f32();
  const transStep = f32();
  const bound = { maxReprojectionErrorPx: f32(), minDistance: f32(), sceneRadius: f32() };
  if (!(rotStep >= MIN_ROT_STEP && rotStep <= MAX_ROT_STEP)) {
    fail(`quaternion step ${rotStep} outside [2^-30, 0.25]`);
  }
  if (!(transStep > 0 && transStep < Infinity)) fail(`centre step ${transStep} must be finite and > 0`);
  const maxQ = Math.floor(1 / rotStep) + 1;

  const dec = new BinaryDecoder(bytes.subarray(headerSize));
  const coder = new ResidualCoder();
  const rot = new Float64Array(4 * n);
  const trans = new Float64Array(3 * n);
  const c2w: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 4; c++) {
      const v = predict(rot, 4, i, c, rotOrder) + coder.decode(dec, i < rotOrder ? 1 : 0, c);
      if (!(Math.abs(v) <= maxQ)) fail(`frame ${i}: quaternion component ${v}·Δq out of range; corrupted`);
      rot[4 * i + c] = v;
    }
    for (let c = 0; c < 3; c++) {
      const v = predict(trans, 3, i, c, transOrder) + coder.decode(dec, i < transOrder ? 1 : 0, 4 + c);
      if (!(Math.abs(v) <= MAX_T_INT)) fail(`frame ${i}: camera centre ${v}·Δt out of range; corrupted`);
      trans[3 * i + c] = v;
    }
    if (dec.overrun > 0) {
      fail(`truncated: frame ${i} of ${n} reads past the end of the ${rangeBytes} range-coded bytes`);
    }
    const w = rot[4 * i] * rotStep;
    const x = rot[4 * i + 1] * rotStep;
    const y = rot[4 * i + 2] * rotStep;
    const z = rot[4 * i + 3] * rotStep;
    // A valid stream has |q'| ≥ 1 − Δq ≥ 0.75.
    if (!(w * w + x * x + y * y + z * z >= 0.5)) fail(`frame ${i}: quaternion norm far from 1; corrupted`);
    const m = new Float64Array(12);
    quaternionToMatrix(w, x, y, z, m);
    m[3] = trans[3 * i] * transStep;
    m[7] = trans[3 * i + 1] * transStep;
    m[11] = trans[3 * i + 2] * transStep;
    c2w.push(m);
  }
  dec.checkEnd(SECTION);
  return { intrinsics, c2w, bound };
}
