// @vitest-environment node
// The client's rule: a backend call lives in a store (src/lib/stores/*.svelte.ts), never inline
// in a component. A component takes the backend's types from stores/backend.ts (to pass a
// test's fake on to its stores); it never imports the api module, never names `invoke`, and
// never calls a command by name. Every .svelte file under src/ is read.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/** Each rule a component's text may break, with what it says then. */
const RULES: [RegExp, string][] = [
  [/['"][^'"\n]*\/api(?:\.ts|\.js)?['"]/, 'imports the api module (take Invoke and ApiError from stores/backend)'],
  [/\binvoke\b/, 'names invoke (a store makes the call)'],
  [/\b(?:call|invoke)\s*\(\s*['"`][a-z][a-z0-9_]*['"`]/, 'calls a backend command (move the call into a store)'],
];

/** What `text` breaks, in words. */
function offences(text: string): string[] {
  return RULES.filter(([pattern]) => pattern.test(text)).map(([, why]) => why);
}

function svelteFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return svelteFiles(path);
    return entry.name.endsWith('.svelte') ? [path] : [];
  });
}

describe('components call the backend only through stores', () => {
  it('finds each kind of inline call', () => {
    expect(offences("import { invoke } from '../api';")).toHaveLength(2);
    expect(offences("import type { Invoke } from '../api';")).toHaveLength(1);
    expect(offences("  const list = new Loadable(() => call('list_base_models'), null);")).toHaveLength(1);
    expect(offences("await job.call('cancel_training_job', { training_id })")).toHaveLength(1);
    expect(offences("import type { Invoke } from '../stores/backend';\nconst store = new BasesStore(call);")).toEqual([]);
  });

  it('holds for App.svelte and every component', () => {
    const files = svelteFiles(src).map((path) => relative(src, path));
    expect(files).toContain('App.svelte');
    expect(files.filter((path) => path.startsWith('lib/components/')).length).toBeGreaterThan(10);

    const broken = Object.fromEntries(
      files
        .map((path) => [path, offences(readFileSync(join(src, path), 'utf8'))] as const)
        .filter(([, found]) => found.length > 0),
    );
    expect(broken).toEqual({});
  });
});
