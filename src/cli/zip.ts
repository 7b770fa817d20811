/**
 * Zips an app directory for `nimbus deploy`: everything, node_modules included
 * (as a Lambda deployment package), except Nimbus' own `.nimbus/` and `.git/`.
 * Symlinks are stored as what they point to (the server refuses link entries);
 * Unix permission bits travel along so a `bootstrap` stays executable.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { CliError } from './errors';

const SKIP_DIRS = new Set(['.nimbus', '.git']);

export interface ZipResult {
  data: Uint8Array;
  files: number;
  bytes: number;
}

export function zipDirectory(dir: string): ZipResult {
  const root = path.resolve(dir);
  const entries: Zippable = {};
  let files = 0;
  let bytes = 0;
  const seenDirs = new Set<string>();

  const walk = (abs: string, rel: string): void => {
    const real = fs.realpathSync(abs);
    if (seenDirs.has(real)) return; // a symlink cycle
    seenDirs.add(real);
    for (const d of fs.readdirSync(abs, { withFileTypes: true })) {
      const childAbs = path.join(abs, d.name);
      const childRel = rel ? `${rel}/${d.name}` : d.name;
      let st: fs.Stats;
      try {
        st = fs.statSync(childAbs); // follows symlinks
      } catch {
        continue; // a dangling symlink
      }
      if (st.isDirectory()) {
        if (SKIP_DIRS.has(d.name)) continue;
        walk(childAbs, childRel);
      } else if (st.isFile()) {
        const data = fs.readFileSync(childAbs);
        // Unix "made by" and st_mode in the upper 16 bits of the external attributes.
        entries[childRel] = [data, { os: 3, attrs: (0o100000 | (st.mode & 0o777)) * 0x10000, mtime: zipTime(st.mtime) }];
        files++;
        bytes += data.length;
      }
    }
    seenDirs.delete(real);
  };

  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch {
    throw new CliError(`app directory ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new CliError(`${dir} is not a directory`);
  walk(root, '');
  return { data: zipSync(entries, { level: 6 }), files, bytes };
}

/** Zip (DOS) times cover 1980..2107 only; fflate throws outside that range. */
function zipTime(t: Date): Date {
  const y = t.getFullYear();
  if (y < 1980) return new Date(1980, 0, 1);
  if (y > 2099) return new Date(2099, 11, 31);
  return t;
}
