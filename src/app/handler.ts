/**
 * Lambda's Node.js handler string rule (aws-lambda-nodejs-runtime-interface-client,
 * src/UserFunction.js): the directory part is everything up to the last `/`; in the
 * last segment the module name ends at the FIRST dot and the rest is the export path,
 * resolved as nested properties (`module.exports.a.b` for `file.a.b`). A handler
 * containing `..` is rejected as malformed.
 *
 *   index.handler             -> module `index`,              export `handler`
 *   src/handlers/users.create -> module `src/handlers/users`, export `create`
 *   a/b.c.d                   -> module `a/b`,                export `c.d` (nested)
 */
import { PlatformError } from '../errors';
import type { FunctionSpec } from './stack';

export interface HandlerParts {
  /** Module path relative to the function's code dir, without extension. */
  modulePath: string;
  /** Export to call; may be a dotted path into nested objects (`c.d`). */
  exportName: string;
}

/** Splits a Node.js handler string; null when it is malformed by Lambda's rule. */
export function splitHandler(handler: string): HandlerParts | null {
  if (handler.includes('..')) return null;
  const slash = handler.lastIndexOf('/');
  const dir = handler.slice(0, slash + 1);
  const base = handler.slice(slash + 1);
  const dot = base.indexOf('.');
  if (dot <= 0 || dot === base.length - 1) return null;
  const exportName = base.slice(dot + 1);
  if (exportName.split('.').some((p) => p === '')) return null;
  return { modulePath: dir + base.slice(0, dot), exportName };
}

/** The module and export a Node.js function's handler names (see the rule above). */
export function resolveHandler(spec: Pick<FunctionSpec, 'handler'> & Partial<Pick<FunctionSpec, 'key'>>): HandlerParts {
  const parts = splitHandler(spec.handler);
  if (!parts) {
    const where = spec.key ? `functions.${spec.key}.handler ` : 'handler ';
    throw new PlatformError('ERR_APP_INVALID', `${where}must be "path/to/module.export" (got ${JSON.stringify(spec.handler)})`, {
      key: spec.key ? `functions.${spec.key}.handler` : undefined,
    });
  }
  return parts;
}
