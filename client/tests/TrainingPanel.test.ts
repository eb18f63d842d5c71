import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/lib/api';
import TrainingPanel from '../src/lib/components/TrainingPanel.svelte';
import { CatalogStore } from '../src/lib/stores/catalog.svelte';
import { datasets, profiles } from './fixtures';

const invokeMock = vi.hoisted(() => vi.fn());

vi.mock('../src/lib/api', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/lib/api')>();
  return { ...actual, invoke: invokeMock };
});

function answer(results: Record<string, unknown>) {
  invokeMock.mockImplementation(async (cmd: string) => {
    const value = results[cmd];
    if (value instanceof Error) throw value;
    if (value === undefined) throw new ApiError('unknown_command', `no ${cmd}`);
    return value;
  });
}

beforeEach(() => {
  invokeMock.mockReset();
});

describe('TrainingPanel', () => {
  it('lists the profiles and datasets the backend returns', async () => {
    answer({ list_training_profiles: profiles, list_datasets: datasets });
    render(TrainingPanel, { catalog: new CatalogStore() });

    expect(screen.getByRole('heading', { level: 1, name: 'Training' })).toBeInTheDocument();
    const profileGroup = await screen.findByRole('group', { name: 'Profile' });
    const radios = within(profileGroup).getAllByRole('radio');
    expect(radios).toHaveLength(2);
    expect(within(profileGroup).getByRole('radio', { name: /Quick test/ })).toBeChecked();
    expect(within(profileGroup).getByText('A short run to see that everything works')).toBeVisible();

    const datasetGroup = await screen.findByRole('group', { name: 'Dataset' });
    // The first valid dataset is picked until the person picks another.
    expect(within(datasetGroup).getByRole('radio', { name: /Lumen identity/ })).toBeChecked();
    expect(within(datasetGroup).getByText('Has errors')).toBeVisible();
    expect(within(datasetGroup).getByText('broken.jsonl:2: assistant message is empty')).toBeVisible();

    expect(invokeMock).toHaveBeenCalledWith('list_training_profiles');
    expect(invokeMock).toHaveBeenCalledWith('list_datasets');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('shows loading states until the lists arrive', async () => {
    let release: (value: unknown) => void = () => {};
    invokeMock.mockImplementation(
      (cmd: string) =>
        new Promise((resolve) => {
          if (cmd === 'list_training_profiles') release = () => resolve(profiles);
          else resolve(datasets);
        }),
    );
    render(TrainingPanel, { catalog: new CatalogStore() });

    expect(screen.getByText('Loading training profiles…')).toHaveAttribute('role', 'status');
    release(profiles);
    expect(await screen.findByRole('group', { name: 'Profile' })).toBeInTheDocument();
    expect(screen.queryByText('Loading training profiles…')).not.toBeInTheDocument();
  });

  it('changes the selection when another card is picked', async () => {
    answer({ list_training_profiles: profiles, list_datasets: datasets });
    render(TrainingPanel, { catalog: new CatalogStore() });

    const identity = await screen.findByRole('radio', { name: /Teach an identity/ });
    await fireEvent.click(identity);

    expect(identity).toBeChecked();
    expect(screen.getByText('Selected: Teach an identity on Lumen identity')).toBeInTheDocument();
  });

  it('shows the backend message in an alert and retries', async () => {
    answer({
      list_training_profiles: new ApiError('catalog_invalid', "training_profiles.json line 3: 'id' is missing"),
      list_datasets: datasets,
    });
    render(TrainingPanel, { catalog: new CatalogStore() });

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent("training_profiles.json line 3: 'id' is missing");
    expect(alert).toHaveTextContent('catalog_invalid');
    // The datasets still show.
    expect(await screen.findByRole('radio', { name: /Lumen identity/ })).toBeInTheDocument();

    answer({ list_training_profiles: profiles, list_datasets: datasets });
    await fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('radio', { name: /Quick test/ })).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('says what to do when there is nothing to list', async () => {
    answer({ list_training_profiles: [], list_datasets: [] });
    render(TrainingPanel, { catalog: new CatalogStore() });

    expect(await screen.findByText(/No training profiles yet/)).toBeInTheDocument();
    expect(await screen.findByText(/No datasets yet/)).toBeInTheDocument();
  });
});
