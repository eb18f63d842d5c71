// A training profile's calls from its card and its editor: save (save_training_profile; the
// backend checks the base model) and delete (delete_training_profile). One per card or editor,
// so each shows its own progress and refusal.
import { type Invoke, invoke } from '../api';
import type { TrainingProfile } from '../contracts.gen';
import { Loadable } from './loadable.svelte';

export class ProfileCalls {
  /** The last save: the profile as the backend saved it. */
  readonly saving = new Loadable<TrainingProfile | null>(null, null);
  readonly deleting = new Loadable<null>(null, null);
  #call: Invoke;

  constructor(call: Invoke = invoke) {
    this.#call = call;
  }

  /** Save `profile` (`replace`: an existing one of that id); the saved profile, or null when
   * refused (see `saving.error`). */
  async save(profile: TrainingProfile, replace: boolean): Promise<TrainingProfile | null> {
    if (this.saving.loading) return null;
    const ok = await this.saving.run(() => this.#call('save_training_profile', { profile, replace }));
    return ok ? this.saving.value : null;
  }

  /** Delete the person's profile `id`; true when it is gone. */
  remove(id: string): Promise<boolean> {
    return this.deleting.run(async () => {
      await this.#call('delete_training_profile', { profile_id: id });
      return null;
    });
  }
}
