// One timer per live object, shared by every view that follows it: a training shown by the
// panel, its run page and a flow page is fetched once per tick, not once per view. Views follow
// from an $effect and stop in its cleanup; the timer runs while anyone follows and stops with
// the last one.

interface Entry {
  followers: number;
  timer: ReturnType<typeof setInterval>;
  /** A tick still running: the next one waits for the tick after it. */
  running: boolean;
}

export class SharedPoller {
  #entries = new Map<object, Entry>();

  /** Call `tick` every `intervalMs` while anyone follows `target`. The first follower's tick and
   * interval serve all (they all follow the same object); a tick that has not finished when the
   * next is due makes that one skip. Returns the stop function (calling it twice is harmless). */
  follow(target: object, tick: () => unknown, intervalMs: number): () => void {
    let entry = this.#entries.get(target);
    if (!entry) {
      const created: Entry = { followers: 0, running: false, timer: undefined as never };
      created.timer = setInterval(() => void this.#tick(created, tick), intervalMs);
      this.#entries.set(target, created);
      entry = created;
    }
    entry.followers += 1;
    const followed = entry;
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      followed.followers -= 1;
      if (followed.followers === 0) {
        clearInterval(followed.timer);
        this.#entries.delete(target);
      }
    };
  }

  /** How many follow `target` now (0: no timer runs for it). */
  followers(target: object): number {
    return this.#entries.get(target)?.followers ?? 0;
  }

  async #tick(entry: Entry, tick: () => unknown): Promise<void> {
    if (entry.running) return;
    entry.running = true;
    try {
      await tick();
    } catch {
      // A tick records its own failure (the live object's error); the timer goes on.
    } finally {
      entry.running = false;
    }
  }
}

/** The app's poller; every store follows through it. */
export const poller = new SharedPoller();
