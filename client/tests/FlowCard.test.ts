import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import FlowCard from '../src/lib/components/FlowCard.svelte';
import type { FlowInfo } from '../src/lib/contracts.gen';
import type { InputValue } from '../src/lib/stores/flows.svelte';
import { JobSlotStore } from '../src/lib/stores/jobSlot.svelte';
import { status } from './fixtures';
import { flowList } from './flowFixtures';
import { fakeBackend } from './helpers';

async function slotWith(running: ReturnType<typeof status> | null) {
  const slot = new JobSlotStore(fakeBackend({ get_job_slot: { running, here: false, queued: [] } }).call);
  await slot.check();
  return slot;
}

function card(flow: FlowInfo, slot: JobSlotStore, props: Record<string, unknown> = {}) {
  const runs: Record<string, InputValue>[] = [];
  render(FlowCard, { flow, slot, onrun: (inputs: Record<string, InputValue>) => runs.push(inputs), ...props });
  return runs;
}

describe('FlowCard: the machine is training', () => {
  it('says that a TRAIN step will wait in line, and Run stays enabled', async () => {
    const runs = card(flowList[0], await slotWith(status({ training_id: 'cli-run' })));
    expect(screen.getByTestId('flow-waits')).toHaveTextContent(
      'A training job is running (cli-run): this flow’s TRAIN step will wait in line until it ends.',
    );
    const run = screen.getByRole('button', { name: 'Run Quick demo' });
    expect(run).toBeEnabled();
    await fireEvent.click(run);
    await waitFor(() => expect(runs).toEqual([{}]));
  });

  it('says nothing when no job runs, or when the flow does not train', async () => {
    card(flowList[0], await slotWith(null));
    expect(screen.queryByTestId('flow-waits')).not.toBeInTheDocument();
    const noTrain: FlowInfo = { ...flowList[0], id: 'export-only', name: 'Export only', steps: [flowList[0].steps[1]] };
    card(noTrain, await slotWith(status()));
    expect(screen.queryByTestId('flow-waits')).not.toBeInTheDocument();
  });
});
