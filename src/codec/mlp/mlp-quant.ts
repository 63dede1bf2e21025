/**
 * Uniform per-tensor quantization of the field's MLP parameters (the density and colour networks of
 * {@link MlpConfig}) to `bits` bits per value (10 by default), with each tensor's min and max stored as
 * float32, and the byte format that carries them in a compressed file.
 *
 * ## Quantizer
 * For a tensor x with m = min(x), M = max(x) (both exactly float32, since x is) and L = 2^bits − 1:
 *
 *     code_i = round((x_i − m) / (M − m) · L)            (round half up; 0 when M = m)
 *     x̂_i    = f32(m + f32(code_i · f32(f32(M − m) / L)))
 *
 * so |x̂_i − x_i| ≤ (M − m) / (2L) plus a few float32 roundings (≈ 2^-22 · max(|m|, |M|)).
 *
 * ## Bit-exact decoding
 * The dequantizer is written as a fixed sequence of float32 operations, each result rounded with
 * `Math.fround`: range = f32(M − m), step = f32(range / L), v = f32(m + f32(code · step)). Every
 * operand is a float32 (or the integer code / L, both exact in float32 for bits ≤ 16), and an IEEE
 * binary64 add, multiply or divide of float32 operands rounded once to float32 equals the correctly
 * rounded float32 operation, so every JS engine gives identical floats, and so does a float32 WGSL/C
 * implementation that performs the same three steps in this order without fusing the final
 * multiply-add (FMA contraction would change the last bit). The encoder side (choosing the codes)
 * uses binary64 arithmetic, which is also fully specified in JS; only the codes are stored.
 *
 * ## Byte format (`encodeMlpWeights`, version 1), all integers little-endian
 *
 *     u8  version (= 1)
 *     u8  bits (1..16)
 *     u8  layer count K (= config.hiddenLayers + 1)
 *     K × { u16 in, u16 out }             must equal the decoder's config, layer by layer
 *     2K tensors, in the flat layout's order (W_0, b_0, W_1, b_1, …):
 *       f32 min, f32 max                   finite, min ≤ max, f32(max − min) finite
 *       ceil(bits · n / 8) bytes of codes  n = out·in for W_k, out for b_k; all 0 when min = max
 *
 * Codes are bit-packed LSB-first: within one tensor, code i occupies stream bits
 * [i·bits, (i+1)·bits), its least significant bit first, where stream bit k is bit (k mod 8) of byte
 * ⌊k/8⌋ of the tensor's code bytes. Each tensor's codes start on a byte boundary; the padding bits of
 * its last byte are zero (a decoder rejects anything else). Total size:
 * 3 + 4K + Σ_tensors (8 + ceil(bits · n / 8)) bytes, see {@link mlpWeightsByteLength}.
 *
 * The decoder derives every size from the config it is given (and the bits field, bounded to 1..16),
 * checks the stored shapes against it, and requires the exact byte length; nothing is allocated from
 * an unchecked field.
 */
import { type MlpConfig, mlpLayerOffsets, mlpParamCount } from '../../field/network/mlp-config.ts';
import { BitstreamError } from '../errors.ts';

/** Format version written by {@link encodeMlpWeights}. */
export const MLP_WEIGHTS_VERSION = 1;
/** Default bits per quantized value (the requirement: "MLP weights quantized to 10 bits per tensor"). */
export const MLP_QUANT_BITS = 10;
/** Widest code a {@link Uint16Array} holds. */
export const MLP_QUANT_MAX_BITS = 16;

/** One quantized tensor: its float32 range and one code in [0, 2^bits − 1] per value. */
export interface QuantizedTensor {
  /** m: smallest value of the tensor (a float32). */
  min: number;
  /** M: largest value of the tensor (a float32); equal to `min` for a constant tensor. */
  max: number;
  /** code_i = round((x_i − m)/(M − m) · (2^bits − 1)), all 0 for a constant tensor. */
  codes: Uint16Array;
}

function checkBits(bits: number, path: string): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > MLP_QUANT_MAX_BITS) {
    throw new TypeError(`${path} must be an integer in [1, ${MLP_QUANT_MAX_BITS}], got ${String(bits)}`);
  }
}

/** Why (min, max) cannot be a stored range, or null when it can. */
function rangeProblem(min: number, max: number): string | null {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return `min ${min} / max ${max} must be finite`;
  if (Math.fround(min) !== min || Math.fround(max) !== max) return `min ${min} / max ${max} must be float32 values`;
  if (!(min <= max)) return `min ${min} must not exceed max ${max}`;
  if (!Number.isFinite(Math.fround(max - min))) return `range max − min = ${max - min} overflows float32`;
  return null;
}

function quantizeNamed(values: Float32Array, bits: number, name: string): QuantizedTensor {
  const n = values.length;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) throw new TypeError(`${name}[${i}] must be finite, got ${v}`);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const codes = new Uint16Array(n);
  if (n === 0) return { min: 0, max: 0, codes };
  const problem = rangeProblem(min, max);
  if (problem !== null) throw new TypeError(`${name}: ${problem}`);
  if (max > min) {
    const levels = 2 ** bits - 1;
    const range = max - min; // binary64: exact for two float32 operands
    for (let i = 0; i < n; i++) {
      const c = Math.round(((values[i] - min) / range) * levels);
      codes[i] = c < 0 ? 0 : c > levels ? levels : c;
    }
  }
  return { min, max, codes };
}

/**
 * Quantizes `values` uniformly to `bits` bits between their own min and max (see the module doc).
 * A constant tensor gives min = max and all-zero codes; an empty one gives min = max = 0.
 * @throws TypeError when a value is NaN or ±Infinity, when `bits` is not an integer in [1, 16], or when
 *   max − min overflows float32.
 */
export function quantizeTensor(values: Float32Array, bits = MLP_QUANT_BITS): QuantizedTensor {
  checkBits(bits, 'bits');
  return quantizeNamed(values, bits, 'values');
}

/**
 * Dequantizes with the fixed float32 sequence v = f32(min + f32(code · f32(f32(max − min) / L))),
 * L = 2^bits − 1, bit-identical on every engine (see the module doc).
 * @throws TypeError when `bits` is invalid, min/max are not a valid float32 range, or a code exceeds L.
 */
export function dequantizeTensor(q: QuantizedTensor, bits = MLP_QUANT_BITS): Float32Array {
  checkBits(bits, 'bits');
  const problem = rangeProblem(q.min, q.max);
  if (problem !== null) throw new TypeError(`q: ${problem}`);
  const out = new Float32Array(q.codes.length);
  dequantizeInto(q.min, q.max, q.codes, bits, out, 0, 'q.codes');
  return out;
}

function dequantizeInto(
  min: number,
  max: number,
  codes: Uint16Array,
  bits: number,
  out: Float32Array,
  offset: number,
  name: string,
): void {
  const levels = 2 ** bits - 1;
  const f = Math.fround;
  const step = f(f(max - min) / levels);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c > levels) throw new TypeError(`${name}[${i}] = ${c} exceeds 2^${bits} − 1`);
    out[offset + i] = f(min + f(c * step));
  }
}

/** Bytes of the header: version, bits, layer count, then (in, out) as u16 per layer. */
function headerBytes(layerCount: number): number {
  return 3 + 4 * layerCount;
}

/** Values per tensor in stream order (W_0, b_0, W_1, b_1, …) with their flat offsets and names. */
function tensorsOf(config: MlpConfig): { offset: number; n: number; name: string }[] {
  const tensors: { offset: number; n: number; name: string }[] = [];
  mlpLayerOffsets(config).forEach((l, k) => {
    tensors.push({ offset: l.weightOffset, n: l.out * l.in, name: `layer ${k} W` });
    tensors.push({ offset: l.biasOffset, n: l.out, name: `layer ${k} b` });
  });
  return tensors;
}

/**
 * Exact size of {@link encodeMlpWeights}' output: 3 + 4K + Σ_tensors (8 + ceil(bits · n / 8)).
 * @throws TypeError on an invalid config or bits.
 */
export function mlpWeightsByteLength(config: MlpConfig, bits = MLP_QUANT_BITS): number {
  checkBits(bits, 'bits');
  const tensors = tensorsOf(config);
  let size = headerBytes(tensors.length / 2);
  for (const t of tensors) size += 8 + Math.ceil((bits * t.n) / 8);
  return size;
}

/**
 * Encodes the flat parameters of an MLP (layout of `mlp-config.ts`) with each W_k and b_k quantized as
 * its own tensor to `bits` bits, in the byte format of the module doc.
 * @throws TypeError when `config` or `bits` is invalid, `params` has the wrong length, or a parameter
 *   is NaN/±Infinity.
 */
export function encodeMlpWeights(config: MlpConfig, params: Float32Array, bits = MLP_QUANT_BITS): Uint8Array {
  checkBits(bits, 'bits');
  const count = mlpParamCount(config);
  if (!(params instanceof Float32Array) || params.length !== count) {
    throw new TypeError(`params must be a Float32Array of ${count} values, got length ${String(params?.length)}`);
  }
  const layers = mlpLayerOffsets(config);
  const bytes = new Uint8Array(mlpWeightsByteLength(config, bits));
  const view = new DataView(bytes.buffer);
  bytes[0] = MLP_WEIGHTS_VERSION;
  bytes[1] = bits;
  bytes[2] = layers.length;
  let pos = 3;
  for (const l of layers) {
    view.setUint16(pos, l.in, true);
    view.setUint16(pos + 2, l.out, true);
    pos += 4;
  }
  for (const t of tensorsOf(config)) {
    const q = quantizeNamed(params.subarray(t.offset, t.offset + t.n), bits, `params (${t.name})`);
    view.setFloat32(pos, q.min, true);
    view.setFloat32(pos + 4, q.max, true);
    pos += 8;
    // LSB-first packing: `acc` holds `nAcc` (< 8 + bits ≤ 24) pending bits, oldest in the low bits.
    let acc = 0;
    let nAcc = 0;
    for (let i = 0; i < t.n; i++) {
      acc |= q.codes[i] << nAcc;
      nAcc += bits;
      while (nAcc >= 8) {
        bytes[pos++] = acc & 0xff;
        acc >>>= 8;
        nAcc -= 8;
      }
    }
    if (nAcc > 0) bytes[pos++] = acc & 0xff;
  }
  return bytes;
}

/**
 * Decodes {@link encodeMlpWeights}' output into a flat parameter buffer laid out exactly as
 * `mlp-config.ts` describes, bit-identical on every engine.
 * @throws BitstreamError (section `MLP_WEIGHTS`) on an unknown version, invalid bits, shapes that differ
 *   from `config`, a length other than the exact expected one, an invalid stored range or nonzero
 *   padding bits.
 * @throws TypeError when `config` is invalid.
 */
export function decodeMlpWeights(config: MlpConfig, bytes: Uint8Array): Float32Array {
  const layers = mlpLayerOffsets(config);
  const fail = (msg: string): never => {
    throw new BitstreamError(`MLP weights: ${msg}`, 'MLP_WEIGHTS');
  };
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  const header = headerBytes(layers.length);
  if (bytes.length < header) fail(`truncated: ${bytes.length} bytes, the header alone needs ${header}`);
  if (bytes[0] !== MLP_WEIGHTS_VERSION) fail(`unsupported version ${bytes[0]} (this decoder reads ${MLP_WEIGHTS_VERSION})`);
  const bits = bytes[1];
  if (bits < 1 || bits > MLP_QUANT_MAX_BITS) fail(`bits ${bits} is outside [1, ${MLP_QUANT_MAX_BITS}]`);
  if (bytes[2] !== layers.length) fail(`layer count ${bytes[2]} does not match the config's ${layers.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 3;
  layers.forEach((l, k) => {
    const inDim = view.getUint16(pos, true);
    const out = view.getUint16(pos + 2, true);
    if (inDim !== l.in || out !== l.out) {
      fail(`layer ${k} is ${out}×${inDim} in the stream but ${l.out}×${l.in} in the config`);
    }
    pos += 4;
  });
  const expected = mlpWeightsByteLength(config, bits);
  if (bytes.length !== expected) {
    fail(`${bytes.length < expected ? 'truncated' : 'trailing bytes'}: ${bytes.length} bytes, expected ${expected}`);
  }
  const params = new Float32Array(mlpParamCount(config));
  const mask = 2 ** bits - 1;
  for (const t of tensorsOf(config)) {
    const min = view.getFloat32(pos, true);
    const max = view.getFloat32(pos + 4, true);
    pos += 8;
    const problem = rangeProblem(min, max);
    if (problem !== null) fail(`${t.name}: ${problem}`);
    const codes = new Uint16Array(t.n);
    let acc = 0;
    let nAcc = 0;
    for (let i = 0; i < t.n; i++) {
      while (nAcc < bits) {
        acc |= bytes[pos++] << nAcc;
        nAcc += 8;
      }
      codes[i] = acc & mask;
      acc >>>= bits;
      nAcc -= bits;
    }
    if (acc !== 0) fail(`${t.name}: nonzero padding bits after the last code`);
    if (min === max && codes.some((c) => c !== 0)) fail(`${t.name}: constant tensor with nonzero codes`);
    dequantizeInto(min, max, codes, bits, params, t.offset, t.name);
  }
  return params;
}
