/**
 * The route table: compiled once from route definitions into a segment trie, then
 * matched per request without building regexes or strings beyond the path split.
 *
 * Precedence is AWS API Gateway's (HTTP API "Routing API requests",
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html#http-api-develop-routes.evaluation):
 *   "API Gateway selects the route with the most-specific match, using the following priorities:
 *    1. Full match for a route and method.
 *    2. Match for a route and method with a greedy path variable ({proxy+}).
 *    3. The $default route."
 * and its example: with `GET /pets/dog/{id}`, `GET /pets/{proxy+}`, `ANY /{proxy+}`, `$default`,
 * `GET /pets/cat/1` selects `GET /pets/{proxy+}` and `POST /test/5` selects `ANY /{proxy+}`
 * ("The ANY method matches all methods that you haven't defined for a route").
 *
 * Concretely, segment by segment: a static segment beats `{param}`, which beats a greedy
 * `{proxy+}`; only routes whose method matches (the method itself or ANY) count, so a
 * more specific path without the method falls back to a less specific one that has it;
 * at one path a specific method beats ANY; `$default` is last. A greedy variable catches
 * one or more trailing segments ("catches all child resources", so `/{proxy+}` does not
 * match `/`). REST APIs use the same resource-tree precedence (static resource, then
 * `{param}`, then `{proxy+}`; AWS documents no separate rule for them).
 *
 * Path parameters are URL-decoded ("API Gateway decodes URL-encoded request parameters
 * before passing them to your backend integration", same page); a greedy capture is the
 * decoded remainder without its leading slash.
 */

export interface RouteDef<T> {
  /** Upper-case method or `ANY`. Ignored for the `$default` path. */
  method: string;
  /** `/users/{id}`, `/files/{proxy+}`, `/`, or `$default` (also accepted: `*`). */
  path: string;
  value: T;
}

export interface RouteMatch<T> {
  value: T;
  /** Decoded path parameters, null when the route has none (AWS sends null/omits them). */
  params: Record<string, string> | null;
}

interface Endpoints<T> {
  byMethod: Map<string, Leaf<T>>;
  any: Leaf<T> | null;
}

interface Leaf<T> {
  value: T;
  /** Names of the `{param}` captures in path order. */
  paramNames: string[];
  /** Name of the greedy variable (without `+`), when the route ends in one. */
  greedyName: string | null;
}

class Node<T> {
  statics: Map<string, Node<T>> | null = null;
  param: Node<T> | null = null;
  greedy: Endpoints<T> | null = null;
  here: Endpoints<T> | null = null;
}

export function isDefaultPath(path: string): boolean {
  return path === '$default' || path === '*';
}

function newEndpoints<T>(): Endpoints<T> {
  return { byMethod: new Map(), any: null };
}

/** decodeURIComponent that keeps the raw text when the escape is malformed (AWS passes it through). */
export function safeDecode(s: string): string {
  if (s.indexOf('%') === -1) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export class RouteTable<T> {
  private readonly root = new Node<T>();
  private defaultLeaf: Leaf<T> | null = null;
  /** Definitions dropped because an earlier one had the same method and path (first wins). */
  readonly conflicts: RouteDef<T>[] = [];
  private count = 0;

  constructor(defs: Iterable<RouteDef<T>> = []) {
    for (const d of defs) this.add(d);
  }

  get size(): number {
    return this.count;
  }

  /** Adds a route; returns false (and records a conflict) when the method+path is taken. */
  add(def: RouteDef<T>): boolean {
    if (isDefaultPath(def.path)) {
      if (this.defaultLeaf) {
        this.conflicts.push(def);
        return false;
      }
      this.defaultLeaf = { value: def.value, paramNames: [], greedyName: null };
      this.count++;
      return true;
    }
    const segs = splitPath(def.path);
    let node = this.root;
    const paramNames: string[] = [];
    let greedyName: string | null = null;
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i];
      if (s.length > 2 && s.charCodeAt(0) === 123 /* { */ && s.charCodeAt(s.length - 1) === 125 /* } */) {
        const inner = s.slice(1, -1);
        if (inner.endsWith('+')) {
          if (i !== segs.length - 1) throw new Error(`greedy path variable must be the last segment: ${def.path}`);
          greedyName = inner.slice(0, -1);
          break;
        }
        paramNames.push(inner);
        node = node.param ??= new Node<T>();
      } else {
        node.statics ??= new Map();
        let next = node.statics.get(s);
        if (!next) {
          next = new Node<T>();
          node.statics.set(s, next);
        }
        node = next;
      }
    }
    const eps = greedyName !== null ? (node.greedy ??= newEndpoints<T>()) : (node.here ??= newEndpoints<T>());
    const leaf: Leaf<T> = { value: def.value, paramNames, greedyName };
    const method = def.method.toUpperCase();
    if (method === 'ANY' || method === '*') {
      if (eps.any) {
        this.conflicts.push(def);
        return false;
      }
      eps.any = leaf;
    } else {
      if (eps.byMethod.has(method)) {
        this.conflicts.push(def);
        return false;
      }
      eps.byMethod.set(method, leaf);
    }
    this.count++;
    return true;
  }

  /**
   * Finds the route for a request. `path` is the request path without the query string,
   * as received (percent-encoded); a single trailing slash is ignored (except for `/`).
   */
  match(method: string, path: string): RouteMatch<T> | null {
    const segs = splitPath(path);
    const caps: string[] = [];
    const found = this.walk(this.root, segs, 0, method, caps);
    if (found) return found;
    if (this.defaultLeaf) return { value: this.defaultLeaf.value, params: null };
    return null;
  }

  /** Whether any non-default route (any method) matches the path: a REST resource exists. */
  hasPath(path: string): boolean {
    return this.walk(this.root, splitPath(path), 0, null, []) !== null;
  }

  private walk(node: Node<T>, segs: string[], i: number, method: string | null, caps: string[]): RouteMatch<T> | null {
    if (i === segs.length) {
      if (node.here) {
        const leaf = pick(node.here, method);
        if (leaf) return result(leaf, caps, null);
      }
    } else {
      const seg = segs[i];
      if (node.statics) {
        const child = node.statics.get(seg);
        if (child) {
          const r = this.walk(child, segs, i + 1, method, caps);
          if (r) return r;
        }
      }
      if (node.param && seg.length > 0) {
        caps.push(seg);
        const r = this.walk(node.param, segs, i + 1, method, caps);
        if (r) return r;
        caps.pop();
      }
      if (node.greedy) {
        const leaf = pick(node.greedy, method);
        if (leaf) {
          const rest = i === segs.length - 1 ? seg : segs.slice(i).join('/');
          if (rest.length > 0) return result(leaf, caps, rest);
        }
      }
    }
    return null;
  }
}

function pick<T>(eps: Endpoints<T>, method: string | null): Leaf<T> | null {
  if (method === null) {
    if (eps.any) return eps.any;
    for (const l of eps.byMethod.values()) return l;
    return null;
  }
  return eps.byMethod.get(method) ?? eps.any;
}

function result<T>(leaf: Leaf<T>, caps: string[], greedy: string | null): RouteMatch<T> {
  const n = leaf.paramNames.length;
  if (n === 0 && leaf.greedyName === null) return { value: leaf.value, params: null };
  const params: Record<string, string> = {};
  for (let k = 0; k < n; k++) params[leaf.paramNames[k]] = safeDecode(caps[k]);
  if (leaf.greedyName !== null && greedy !== null) params[leaf.greedyName] = safeDecode(greedy);
  return { value: leaf.value, params };
}

/** `/a/b/` -> ['a','b']; `/` -> []; keeps empty inner segments (`/a//b`). */
export function splitPath(path: string): string[] {
  let end = path.length;
  if (end > 1 && path.charCodeAt(end - 1) === 47 /* / */) end--;
  const start = path.charCodeAt(0) === 47 ? 1 : 0;
  if (end <= start) return [];
  const body = start === 0 && end === path.length ? path : path.slice(start, end);
  return body.split('/');
}
