/**
 * ServiceError: an error that travels over an AWS wire protocol, with AWS's code,
 * HTTP status and fault. Never mixed with platform errors (src/errors.ts, ERR_*),
 * which are for configuration and internal faults.
 *
 * `fields` are extra members of the error structure as the service models them
 * (Lambda's `Type`, `Reason`; S3's `Resource`, `HostId`...), serialized into the
 * body next to the message; `headers` are error members bound to headers
 * (Lambda's `Retry-After`). `messageKey` is the casing the service's model uses
 * for the message member (`message` or `Message`; protocols that fix the name,
 * like query's `<Message>`, ignore it).
 */
import type { JsonValue } from './shapes';

export type Fault = 'client' | 'server';

export interface ServiceErrorOptions {
  fault?: Fault;
  /** JSON protocols send every field; XML protocols only the scalar ones. */
  fields?: Record<string, JsonValue>;
  headers?: Record<string, string>;
  messageKey?: 'message' | 'Message';
  /** JSON 1.0: the namespace of `__type` (`com.amazon.coral.service` for protocol-level errors). */
  namespace?: string;
}

export class ServiceError extends Error {
  readonly fault: Fault;
  readonly fields: Record<string, JsonValue>;
  readonly headers: Record<string, string>;
  readonly messageKey: 'message' | 'Message';
  readonly namespace?: string;

  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    opts: ServiceErrorOptions = {},
  ) {
    super(message);
    this.name = code;
    this.fault = opts.fault ?? (status >= 500 ? 'server' : 'client');
    this.fields = opts.fields ?? {};
    this.headers = opts.headers ?? {};
    this.messageKey = opts.messageKey ?? 'message';
    this.namespace = opts.namespace;
  }
}

export function isServiceError(e: unknown): e is ServiceError {
  return e instanceof ServiceError;
}

/** Coral's namespace for errors raised by the framework rather than the service (auth, serialization, routing). */
export const CORAL_SERVICE = 'com.amazon.coral.service';
export const CORAL_VALIDATE = 'com.amazon.coral.validate';

/** `N validation error(s) detected: a; b` (AWS's wording for constraint failures). */
export function validationError(messages: string[]): ServiceError {
  const n = messages.length;
  return new ServiceError('ValidationException', 400, `${n} validation error${n === 1 ? '' : 's'} detected: ${messages.join('; ')}`, {
    namespace: CORAL_VALIDATE,
  });
}

export function serializationError(message: string): ServiceError {
  return new ServiceError('SerializationException', 400, message, { namespace: CORAL_SERVICE, messageKey: 'Message' });
}
