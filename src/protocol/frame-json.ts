import { ErrorCode } from './errors.ts';
import type { ClientFrame, ServerFrame } from './frames.ts';

export type Decoded<F> = { ok: true; frame: F } | { ok: false; code: ErrorCode; message: string };

/** The first step of decoding any frame: JSON text to an object, or why it is not one. */
export function parseFrameObject(text: string): Decoded<object> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: ErrorCode.badFrame, message: 'frame is not valid JSON' };
  }
  return isFrameObject(value)
    ? { ok: true, frame: value }
    : { ok: false, code: ErrorCode.badFrame, message: 'frame must be a JSON object' };
}

export const isFrameObject = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function encodeFrame(frame: ClientFrame | ServerFrame): string {
  return JSON.stringify(frame);
}
