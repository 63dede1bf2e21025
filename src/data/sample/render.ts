/**
 * CPU ray tracer of the synthetic sample: one frame = RGB image (object + background, sRGB) and
 * the object's anti-aliased alpha mask.
 *
 * Anti-aliasing: `samplesPerPixel` rays per pixel, on an n×n jittered grid when the count is a
 * perfect square, n-rooks (one sample per row and per column of an n×n grid, shuffled) otherwise,
 * and the pixel centre when it is 1. Colours are averaged in linear RGB, then encoded to sRGB;
 * the mask is the fraction of a pixel's rays that hit the object.
 *
 * Shading is Lambertian and view-independent: ambient (with a little sky/ground tint and contact
 * occlusion on the floor) plus two directional lights fixed in world space, with hard shadows cast
 * by the object on itself and on the floor. The backdrop is unlit (it shows its own colour), so the
 * only thing that changes between frames is the camera.
 *
 * Everything runs in typed arrays; the per-ray path allocates nothing.
 */
import { hash3, mulberry32 } from './hash.ts';
import {
  FLOOR_Z, HIT_AUX, HIT_T, OBJECT_BOUND_RADIUS, PART_FLOOR, PART_NONE, PEDESTAL_RADIUS, hit, surfaceNormal,
  traceBackground, traceObject,
} from './scene.ts';
import { albedo, backdropRadiance, floorAlbedo, objectAlbedo } from './textures.ts';
import type { SampleIntrinsics } from './camera-path.ts';

/** One rendered frame. */
export interface RenderedFrame {
  /** RGB24 pixels, rows top to bottom, sRGB. */
  rgb: Uint8Array;
  /** Object alpha, one byte per pixel (255 = object), anti-aliased at the silhouette. */
  mask: Uint8Array;
}

/** Directional lights: unit direction towards the light, then linear RGB intensity. */
const LIGHTS = (() => {
  const raw: Array<[number, number, number, number, number, number]> = [
    [0.55, -0.45, 0.75, 0.95, 0.9, 0.82], // warm key light, high on one side
    [-0.6, 0.7, 0.4, 0.32, 0.38, 0.5], // cool fill light, lower on the other side
  ];
  const out = new Float64Array(raw.length * 6);
  raw.forEach((l, i) => {
    const n = Math.hypot(l[0], l[1], l[2]);
    out.set([l[0] / n, l[1] / n, l[2] / n, l[3], l[4], l[5]], i * 6);
  });
  return out;
})();
const LIGHT_COUNT = LIGHTS.length / 6;
const AMBIENT_R = 0.17;
const AMBIENT_G = 0.18;
const AMBIENT_B = 0.21;
/** Shadow rays start this far off the surface (world units) to avoid self-intersection. */
const SHADOW_BIAS = 1e-3;

/** Linear [0, 1] → sRGB byte, tabulated. */
const SRGB_LUT_SIZE = 4096;
const SRGB_LUT = (() => {
  const lut = new Uint8Array(SRGB_LUT_SIZE + 1);
  for (let i = 0; i <= SRGB_LUT_SIZE; i++) {
    const v = i / SRGB_LUT_SIZE;
    const s = v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055;
    lut[i] = Math.round(Math.min(1, Math.max(0, s)) * 255);
  }
  return lut;
})();

function toSrgbByte(v: number): number {
  if (!(v > 0)) return 0;
  if (v >= 1) return 255;
  return SRGB_LUT[(v * SRGB_LUT_SIZE + 0.5) | 0]!;
}

/** Radiance of the last traced ray: linear RGB, then 1 if it hit the object else 0. */
const radiance = new Float64Array(4);
const normal = new Float64Array(3);

/** Sum over the lights of intensity·max(0, n·l)·visibility, plus ambient, into `radiance[0..2]`. */
function irradiance(x: number, y: number, z: number, nx: number, ny: number, nz: number, ambientScale: number): void {
  const hemi = 0.8 + 0.2 * nz; // a little more ambient from the sky than from the ground
  let r = AMBIENT_R * hemi * ambientScale;
  let g = AMBIENT_G * hemi * ambientScale;
  let b = AMBIENT_B * hemi * ambientScale;
  const sx = x + nx * SHADOW_BIAS;
  const sy = y + ny * SHADOW_BIAS;
  const sz = z + nz * SHADOW_BIAS;
  for (let i = 0; i < LIGHT_COUNT; i++) {
    const o = i * 6;
    const lx = LIGHTS[o]!;
    const ly = LIGHTS[o + 1]!;
    const lz = LIGHTS[o + 2]!;
    const ndl = nx * lx + ny * ly + nz * lz;
    if (ndl <= 0) continue;
    if (traceObject(sx, sy, sz, lx, ly, lz, 0, Infinity) !== PART_NONE) continue;
    r += LIGHTS[o + 3]! * ndl;
    g += LIGHTS[o + 4]! * ndl;
    b += LIGHTS[o + 5]! * ndl;
  }
  radiance[0] = r;
  radiance[1] = g;
  radiance[2] = b;
}

/** Traces one primary ray (unit direction) and writes its radiance and object coverage to `radiance`. */
function traceRay(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, seed: number): void {
  const part = traceObject(ox, oy, oz, dx, dy, dz, 0, Infinity);
  if (part !== PART_NONE) {
    const t = hit[HIT_T]!;
    const aux = hit[HIT_AUX]!;
    const x = ox + t * dx;
    const y = oy + t * dy;
    const z = oz + t * dz;
    surfaceNormal(part, aux, x, y, z, normal);
    let nx = normal[0]!;
    let ny = normal[1]!;
    let nz = normal[2]!;
    if (nx * dx + ny * dy + nz * dz > 0) {
      nx = -nx;
      ny = -ny;
      nz = -nz;
    }
    objectAlbedo(part, aux, x, y, z, seed);
    irradiance(x, y, z, nx, ny, nz, 1);
    radiance[0] = radiance[0]! * albedo[0]!;
    radiance[1] = radiance[1]! * albedo[1]!;
    radiance[2] = radiance[2]! * albedo[2]!;
    radiance[3] = 1;
    return;
  }
  const bg = traceBackground(ox, oy, oz, dx, dy, dz);
  const t = hit[HIT_T]!;
  const x = ox + t * dx;
  const y = oy + t * dy;
  const z = oz + t * dz;
  if (bg === PART_FLOOR) {
    floorAlbedo(x, y);
    // Contact occlusion around the pedestal's foot.
    const rho = Math.sqrt(x * x + y * y);
    const ao = rho < OBJECT_BOUND_RADIUS + 0.3 ? 1 - 0.55 * Math.exp(-(rho - PEDESTAL_RADIUS) / 0.12) : 1;
    irradiance(x, y, FLOOR_Z, 0, 0, 1, ao);
    radiance[0] = radiance[0]! * albedo[0]!;
    radiance[1] = radiance[1]! * albedo[1]!;
    radiance[2] = radiance[2]! * albedo[2]!;
  } else {
    backdropRadiance(x, y, z);
    radiance[0] = albedo[0]!;
    radiance[1] = albedo[1]!;
    radiance[2] = albedo[2]!;
  }
  radiance[3] = 0;
}

/** True when n is a perfect square. */
function isSquare(n: number): boolean {
  const r = Math.round(Math.sqrt(n));
  return r * r === n;
}

/**
 * Renders one frame.
 *
 * @param intr pinhole intrinsics (see `sampleIntrinsics`).
 * @param c2w camera-to-world 4×4 row-major (NeRF/OpenGL convention, camera looks along −z).
 * @param samplesPerPixel rays per pixel (≥ 1).
 * @param seed jitter and glyph seed; the jitter of frame `frameIndex` depends only on (seed, frameIndex).
 */
export function renderFrame(
  intr: SampleIntrinsics, c2w: Float64Array, samplesPerPixel: number, seed: number, frameIndex: number,
): RenderedFrame {
  const { width, height, fx, fy, cx, cy } = intr;
  const rgb = new Uint8Array(width * height * 3);
  const mask = new Uint8Array(width * height);
  const spp = samplesPerPixel;
  const n = Math.ceil(Math.sqrt(spp));
  const grid = isSquare(spp);
  const rand = mulberry32(hash3(frameIndex, 0x5a3e, seed));
  const perm = new Int32Array(spp);
  const jx = new Float64Array(spp);
  const jy = new Float64Array(spp);
  const r00 = c2w[0]!, r01 = c2w[1]!, r02 = c2w[2]!, ox = c2w[3]!;
  const r10 = c2w[4]!, r11 = c2w[5]!, r12 = c2w[6]!, oy = c2w[7]!;
  const r20 = c2w[8]!, r21 = c2w[9]!, r22 = c2w[10]!, oz = c2w[11]!;
  const invSpp = 1 / spp;
  for (let py = 0; py < height; py++) {
    for (let px = 0; px < width; px++) {
      // Sub-pixel sample positions in [0, 1)².
      if (spp === 1) {
        jx[0] = 0.5;
        jy[0] = 0.5;
      } else if (grid) {
        for (let k = 0; k < spp; k++) {
          jx[k] = ((k % n) + rand()) / n;
          jy[k] = (Math.floor(k / n) + rand()) / n;
        }
      } else {
        for (let k = 0; k < spp; k++) perm[k] = k;
        for (let k = spp - 1; k > 0; k--) {
          const j = Math.floor(rand() * (k + 1));
          const tmp = perm[k]!;
          perm[k] = perm[j]!;
          perm[j] = tmp;
        }
        for (let k = 0; k < spp; k++) {
          jx[k] = (k + rand()) / spp;
          jy[k] = (perm[k]! + rand()) / spp;
        }
      }
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let k = 0; k < spp; k++) {
        // Camera-space direction (x, −y, −1) for the y-down normalized image coordinate.
        const xc = (px + jx[k]! - cx) / fx;
        const yc = -(py + jy[k]! - cy) / fy;
        let dx = r00 * xc + r01 * yc - r02;
        let dy = r10 * xc + r11 * yc - r12;
        let dz = r20 * xc + r21 * yc - r22;
        const inv = 1 / Math.sqrt(dx * dx + dy * dy + dz * dz);
        dx *= inv;
        dy *= inv;
        dz *= inv;
        traceRay(ox, oy, oz, dx, dy, dz, seed);
        r += radiance[0]!;
        g += radiance[1]!;
        b += radiance[2]!;
        a += radiance[3]!;
      }
      const p = py * width + px;
      rgb[3 * p] = toSrgbByte(r * invSpp);
      rgb[3 * p + 1] = toSrgbByte(g * invSpp);
      rgb[3 * p + 2] = toSrgbByte(b * invSpp);
      mask[p] = Math.round(a * invSpp * 255);
    }
  }
  return { rgb, mask };
}
