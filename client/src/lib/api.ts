// invoke(cmd, args): the only way the UI talks to the backend. Two transports, one contract:
//
// - Desktop (pywebview): window.pywebview.api[cmd](args) resolves to an envelope
//   {ok: true, result} | {ok: false, error: {code, message}}.
// - Browser (--browser mode): POST ./api/<cmd> with the JSON args and the session token from
//   <meta name="ot-token">; 2xx -> the JSON body is the result, otherwise {code, message}.
//
// Either way a failure is thrown as ApiError {code, message}, with the backend's message.
// The generated CommandMap types each call: a wrong command name, wrong arguments or a wrong
// result type fail the type check, not the running app.
import type { CommandMap, CommandName } from './contracts.gen';
import { type HttpCode, isKnownCode, type KnownCode } from './errorCodes';
import { t } from './i18n';

/** A backend ErrorCode, a transport's own code, or http_NNN for an unreadable HTTP failure. */
export type ApiErrorCode = KnownCode | HttpCode;

export class ApiError extends Error {
  readonly code: ApiErrorCode;

  constructor(code: ApiErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

type BridgeMethod = (args: object) => Promise<unknown>;

interface PywebviewGlobal {
  api?: Record<string, BridgeMethod | undefined>;
}

declare global {
  interface Window {
    pywebview?: PywebviewGlobal;
  }
}

export const TOKEN_META = 'ot-token';
export const TOKEN_PLACEHOLDER = '%OT_TOKEN%';
export const TOKEN_HEADER = 'X-Ollama-Trainer-Token';
/** How long a call waits for `pywebviewready` when the bridge is not there yet. */
export const apiOptions = { bridgeWaitMs: 3000 };

const COMMAND = /^[a-z][a-z0-9_]*$/;

export type Transport = 'desktop' | 'browser';

/** The session token the server put into the page, or null (absent or still the placeholder). */
export function readToken(doc: Document = document): string | null {
  const value = doc.querySelector<HTMLMetaElement>(`meta[name="${TOKEN_META}"]`)?.content?.trim();
  return value && value !== TOKEN_PLACEHOLDER ? value : null;
}

/** 'desktop' when the pywebview bridge is (being) injected, 'browser' when the server gave a
 * token, null when the page cannot tell yet. */
export function detectTransport(): Transport | null {
  if (window.pywebview) return 'desktop';
  const forced = document.querySelector<HTMLMetaElement>('meta[name="ot-transport"]')?.content;
  if (forced === 'desktop' || forced === 'browser') return forced;
  return readToken() ? 'browser' : null;
}

// pywebview fills window.pywebview.api after the page loaded, then fires `pywebviewready`.
let bridgeAnnounced = false;
// After one full wait without it, later calls do not wait again.
let waitedInVain = false;
if (typeof window !== 'undefined') {
  window.addEventListener('pywebviewready', () => {
    bridgeAnnounced = true;
  });
}

function bridgeMethod(cmd: string): BridgeMethod | null {
  const method = window.pywebview?.api?.[cmd];
  return typeof method === 'function' ? method : null;
}

/** Resolves on `pywebviewready` or after `timeoutMs`, whichever comes first. */
function bridgeAnnouncement(timeoutMs: number): Promise<void> {
  if (bridgeAnnounced || waitedInVain) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (!bridgeAnnounced) waitedInVain = true;
      window.removeEventListener('pywebviewready', done);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    window.addEventListener('pywebviewready', done);
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function errorFrom(value: unknown, fallbackCode: ApiErrorCode, fallbackMessage: string): ApiError {
  // Accept {code, message} and {error: {code, message}} bodies alike; a code outside the
  // vocabulary becomes the fallback (the message still says what happened).
  const body = isRecord(value) && isRecord(value.error) ? value.error : value;
  if (isRecord(body) && typeof body.message === 'string') {
    const code = typeof body.code === 'string' && isKnownCode(body.code) ? body.code : fallbackCode;
    return new ApiError(code, body.message);
  }
  return new ApiError(fallbackCode, fallbackMessage);
}

async function invokeDesktop(cmd: string, args: object): Promise<unknown> {
  let method = bridgeMethod(cmd);
  if (!method && !bridgeAnnounced) {
    await bridgeAnnouncement(apiOptions.bridgeWaitMs);
    method = bridgeMethod(cmd);
  }
  if (!method) {
    if (!window.pywebview?.api) throw new ApiError('backend_unreachable', t('error.noBridge'));
    throw new ApiError('unknown_command', `The app has no command '${cmd}'.`);
  }
  let envelope: unknown;
  try {
    envelope = await method(args);
  } catch (err) {
    // A Python exception that escaped the bridge rejects the promise.
    throw errorFrom(err, 'internal_error', err instanceof Error ? err.message : String(err));
  }
  if (isRecord(envelope) && envelope.ok === true && 'result' in envelope) {
    return envelope.result;
  }
  if (isRecord(envelope) && envelope.ok === false) {
    throw errorFrom(envelope.error, 'internal_error', `Command '${cmd}' failed.`);
  }
  throw new ApiError('bad_response', `Command '${cmd}' answered something that is not an envelope.`);
}

async function invokeBrowser(cmd: string, args: object): Promise<unknown> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  const token = readToken();
  if (token) headers[TOKEN_HEADER] = token;
  let response: Response;
  try {
    response = await fetch(`./api/${cmd}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(args),
    });
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new ApiError('backend_unreachable', t('error.unreachable', { detail }));
  }
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = undefined;
  }
  if (response.ok) {
    if (body === undefined) {
      throw new ApiError('bad_response', `Command '${cmd}' answered with something that is not JSON.`);
    }
    return body;
  }
  const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  throw errorFrom(body, `http_${response.status}`, text.trim() ? `${status}: ${text.trim()}` : status);
}

/** What a command takes: its request model, or nothing. */
export type CommandRequest<K extends CommandName> = CommandMap[K]['request'];
/** What a command answers. */
export type CommandResult<K extends CommandName> = CommandMap[K]['result'];
/** The arguments after the command name: none for a command without a request, an optional
 * one when every field of the request has a default, else the request. */
export type CommandArgs<K extends CommandName> =
  CommandRequest<K> extends null
    ? []
    : Partial<CommandRequest<K>> extends CommandRequest<K>
      ? [args?: CommandRequest<K>]
      : [args: CommandRequest<K>];

/** A backend as the stores see it: `invoke`, or a fake of it in tests. */
export type Invoke = <K extends CommandName>(cmd: K, ...args: CommandArgs<K>) => Promise<CommandResult<K>>;

/** Run a backend command and return its result; throws ApiError on any failure. */
export const invoke: Invoke = async (cmd, ...args) =>
  // The contracts say what the backend answers; the transports only check the envelope.
  (await send(cmd, args[0] ?? {})) as CommandResult<typeof cmd>;

async function send(cmd: string, payload: object): Promise<unknown> {
  if (!COMMAND.test(cmd)) {
    throw new ApiError('unknown_command', `'${cmd}' is not a command name.`);
  }
  let transport = detectTransport();
  if (transport === null) {
    // Nothing says yet: a desktop window injects its bridge after the page loaded. Wait for
    // it a little, then fall back to HTTP (whose error then says what is missing).
    await bridgeAnnouncement(apiOptions.bridgeWaitMs);
    transport = window.pywebview ? 'desktop' : 'browser';
  }
  if (transport === 'desktop') return invokeDesktop(cmd, payload);
  return invokeBrowser(cmd, payload);
}

/** Any thrown value as an ApiError, so views show one kind of error. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError('internal_error', err instanceof Error ? err.message : String(err));
}
