/**
 * The sample's camera path and pinhole intrinsics, in the instant-ngp / NeRF `transforms.json`
 * convention: poses are camera-to-world 4×4 matrices whose camera looks along its −z axis with
 * +y up in the image and +x right (OpenGL); the world's up axis is +z.
 *
 * Camera i sits on a sphere of radius `distance` around the origin at azimuth
 * `startAzimuthDeg + orbitDeg·i/frames` and elevation `elevationDeg + elevationSwingDeg·sin(2π·i/frames)`
 * (one bob per orbit, so a full 360° orbit closes smoothly), looking at the origin.
 */
import type { ResolvedSampleOptions } from './options.ts';

/** Pinhole intrinsics in pixels (pixel (i, j) has its centre at (i + 0.5, j + 0.5), y down). */
export interface SampleIntrinsics {
  /** Image width, pixels. */
  width: number;
  /** Image height, pixels. */
  height: number;
  /** Horizontal field of view, radians (`camera_angle_x`). */
  angleX: number;
  /** Vertical field of view, radians (`camera_angle_y`). */
  angleY: number;
  /** Focal length along x, pixels. */
  fx: number;
  /** Focal length along y, pixels (square pixels: equal to fx). */
  fy: number;
  /** Principal point x, pixels (the image centre). */
  cx: number;
  /** Principal point y, pixels (the image centre). */
  cy: number;
}

/** World up axis of the sample (instant-ngp datasets are z-up). */
export const WORLD_UP: readonly [number, number, number] = [0, 0, 1];

/** Intrinsics for the resolved options: square pixels, principal point at the image centre. */
export function sampleIntrinsics(o: Pick<ResolvedSampleOptions, 'width' | 'height' | 'fovDeg'>): SampleIntrinsics {
  const angleX = (o.fovDeg * Math.PI) / 180;
  const fx = (0.5 * o.width) / Math.tan(angleX / 2);
  const angleY = 2 * Math.atan((0.5 * o.height) / fx);
  return { width: o.width, height: o.height, angleX, angleY, fx, fy: fx, cx: o.width / 2, cy: o.height / 2 };
}

/**
 * Camera-to-world matrix (4×4, row-major, 16 values) of a camera at `eye` looking at `target`
 * with world up +z: columns are right (+x), up (+y), back (+z = −forward) and the position.
 */
export function lookAt(eye: readonly [number, number, number], target: readonly [number, number, number]): Float64Array {
  let fx = target[0] - eye[0];
  let fy = target[1] - eye[1];
  let fz = target[2] - eye[2];
  const fl = Math.hypot(fx, fy, fz);
  fx /= fl;
  fy /= fl;
  fz /= fl;
  // right = forward × worldUp(0, 0, 1)
  let rx = fy;
  let ry = -fx;
  let rz = 0;
  const rl = Math.hypot(rx, ry, rz);
  if (rl < 1e-9) throw new RangeError('lookAt: the view direction is parallel to the world up axis');
  rx /= rl;
  ry /= rl;
  rz /= rl;
  // up = right × forward
  const ux = ry * fz - rz * fy;
  const uy = rz * fx - rx * fz;
  const uz = rx * fy - ry * fx;
  return Float64Array.of(
    rx, ux, -fx, eye[0],
    ry, uy, -fy, eye[1],
    rz, uz, -fz, eye[2],
    0, 0, 0, 1,
  );
}

/** The camera-to-world matrices (4×4 row-major) of all frames of the orbit. */
export function orbitPoses(
  o: Pick<ResolvedSampleOptions, 'frames' | 'distance' | 'elevationDeg' | 'elevationSwingDeg' | 'orbitDeg' | 'startAzimuthDeg'>,
): Float64Array[] {
  const deg = Math.PI / 180;
  const poses: Float64Array[] = [];
  for (let i = 0; i < o.frames; i++) {
    const phase = i / o.frames;
    const az = (o.startAzimuthDeg + o.orbitDeg * phase) * deg;
    const el = (o.elevationDeg + o.elevationSwingDeg * Math.sin(2 * Math.PI * phase)) * deg;
    const eye: [number, number, number] = [
      o.distance * Math.cos(el) * Math.cos(az),
      o.distance * Math.cos(el) * Math.sin(az),
      o.distance * Math.sin(el),
    ];
    poses.push(lookAt(eye, [0, 0, 0]));
  }
  return poses;
}
