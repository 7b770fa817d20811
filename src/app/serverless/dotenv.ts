/**
 * `useDotenv: true`: the framework loads `.env.<stage>` from the service directory,
 * or `.env` when there is no stage-specific file, before resolving variables; keys
 * already set in the environment win (dotenv's rule). Variable expansion inside .env
 * files (dotenv-expand) is not supported.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Parses dotenv text: `KEY=value`, optional `export `, quotes, `#` comments. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^\s*(?:export\s+)?([\w.-]+)\s*=\s*("(?:\\.|[^"\\])*"|'[^']*'|`[^`]*`|[^\n#]*?)\s*(?:#.*)?$/;
  for (const line of text.split(/\r?\n/)) {
    const m = re.exec(line);
    if (!m) continue;
    let value = m[2];
    const q = value[0];
    if ((q === '"' || q === "'" || q === '`') && value.endsWith(q) && value.length >= 2) {
      value = value.slice(1, -1);
      if (q === '"') value = value.replace(/\\n/g, '\n').replace(/\\r/g, '\r').replace(/\\(["\\])/g, '$1');
    }
    out[m[1]] = value;
  }
  return out;
}

/** The variables from `.env.<stage>` or `.env` in appDir, and the file read (null when none). */
export function loadDotenv(appDir: string, stage: string): { file: string | null; values: Record<string, string> } {
  for (const name of [`.env.${stage}`, '.env']) {
    const p = path.join(appDir, name);
    let text: string;
    try {
      text = fs.readFileSync(p, 'utf8');
    } catch {
      continue;
    }
    return { file: name, values: parseDotenv(text) };
  }
  return { file: null, values: {} };
}
