// A tiny hash router: #/training, #/training/<id>, #/flows, #/flows/<run_id>.
// Anything else shows the Training view, so an old or mistyped link still lands somewhere.

export type View = 'training' | 'flows';

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
  if ((head !== 'training' && head !== 'flows') || rest.length > 0) return { ...DEFAULT_ROUTE };
  if (rawId === undefined || rawId === '') return { view: head, id: null };
  const id = decode(rawId);
  return id ? { view: head, id } : { view: head, id: null };
}

/** The hash for a route: href('training') -> '#/training', href('flows', 'r1') -> '#/flows/r1'. */
export function href(view: View, id?: string | null): string {
  return id ? `#/${view}/${encodeURIComponent(id)}` : `#/${view}`;
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
