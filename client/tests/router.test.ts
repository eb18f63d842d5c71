import { afterEach, describe, expect, it } from 'vitest';
import { compareHref, compareIds, href, parseHash, Router } from '../src/lib/router.svelte';

describe('parseHash', () => {
  it.each([
    ['', { view: 'training', id: null }],
    ['#', { view: 'training', id: null }],
    ['#/', { view: 'training', id: null }],
    ['#/training', { view: 'training', id: null }],
    ['#/training/', { view: 'training', id: null }],
    ['#/training/20250101-120000-abc', { view: 'training', id: '20250101-120000-abc' }],
    ['#/flows', { view: 'flows', id: null }],
    ['#/flows/run-7', { view: 'flows', id: 'run-7' }],
    ['#flows/run-7', { view: 'flows', id: 'run-7' }],
    ['#/flows/a%20b', { view: 'flows', id: 'a b' }],
    ['#/flows/%E0%A4%A', { view: 'flows', id: null }],
    ['#/settings', { view: 'training', id: null }],
    ['#/training/a/b', { view: 'training', id: null }],
    ['#/compare/a,b', { view: 'compare', id: 'a,b' }],
  ])('%s', (hash, expected) => {
    expect(parseHash(hash)).toEqual(expected);
  });
});

describe('href', () => {
  it('builds compare hashes whose ids come back in order, each once', () => {
    expect(compareHref(['r1', 'r 2'])).toBe('#/compare/r1,r%202');
    expect(compareIds(parseHash(compareHref(['r1', 'r 2'])).id)).toEqual(['r1', 'r 2']);
    expect(compareIds('a,,b,a')).toEqual(['a', 'b']);
    expect(compareIds(null)).toEqual([]);
  });

  it('builds hashes that parse back', () => {
    expect(href('training')).toBe('#/training');
    expect(href('flows', 'run 1')).toBe('#/flows/run%201');
    expect(parseHash(href('flows', 'run 1'))).toEqual({ view: 'flows', id: 'run 1' });
  });
});

describe('Router', () => {
  afterEach(() => {
    window.location.hash = '';
  });

  it('follows hashchange until stopped', () => {
    window.location.hash = '#/flows';
    const router = new Router();
    const stop = router.start();
    expect(router.route).toEqual({ view: 'flows', id: null });

    window.location.hash = '#/training/t1';
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    expect(router.route).toEqual({ view: 'training', id: 't1' });

    stop();
    window.location.hash = '#/flows/r2';
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    expect(router.route).toEqual({ view: 'training', id: 't1' });
  });

  it('navigate() sets location.hash', () => {
    const router = new Router();
    router.navigate('flows', 'r9');
    expect(window.location.hash).toBe('#/flows/r9');
  });
});
