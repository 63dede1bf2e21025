/**
 * PC-mode reconstruction (Zhang & Chen 2025, Sect. 3.2, decoding step 3): the rendered central
 * object V̂_C is laid over the decoded background V̂_B,
 *
 *     out = obj · α + bg · (1 − α)                         (straight alpha)
 *     out = obj + bg · (1 − α)                             (premultiplied alpha)
 *
 * with α the rendered object's opacity (1 − final transmittance of the volume render).
 *
 * ## Pixel formats and premultiplication
 *
 * - Object: 8-bit RGBA, `width·height·4` bytes, α = A / 255.
 *   - `'straight'` (default): RGB is the object's own colour, independent of α (the convention of
 *     the dataset's RGBA images).
 *   - `'premultiplied'`: RGB already holds obj·α, which is what the volume renderer outputs when it
 *     renders over a black background (C = Σ wᵢ cᵢ + T·0); pass this for such renders.
 * - Background: 8-bit RGB, `width·height·3` bytes (a frame of `decodeBackgroundStream`).
 * - Output: 8-bit RGB, `width·height·3` bytes.
 *
 * Integer arithmetic, exact and identical on every engine:
 *
 *     straight:       out = ⌊(obj·A + bg·(255 − A) + 127) / 255⌋
 *     premultiplied:  out = min(255, obj + ⌊(bg·(255 − A) + 127) / 255⌋)
 *
 * i.e. the real-valued formula rounded to nearest (an integer over 255 is never exactly k + ½, as
 * 255 is odd, so there are no ties). A premultiplied colour channel larger than A is invalid but
 * tolerated: the sum is clamped to 255.
 */

/** How the object's RGB relates to its alpha. */
export type AlphaMode = 'straight' | 'premultiplied';

/** Options of {@link compositeOverBackground}. */
export interface CompositeOptions {
  /** Whether the object's RGB is straight (default) or premultiplied by α (see the module doc). */
  alpha?: AlphaMode;
  /** Write the result here (`width·height·3` bytes) instead of a new array. */
  out?: Uint8Array;
}

function checkAlphaMode(mode: unknown): AlphaMode {
  if (mode === undefined) return 'straight';
  if (mode !== 'straight' && mode !== 'premultiplied') {
    throw new TypeError(`options.alpha, when provided, must be 'straight' or 'premultiplied' (got ${String(mode)})`);
  }
  return mode;
}

/**
 * Composites one rendered RGBA object frame over one RGB background frame (module doc).
 * @throws TypeError when the sizes disagree (the object must have 4 bytes per background pixel's 3).
 */
export function compositeOverBackground(object: Uint8Array, background: Uint8Array, opts: CompositeOptions = {}): Uint8Array {
  if (!(object instanceof Uint8Array) || !(background instanceof Uint8Array)) {
    throw new TypeError('object (RGBA) and background (RGB) must be Uint8Arrays');
  }
  const pixels = background.length / 3;
  if (!Number.isInteger(pixels) || object.length !== 4 * pixels) {
    throw new TypeError(
      `object has ${object.length} bytes and background ${background.length}: expected RGBA (4 bytes per pixel) ` +
        'over RGB (3 bytes per pixel) of the same size; render the object at the background size',
    );
  }
  const mode = checkAlphaMode(opts.alpha);
  const out = opts.out ?? new Uint8Array(3 * pixels);
  if (!(out instanceof Uint8Array) || out.length !== 3 * pixels) {
    throw new TypeError(`options.out, when provided, must be a Uint8Array of ${3 * pixels} bytes`);
  }
  if (mode === 'straight') {
    for (let p = 0, o = 0, b = 0; p < pixels; p++, o += 4, b += 3) {
      const a = object[o + 3];
      const ia = 255 - a;
      out[b] = ((object[o] * a + background[b] * ia + 127) / 255) | 0;
      out[b + 1] = ((object[o + 1] * a + background[b + 1] * ia + 127) / 255) | 0;
      out[b + 2] = ((object[o + 2] * a + background[b + 2] * ia + 127) / 255) | 0;
    }
  } else {
    for (let p = 0, o = 0, b = 0; p < pixels; p++, o += 4, b += 3) {
      const ia = 255 - object[o + 3];
      out[b] = Math.min(255, object[o] + (((background[b] * ia + 127) / 255) | 0));
      out[b + 1] = Math.min(255, object[o + 1] + (((background[b + 1] * ia + 127) / 255) | 0));
      out[b + 2] = Math.min(255, object[o + 2] + (((background[b + 2] * ia + 127) / 255) | 0));
    }
  }
  return out;
}

/**
 * Composites two frame streams pairwise (e.g. rendered object frames over `decodeBackgroundStream`),
 * yielding one new RGB frame per pair.
 * @throws RangeError when one stream ends before the other.
 */
export async function* compositeFrames(
  objects: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  backgrounds: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  opts: Omit<CompositeOptions, 'out'> = {},
): AsyncGenerator<Uint8Array> {
  const mode = checkAlphaMode(opts.alpha);
  const obj = toAsyncIterator(objects);
  const bg = toAsyncIterator(backgrounds);
  let i = 0;
  try {
    for (;;) {
      const [a, b] = await Promise.all([obj.next(), bg.next()]);
      if (a.done && b.done) return;
      if (a.done || b.done) {
        throw new RangeError(
          `the ${a.done ? 'object' : 'background'} stream ended after ${i} frames while the other goes on; ` +
            'render one object frame per background frame',
        );
      }
      yield compositeOverBackground(a.value, b.value, { alpha: mode });
      i++;
    }
  } finally {
    await Promise.all([obj.return?.(), bg.return?.()]);
  }
}

function toAsyncIterator<T>(it: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> {
  if (typeof (it as AsyncIterable<T>)[Symbol.asyncIterator] === 'function') return (it as AsyncIterable<T>)[Symbol.asyncIterator]();
  if (typeof (it as Iterable<T>)[Symbol.iterator] === 'function') {
    const sync = (it as Iterable<T>)[Symbol.iterator]();
    return {
      next: async () => sync.next(),
      return: async (value?: unknown) => sync.return?.(value as T) ?? { done: true, value: undefined as T },
    };
  }
  throw new TypeError('frames must be an iterable or async iterable of Uint8Array');
}
