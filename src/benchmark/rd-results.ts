/**
 * The data model of `reliquary bench rd` (Zhang & Chen 2025, Sect. 4.3, Figs. 3-5): one
 * {@link RdPoint} per coded version of the input, grouped into the paper's two experiments, and the
 * Bjøntegaard deltas of Reliquary against each anchor. `results.json` is an {@link RdResults}
 * verbatim; `results.csv` has one row per point. The runner (`rd-runner.ts`) writes it; the report
 * (`report/`) only reads it.
 */

/** The paper's two experiments. */
export type RdExperiment = 'fp' | 'pc';

/**
 * Who coded a point. `reliquary` is this codec; the anchors are ffmpeg's libx264, libx265 and
 * libsvtav1 at a CRF and GOP.
 */
export type RdCodec = 'reliquary' | 'x264' | 'x265' | 'av1';

/** Quality metrics a point carries; all but LPIPS are always measured. */
export type RdMetric = 'psnr' | 'psnrCenter' | 'ssim' | 'msssim' | 'lpips';

/** One coded version of the input and its measurements. */
export interface RdPoint {
  /** Stable id of the point, also its cache file name: e.g. `fp-x264-crf44-gop25`, `fp-reliquary-l0.002-df2`. */
  key: string;
  experiment: RdExperiment;
  codec: RdCodec;
  /** Short human label, e.g. `CRF 44, GOP 25` or `λ 0.002, d_f 2` or `λ 0.008, d_f 2, bg CRF 45 GOP 60`. */
  label: string;
  /**
   * The settings that made it: anchors `{ crf, gop }`; Reliquary FP `{ lambda, df, steps }`; Reliquary
   * PC `{ lambda, df, steps, bgCrf, bgGop, bgCodec }`.
   */
  params: Record<string, number | string>;
  /** File size: the .rlq, or the anchor's MP4. */
  bytes: number;
  /** bytes·8 / (width·height·frames). */
  bpp: number;
  /** Mean over frames, dB (RGB). */
  psnr: number;
  /** PSNR over the object mask only (the paper's PSNR-CENTER), mean over frames, dB. */
  psnrCenter: number;
  ssim: number;
  msssim: number;
  /** Mean LPIPS when a model was supplied, else null. */
  lpips: number | null;
  /** Wall seconds to encode this point (Reliquary: training + coding; a PC point sharing its field's training counts it once, see `sharedSeconds`). */
  encodeSeconds: number;
  /** Wall seconds to decode it to frames. */
  decodeSeconds: number;
  /** Seconds shared with other points (a PC point's field training), not in `encodeSeconds`. */
  sharedSeconds?: number;
  /** What computed it: the WebGPU adapter for Reliquary, `cpu (libx264)` etc. for the anchors. */
  adapter: string;
  /** A PNG of one decoded frame (the panel frame), relative to the report folder. */
  panelFrame?: string;
  /** True when this point was added to extend an anchor's range to overlap Reliquary's (see BD). */
  extension?: boolean;
}

/** One Bjøntegaard delta of Reliquary against an anchor. */
export interface BdRow {
  experiment: RdExperiment;
  /** The anchor codec (the reference curve). */
  anchor: Exclude<RdCodec, 'reliquary'>;
  /** Which Reliquary curve (e.g. `d_f 1`, `d_f 2`, or `bg GOP 60`). */
  curve: string;
  /** The quality metric of the deltas. */
  metric: 'psnr' | 'psnrCenter';
  /** BD-rate of Reliquary against the anchor, percent (negative: Reliquary needs fewer bits); null when undefined. */
  bdRate: number | null;
  /** BD-PSNR (dB, positive: Reliquary is better at equal rate); null when undefined. */
  bdQuality: number | null;
  /** The quality interval (dB) BD-rate was integrated over, or null. */
  overlap: [number, number] | null;
  /** Why a value is null, or a caveat (e.g. `overlap covers 40% of Reliquary's range`). */
  note?: string;
}

/** Everything `results.json` holds. */
export interface RdResults {
  /** Format version of this file. */
  version: 1;
  /** When the run finished (ISO 8601). */
  date: string;
  /** The input video and what the run derived from it. */
  input: {
    /** Path as given. */
    video: string;
    width: number;
    height: number;
    frames: number;
    fps: number;
    /** Frames and size actually coded (after `--quick` subsampling / scaling). */
    coded: { width: number; height: number; frames: number };
  };
  /** The run's settings: grids, steps, preset, quick or full, segmentation model, panel frame index. */
  settings: Record<string, unknown>;
  /** Machine facts: CPU model and count, WebGPU adapter. */
  machine: { cpus: number; cpuModel: string; adapter: string };
  points: RdPoint[];
  bd: BdRow[];
}
