// Live objects shared per backend: every view that shows the same training run (or its export)
// gets the same object, so one poll serves them all. Keyed by the backend too, so a test's fake
// backend never sees another's objects.
import type { Invoke } from '../api';

const registries = new WeakMap<Invoke, Map<string, unknown>>();

/** The object `key` names on this backend, made by `create` the first time. */
export function shared<T>(call: Invoke, key: string, create: () => T): T {
  let registry = registries.get(call);
  if (!registry) {
    registry = new Map();
    registries.set(call, registry);
  }
  if (!registry.has(key)) registry.set(key, create());
  return registry.get(key) as T;
}
