// @vitest-environment node
// contracts.gen.ts must match backend/ollama_trainer/contracts.py: regenerate it from the
// Python models and compare. Fails with "run npm run gen:contracts" when stale, and with
// "run make setup" when there is no Python to run the check with (it never skips).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const client = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shownPython = process.env.OT_PYTHON ?? '../.venv/bin/python';
const python = resolve(client, shownPython);
const backend = resolve(client, '../backend');

describe('contracts.gen.ts', () => {
  it('is generated from the current contracts.py', () => {
    if (!existsSync(python)) throw new Error(`run make setup: ${shownPython} is missing`);
    const schema = spawnSync(python, ['-m', 'ollama_trainer.schema'], {
      cwd: client,
      env: { ...process.env, PYTHONPATH: backend },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(schema.status, `python -m ollama_trainer.schema failed:\n${schema.stderr}`).toBe(0);
    const parsed = JSON.parse(schema.stdout) as { $defs: Record<string, unknown> };
    expect(Object.keys(parsed.$defs)).toContain('TrainingProfile');
    expect(Object.keys(parsed.$defs)).not.toContain('Strict');

    const check = spawnSync(process.execPath, ['scripts/gen-contracts.mjs', '--check'], {
      cwd: client,
      input: schema.stdout,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(check.stderr, 'contracts.gen.ts is stale: run `npm run gen:contracts` in client/').toBe('');
    expect(check.status).toBe(0);
  }, 90_000);
});
