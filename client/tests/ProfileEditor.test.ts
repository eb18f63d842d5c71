import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../src/lib/api';
import ProfileEditor from '../src/lib/components/ProfileEditor.svelte';
import type { TrainingProfile } from '../src/lib/contracts.gen';
import { profile, profiles } from './fixtures';
import { fakeBackend, findAlert, renderTrainingPanel } from './helpers';
import { baseList } from './profileFixtures';

const invokeMock = vi.hoisted(() => vi.fn());
vi.mock('../src/lib/api', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/lib/api')>();
  return { ...actual, invoke: invokeMock };
});

/** The backend echoes a saved profile as the user's. */
const echo = (args: Record<string, unknown>): TrainingProfile => ({ ...(args.profile as TrainingProfile), source: 'user' });

function editor(props: { mode: 'new' | 'edit' | 'duplicate'; profile?: TrainingProfile }, answers = {}) {
  const backend = fakeBackend({ list_base_models: baseList, save_training_profile: echo, ...answers });
  const onsaved = vi.fn();
  const oncancel = vi.fn();
  render(ProfileEditor, { ...props, call: backend.call, onsaved, oncancel });
  return { backend, onsaved, oncancel };
}

const field = (label: string | RegExp) => screen.getByLabelText(label) as HTMLInputElement;
async function type(label: string | RegExp, value: string) {
  await fireEvent.input(field(label), { target: { value } });
}

describe('ProfileEditor', () => {
  it('starts from the contracts’ defaults and says what is missing on Save, without saving', async () => {
    const { backend, onsaved } = editor({ mode: 'new' });

    expect(screen.getByRole('heading', { name: 'New profile' })).toBeVisible();
    expect(field('Default epochs')).toHaveValue(3);
    expect(field('Learning rate')).toHaveValue(0.001);
    expect(field('LoRA rank (r)')).toHaveValue(16);
    expect(field('LoRA alpha')).toHaveValue(32);
    expect(field('Batch size')).toHaveValue(4);
    expect(field('Max sequence length')).toHaveValue(512);
    expect(field('Eval fraction')).toHaveValue(0.1);
    expect(field('Replay')).toHaveValue('auto');
    expect(field(/Target modules/).value).toBe('q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj');

    await fireEvent.click(screen.getByRole('button', { name: 'Save profile' }));
    expect(screen.getByText('Id is required.')).toBeVisible();
    expect(screen.getByText('Name is required.')).toBeVisible();
    expect(screen.getByText(/Choose a base model/)).toBeVisible();
    expect(field('Id')).toHaveAttribute('aria-invalid', 'true');
    expect(backend.callsOf('save_training_profile')).toHaveLength(0);
    expect(onsaved).not.toHaveBeenCalled();
  });

  it('words each bad value with its bounds', async () => {
    editor({ mode: 'new' });

    await type('Id', 'My Profile');
    expect(screen.getByText(/The id must start with a lowercase letter or a digit/)).toBeVisible();
    await type('Learning rate', '0');
    expect(screen.getByText('Learning rate must be a number above 0 and at most 1.')).toBeVisible();
    await type('Default epochs', '101');
    expect(screen.getByText('Default epochs must be a whole number from 1 to 100.')).toBeVisible();
    await type('Eval fraction', '0.9');
    expect(screen.getByText('Eval fraction must be a number from 0 to just below 0.9.')).toBeVisible();
    await type('LoRA rank (r)', '2.5');
    expect(screen.getByText('LoRA rank (r) must be a whole number from 1 to 1024.')).toBeVisible();
    await type(/Target modules/, 'q_proj, v-proj');
    expect(screen.getByText('“v-proj” is not a module name: use letters, digits, _ and dots.')).toBeVisible();
    // Fixed, the words go.
    await type('Learning rate', '0.0005');
    expect(screen.queryByText(/Learning rate must be/)).not.toBeInTheDocument();
  });

  it('saves a new profile on the chosen base and hands back what the backend saved', async () => {
    const { backend, onsaved } = editor({ mode: 'new' });

    await type('Id', 'my-gemma');
    await type('Name', 'My Gemma');
    await type('Description', 'Gemma on my chats');
    await fireEvent.click(await screen.findByRole('radio', { name: /gemma3:270m/ }));
    await type('Default epochs', '5');
    await type('LoRA rank (r)', '8');
    await type(/Target modules/, 'q_proj v_proj');
    await fireEvent.change(field('Replay'), { target: { value: 'off' } });
    expect(screen.queryByLabelText('Replay ratio')).not.toBeInTheDocument();
    await fireEvent.click(screen.getByRole('button', { name: 'Save profile' }));

    await vi.waitFor(() => expect(onsaved).toHaveBeenCalled());
    const [sent] = backend.callsOf('save_training_profile');
    expect(sent.replace).toBe(false);
    const saved = sent.profile as TrainingProfile;
    expect(saved).toMatchObject({
      id: 'my-gemma',
      name: 'My Gemma',
      description: 'Gemma on my chats',
      base_model: 'ollama:gemma3:270m',
      default_epochs: 5,
      lora: { r: 8, alpha: 32, dropout: 0, target_modules: ['q_proj', 'v_proj'] },
      learning_rate: 0.001,
      replay: 'off',
      source: 'user',
    });
    expect(onsaved.mock.calls[0][0].id).toBe('my-gemma');
  });

  it('shows the backend’s refusal in a banner and keeps the form', async () => {
    const { onsaved } = editor(
      { mode: 'new' },
      { save_training_profile: new ApiError('profile_exists', "'quick' is already a shipped profile; choose another id, or edit that profile") },
    );
    await type('Id', 'quick');
    await type('Name', 'Mine');
    await type(/Or the path/, '/models/tiny');
    await fireEvent.click(screen.getByRole('button', { name: 'Save profile' }));

    await findAlert(['The profile could not be saved', "'quick' is already a shipped profile"]);
    expect(field('Id')).toHaveValue('quick');
    expect(onsaved).not.toHaveBeenCalled();
  });

  it('edits under the same id (replacing it) and copies under a new one', async () => {
    const mine = profile({ id: 'mine', name: 'Mine', source: 'user', base_model: '/models/tiny', ollama_base: 'smollm2:135m' });
    const first = editor({ mode: 'edit', profile: mine });
    expect(screen.getByRole('heading', { name: 'Edit Mine' })).toBeVisible();
    expect(field('Id')).toHaveAttribute('readonly');
    expect(field(/Or the path/)).toHaveValue('/models/tiny');
    await type('Batch size', '2');
    await fireEvent.click(screen.getByRole('button', { name: 'Save profile' }));
    await vi.waitFor(() => expect(first.onsaved).toHaveBeenCalled());
    const [edited] = first.backend.callsOf('save_training_profile');
    expect(edited.replace).toBe(true);
    expect(edited.profile).toMatchObject({ id: 'mine', batch_size: 2, ollama_base: 'smollm2:135m' });

    cleanup();
    const second = editor({ mode: 'duplicate', profile: profiles[1] });
    expect(field('Id')).toHaveValue('identity-copy');
    expect(field('Name')).toHaveValue('Teach an identity (copy)');
    expect(field('Learning rate')).toHaveValue(0.0002);
    await fireEvent.click(screen.getByRole('button', { name: 'Save profile' }));
    await vi.waitFor(() => expect(second.onsaved).toHaveBeenCalled());
    const [copied] = second.backend.callsOf('save_training_profile');
    expect(copied).toMatchObject({ replace: false, profile: { id: 'identity-copy', learning_rate: 0.0002, max_seq_len: 256 } });
  });
});

describe('Profiles in the Training view', () => {
  function panel(answers: Parameters<typeof fakeBackend>[0] = {}) {
    let list = [...profiles, profile({ id: 'mine', name: 'Mine', source: 'user', base_model: '/models/tiny' })];
    const backend = fakeBackend({
      list_base_models: baseList,
      list_training_profiles: () => list,
      save_training_profile: (args) => {
        const saved = echo(args);
        list = [...list.filter((p) => p.id !== saved.id), saved];
        return saved;
      },
      delete_training_profile: (args) => {
        list = list.filter((p) => p.id !== args.profile_id);
        return { ok: true };
      },
      ...answers,
    });
    renderTrainingPanel(backend, invokeMock);
    return backend;
  }

  it('creates a profile with New profile, then lists and selects it', async () => {
    const backend = panel();
    await fireEvent.click(await screen.findByRole('button', { name: 'New profile' }));
    // The form is one of several in the view: its fields are found inside it.
    const form = within(screen.getByRole('form', { name: 'New profile' }));
    await fireEvent.input(form.getByLabelText('Id'), { target: { value: 'fresh' } });
    await fireEvent.input(form.getByLabelText('Name'), { target: { value: 'Fresh one' } });
    await fireEvent.click(await form.findByRole('radio', { name: /SmolLM2 135M Instruct/ }));
    await fireEvent.click(form.getByRole('button', { name: 'Save profile' }));

    expect(await screen.findByRole('radio', { name: 'Fresh one' })).toBeChecked();
    expect(screen.queryByRole('heading', { name: 'New profile' })).not.toBeInTheDocument();
    expect(backend.callsOf('list_training_profiles').length).toBeGreaterThanOrEqual(2);
  });

  it('offers Delete only on the user’s own profile, and deletes after Yes', async () => {
    const backend = panel();
    const shipped = await screen.findByRole('group', { name: 'Actions for Quick test' });
    expect(within(shipped).getByRole('button', { name: 'Edit' })).toBeVisible();
    expect(within(shipped).queryByRole('button', { name: 'Delete' })).not.toBeInTheDocument();

    const own = screen.getByRole('group', { name: 'Actions for Mine' });
    expect(within(own).getByText('Your profile')).toBeVisible();
    await fireEvent.click(within(own).getByRole('button', { name: 'Delete' }));
    expect(backend.callsOf('delete_training_profile')).toHaveLength(0);
    await fireEvent.click(within(own).getByRole('button', { name: 'Yes, delete' }));

    await vi.waitFor(() => expect(screen.queryByRole('radio', { name: 'Mine' })).not.toBeInTheDocument());
    expect(backend.callsOf('delete_training_profile')).toEqual([{ profile_id: 'mine' }]);
  });

  it('opens the editor with Edit and Duplicate on a card', async () => {
    panel();
    const group = await screen.findByRole('group', { name: 'Actions for Teach an identity' });
    await fireEvent.click(within(group).getByRole('button', { name: 'Duplicate' }));
    expect(screen.getByRole('heading', { name: 'Copy of Teach an identity' })).toBeVisible();
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await fireEvent.click(within(group).getByRole('button', { name: 'Edit' }));
    expect(screen.getByRole('heading', { name: 'Edit Teach an identity' })).toBeVisible();
    expect(screen.getByText(/This profile ships with the app/)).toBeVisible();
  });
});
