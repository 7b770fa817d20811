/**
 * Watches an app directory for `nimbus dev`: changes are collected and reported
 * once things settle (debounced). The top level is watched on its own and each
 * top-level folder recursively, so ignored trees (node_modules, .git, .nimbus)
 * never get watchers at all.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const IGNORED_DIRS = new Set(['node_modules', '.git', '.nimbus']);

/** Editor droppings that are not real changes. */
function ignoredFile(base: string): boolean {
  return (
    base.endsWith('~') ||
    /\.(swp|swx|swo|tmp)$/.test(base) ||
    base === '4913' ||
    base.startsWith('.#') ||
    base === '.DS_Store' ||
    /^sed[A-Za-z0-9]{6}$/.test(base) // sed -i's temporary file
  );
}

export interface WatchOptions {
  debounceMs?: number;
  /** Absolute paths (inside dir) to ignore as well, e.g. a data dir. */
  ignore?: string[];
  onError?: (e: Error) => void;
}

export class AppWatcher {
  private readonly root: string;
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private readonly changed = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly debounceMs: number;
  private readonly ignore: string[];

  constructor(
    dir: string,
    private readonly onChange: (files: string[]) => void,
    private readonly o: WatchOptions = {},
  ) {
    this.root = path.resolve(dir);
    this.debounceMs = o.debounceMs ?? 150;
    this.ignore = (o.ignore ?? []).map((p) => path.relative(this.root, path.resolve(p))).filter((r) => r && !r.startsWith('..') && !path.isAbsolute(r));
    this.watch('', false);
    for (const d of fs.readdirSync(this.root, { withFileTypes: true })) {
      if (d.isDirectory()) this.watchTopDir(d.name);
    }
  }

  private isIgnored(rel: string): boolean {
    const parts = rel.split(/[\\/]/);
    if (parts.some((p) => IGNORED_DIRS.has(p))) return true;
    if (ignoredFile(parts[parts.length - 1] ?? '')) return true;
    return this.ignore.some((i) => rel === i || rel.startsWith(i + path.sep));
  }

  private watchTopDir(name: string): void {
    if (IGNORED_DIRS.has(name) || this.isIgnored(name) || this.watchers.has(name)) return;
    this.watch(name, true);
  }

  private watch(rel: string, recursive: boolean): void {
    let w: fs.FSWatcher;
    try {
      w = fs.watch(path.join(this.root, rel), { recursive, persistent: true }, (_event, file) => {
        const name = file === null || file === undefined ? '' : String(file);
        this.event(rel ? (name ? path.join(rel, name) : rel) : name);
      });
    } catch (e) {
      // The folder vanished between listing and watching: nothing to watch.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.o.onError?.(e as Error);
      return;
    }
    w.on('error', (e) => {
      // A watched folder was removed: drop its watcher; its removal was reported already.
      w.close();
      this.watchers.delete(rel);
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'EPERM') this.o.onError?.(e);
    });
    this.watchers.set(rel, w);
  }

  private event(rel: string): void {
    if (this.closed || rel === '' || this.isIgnored(rel)) return;
    // A new folder at the top level gets its own recursive watcher.
    if (!rel.includes(path.sep)) {
      let isDir = false;
      try {
        isDir = fs.statSync(path.join(this.root, rel)).isDirectory();
      } catch {
        /* removed */
      }
      if (isDir) this.watchTopDir(rel);
      else if (this.watchers.has(rel)) {
        this.watchers.get(rel)!.close();
        this.watchers.delete(rel);
      }
    }
    this.changed.add(rel);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), this.debounceMs);
  }

  private fire(): void {
    this.timer = null;
    if (this.closed || this.changed.size === 0) return;
    const files = [...this.changed].sort();
    this.changed.clear();
    this.onChange(files);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
