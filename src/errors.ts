/**
 * Platform errors: configuration and internal faults, each with a stable ERR_* code
 * listed in docs/errors.md. Errors that travel over an AWS wire protocol are a
 * different kind (ServiceError, in aws/) and are never mixed with these.
 */
export type PlatformErrorCode =
  | 'ERR_APP_NOT_FOUND'
  | 'ERR_APP_INVALID'
  | 'ERR_APP_VARIABLE'
  | 'ERR_APP_DEPLOY'
  | 'ERR_HANDLER_NOT_FOUND'
  | 'ERR_BUILD_FAILED'
  | 'ERR_ROUTE_CONFLICT'
  | 'ERR_FUNCTION_NOT_FOUND'
  | 'ERR_STORE'
  | 'ERR_STORE_URL'
  | 'ERR_UNAUTHORIZED'
  | 'ERR_BAD_REQUEST'
  | 'ERR_PORT_IN_USE'
  | 'ERR_INTERNAL';

export class PlatformError extends Error {
  readonly code: PlatformErrorCode;
  /** The file the error is about, when there is one (app definitions). */
  readonly file?: string;
  /** The dotted key path inside that file, e.g. `functions.hello.timeout`. */
  readonly key?: string;

  constructor(code: PlatformErrorCode, message: string, opts: { file?: string; key?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'PlatformError';
    this.code = code;
    this.file = opts.file;
    this.key = opts.key;
  }
}

export function isPlatformError(e: unknown): e is PlatformError {
  return e instanceof PlatformError;
}
