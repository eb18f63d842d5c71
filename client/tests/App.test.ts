import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import App from '../src/App.svelte';
import { setLocale } from '../src/lib/i18n';
import { LOCALE_STORAGE_KEY, localeState } from '../src/lib/locale.svelte';
import { Router } from '../src/lib/router.svelte';
import { appInfo, datasets, profiles } from './fixtures';

const invokeMock = vi.hoisted(() => vi.fn());

vi.mock('../src/lib/api', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/lib/api')>();
  return { ...actual, invoke: invokeMock };
});

function go(hash: string) {
  window.location.hash = hash;
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

beforeEach(() => {
  invokeMock.mockReset();
  invokeMock.mockImplementation(async (cmd: string) => {
    switch (cmd) {
      case 'app_info':
        return appInfo;
      case 'list_training_profiles':
        return profiles;
      case 'list_datasets':
        return datasets;
      case 'get_active_training':
        return null;
      case 'get_training_history':
        return [];
      case 'list_flows':
        return [];
      case 'get_settings':
        return { ollama_host: null };
      case 'get_ollama_connection':
        return { reachable: true, version: '0.12.11', host: 'http://127.0.0.1:11434', message: 'Ollama 0.12.11 at http://127.0.0.1:11434' };
      case 'get_flow_runs':
        return [];
      case 'get_job_slot':
        return { running: null, here: false, queued: [] };
      default:
        throw new Error(`unexpected ${cmd}`);
    }
  });
});

afterEach(() => {
  window.location.hash = '';
  setLocale('en');
  localStorage.clear();
});

describe('App', () => {
  it('starts on Training and switches views when the hash changes', async () => {
    render(App, { router: new Router() });

    expect(screen.getByRole('heading', { level: 1, name: 'Training' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Training' })).toHaveAttribute('aria-current', 'page');

    go('#/flows');
    expect(await screen.findByRole('heading', { level: 1, name: 'Flows' })).toBeInTheDocument();
    expect(await screen.findByText(/put flow files in automation\/flows/i)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Flows' })).toHaveAttribute('aria-current', 'page');
    expect(screen.getByRole('link', { name: 'Training' })).not.toHaveAttribute('aria-current');

    go('#/training/run-42');
    expect(await screen.findByRole('heading', { level: 1, name: 'Run run-42' })).toBeInTheDocument();

    go('#/flows/fr-1');
    expect(await screen.findByRole('heading', { name: 'Flow run fr-1' })).toBeInTheDocument();

    go('#/training');
    expect(await screen.findByRole('heading', { level: 1, name: 'Training' })).toBeInTheDocument();
  });

  it('opens the view named by the hash it starts with', async () => {
    window.location.hash = '#/flows';
    render(App, { router: new Router() });
    expect(await screen.findByRole('heading', { level: 1, name: 'Flows' })).toBeInTheDocument();
  });

  it('opens the compare page of the runs a #/compare link names', async () => {
    window.location.hash = '#/compare/r1,r2';
    render(App, { router: new Router() });
    expect(await screen.findByRole('heading', { level: 1, name: 'Compare runs' })).toBeInTheDocument();
    await vi.waitFor(() =>
      expect(invokeMock.mock.calls.filter(([cmd]) => cmd === 'compare_runs')).toEqual([
        ['compare_runs', { training_ids: ['r1', 'r2'] }],
      ]),
    );
  });

  it('has sidebar links to both views and shows version and device at its foot', async () => {
    render(App, { router: new Router() });

    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(nav).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Training' })).toHaveAttribute('href', '#/training');
    expect(screen.getByRole('link', { name: 'Flows' })).toHaveAttribute('href', '#/flows');
    expect(await screen.findByText('Version 0.1.0')).toBeInTheDocument();
    expect(screen.getByText('Device: CPU (Test CPU)')).toBeInTheDocument();
    expect(await screen.findByText('Ollama 0.12.11')).toBeInTheDocument();
    expect(screen.getByTestId('ollama-connection')).toHaveAttribute('data-state', 'reachable');
  });

  it('shows the version at once and says it finds the device until the backend knows it', async () => {
    let known = false;
    const fallback = invokeMock.getMockImplementation()!;
    invokeMock.mockImplementation(async (cmd: string, args?: unknown) =>
      cmd === 'app_info' ? (known ? appInfo : { ...appInfo, device: null, device_name: null }) : fallback(cmd, args),
    );
    render(App, { router: new Router() });

    expect(await screen.findByText('Version 0.1.0')).toBeInTheDocument();
    expect(screen.getByTestId('device-finding')).toHaveTextContent('finding it');
    known = true;
    expect(await screen.findByText('Device: CPU (Test CPU)', {}, { timeout: 3000 })).toBeInTheDocument();
    expect(screen.queryByTestId('device-finding')).not.toBeInTheDocument();
  });

  it('says so at the sidebar foot when the backend cannot be reached', async () => {
    const { ApiError } = await import('../src/lib/api');
    invokeMock.mockImplementation(async () => {
      throw new ApiError('backend_unreachable', 'Cannot reach the backend');
    });
    render(App, { router: new Router() });

    expect(await screen.findByText('Not connected: Cannot reach the backend')).toBeInTheDocument();
  });

  it('switches the language from the sidebar and remembers it', async () => {
    render(App, { router: new Router() });
    expect(screen.getByRole('heading', { level: 1, name: 'Training' })).toBeInTheDocument();

    await fireEvent.change(screen.getByRole('combobox', { name: 'Language' }), {
      target: { value: 'ru' },
    });

    expect(await screen.findByRole('heading', { level: 1, name: 'Обучение' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Начать обучение' })).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Язык' })).toHaveValue('ru');
    expect(await screen.findByText('Вы ещё не обучали модель')).toBeInTheDocument();
    expect(localStorage.getItem(LOCALE_STORAGE_KEY)).toBe('ru');
    expect(document.documentElement.lang).toBe('ru');

    // A new window (a reload) starts in the remembered language.
    cleanup();
    localeState.current = 'en';
    localeState.reload();
    render(App, { router: new Router() });
    expect(screen.getByRole('heading', { level: 1, name: 'Обучение' })).toBeInTheDocument();
  });
});
