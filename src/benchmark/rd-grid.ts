/**
 * The settings swept by `reliquary bench rd`: the paper's grids (Zhang & Chen 2025, Sect. 4.3,
 * Figs. 3 and 4) with SVT-AV1 added, and a `--quick` grid sized for a 2-core CPU.
 *
 * FP (Fig. 3): Reliquary over λ ∈ {1e-3, 2e-3, 4e-3, 8e-3} × d_f ∈ {1, 2}; x264 and x265 on the
 * object-only video over GOP ∈ {20, 25} × CRF ∈ {42, 44, 46, 48, 50}.
 * PC (Fig. 4): Reliquary at λ = 0.008, d_f = 2 with the background stream over GOP ∈ {30, 60, 90} ×
 * CRF ∈ {42, 44, 46, 47, 48, 49, 50}; x264 on the full video over GOP ∈ {20, 25, 30} × CRF ∈
 * {38, 40, 42, 44, 46}.
 * SVT-AV1's CRF scale runs to 63 and its quality at a given number is higher than x264's, so its
 * grid sits higher (51…63); every anchor's range is then extended as needed (see `rd-runner.ts`).
 */
import type { AnchorCodec } from './anchors.ts';

/** CRFs × GOPs of one anchor codec. */
export interface AnchorGrid {
  crfs: number[];
  gops: number[];
}

/** Everything one benchmark run sweeps. */
export interface RdGrid {
  /** FP experiment: Reliquary λ × d_f, anchors on the object-only video. */
  fp: { lambdas: number[]; dfs: number[]; anchors: Record<AnchorCodec, AnchorGrid> };
  /** PC experiment: one field (λ, d_f), background GOP × CRF; anchors on the full video. */
  pc: { lambda: number; df: number; bgGops: number[]; bgCrfs: number[]; anchors: Record<AnchorCodec, AnchorGrid> };
  /** Keep every k-th input frame (1: all). */
  frameStep: number;
  /**
   * Code at most this many frames: the frame step is raised to ⌈frames / maxFrames⌉ when that is
   * larger (absent or null: no limit). Keeps `--quick` bounded on long videos.
   */
  maxFrames?: number | null;
  /** Scale the input down so its short side is at most this many pixels (null: source size). */
  maxShortSide: number | null;
  /** Training steps of each Reliquary field (null: the preset's). */
  steps: number | null;
  /** CRF step when extending an anchor's range to overlap Reliquary's quality range. */
  extensionStep: number;
  /** At most this many extension points per anchor curve and side. */
  maxExtensions: number;
}

const x26x = (crfs: number[], gops: number[]): AnchorGrid => ({ crfs, gops });

/** The paper's grids (meant for a GPU machine: 8 FP fields of 20k steps at the source size). */
export const FULL_GRID: Readonly<RdGrid> = Object.freeze({
  fp: {
    lambdas: [1e-3, 2e-3, 4e-3, 8e-3],
    dfs: [1, 2],
    anchors: { x264: x26x([42, 44, 46, 48, 50], [20, 25]), x265: x26x([42, 44, 46, 48, 50], [20, 25]), av1: x26x([51, 54, 57, 60, 63], [20, 25]) },
  },
  pc: {
    lambda: 8e-3,
    df: 2,
    bgGops: [30, 60, 90],
    bgCrfs: [42, 44, 46, 47, 48, 49, 50],
    anchors: { x264: x26x([38, 40, 42, 44, 46], [20, 25, 30]), x265: x26x([38, 40, 42, 44, 46], [20, 25, 30]), av1: x26x([45, 49, 53, 57, 61], [20, 25, 30]) },
  },
  frameStep: 1,
  maxShortSide: null,
  steps: null,
  extensionStep: 3,
  maxExtensions: 5,
});

/**
 * `--quick`: at most 60 frames (every frame of a short orbit: a field's bits are shared by all frames,
 * so dropping frames would inflate its bpp) at a 360 px short side, 2 FP fields (λ 2e-3 and 8e-3,
 * d_f 2) of 1000 steps (the rate term needs them: on apple.mp4 at 360 px, the coded field falls from
 * 299 kB after 500 steps to 216 kB after 1000 and 193 kB after 2000), the PC field shared with the
 * λ 8e-3 FP field, one GOP per anchor, three CRFs.
 */
export const QUICK_GRID: Readonly<RdGrid> = Object.freeze({
  fp: {
    lambdas: [2e-3, 8e-3],
    dfs: [2],
    anchors: { x264: x26x([42, 46, 50], [25]), x265: x26x([42, 46, 50], [25]), av1: x26x([52, 57, 62], [25]) },
  },
  pc: {
    lambda: 8e-3,
    df: 2,
    bgGops: [60],
    bgCrfs: [42, 46, 50],
    anchors: { x264: x26x([38, 42, 46], [25]), x265: x26x([38, 42, 46], [25]), av1: x26x([45, 52, 59], [25]) },
  },
  frameStep: 1,
  maxFrames: 60,
  maxShortSide: 360,
  steps: 1000,
  extensionStep: 4,
  maxExtensions: 3,
});

/**
 * The frame step a grid codes a video of `frames` frames with: its `frameStep`, raised to
 * ⌈frames / maxFrames⌉ when that is larger.
 */
export function codedFrameStep(grid: Pick<RdGrid, 'frameStep' | 'maxFrames'>, frames: number): number {
  if (!Number.isInteger(grid.frameStep) || grid.frameStep < 1) throw new TypeError(`the frame step must be an integer ≥ 1 (got ${grid.frameStep})`);
  if (grid.maxFrames != null && !(Number.isInteger(grid.maxFrames) && grid.maxFrames >= 2)) throw new TypeError(`the frame limit must be an integer ≥ 2 (got ${grid.maxFrames})`);
  return Math.max(grid.frameStep, grid.maxFrames ? Math.ceil(frames / grid.maxFrames) : 1);
}

/** A deep copy of a grid, safe to modify. */
export function cloneGrid(g: Readonly<RdGrid>): RdGrid {
  return structuredClone(g) as RdGrid;
}
