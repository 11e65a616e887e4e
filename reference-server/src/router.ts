// A tiny path router: "/users/:id" patterns, 404 for unknown paths and 405 for a known path with
// another method, as Mattermost answers.
export type Params = Record<string, string>;

interface Route<H> {
  method: string;
  segments: string[];
  handler: H;
}

export type Match<H> = { kind: 'found'; handler: H; params: Params } | { kind: 'method-not-allowed' } | { kind: 'not-found' };

export class Router<H> {
  private readonly routes: Route<H>[] = [];

  add(method: string, pattern: string, handler: H): this {
    this.routes.push({ method, segments: pattern.split('/').filter(Boolean), handler });
    // Literal routes win over parameter routes ("/users/me" before "/users/:user_id").
    this.routes.sort((a, b) => specificity(b) - specificity(a));
    return this;
  }

  match(method: string, path: string): Match<H> {
    const parts = path.split('/').filter(Boolean);
    let pathKnown = false;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === method) return { kind: 'found', handler: route.handler, params };
      pathKnown = true;
    }
    return pathKnown ? { kind: 'method-not-allowed' } : { kind: 'not-found' };
  }
}

function specificity(route: Route<unknown>): number {
  return route.segments.filter((s) => !s.startsWith(':')).length;
}

function matchSegments(pattern: string[], parts: string[]): Params | null {
  if (pattern.length !== parts.length) return null;
  const params: Params = {};
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i].startsWith(':')) {
      let value: string;
      try {
        value = decodeURIComponent(parts[i]);
      } catch {
        return null;
      }
      params[pattern[i].slice(1)] = value;
    } else if (pattern[i] !== parts[i]) {
      return null;
    }
  }
  return params;
}
