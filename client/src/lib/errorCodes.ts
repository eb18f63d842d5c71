// The error codes the window knows: every backend ErrorCode (generated from errors.py) and the
// transports' own (the client's, and the browser transport's refusals of a request). Each has
// words in every language (i18n/*.ts); a code outside this list is shown with the message alone.
import { ERROR_CODES, type ErrorCode } from './contracts.gen';

export const TRANSPORT_CODES = [
  'backend_unreachable',
  'bad_response',
  'forbidden',
  'bad_request',
  'malformed_json',
  'method_not_allowed',
  'too_large',
  'ui_not_built',
] as const;

export type TransportCode = (typeof TRANSPORT_CODES)[number];
/** An HTTP failure without a readable {code, message} body, e.g. http_502. */
export type HttpCode = `http_${number}`;
export type KnownCode = ErrorCode | TransportCode;

const KNOWN: ReadonlySet<string> = new Set([...ERROR_CODES, ...TRANSPORT_CODES]);

export function isKnownCode(code: string): code is KnownCode {
  return KNOWN.has(code);
}

/** The status of an http_NNN code, else null. */
export function httpStatus(code: string): number | null {
  const match = /^http_(\d{3})$/.exec(code);
  return match ? Number(match[1]) : null;
}
