// How a folder written by `sentvec quantize` stores the encoder's int8 Linear weights in its
// model.safetensors: each weight (N,K) as I8 codes under its own name, its scales as F32
// (N, ceil(K/32)) under `<name>_scale`, and the file's __metadata__ naming the layout. Codes and
// scales are exactly what int8.ts quantizeBlocks computes, so such a folder runs bit for bit as
// the float checkpoint loaded with dtype int8.

import type { Checkpoint } from './safetensors.js';
import { SafetensorsError } from './safetensors.js';

/** The __metadata__ key of a quantized checkpoint, and the one layout sentvec writes and reads. */
export const QUANTIZATION_KEY = 'sentvec.quantization';
export const QUANTIZATION_LAYOUT = 'q8_0-blocks-32';

/** The F32 tensor that holds the scales of the I8 tensor `name`. */
export function scaleName(name: string): string {
  return `${name}_scale`;
}

/**
 * Whether the checkpoint holds int8 Linear weights: a file declaring the layout. An I8 tensor in a
 * file that does not declare it, or a layout this version does not know, is an error naming it.
 */
export function isQuantized(checkpoint: Checkpoint): boolean {
  let quantized = false;
  for (const name of checkpoint.names()) {
    const { tensor, metadata } = checkpoint.info(name)!;
    const layout = metadata[QUANTIZATION_KEY];
    if (layout !== undefined && layout !== QUANTIZATION_LAYOUT) {
      throw new SafetensorsError(`${tensor.file}: __metadata__ "${QUANTIZATION_KEY}" is "${layout}", a layout this version ` +
        `of sentvec does not read (it reads "${QUANTIZATION_LAYOUT}")`);
    }
    if (tensor.dtype === 'I8' && layout === undefined) {
      throw new SafetensorsError(`${tensor.file}: tensor "${name}" is I8, but the file's __metadata__ has no ` +
        `"${QUANTIZATION_KEY}" entry saying how its codes are scaled (write int8 folders with sentvec quantize)`);
    }
    quantized ||= layout !== undefined;
  }
  return quantized;
}
