/** Errors raised by the WebGPU layer: no adapter, validation errors, out-of-memory, device loss. */
export class GpuError extends Error {
  override readonly name = 'GpuError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
