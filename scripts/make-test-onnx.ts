/**
 * Writes the tiny ONNX models the tests run, by encoding the protobuf by hand, so that neither the
 * tests nor this script need Python or the `onnx` package: `test/fixtures/segment-linear.onnx` for
 * the segmentation tests and `test/fixtures/lpips-mse.onnx` for the LPIPS tests. The committed
 * fixtures are this script's output; `test/segment/segmenter.test.ts` and
 * `test/metrics/lpips.test.ts` check that they still agree byte for byte.
 *
 * ## segment-linear.onnx
 *
 * The model, opset 13, IR version 8:
 *
 *     input  x : float32 [1, 3, h, w]          (h, w symbolic, so any input size works)
 *     z      = Conv(x, W, B)                   1×1 kernel, W = LINEAR_WEIGHTS, B = LINEAR_BIAS
 *     output alpha : float32 [1, 1, h, w] = Sigmoid(z)
 *     output z     : float32 [1, 1, h, w]
 *
 * so every output pixel is a known function of the normalized input pixel at the same place,
 * z = Σ_c W_c · x_c + B, with a different weight per channel, which lets a test check the resize,
 * the channel order and the mean/std normalization of the segmenter numerically.
 *
 * ## lpips-mse.onnx
 *
 * A stand-in for an LPIPS export with the same interface (two images in, one distance out), opset 13,
 * IR version 8:
 *
 *     inputs in0, in1 : float32 [1, 3, h, w]   (h, w symbolic)
 *     d     = Sub(in0, in1)
 *     sq    = Mul(d, d)
 *     output distance : float32 [1, 1, 1, 1] = ReduceMean(sq, axes = [1, 2, 3], keepdims = 1)
 *
 * i.e. the mean squared difference of the two inputs, which a test can compute exactly.
 *
 * Run: `node --import tsx scripts/make-test-onnx.ts [OUT [LPIPS_OUT]]` (defaults: the fixture paths
 * {@link TEST_ONNX_PATH} and {@link TEST_LPIPS_ONNX_PATH}).
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** W_c of the 1×1 convolution, for the input channels 0, 1, 2 (R, G, B in RGB order). */
export const LINEAR_WEIGHTS: readonly [number, number, number] = [0.5, 0.25, -0.125];
/** B of the 1×1 convolution. */
export const LINEAR_BIAS = 0.375;
/** Where the fixture is committed, relative to the repository root. */
export const TEST_ONNX_PATH = 'test/fixtures/segment-linear.onnx';
/** Where the LPIPS stand-in fixture is committed, relative to the repository root. */
export const TEST_LPIPS_ONNX_PATH = 'test/fixtures/lpips-mse.onnx';

// ---------------------------------------------------------------------------------------------
// A minimal protobuf writer (wire types 0: varint, 2: length-delimited, 5: 32-bit)
// ---------------------------------------------------------------------------------------------

function varint(n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`varint needs a non-negative integer, got ${n}`);
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

function tag(field: number, wire: number): number[] {
  return varint(field * 8 + wire);
}

/** Field `field` as a varint. */
function intField(field: number, v: number): number[] {
  return [...tag(field, 0), ...varint(v)];
}

/** Field `field` as length-delimited bytes (a string or a nested message). */
function bytesField(field: number, bytes: number[] | Uint8Array): number[] {
  return [...tag(field, 2), ...varint(bytes.length), ...bytes];
}

function strField(field: number, s: string): number[] {
  return bytesField(field, new TextEncoder().encode(s));
}

function float32Bytes(values: readonly number[]): number[] {
  const buf = new Uint8Array(4 * values.length);
  const dv = new DataView(buf.buffer);
  values.forEach((v, i) => dv.setFloat32(4 * i, v, true));
  return [...buf];
}

// ---------------------------------------------------------------------------------------------
// ONNX messages (field numbers from onnx/onnx.proto3)
// ---------------------------------------------------------------------------------------------

const FLOAT = 1; // TensorProto.DataType.FLOAT
const FLOAT16 = 10; // TensorProto.DataType.FLOAT16

/** TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9. */
function tensor(name: string, dims: number[], values: number[]): number[] {
  return [...dims.flatMap((d) => intField(1, d)), ...intField(2, FLOAT), ...strField(8, name), ...bytesField(9, float32Bytes(values))];
}

/** ValueInfoProto of a float tensor: name = 1, type = 2 → TypeProto.tensor_type = 1 → elem_type = 1, shape = 2. */
function valueInfo(name: string, dims: (number | string)[], elemType = FLOAT): number[] {
  // TensorShapeProto.dim = 1 → Dimension { dim_value = 1 | dim_param = 2 }
  const shape = dims.flatMap((d) => bytesField(1, typeof d === 'number' ? intField(1, d) : strField(2, d)));
  const tensorType = [...intField(1, elemType), ...bytesField(2, shape)];
  return [...strField(1, name), ...bytesField(2, bytesField(1, tensorType))];
}

/**
 * NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5 (here only integer and
 * integer-list attributes, the integer ones first).
 */
function node(
  op: string,
  name: string,
  inputs: string[],
  outputs: string[],
  intAttrs: Record<string, number> = {},
  intsAttrs: Record<string, number[]> = {},
): number[] {
  // AttributeProto: name = 1, i = 3, ints = 8 (one field per value, unpacked), type = 20 (INT = 2, INTS = 7).
  const attrs = [
    ...Object.entries(intAttrs).flatMap(([k, v]) => bytesField(5, [...strField(1, k), ...intField(3, v), ...intField(20, 2)])),
    ...Object.entries(intsAttrs).flatMap(([k, vs]) => bytesField(5, [...strField(1, k), ...vs.flatMap((v) => intField(8, v)), ...intField(20, 7)])),
  ];
  return [...inputs.flatMap((s) => strField(1, s)), ...outputs.flatMap((s) => strField(2, s)), ...strField(3, name), ...strField(4, op), ...attrs];
}

/** Variants of the fixture, for tests that write their own copy. */
export interface LinearModelVariant {
  /** Fixes the input/output height and width (the committed fixture leaves them symbolic). */
  size?: { width: number; height: number };
  /** float16 input and outputs, with Casts around the float32 Conv and Sigmoid. */
  float16?: boolean;
}

/** The bytes of the fixture model (see the module doc), or of a variant. */
export function makeLinearSegmentModel(variant: LinearModelVariant = {}): Uint8Array {
  const h = variant.size?.height ?? 'h';
  const w = variant.size?.width ?? 'w';
  const f16 = variant.float16 === true;
  const type = f16 ? FLOAT16 : FLOAT;
  const nodes = f16
    ? [
        node('Cast', 'cast_in', ['x'], ['x32'], { to: FLOAT }),
        node('Conv', 'conv', ['x32', 'W', 'B'], ['z32']),
        node('Sigmoid', 'sigmoid', ['z32'], ['alpha32']),
        node('Cast', 'cast_alpha', ['alpha32'], ['alpha'], { to: FLOAT16 }),
        node('Cast', 'cast_z', ['z32'], ['z'], { to: FLOAT16 }),
      ]
    : [node('Conv', 'conv', ['x', 'W', 'B'], ['z']), node('Sigmoid', 'sigmoid', ['z'], ['alpha'])];
  const graph = [
    ...nodes.flatMap((n) => bytesField(1, n)),
    ...strField(2, 'reliquary-segment-linear'),
    ...bytesField(5, tensor('W', [1, 3, 1, 1], [...LINEAR_WEIGHTS])),
    ...bytesField(5, tensor('B', [1], [LINEAR_BIAS])),
    ...bytesField(11, valueInfo('x', [1, 3, h, w], type)),
    ...bytesField(12, valueInfo('alpha', [1, 1, h, w], type)),
    ...bytesField(12, valueInfo('z', [1, 1, h, w], type)),
  ];
  return modelProto(graph);
}

/** Variants of the LPIPS stand-in, for tests that write their own copy. */
export interface LpipsMseVariant {
  /** Fixes the inputs' height and width (the committed fixture leaves them symbolic). */
  size?: { width: number; height: number };
}

/** ModelProto around a graph: ir_version = 1, producer_name = 2, graph = 7, opset_import = 8 → { domain = 1, version = 2 }. */
function modelProto(graph: number[]): Uint8Array {
  return Uint8Array.from([
    ...intField(1, 8),
    ...strField(2, 'reliquary scripts/make-test-onnx.ts'),
    ...bytesField(7, graph),
    ...bytesField(8, [...strField(1, ''), ...intField(2, 13)]),
  ]);
}

/** The bytes of the LPIPS stand-in (see the module doc): distance = mean((in0 − in1)²) per batch item. */
export function makeLpipsMseModel(variant: LpipsMseVariant = {}): Uint8Array {
  const h = variant.size?.height ?? 'h';
  const w = variant.size?.width ?? 'w';
  const nodes = [
    node('Sub', 'sub', ['in0', 'in1'], ['d']),
    node('Mul', 'square', ['d', 'd'], ['sq']),
    node('ReduceMean', 'mean', ['sq'], ['distance'], { keepdims: 1 }, { axes: [1, 2, 3] }),
  ];
  const graph = [
    ...nodes.flatMap((n) => bytesField(1, n)),
    ...strField(2, 'reliquary-lpips-mse'),
    ...bytesField(11, valueInfo('in0', [1, 3, h, w])),
    ...bytesField(11, valueInfo('in1', [1, 3, h, w])),
    ...bytesField(12, valueInfo('distance', [1, 1, 1, 1])),
  ];
  return modelProto(graph);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(process.argv[2] ?? TEST_ONNX_PATH, makeLinearSegmentModel());
  await writeFile(process.argv[3] ?? TEST_LPIPS_ONNX_PATH, makeLpipsMseModel());
}
