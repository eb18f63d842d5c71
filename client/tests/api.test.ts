import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// api.ts keeps a little module state (whether pywebviewready was seen): import a fresh copy
// in each test.
async function loadApi() {
  vi.resetModules();
  const api = await import('../src/lib/api');
  api.apiOptions.bridgeWaitMs = 50;
  return api;
}

/** invoke without the command map's types: what a name that is no command does at run time. */
function untyped(invoke: unknown) {
  return invoke as (cmd: string) => Promise<unknown>;
}

function setToken(value: string | null) {
  document.head.querySelectorAll('meta[name="ot-token"]').forEach((el) => el.remove());
  if (value !== null) {
    const meta = document.createElement('meta');
    meta.name = 'ot-token';
    meta.content = value;
    document.head.append(meta);
  }
}

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

afterEach(() => {
  delete window.pywebview;
  setToken(null);
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('browser transport', () => {
  beforeEach(() => setToken('secret-123'));

  it('posts the args to ./api/<cmd> with the token and returns the JSON body', async () => {
    const fetchMock = vi.fn(async () => jsonResponse(200, [{ training_id: 't1' }]));
    vi.stubGlobal('fetch', fetchMock);
    const { invoke } = await loadApi();

    const result = await invoke('get_training_history', { limit: 3 });

    expect(result).toEqual([{ training_id: 't1' }]);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('./api/get_training_history');
    expect(init.method).toBe('POST');
    expect(init.body).toBe(JSON.stringify({ limit: 3 }));
    expect((init.headers as Record<string, string>)['X-Ollama-Trainer-Token']).toBe('secret-123');
  });

  it('sends {} when there are no args', async () => {
    const fetchMock = vi.fn(async () => jsonResponse(200, { version: '0.1.0' }));
    vi.stubGlobal('fetch', fetchMock);
    const { invoke } = await loadApi();

    await invoke('app_info');

    const [, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(init.body).toBe('{}');
  });

  it('turns a non-2xx {code, message} body into an ApiError', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        jsonResponse(404, { code: 'unknown_profile', message: "no training profile 'x'" }),
      ),
    );
    const { invoke, ApiError } = await loadApi();

    const error = await invoke('start_training_job', { profile_id: 'x', dataset_id: 'd' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'unknown_profile', message: "no training profile 'x'" });
  });

  it('keeps the message but not a code outside the vocabulary', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse(501, { code: 'not_implemented', message: 'Not Implemented' })));
    const { invoke } = await loadApi();

    await expect(invoke('app_info')).rejects.toMatchObject({ code: 'http_501', message: 'Not Implemented' });
  });

  it('keeps a readable message when the error body is not JSON', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response('Forbidden: bad token', { status: 403, statusText: 'Forbidden' })),
    );
    const { invoke } = await loadApi();

    await expect(invoke('app_info')).rejects.toMatchObject({
      code: 'http_403',
      message: 'HTTP 403 Forbidden: Forbidden: bad token',
    });
  });

  it('maps a network failure to backend_unreachable', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => {
        throw new TypeError('Failed to fetch');
      }),
    );
    const { invoke } = await loadApi();

    const error = await invoke('app_info').catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'backend_unreachable' });
    expect((error as Error).message).toContain('Failed to fetch');
  });

  it('rejects a 200 answer that is not JSON', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('<html>', { status: 200 })));
    const { invoke } = await loadApi();

    await expect(invoke('app_info')).rejects.toMatchObject({ code: 'bad_response' });
  });

  it('refuses a command name that is not one', async () => {
    const fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    const { invoke } = await loadApi();

    await expect(untyped(invoke)('../secret')).rejects.toMatchObject({ code: 'unknown_command' });
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe('desktop transport (pywebview)', () => {
  it('calls window.pywebview.api[cmd] with the args and unwraps an ok envelope', async () => {
    setToken('%OT_TOKEN%');
    const fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    const method = vi.fn(async () => ({ ok: true, result: [{ flow_run_id: 'fr-1' }] }));
    window.pywebview = { api: { get_flow_runs: method } };
    const { invoke } = await loadApi();

    await expect(invoke('get_flow_runs', { limit: 1 })).resolves.toEqual([{ flow_run_id: 'fr-1' }]);
    expect(method).toHaveBeenCalledWith({ limit: 1 });
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('passes {} when there are no args', async () => {
    const method = vi.fn(async () => ({ ok: true, result: null }));
    window.pywebview = { api: { app_info: method } };
    const { invoke } = await loadApi();

    await expect(invoke('app_info')).resolves.toBeNull();
    expect(method).toHaveBeenCalledWith({});
  });

  it('throws the envelope error as an ApiError', async () => {
    window.pywebview = {
      api: {
        start_training_job: async () => ({
          ok: false,
          error: { code: 'job_running', message: 'a training job is already running' },
        }),
      },
    };
    const { invoke, ApiError } = await loadApi();

    const error = await invoke('start_training_job', { profile_id: 'p', dataset_id: 'd' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'job_running', message: 'a training job is already running' });
  });

  it('maps a rejected call (Python exception) to internal_error', async () => {
    window.pywebview = {
      api: {
        app_info: async () => {
          throw new Error('Traceback: boom');
        },
      },
    };
    const { invoke } = await loadApi();

    await expect(invoke('app_info')).rejects.toMatchObject({
      code: 'internal_error',
      message: 'Traceback: boom',
    });
  });

  it('rejects an answer that is not an envelope', async () => {
    window.pywebview = { api: { app_info: async () => ({ version: '1' }) } };
    const { invoke } = await loadApi();

    await expect(invoke('app_info')).rejects.toMatchObject({ code: 'bad_response' });
  });

  it('reports a command the bridge does not have', async () => {
    window.pywebview = { api: {} };
    const { invoke } = await loadApi();
    window.dispatchEvent(new Event('pywebviewready'));

    await expect(untyped(invoke)('no_such_command')).rejects.toMatchObject({ code: 'unknown_command' });
  });

  it('waits for pywebviewready when the bridge is injected after the first call', async () => {
    setToken('%OT_TOKEN%');
    const fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    const { invoke, apiOptions } = await loadApi();
    apiOptions.bridgeWaitMs = 5000;

    const pending = invoke('app_info');
    window.pywebview = { api: { app_info: async () => ({ ok: true, result: { version: '9' } }) } };
    window.dispatchEvent(new Event('pywebviewready'));

    await expect(pending).resolves.toEqual({ version: '9' });
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('falls back to HTTP when no bridge arrives and there is no token', async () => {
    setToken('%OT_TOKEN%');
    const fetchMock = vi.fn(async () =>
      jsonResponse(403, { code: 'forbidden', message: 'missing or wrong token' }),
    );
    vi.stubGlobal('fetch', fetchMock);
    const { invoke } = await loadApi();

    await expect(invoke('app_info')).rejects.toMatchObject({ code: 'forbidden' });
    const [, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect((init.headers as Record<string, string>)['X-Ollama-Trainer-Token']).toBeUndefined();
  });
});

describe('readToken', () => {
  it('ignores the unreplaced placeholder and a missing meta', async () => {
    const { readToken } = await loadApi();
    setToken(null);
    expect(readToken()).toBeNull();
    setToken('%OT_TOKEN%');
    expect(readToken()).toBeNull();
    setToken('abc');
    expect(readToken()).toBe('abc');
  });
});
