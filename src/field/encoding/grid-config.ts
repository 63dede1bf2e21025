/**
 * Configuration and memory layout of the multi-resolution 3-D-2-D hybrid grid encoding
 * (Instant-NGP's hash grid plus the xy/xz/yz feature planes of Zhang & Chen 2025, Sect. 3.1 and 3.4,
 * eq. 8-11 and 20-22).
 *
 * The layout is the single source of truth shared by the GPU kernels (grid-encode*.wgsl, which read
 * it from a small per-level metadata buffer), their float64 twin (grid-encode.ref.ts) and, later, the
 * bitstream writer: every grid level is described by one {@link GridLevel}.
 *
 * Conventions (all fixed here, relied on by the kernels and the reference):
 * - Level resolution N_l = floor(N_min · b^l), b = exp((ln N_max − ln N_min)/(L − 1)) (eq. 8-9);
 *   L = 1 gives N_0 = N_min. A product within 1e-9 (relative) of an integer counts as that integer,
 *   so the finest level is exactly N_max although b^(L−1) is computed in floating point.
 * - A level has N_l + 1 vertices per axis; a position x ∈ [0,1] sits at x·N_l in vertex units.
 * - A level is DENSE when its vertices fit in the table, (N_l+1)^3 ≤ T (planes (N_l+1)^2 ≤ T):
 *   entry = x + y·(N_l+1) + z·(N_l+1)^2 (planes: u + v·(N_l+1)), and it stores exactly
 *   (N_l+1)^dims entries. Otherwise it is HASHED with T entries:
 *   entry = (x·1 ⊕ y·2654435761 ⊕ z·805459861) mod T (u32 wrapping multiplies, eq. 11; planes use
 *   their two coordinates with the first two primes).
 * - One flat f32 parameter buffer holds every level, entry-major (entry e of a level occupies
 *   F consecutive floats), level after level: the L 3-D levels, then for each 2-D level l the xy,
 *   xz and yz planes.
 * - Output features per sample (D = L·F + 3·L2·F): 3-D levels 0..L−1 (F each), then for each 2-D
 *   level: xy, xz, yz (F each).
 */

/** Multi-resolution 3-D grid (Instant-NGP hash grid), eq. 8-11. */
export interface HashGridConfig {
  /** L (L_3 in eq. 20): number of resolution levels, 1..32. */
  levels: number;
  /** F (the feature dimension d_f later): features per level and vertex, 1..8. */
  featuresPerLevel: number;
  /** log2 T: entries per hashed level are T = 2^log2TableSize, 2..26. */
  log2TableSize: number;
  /** N_min: the coarsest resolution (cells per axis), integer ≥ 1. */
  nMin: number;
  /** N_max: the finest resolution, integer ≥ N_min. */
  nMax: number;
}

/**
 * Multi-resolution 2-D feature planes (eq. 21): L2 levels, each made of three planes xy, xz, yz with
 * the same resolution. Its own N_min, N_max and T; F must equal the 3-D grid's F.
 */
export interface PlaneGridConfig {
  /** L_2: number of plane resolution levels, 0..32 (0 = no planes). */
  levels: number;
  /** F: features per level, plane and vertex; must equal {@link HashGridConfig.featuresPerLevel}. */
  featuresPerLevel: number;
  /** log2 T of every hashed plane, 2..26. */
  log2TableSize: number;
  /** N_min of the planes, integer ≥ 1. */
  nMin: number;
  /** N_max of the planes, integer ≥ N_min. */
  nMax: number;
}

/** Both grids of the hybrid encoding. */
export interface GridEncodingConfig {
  /** The 3-D multi-resolution grid. */
  hash: HashGridConfig;
  /** The 2-D planes; omitted (or levels = 0) for a pure 3-D hash grid. */
  planes?: PlaneGridConfig;
  /**
   * Binarized features (BiRF; Zhang & Chen 2025 eq. 16 and 20-21), default false. When true every grid
   * read returns θ' = sgn θ ∈ {−1, +1} (+1 for θ ≥ 0) instead of θ, and the backward is the
   * straight-through estimator masked to |θ| ≤ 1: dL/dθ = dL/dθ' where |θ| ≤ 1, 0 elsewhere. θ stays a
   * real-valued f32 table (what Adam updates); only its sign bits are stored in the bitstream.
   *
   * It lives in the config, not in GridEncodingOptions, because it changes the function the field
   * computes (and so what a decoder must rebuild): the config travels in the bitstream's CONFIG chunk,
   * while the options only choose how the same result is computed (labels, samples per invocation).
   * It does not change the memory layout ({@link gridLayout}).
   */
  binarize?: boolean;
}

/** Largest F the kernels support (their per-invocation accumulator size). */
export const MAX_FEATURES_PER_LEVEL = 8;

/** Which grid a level belongs to: the 3-D grid or one of the three axis-aligned planes. */
export type GridLevelKind = 'xyz' | 'xy' | 'xz' | 'yz';

/** Everything the kernels need to know about one level (3-D level or one plane of a 2-D level). */
export interface GridLevel {
  /** 'xyz' for a 3-D level, else the plane. */
  kind: GridLevelKind;
  /** Index within its grid: l for 3-D levels, l_2 for planes. */
  level: number;
  /** 3 or 2. */
  dims: 2 | 3;
  /** The position components the level reads: [0,1,2] for 'xyz', e.g. [0,2] for 'xz'. */
  axes: readonly number[];
  /** N_l (eq. 8). */
  resolution: number;
  /** N_l + 1. */
  verticesPerAxis: number;
  /** True when (N_l+1)^dims ≤ T: one entry per vertex, no hashing. */
  dense: boolean;
  /** Table entries of the level: (N_l+1)^dims when dense, else T. */
  entries: number;
  /** First entry of the level, counting entries of all previous levels. */
  entryOffset: number;
  /** First f32 of the level in the parameter buffer (entryOffset · F). */
  paramOffset: number;
  /** First column of the level's F features in a sample's output row. */
  featureOffset: number;
}

/** The resolved layout of a {@link GridEncodingConfig}. */
export interface GridLayout {
  /** The validated configs (planes has levels = 0 when absent). */
  hash: Readonly<HashGridConfig>;
  planes: Readonly<PlaneGridConfig>;
  /** F. */
  featuresPerLevel: number;
  /** All levels in table and output order: L 3-D levels, then xy, xz, yz per 2-D level. */
  levels: readonly GridLevel[];
  /** Sum of entries over all levels. */
  entryCount: number;
  /** Number of f32 parameters (entryCount · F). */
  paramCount: number;
  /** D = L·F + 3·L2·F, the feature width per sample. */
  outputDim: number;
}

/** XOR-hash primes π_1..π_3 (eq. 11), as Instant-NGP. */
export const HASH_PRIMES: readonly [number, number, number] = Object.freeze([1, 2654435761, 805459861]) as readonly [number, number, number];

/** Named presets (one registry). */
export const GRID_PRESETS = Object.freeze({
  /** The paper's setting: 3-D L=12, N 16…512, T=2^19; 2-D L2=4, N 128…1024, T=2^17; F=2. */
  paper: Object.freeze({
    hash: Object.freeze({ levels: 12, featuresPerLevel: 2, log2TableSize: 19, nMin: 16, nMax: 512 }),
    planes: Object.freeze({ levels: 4, featuresPerLevel: 2, log2TableSize: 17, nMin: 128, nMax: 1024 }),
  }),
  /** A preset a CPU adapter (lavapipe) trains in reasonable time: L=16, T=2^17, N 16…1024; L2=2, N 64…256, T=2^15. */
  cpu: Object.freeze({
    hash: Object.freeze({ levels: 16, featuresPerLevel: 2, log2TableSize: 17, nMin: 16, nMax: 1024 }),
    planes: Object.freeze({ levels: 2, featuresPerLevel: 2, log2TableSize: 15, nMin: 64, nMax: 256 }),
  }),
} satisfies Record<string, Readonly<GridEncodingConfig>>);

function checkInt(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new TypeError(`${path} must be an integer in [${min}, ${max}] (got ${typeof v === 'number' ? v : typeof v})`);
  }
  return v;
}

function checkGrid(g: unknown, path: string, minLevels: number): HashGridConfig {
  if (g === null || typeof g !== 'object') throw new TypeError(`${path} must be an object (got ${g === null ? 'null' : typeof g})`);
  const c = g as Record<string, unknown>;
  const levels = checkInt(c.levels, `${path}.levels`, minLevels, 32);
  const featuresPerLevel = checkInt(c.featuresPerLevel, `${path}.featuresPerLevel`, 1, MAX_FEATURES_PER_LEVEL);
  const log2TableSize = checkInt(c.log2TableSize, `${path}.log2TableSize`, 2, 26);
  const nMin = checkInt(c.nMin, `${path}.nMin`, 1, 1 << 20);
  const nMax = checkInt(c.nMax, `${path}.nMax`, 1, 1 << 20);
  if (nMax < nMin) throw new TypeError(`${path}.nMax must be >= ${path}.nMin (got ${nMax} < ${nMin})`);
  return { levels, featuresPerLevel, log2TableSize, nMin, nMax };
}

/**
 * Validates a grid encoding config and returns a frozen copy (planes filled in with levels = 0 when
 * absent, binarize with false).
 * @param name how the config is called in error messages (default 'config').
 * @throws TypeError naming the field, e.g. `config.planes.nMax must be >= config.planes.nMin (got 64 < 128)`.
 */
export function validateGridConfig(
  config: GridEncodingConfig, name = 'config',
): Readonly<{ hash: Readonly<HashGridConfig>; planes: Readonly<PlaneGridConfig>; binarize: boolean }> {
  if (config === null || typeof config !== 'object') throw new TypeError(`${name} must be an object (got ${config === null ? 'null' : typeof config})`);
  if (config.binarize !== undefined && typeof config.binarize !== 'boolean') {
    throw new TypeError(`${name}.binarize, when provided, must be a boolean (got ${typeof config.binarize})`);
  }
  const hash = checkGrid(config.hash, `${name}.hash`, 1);
  const planes =
    config.planes === undefined
      ? { levels: 0, featuresPerLevel: hash.featuresPerLevel, log2TableSize: hash.log2TableSize, nMin: 1, nMax: 1 }
      : checkGrid(config.planes, `${name}.planes`, 0);
  if (planes.featuresPerLevel !== hash.featuresPerLevel) {
    throw new TypeError(
      `${name}.planes.featuresPerLevel must equal ${name}.hash.featuresPerLevel (got ${planes.featuresPerLevel} ≠ ${hash.featuresPerLevel})`,
    );
  }
  return Object.freeze({ hash: Object.freeze(hash), planes: Object.freeze(planes), binarize: config.binarize ?? false });
}

/**
 * Resolutions N_l = floor(N_min · b^l) of an L-level grid (eq. 8-9). Products within 1e-9 (relative)
 * of an integer are taken as that integer, so the last level is N_max exactly.
 */
export function levelResolutions(levels: number, nMin: number, nMax: number): number[] {
  if (levels <= 1) return levels === 1 ? [nMin] : [];
  const lnB = (Math.log(nMax) - Math.log(nMin)) / (levels - 1);
  const out: number[] = [];
  for (let l = 0; l < levels; l++) {
    const v = nMin * Math.exp(lnB * l);
    const r = Math.round(v);
    out.push(Math.abs(v - r) <= 1e-9 * v ? r : Math.floor(v));
  }
  return out;
}

const PLANES: readonly { kind: GridLevelKind; axes: readonly number[] }[] = [
  { kind: 'xy', axes: Object.freeze([0, 1]) },
  { kind: 'xz', axes: Object.freeze([0, 2]) },
  { kind: 'yz', axes: Object.freeze([1, 2]) },
];

/**
 * Per-level metadata, parameter count and output width of a hybrid grid (see the file comment for
 * every convention).
 * @throws TypeError from {@link validateGridConfig}.
 */
export function gridLayout(hash: HashGridConfig, planes?: PlaneGridConfig): GridLayout {
  const cfg = validateGridConfig({ hash, planes });
  const F = cfg.hash.featuresPerLevel;
  const levels: GridLevel[] = [];
  let entryOffset = 0;
  let featureOffset = 0;
  const push = (kind: GridLevelKind, level: number, axes: readonly number[], resolution: number, log2T: number): void => {
    const dims = axes.length as 2 | 3;
    const verticesPerAxis = resolution + 1;
    const denseEntries = verticesPerAxis ** dims;
    const T = 2 ** log2T;
    const dense = denseEntries <= T;
    const entries = dense ? denseEntries : T;
    levels.push({ kind, level, dims, axes: kind === 'xyz' ? Object.freeze([0, 1, 2]) : axes, resolution, verticesPerAxis, dense, entries, entryOffset, paramOffset: entryOffset * F, featureOffset });
    entryOffset += entries;
    featureOffset += F;
  };
  levelResolutions(cfg.hash.levels, cfg.hash.nMin, cfg.hash.nMax).forEach((n, l) => push('xyz', l, [0, 1, 2], n, cfg.hash.log2TableSize));
  levelResolutions(cfg.planes.levels, cfg.planes.nMin, cfg.planes.nMax).forEach((n, l) => {
    for (const p of PLANES) push(p.kind, l, p.axes, n, cfg.planes.log2TableSize);
  });
  if (entryOffset * F >= 2 ** 31) {
    throw new TypeError(`config.hash/config.planes: the grid would have ${entryOffset * F} parameters; the kernels address at most 2^31 − 1`);
  }
  return Object.freeze({
    hash: cfg.hash,
    planes: cfg.planes,
    featuresPerLevel: F,
    levels: Object.freeze(levels.map((l) => Object.freeze(l))),
    entryCount: entryOffset,
    paramCount: entryOffset * F,
    outputDim: featureOffset,
  });
}
