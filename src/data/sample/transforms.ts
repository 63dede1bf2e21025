/**
 * Builds the sample's `transforms.json` (instant-ngp / NeRF format): intrinsics, `aabb_scale: 1`,
 * the z-up world (`"up": [0, 0, 1]`), instant-ngp's default `scale`/`offset` written out
 * explicitly, and one entry per frame with its image, mask and camera-to-world matrix.
 */
import type { SampleIntrinsics } from './camera-path.ts';

/** One frame entry of {@link SampleTransforms}. */
export interface SampleTransformsFrame {
  /** RGB image, relative to the folder of transforms.json. */
  file_path: string;
  /** Object mask (8-bit grey, 255 = object), relative to the folder of transforms.json. */
  mask_path: string;
  /** Camera-to-world 4×4 (OpenGL convention: camera looks along −z, +y up, +x right). */
  transform_matrix: number[][];
}

/** The JSON written to `transforms.json`. */
export interface SampleTransforms {
  camera_angle_x: number;
  camera_angle_y: number;
  fl_x: number;
  fl_y: number;
  cx: number;
  cy: number;
  w: number;
  h: number;
  k1: 0;
  k2: 0;
  p1: 0;
  p2: 0;
  /** instant-ngp's bounding-box size; the whole object lies within |p| < 1.3. */
  aabb_scale: 1;
  /** instant-ngp's world → unit-cube map `p·scale + offset` (its defaults, written out). */
  scale: number;
  offset: [number, number, number];
  /** World up axis. */
  up: [number, number, number];
  frames: SampleTransformsFrame[];
}

/** Relative image path of frame i (`images/frame_0000.png`). */
export function imagePath(i: number): string {
  return `images/frame_${String(i).padStart(4, '0')}.png`;
}

/** Relative mask path of frame i (`masks/frame_0000.png`). */
export function maskPath(i: number): string {
  return `masks/frame_${String(i).padStart(4, '0')}.png`;
}

/** Rounds to 9 decimals so the JSON stays readable without losing meaningful precision. */
function round9(v: number): number {
  const r = Math.round(v * 1e9) / 1e9;
  return Object.is(r, -0) ? 0 : r;
}

/** The transforms.json object for the given intrinsics and 4×4 row-major camera-to-world poses. */
export function buildTransforms(intr: SampleIntrinsics, poses: readonly Float64Array[]): SampleTransforms {
  return {
    camera_angle_x: round9(intr.angleX),
    camera_angle_y: round9(intr.angleY),
    fl_x: round9(intr.fx),
    fl_y: round9(intr.fy),
    cx: intr.cx,
    cy: intr.cy,
    w: intr.width,
    h: intr.height,
    k1: 0,
    k2: 0,
    p1: 0,
    p2: 0,
    aabb_scale: 1,
    scale: 0.33,
    offset: [0.5, 0.5, 0.5],
    up: [0, 0, 1],
    frames: poses.map((m, i) => ({
      file_path: imagePath(i),
      mask_path: maskPath(i),
      transform_matrix: [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((c) => round9(m[r * 4 + c]!))),
    })),
  };
}
