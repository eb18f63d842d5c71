import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/lib/api';
import FlowRunView from '../src/lib/components/FlowRunView.svelte';
import { FlowRunStore } from '../src/lib/stores/flows.svelte';
import { status } from './fixtures';
import { flowRun, stepRun } from './flowFixtures';
import { fakeBackend, findAlert } from './helpers';

function open(answers: Parameters<typeof fakeBackend>[0], id = 'fr-1') {
  const backend = fakeBackend(answers);
  const store = new FlowRunStore(backend.call);
  render(FlowRunView, { flowRunId: id, store });
  return { backend, store };
}

const running = () =>
  flowRun({
    status: 'running',
    finished_at: null,
    duration_s: null,
    steps: [
      stepRun({ status: 'running', training_id: 't-7', started_at: '2025-03-01T10:00:01Z' }),
      stepRun({ id: 'export', cmd: 'EXPORT' }),
    ],
  });

describe('FlowRunView', () => {
  it("shows a running TRAIN step's live training status and links to its training", async () => {
    const { backend, store } = open({
      get_flow_run: running(),
      get_training_status: status({
        training_id: 't-7', epoch: 1, total_epochs: 3, step: 4, total_steps: 18, loss: 0.5234,
      }),
    });

    expect(await screen.findByRole('heading', { level: 1, name: 'Flow run Quick demo' })).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent('running');
    const train = document.querySelector('[data-step-id="train"]') as HTMLElement;
    expect(await within(train).findByText('running — epoch 1 / 3, step 4 / 18, loss 0.52')).toBeInTheDocument();
    expect(within(train).getByRole('link', { name: 'Open training' })).toHaveAttribute('href', '#/training/t-7');
    const exportStep = document.querySelector('[data-step-id="export"]') as HTMLElement;
    expect(within(exportStep).getByText('pending')).toBeInTheDocument();
    expect(backend.callsOf('get_training_status')).toEqual([{ training_id: 't-7' }]);

    backend.table.get_training_status = status({ training_id: 't-7', epoch: 2, total_epochs: 3, step: 9, total_steps: 18, loss: 0.31 });
    await store.poll();
    expect(await within(train).findByText('running — epoch 2 / 3, step 9 / 18, loss 0.31')).toBeInTheDocument();

    // The step ended: its training's last snapshot is fetched once more, then no longer.
    backend.table.get_flow_run = flowRun({ steps: [stepRun({ status: 'done', training_id: 't-7', duration_s: 60 })] });
    backend.table.get_training_status = status({ training_id: 't-7', status: 'done', epoch: 3, total_epochs: 3, step: 18, total_steps: 18, loss: 0.0412 });
    await store.poll();
    expect(await within(train).findByText('done — epoch 3 / 3, step 18 / 18, loss 0.041')).toBeInTheDocument();
    await store.poll();
    expect(backend.callsOf('get_training_status')).toHaveLength(3);
  });

  it('says that a TRAIN step started while another training runs waits in line, and its place', async () => {
    open({
      get_flow_run: running(),
      get_training_status: status({ training_id: 't-7', status: 'queued', queue_position: 1, epoch: 0, step: 0, total_steps: 0 }),
    });
    const train = await screen.findByText(/waits in line \(place 1\)/);
    expect(train).toHaveTextContent('it starts when the running training ends');
  });

  it('shows outputs (long ones shortened) and step errors', async () => {
    const longPath = `/home/me/${'x'.repeat(120)}/adapter`;
    open({
      get_flow_run: flowRun({
        status: 'error',
        error: "step 'export' failed",
        steps: [
          stepRun({ status: 'done', training_id: 't-7', duration_s: 42, outputs: { training_id: 't-7', adapter_dir: longPath } }),
          stepRun({ id: 'export', cmd: 'EXPORT', status: 'error', error: 'Ollama is not reachable at http://127.0.0.1:11434' }),
        ],
      }),
      get_training_status: status({ training_id: 't-7', status: 'done' }),
    });

    const train = await waitForStep('train');
    // Outputs under their names in words (training_id: Run), ids and paths as written.
    expect(within(train).getByText('Run', { selector: 'dt' }).nextElementSibling).toHaveTextContent('t-7');
    const shown = within(train).getByTitle(longPath);
    expect(shown.textContent).toHaveLength(80);
    expect(shown.textContent?.endsWith('…')).toBe(true);
    expect(within(train).getByText('0:42')).toBeInTheDocument();
    const exportStep = document.querySelector('[data-step-id="export"]') as HTMLElement;
    expect(within(exportStep).getByText(/Ollama is not reachable/)).toHaveClass('step-error');
    expect(screen.getByRole('alert')).toHaveTextContent("step 'export' failed");
  });

  it('cancels only after the in-page confirmation', async () => {
    const { backend } = open({
      get_flow_run: running(),
      get_training_status: status({ training_id: 't-7' }),
      cancel_flow_run: flowRun({ status: 'cancelled', steps: [stepRun({ status: 'cancelled', training_id: 't-7' })] }),
    });

    await fireEvent.click(await screen.findByRole('button', { name: 'Cancel run' }));
    expect(backend.callsOf('cancel_flow_run')).toEqual([]);
    const no = screen.getByRole('button', { name: 'No, keep running' });
    await fireEvent.click(no);
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel run' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Yes, cancel run' }));

    expect(backend.callsOf('cancel_flow_run')).toEqual([{ flow_run_id: 'fr-1' }]);
    expect(await screen.findByText('cancelled', { selector: '[role="status"]' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Cancel run' })).not.toBeInTheDocument();
  });

  it('says Cancelling… while the run winds down after the cancel was accepted', async () => {
    open({
      get_flow_run: running(),
      get_training_status: status({ training_id: 't-7' }),
      cancel_flow_run: running(),
    });
    await fireEvent.click(await screen.findByRole('button', { name: 'Cancel run' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Yes, cancel run' }));
    expect(await screen.findByRole('button', { name: 'Cancelling…' })).toBeDisabled();
  });

  it('shows the backend message for an unknown id', async () => {
    open({ get_flow_run: new ApiError('unknown_flow_run', "no flow run 'nope'") }, 'nope');

    expect(screen.getByRole('heading', { level: 1, name: 'Flow run nope' })).toBeInTheDocument();
    await findAlert(['This flow run could not be loaded', "no flow run 'nope'", 'unknown_flow_run']);
  });
});

async function waitForStep(id: string): Promise<HTMLElement> {
  await screen.findByRole('heading', { name: 'Steps' });
  return document.querySelector(`[data-step-id="${id}"]`) as HTMLElement;
}
