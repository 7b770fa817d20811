/**
 * What each wire protocol provides to the endpoint: recognising the operation,
 * decoding its input, and encoding its output or a service error, exactly as
 * that protocol does on AWS.
 */
import type { DecodedStruct } from '../codec';
import type { ServiceError } from '../errors';
import type { Operation, OutputValue, ServiceDefinition } from '../types';
import type { WireRequest, WireResponse } from '../wire';

export type Resolution =
  | { kind: 'operation'; op: Operation; labels: ReadonlyMap<string, string> }
  /** AWS has this operation; Nimbus does not implement it yet. */
  | { kind: 'unimplemented'; name: string }
  | { kind: 'unknown' };

export interface ProtocolCodec {
  resolve(service: ServiceDefinition, req: WireRequest): Resolution;
  /** Decodes the input members (validation is the endpoint's next step). `body` is the (de-chunked) payload. */
  parseInput(service: ServiceDefinition, op: Operation, req: WireRequest, labels: ReadonlyMap<string, string>, body: Buffer): DecodedStruct;
  serializeOutput(service: ServiceDefinition, op: Operation, output: OutputValue, requestId: string): WireResponse;
  serializeError(service: ServiceDefinition, err: ServiceError, requestId: string): WireResponse;
  /** AWS's answer for an operation it does not know. */
  unknownOperation(service: ServiceDefinition, requestId: string, resolution: Resolution, req: WireRequest): WireResponse;
}

/** A header naming an operation Nimbus knows but has not implemented (AWS's own answer cannot say which). */
export const UNSUPPORTED_HEADER = 'x-nimbus-unsupported-operation';

export function unsupportedMessage(service: string, operation: string): string {
  return `Nimbus does not implement the ${service} operation ${operation} yet`;
}
