/**
 * ProjectionExpression (and ReturnValues UPDATED_*): keeps the given document
 * paths of an item in their nested shape. Elements picked from a list come
 * back as a shorter list in index order ("a[1], a[3]" of [w, x, y, z] is
 * [x, z]); missing paths are left out, and so are maps or lists that end up
 * with nothing in them (AWS: "Projection expressions"; dynalite db.mapPaths).
 */
import type { AttributeValue, Item } from '../model/attribute-value';
import type { Path } from './ast';

/** Paths merged into a tree; `leaf` takes the whole value. */
export interface ProjectionTree {
  leaf: boolean;
  keys: [string, ProjectionTree][];
  indexes: [number, ProjectionTree][];
}

const hasOwn = Object.prototype.hasOwnProperty;

function node(): ProjectionTree {
  return { leaf: false, keys: [], indexes: [] };
}

export function buildProjectionTree(paths: Path[]): ProjectionTree {
  const root = node();
  for (const path of paths) {
    let cur = root;
    for (const seg of path) {
      if (cur.leaf) break; // an ancestor is taken whole
      if (typeof seg === 'number') {
        let next = cur.indexes.find((e) => e[0] === seg);
        if (!next) cur.indexes.push((next = [seg, node()]));
        cur = next[1];
      } else {
        let next = cur.keys.find((e) => e[0] === seg);
        if (!next) cur.keys.push((next = [seg, node()]));
        cur = next[1];
      }
    }
    cur.leaf = true;
    cur.keys = [];
    cur.indexes = [];
  }
  sortIndexes(root);
  return root;
}

function sortIndexes(t: ProjectionTree): void {
  t.indexes.sort((a, b) => a[0] - b[0]);
  for (const [, c] of t.keys) sortIndexes(c);
  for (const [, c] of t.indexes) sortIndexes(c);
}

function projectValue(v: AttributeValue, t: ProjectionTree): AttributeValue | undefined {
  if (t.leaf) return v;
  let mapOut: Record<string, AttributeValue> | undefined;
  if (t.keys.length > 0 && 'M' in v) {
    const m = v.M;
    for (const [k, child] of t.keys) {
      const x = m[k];
      if (x === undefined || !hasOwn.call(m, k)) continue;
      const p = projectValue(x, child);
      if (p !== undefined) (mapOut ??= {})[k] = p;
    }
    return mapOut === undefined ? undefined : { M: mapOut };
  }
  if (t.indexes.length > 0 && 'L' in v) {
    const out: AttributeValue[] = [];
    for (const [i, child] of t.indexes) {
      if (i >= v.L.length) break;
      const p = projectValue(v.L[i], child);
      if (p !== undefined) out.push(p);
    }
    return out.length === 0 ? undefined : { L: out };
  }
  return undefined;
}

export function projectWithTree(item: Item, tree: ProjectionTree): Item {
  const out: Item = {};
  for (const [k, child] of tree.keys) {
    const v = item[k];
    if (v === undefined || !hasOwn.call(item, k)) continue;
    const p = projectValue(v, child);
    if (p !== undefined) out[k] = p;
  }
  return out;
}

/** The parts of `item` at `paths` (for ReturnValues UPDATED_OLD / UPDATED_NEW). */
export function projectPaths(item: Item, paths: Path[]): Item {
  return projectWithTree(item, buildProjectionTree(paths));
}
