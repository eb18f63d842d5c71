// A tiny hash router: #/training, #/training/<id>, #/flows, #/flows/<run_id>,
// #/compare/<id>,<id>,... (the ids joined by commas in `id`), #/chat/<id> (a run's model) and
// #/chat/profile:<profile_id> (a profile's base model).
// Anything else shows the Training view, so an old or mistyped link still lands somewhere.

export type View = 'training' | 'flows' | 'compare' | 'chat';
const VIEWS: readonly string[] = ['training', 'flows', 'compare', 'chat'];

export interface Route {
  view: View;
  id: string | null;
}

export const DEFAULT_ROUTE: Route = { view: 'training', id: null };

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** '#/flows/run-1' -> {view: 'flows', id: 'run-1'}; unknown or empty -> Training. */
export function parseHash(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/^\/+/, '').replace(/\/+$/, '');
  const [head = '', rawId, ...rest] = path.split('/');
  if (!VIEWS.includes(head) || rest.length > 0) return { ...DEFAULT_ROUTE };
  const view = head as View;
  if (rawId === undefined || rawId === '') return { view, id: null };
  const id = decode(rawId);
  return id ? { view, id } : { view, id: null };
}

/** The hash for a route: href('training') -> '#/training', href('flows', 'r1') -> '#/flows/r1'. */
export function href(view: View, id?: string | null): string {
  return id ? `#/${view}/${encodeURIComponent(id)}` : `#/${view}`;
}

/** The compare page of these runs: '#/compare/a,b'. */
export function compareHref(ids: string[]): string {
  return `#/compare/${ids.map(encodeURIComponent).join(',')}`;
}

/** The Chat page of a route's id: a run's model, or with 'profile:' a profile's base model. */
export function chatModel(id: string): { training_id: string } | { profile_id: string } {
  return id.startsWith('profile:') ? { profile_id: id.slice('profile:'.length) } : { training_id: id };
}

/** The run ids of a compare route's id ('a,b' -> ['a', 'b']), each once. */
export function compareIds(id: string | null): string[] {
  return [...new Set((id ?? '').split(',').map((s) => s.trim()).filter(Boolean))];
}

export class Router {
  route: Route = $state({ ...DEFAULT_ROUTE });

  #sync = () => {
    this.route = parseHash(window.location.hash);
  };

  /** Follow location.hash from now on; returns the function that stops it. */
  start(): () => void {
    this.#sync();
    window.addEventListener('hashchange', this.#sync);
    return () => window.removeEventListener('hashchange', this.#sync);
  }

  navigate(view: View, id?: string | null): void {
    window.location.hash = href(view, id);
  }
}

export const router = new Router();
