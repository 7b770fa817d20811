/**
 * awsJson1_0 / awsJson1_1 (DynamoDB, SQS-JSON, Kinesis, ...): `POST /` with
 * `X-Amz-Target: <Prefix>.<Operation>` and a JSON document body.
 *
 * Errors (Smithy aws-json protocol, "Operation error serialization"): the
 * error's type in a `__type` body field (1.0: full shape id, as DynamoDB sends
 * `com.amazonaws.dynamodb.v20120810#ResourceNotFoundException`; 1.1: the shape
 * name), the message, status 400 for client faults and 500 for server faults
 * unless the error says otherwise. An unknown target is 400
 * `com.amazon.coral.service#UnknownOperationException` (dynalite, from DynamoDB).
 */
import { fromJsonStruct, toJsonStructText } from '../codec';
import { CORAL_SERVICE, ServiceError, serializationError } from '../errors';
import type { JsonValue } from '../shapes';
import type { Operation, OutputValue, ServiceDefinition } from '../types';
import { header, type WireResponse } from '../wire';
import { UNSUPPORTED_HEADER, unsupportedMessage, type ProtocolCodec, type Resolution } from './protocol';

function contentType(service: ServiceDefinition): string {
  return service.protocol === 'awsJson1_0' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
}

function baseHeaders(service: ServiceDefinition, requestId: string): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': contentType(service), 'x-amzn-requestid': requestId };
  return service.requestIdHeaders ? Object.assign(headers, service.requestIdHeaders(requestId)) : headers;
}

export function parseJsonBody(body: Buffer, service: ServiceDefinition): { [k: string]: JsonValue } {
  const text = body.toString('utf8');
  // Not `text.trim() === ''`: that copies every (non-empty) body first.
  if (/^\s*$/.test(text)) return {};
  let v: JsonValue;
  try {
    v = JSON.parse(text) as JsonValue;
  } catch (e) {
    throw service.malformedBody ? service.malformedBody((e as Error).message) : serializationError((e as Error).message);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw service.malformedBody ? service.malformedBody('the body is not a JSON object') : serializationError('Start of structure or map found where not expected.');
  }
  return v;
}

export function jsonErrorBody(err: ServiceError, type: string): string {
  const body: Record<string, JsonValue> = { __type: type, [err.messageKey]: err.message };
  for (const [k, v] of Object.entries(err.fields)) body[k] = v;
  return JSON.stringify(body);
}

export const jsonRpcProtocol: ProtocolCodec = {
  resolve(service, req): Resolution {
    const target = header(req, 'x-amz-target');
    if (req.method !== 'POST' || target === undefined) return { kind: 'unknown' };
    const dot = target.lastIndexOf('.');
    const prefix = target.slice(0, dot);
    const name = target.slice(dot + 1);
    if (dot < 0 || prefix !== service.targetPrefix) return { kind: 'unknown' };
    const op: Operation | undefined = Object.prototype.hasOwnProperty.call(service.operations, name) ? service.operations[name] : undefined;
    if (op) return { kind: 'operation', op, labels: new Map() };
    return { kind: 'unimplemented', name };
  },

  parseInput(service, op, _req, _labels, body) {
    return fromJsonStruct(op.input, parseJsonBody(body, service), 'all');
  },

  serializeOutput(service, op, output: OutputValue, requestId): WireResponse {
    return { status: 200, headers: baseHeaders(service, requestId), body: toJsonStructText(op.output, output, 'all') };
  },

  serializeError(service, err, requestId): WireResponse {
    const ns = err.namespace ?? service.errorNamespace;
    const type = service.protocol === 'awsJson1_0' && ns ? `${ns}#${err.code}` : err.code;
    const headers = { ...baseHeaders(service, requestId), ...err.headers };
    if (service.awsQueryCompatible) headers['x-amzn-query-error'] = `${err.code};${err.fault === 'client' ? 'Sender' : 'Receiver'}`;
    return { status: err.status, headers, body: jsonErrorBody(err, type) };
  },

  unknownOperation(service, requestId, resolution): WireResponse {
    const err = new ServiceError('UnknownOperationException', 400, '', { namespace: CORAL_SERVICE });
    const headers = baseHeaders(service, requestId);
    if (resolution.kind === 'unimplemented') headers[UNSUPPORTED_HEADER] = resolution.name;
    const type = service.protocol === 'awsJson1_0' ? `${CORAL_SERVICE}#${err.code}` : err.code;
    const body: Record<string, string> = { __type: type };
    if (resolution.kind === 'unimplemented') body.message = unsupportedMessage(service.signingName, resolution.name);
    return { status: 400, headers, body: JSON.stringify(body) };
  },
};
