import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/lib/api';
import FlowsPanel from '../src/lib/components/FlowsPanel.svelte';
import { coerceInputs, FlowsStore } from '../src/lib/stores/flows.svelte';
import { flowList, flowRun } from './flowFixtures';
import { fakeBackend, findAlert } from './helpers';

function open(answers: Parameters<typeof fakeBackend>[0] = {}) {
  const backend = fakeBackend({ list_flows: flowList, get_flow_runs: [], ...answers });
  const store = new FlowsStore(backend.call);
  const started: string[] = [];
  render(FlowsPanel, { store, onstarted: (id: string) => started.push(id) });
  return { backend, store, started };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('FlowsPanel', () => {
  it('lists each flow with its steps and a Run button, and broken files apart', async () => {
    open();

    const card = (await screen.findByRole('heading', { name: 'Quick demo' })).closest('article')!;
    expect(within(card).getByText('Train the Lumen identity, then export it')).toBeInTheDocument();
    const steps = within(card).getByRole('list', { name: 'Steps' });
    expect(within(steps).getAllByRole('listitem').map((li) => li.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      'Train',
      'Export to Ollama (continues on error)',
    ]);
    expect(within(card).getByRole('button', { name: 'Run Quick demo' })).toBeEnabled();

    const broken = screen.getByRole('region', { name: 'Flow files with errors' });
    expect(within(broken).getByText('/home/me/.ollama-trainer/flows/broken.json')).toBeInTheDocument();
    expect(within(broken).getByText('broken.json: not valid JSON (line 3, column 5)')).toBeInTheDocument();
    expect(within(broken).queryByRole('button')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Run broken' })).not.toBeInTheDocument();
  });

  it('says where flow files go when there are none', async () => {
    open({ list_flows: [] });
    expect(
      await screen.findByText("No flows yet. Put flow files in automation/flows or your data folder's flows/ folder."),
    ).toBeInTheDocument();
  });

  it('runs a flow without inputs at once and goes to the new run', async () => {
    const { backend, started } = open({ run_flow: { flow_run_id: 'fr-9' } });

    await fireEvent.click(await screen.findByRole('button', { name: 'Run Quick demo' }));

    await vi.waitFor(() => expect(started).toEqual(['fr-9']));
    expect(backend.callsOf('run_flow')).toEqual([{ flow_id: 'quick-demo' }]);
  });

  it('asks for the inputs, prefilled with defaults, and requires those without one', async () => {
    const { backend, started } = open({ run_flow: { flow_run_id: 'fr-2' } });

    const run = await screen.findByRole('button', { name: 'Run Train on documents' });
    await fireEvent.click(run);
    expect(run).toHaveAttribute('aria-expanded', 'true');
    const form = screen.getByRole('form', { name: 'Inputs for Train on documents' });
    const folder = within(form).getByLabelText(/^Folder/);
    const epochs = within(form).getByLabelText('Epochs');
    expect(folder).toHaveValue('');
    expect(folder).toBeRequired();
    expect(epochs).toHaveValue(2);

    await fireEvent.click(within(form).getByRole('button', { name: 'Start run' }));
    expect(within(form).getByRole('alert')).toHaveTextContent('Fill in: Folder.');
    expect(backend.callsOf('run_flow')).toEqual([]);

    await fireEvent.input(folder, { target: { value: '/home/me/notes' } });
    await fireEvent.input(epochs, { target: { value: '4' } });
    await fireEvent.click(within(form).getByRole('button', { name: 'Start run' }));

    await vi.waitFor(() => expect(started).toEqual(['fr-2']));
    expect(backend.callsOf('run_flow')).toEqual([
      { flow_id: 'docs', inputs: { folder: '/home/me/notes', epochs: 4 } },
    ]);
  });

  it("shows the backend's refusal in the flow's card", async () => {
    const { started } = open({
      run_flow: new ApiError('invalid_input', "input 'folder' must be a folder that exists"),
    });
    await fireEvent.click(await screen.findByRole('button', { name: 'Run Train on documents' }));
    await fireEvent.input(screen.getByLabelText(/^Folder/), { target: { value: '/nope' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Start run' }));

    await findAlert(['The flow could not start', "input 'folder' must be a folder that exists"]);
    expect(started).toEqual([]);
  });

  it('lists flow runs newest first with status words and links', async () => {
    open({
      get_flow_runs: [
        flowRun({ flow_run_id: 'fr-3', status: 'running', finished_at: null, duration_s: null }),
        flowRun({ flow_run_id: 'fr-2', status: 'error', flow_name: 'Train on documents', duration_s: 12 }),
        flowRun({ flow_run_id: 'fr-1' }),
      ],
    });

    const section = await screen.findByRole('region', { name: 'Flow runs' });
    const rows = await within(section).findAllByRole('row');
    expect(rows).toHaveLength(4);
    expect(within(rows[1]).getByRole('link', { name: 'Quick demo' })).toHaveAttribute('href', '#/flows/fr-3');
    expect(within(rows[1]).getByText('running')).toHaveAttribute('data-state', 'running');
    expect(within(rows[2]).getByRole('link', { name: 'Train on documents' })).toHaveAttribute('href', '#/flows/fr-2');
    expect(within(rows[2]).getByText('error')).toBeInTheDocument();
    expect(within(rows[2]).getByText('0:12')).toBeInTheDocument();
    expect(within(rows[3]).getByText('1:15')).toBeInTheDocument();
  });

  it('says so when there are no flow runs yet', async () => {
    open();
    const section = await screen.findByRole('region', { name: 'Flow runs' });
    expect(await within(section).findByText('No flow runs yet')).toBeInTheDocument();
  });
});

describe('FlowsStore', () => {
  it('refreshes the runs every second only while one is running', async () => {
    vi.useFakeTimers();
    let answer = [flowRun({ status: 'running' })];
    const backend = fakeBackend({ get_flow_runs: () => answer });
    const store = new FlowsStore(backend.call);
    await store.runs.load();
    const stop = store.watch();

    await vi.advanceTimersByTimeAsync(1000);
    expect(backend.callsOf('get_flow_runs')).toHaveLength(2);
    answer = [flowRun({ status: 'done' })];
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.anyRunning).toBe(false);
    await vi.advanceTimersByTimeAsync(3000);
    expect(backend.callsOf('get_flow_runs')).toHaveLength(3);
    stop();
  });

  it('keeps numbers numbers when the default is one', () => {
    expect(coerceInputs({ n: 2, s: 'a', b: false }, { n: '5', s: '7', b: true })).toEqual({ n: 5, s: '7', b: true });
    expect(coerceInputs({ n: 2 }, { n: 'many' })).toEqual({ n: 'many' });
  });
});
