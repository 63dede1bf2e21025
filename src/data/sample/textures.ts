/**
 * Procedural albedo textures of the synthetic sample, evaluated per ray hit (no texture images).
 *
 * The object's textures are deliberately detailed, with sharp colour edges at several scales, so
 * that a blurry reconstruction loses visibly more PSNR than a sharp one: a fine checker foot,
 * helical stripes, two bands of printed glyphs (pseudo-random 5×7 symmetric bitmaps, large and
 * small), polka dots at two scales on the wavy band, a zigzag neck with pinstripes, ringed lid,
 * barber-pole handles, a polar-checker pedestal. The floor is tiled and the backdrop a soft
 * wallpaper gradient. Colours are specified in sRGB and returned in linear RGB.
 *
 * Results go to the shared {@link albedo} vector; nothing allocates.
 */
import { hash3 } from './hash.ts';
import {
  BACKDROP_RADIUS, HANDLE_MAJOR, HANDLE_X, HANDLE_Z, LID_Z, PART_BALL, PART_CAP, PART_HANDLE, PART_LID,
  PART_PEDESTAL, PART_RING, PART_ROD, PART_SPOKE, PART_VASE, RIPPLE_COUNT, RIPPLE_S0, RIPPLE_S1, RING_Z, VASE_Z0,
  VASE_Z1,
} from './scene.ts';

/** The last albedo (or backdrop radiance) computed, linear RGB in [0, 1]. */
export const albedo = new Float64Array(3);

const TAU = 2 * Math.PI;

function srgbToLinear(v: number): number {
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

/** A palette colour from 0xRRGGBB (sRGB) as linear RGB. */
function rgb(hex: number): Float64Array {
  return Float64Array.of(
    srgbToLinear(((hex >> 16) & 255) / 255),
    srgbToLinear(((hex >> 8) & 255) / 255),
    srgbToLinear((hex & 255) / 255),
  );
}

const NAVY = rgb(0x1d2b5a);
const CREAM = rgb(0xefe3c8);
const GOLD = rgb(0xd9a52e);
const INK = rgb(0x1a1410);
const TERRACOTTA = rgb(0xb8502e);
const DEEP_BLUE = rgb(0x173f9e);
const CRIMSON = rgb(0xa31621);
const PALE_YELLOW = rgb(0xf3e08a);
const PALE_BLUE = rgb(0x9cc7e8);
const TEAL = rgb(0x138a83);
const WHITE = rgb(0xf4f4ee);
const OCHRE = rgb(0xcf8a1f);
const DARK_GREEN = rgb(0x1f4d2b);
const MID_GREEN = rgb(0x5c9a52);
const SLATE = rgb(0x3b4453);
const LIGHT_GREY = rgb(0xc9cdd2);
const BORDER = rgb(0xa48d68);
const TILE_A = rgb(0x8d8174);
const TILE_B = rgb(0x6b6259);
const TILE_MID = rgb(0x7c7166);
const GROUT = rgb(0x3e3832);
const SKY_TOP = rgb(0x7f93ad);
const SKY_HORIZON = rgb(0xc9bca8);
const WALL_LOW = rgb(0x9d8f80);

function set(c: Float64Array): void {
  albedo[0] = c[0]!;
  albedo[1] = c[1]!;
  albedo[2] = c[2]!;
}

function frac(v: number): number {
  return v - Math.floor(v);
}

/**
 * Bit of a 5×7 glyph (mirror-symmetric, so 3×7 = 21 random bits of `h`) at cell-local (fu, fv),
 * fv measured downwards; the glyph sits in a 7×9 grid with a one-cell margin.
 */
function glyphBit(h: number, fu: number, fv: number): boolean {
  const gx = Math.floor(fu * 7) - 1;
  const gy = Math.floor(fv * 9) - 1;
  if (gx < 0 || gx > 4 || gy < 0 || gy > 6) return false;
  const mx = gx <= 2 ? gx : 4 - gx;
  return ((h >>> (gy * 3 + mx)) & 1) === 1;
}

/** True inside a dot of radius `r` (cell units) centred in the cell of (cu, cv). */
function inDot(cu: number, cv: number, r: number): boolean {
  const a = frac(cu) - 0.5;
  const b = frac(cv) - 0.5;
  return a * a + b * b < r * r;
}

/** Vase body albedo at azimuth fraction u ∈ [0, 1) and normalized height s ∈ [0, 1]. */
function vaseAlbedo(u: number, s: number, seed: number): void {
  if (s < 0.07) {
    // Fine checker foot: 72 around × rows of 0.0117 (≈ 2 cm).
    set(((Math.floor(u * 72) + Math.floor(s / 0.0117)) & 1) === 0 ? NAVY : CREAM);
  } else if (s < 0.085) {
    set(s < 0.0715 || s > 0.0835 ? INK : GOLD);
  } else if (s < 0.3) {
    // Helical stripes, with small ink dots on the cream stripes.
    const w = u * 40 + (s - 0.085) * 30;
    if (frac(w) < 0.5) set(TERRACOTTA);
    else set(inDot(u * 120, s / 0.012, 0.22) ? INK : CREAM);
  } else if (s < 0.31) {
    set(INK);
  } else if (s < 0.5) {
    // Two rows of large glyphs, 24 around, with thin cell borders.
    const cu = u * 24;
    const cv = (s - 0.31) / 0.095;
    const ic = Math.floor(cu);
    const ir = Math.floor(cv);
    const fu = cu - ic;
    const fv = 1 - (cv - ir);
    if (fu < 0.04 || fv < 0.03) set(BORDER);
    else if (glyphBit(hash3(ic, ir + 101, seed), fu, fv)) set(ir === 0 ? DEEP_BLUE : CRIMSON);
    else set(CREAM);
  } else if (s < 0.51) {
    set(GOLD);
  } else if (s < 0.6) {
    // Three rows of small glyphs, 64 around, on alternating pale backgrounds.
    const cu = u * 64;
    const cv = (s - 0.51) / 0.03;
    const ic = Math.floor(cu);
    const ir = Math.floor(cv);
    if (glyphBit(hash3(ic, ir + 211, seed), cu - ic, 1 - (cv - ir))) set(INK);
    else set(((ic + ir) & 1) === 0 ? PALE_YELLOW : PALE_BLUE);
  } else if (s < 0.74) {
    // Wavy band: bands follow the ripples; dots of two sizes.
    const phase = ((s - RIPPLE_S0) / (RIPPLE_S1 - RIPPLE_S0)) * RIPPLE_COUNT;
    if (frac(phase) < 0.5) set(inDot(u * 36, phase * 2, 0.3) ? WHITE : TEAL);
    else set(inDot(u * 108, phase * 6, 0.28) ? TEAL : WHITE);
  } else if (s < 0.9) {
    // Neck: ochre zigzag over dark green with light pinstripes.
    const v = (s - 0.74) / 0.16;
    const tri = Math.abs(frac(u * 30) - 0.5) * 2;
    if (v < 0.25 + 0.45 * tri) set(OCHRE);
    else set(frac(s / 0.006) < 0.3 ? MID_GREEN : DARK_GREEN);
  } else {
    set(Math.abs(s - 0.93) < 0.004 || Math.abs(s - 0.97) < 0.004 ? INK : GOLD);
  }
}

/**
 * Writes the albedo of object part `part` at world point (x, y, z) to {@link albedo}.
 * `aux` is the part's extra from the hit record; `seed` varies the glyphs.
 */
export function objectAlbedo(part: number, aux: number, x: number, y: number, z: number, seed: number): void {
  switch (part) {
    case PART_VASE: {
      const u = Math.atan2(y, x) / TAU + 0.5;
      vaseAlbedo(u, (z - VASE_Z0) / (VASE_Z1 - VASE_Z0), seed);
      return;
    }
    case PART_CAP: {
      const rho = Math.sqrt(x * x + y * y);
      set(frac(rho / 0.024) < 0.5 ? CRIMSON : CREAM);
      return;
    }
    case PART_LID: {
      const lz = z - LID_Z;
      const lat = Math.atan2(lz, Math.sqrt(x * x + y * y));
      const cu = (Math.atan2(y, x) / TAU + 0.5) * 24;
      const cv = (lat / Math.PI + 0.5) * 12;
      if (((Math.floor(cu) + Math.floor(cv)) & 1) === 0) set(inDot(cu, cv, 0.25) ? CREAM : DEEP_BLUE);
      else set(GOLD);
      return;
    }
    case PART_HANDLE: {
      const lx = x - aux * HANDLE_X;
      const lz = z - HANDLE_Z;
      const phi = Math.atan2(lz, lx);
      const theta = Math.atan2(y, Math.sqrt(lx * lx + lz * lz) - HANDLE_MAJOR);
      set(frac((phi / TAU) * 20 + theta / TAU) < 0.5 ? CRIMSON : CREAM);
      return;
    }
    case PART_PEDESTAL: {
      const u = Math.atan2(y, x) / TAU + 0.5;
      if (aux === 1) {
        const rho = Math.sqrt(x * x + y * y);
        if (rho > 0.46 && rho < 0.475) set(INK);
        else set(((Math.floor(u * 36) + Math.floor(rho / 0.05)) & 1) === 0 ? SLATE : LIGHT_GREY);
      } else {
        set((Math.floor(u * 90) & 1) === 0 ? INK : LIGHT_GREY);
      }
      return;
    }
    case PART_ROD:
      set(frac(z / 0.025) < 0.5 ? GOLD : CRIMSON);
      return;
    case PART_BALL:
      set(z > RING_Z + 0.1 ? GOLD : CRIMSON);
      return;
    case PART_RING:
      set(CRIMSON);
      return;
    case PART_SPOKE:
      set(GOLD);
      return;
    default:
      set(WHITE);
  }
}

/** Writes the floor albedo at (x, y) to {@link albedo}: tiles with grout, fading with distance. */
export function floorAlbedo(x: number, y: number): void {
  const tx = x / 0.35;
  const ty = y / 0.35;
  const fx = frac(tx);
  const fy = frac(ty);
  if (fx < 0.04 || fy < 0.04) set(GROUT);
  else set(((Math.floor(tx) + Math.floor(ty)) & 1) === 0 ? TILE_A : TILE_B);
  // Far tiles would only alias: blend them towards the mean tile colour.
  const rho = Math.sqrt(x * x + y * y);
  const fade = Math.min(1, Math.max(0, (rho - 3) / 4));
  if (fade > 0) {
    for (let c = 0; c < 3; c++) albedo[c] = albedo[c]! + (TILE_MID[c]! - albedo[c]!) * fade;
  }
}

/**
 * Writes the backdrop radiance (unlit) at the backdrop point (x, y, z) to {@link albedo}: a
 * vertical gradient with a soft diamond wallpaper and broad vertical panels.
 */
export function backdropRadiance(x: number, y: number, z: number): void {
  const el = Math.asin(Math.max(-1, Math.min(1, z / BACKDROP_RADIUS)));
  const u = Math.atan2(y, x) / TAU + 0.5;
  const v = el / (Math.PI / 2); // 0 at the horizon, 1 straight up
  const lo = v < 0 ? WALL_LOW : SKY_HORIZON;
  const k = Math.min(1, Math.abs(v) * 2.2);
  let shade = 1;
  const a = frac(u * 48) - 0.5;
  const b = frac(v * 16) - 0.5;
  if (Math.abs(a) + Math.abs(b) < 0.3) shade *= 0.88;
  if ((Math.floor(u * 12) & 1) === 0) shade *= 0.93;
  for (let c = 0; c < 3; c++) {
    const top = v < 0 ? WALL_LOW[c]! : SKY_TOP[c]!;
    albedo[c] = (lo[c]! + (top - lo[c]!) * k) * shade;
  }
}
