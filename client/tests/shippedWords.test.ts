// What ships with the app (profiles, datasets, flows) is named in the window's language: the
// English words in en/shipped.ts are the shipped files' own text, word for word, and every
// shipped entry has them; a person's own entry keeps what they wrote.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localized, setLocale, shippedText } from '../src/lib/i18n';
import { en } from '../src/lib/i18n/en';
import { ru } from '../src/lib/i18n/ru';

const REPO = join(__dirname, '..', '..');
const json = (path: string) => JSON.parse(readFileSync(join(REPO, path), 'utf8'));

interface Entry {
  id: string;
  name: string;
  description?: string;
}

const shipped: [string, Entry[]][] = [
  ['profile', json('config/training_profiles.json').profiles],
  ['dataset', json('config/datasets.json').datasets],
  [
    'flow',
    readdirSync(join(REPO, 'automation/flows'))
      .filter((file) => file.endsWith('.json'))
      .map((file) => json(join('automation/flows', file))),
  ],
];

afterEach(() => setLocale('en'));

describe('shipped words', () => {
  const cases = shipped.flatMap(([kind, entries]) => entries.map((entry) => [kind, entry.id, entry] as const));

  it.each(cases)('%s %s is worded as its file says, and in Russian', (kind, _id, entry) => {
    const table = en as Record<string, string>;
    for (const field of ['name', 'description'] as const) {
      const key = `shipped.${kind}.${entry.id}.${field}`;
      expect(table[key], `${key}: en/shipped.ts must hold the file's text`).toBe(entry[field] ?? '');
      expect((ru as Record<string, string>)[key]).not.toBe(table[key]);
    }
  });

  it('follows the language, and leaves a changed or own entry as it is', () => {
    const demo = { id: 'quick-demo', name: 'Quick demo (CPU)', description: en['shipped.profile.quick-demo.description'] };
    const builtin = localized('profile', { ...demo, source: 'builtin' as const });
    const own = localized('profile', { ...demo, source: 'user' as const });
    const changed = localized('profile', { ...demo, name: 'Quick demo', source: 'builtin' as const });
    expect(builtin.name).toBe('Quick demo (CPU)');
    setLocale('ru');
    expect(builtin.name).toBe(ru['shipped.profile.quick-demo.name']);
    expect(builtin.description).toBe(ru['shipped.profile.quick-demo.description']);
    expect(own.name).toBe('Quick demo (CPU)');
    expect(changed.name).toBe('Quick demo');
    expect(changed.description).toBe(ru['shipped.profile.quick-demo.description']);
    expect(shippedText('flow', 'train_default', 'name', 'Train the demo')).toBe(ru['shipped.flow.train_default.name']);
    expect(shippedText('flow', 'mine', 'name', 'Train the demo')).toBe('Train the demo');
  });
});
