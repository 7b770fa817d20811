/**
 * restJson1 (Lambda, API Gateway, ...): HTTP bindings plus a JSON body.
 *
 * Errors (Smithy restJson1, "Operation error serialization"): the shape name in
 * an `X-Amzn-Errortype` header; the body holds the error's members as the
 * service models them (Lambda: `{"Type":"User","Message":"Function not found:
 * ..."}`, as botocore records it in LocalStack's AWS-validated snapshots), and
 * header-bound members go to headers (Lambda's `Retry-After`).
 */
import { fromJsonStruct, toJsonStructText } from '../codec';
import type { JsonValue } from '../shapes';
import type { OutputValue } from '../types';
import type { WireResponse } from '../wire';
import { parseJsonBody } from './json-rpc';
import { UNSUPPORTED_HEADER, unsupportedMessage, type ProtocolCodec } from './protocol';
import { parseRestInput, resolveRest, serializeRestOutput } from './rest';

export const restJsonProtocol: ProtocolCodec = {
  resolve: resolveRest,

  parseInput(service, op, req, labels, body) {
    return parseRestInput(op, req, labels, body, (shape, b) => fromJsonStruct(shape, parseJsonBody(b, service), 'body'));
  },

  serializeOutput(service, op, output: OutputValue, requestId): WireResponse {
    const r = serializeRestOutput(op, output, (shape, v) => toJsonStructText(shape, v, 'body'), 'application/json');
    // An operation may answer with its own request id (Lambda's Invoke: the invocation's).
    return { ...r, headers: { 'x-amzn-requestid': requestId, ...(service.requestIdHeaders?.(requestId) ?? {}), ...r.headers } };
  },

  serializeError(service, err, requestId): WireResponse {
    const body: Record<string, JsonValue> = { ...err.fields, [err.messageKey]: err.message };
    return {
      status: err.status,
      headers: {
        'content-type': 'application/json',
        'x-amzn-requestid': requestId,
        'x-amzn-errortype': err.code,
        ...(service.requestIdHeaders?.(requestId) ?? {}),
        ...err.headers,
      },
      body: JSON.stringify(body),
    };
  },

  unknownOperation(service, requestId, resolution): WireResponse {
    const headers: Record<string, string> = { 'x-amzn-requestid': requestId, 'x-amzn-errortype': 'UnknownOperationException', ...(service.requestIdHeaders?.(requestId) ?? {}) };
    if (resolution.kind !== 'unimplemented') return { status: 404, headers, body: '<UnknownOperationException/>\n' };
    // An operation AWS has but Nimbus lacks: the same code and status, with a body the SDKs can parse and a message that names it.
    headers[UNSUPPORTED_HEADER] = resolution.name;
    headers['content-type'] = 'application/json';
    return { status: 404, headers, body: JSON.stringify({ message: unsupportedMessage(service.signingName, resolution.name) }) };
  },
};
