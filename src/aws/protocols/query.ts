/**
 * awsQuery (SQS's and SNS's classic API, STS, IAM): `Action` and `Version` with
 * the input as form parameters (`application/x-www-form-urlencoded` body, or
 * the query string of a GET). Lists are `Name.member.N` (flattened: `Name.N`),
 * maps `Name.entry.N.key` / `.value`, nested structures `Name.Member`.
 *
 * Responses: `<OpResponse xmlns=ns><OpResult>...</OpResult><ResponseMetadata>
 * <RequestId/></ResponseMetadata></OpResponse>`. Errors (Smithy aws-query
 * protocol): `<ErrorResponse><Error><Type>Sender|Receiver</Type><Code/><Message/>
 * </Error><RequestId/></ErrorResponse>`, 400 for client faults and 500 for
 * server faults unless the error says otherwise. An unknown Action is
 * `InvalidAction` (AWS's "Common Errors").
 */
import type { Decoded, DecodedStruct } from '../codec';
import { fromStrings } from '../codec';
import { ServiceError } from '../errors';
import type { Shape, StructureShape } from '../shapes';
import { parseQuery } from '../sigv4';
import type { Operation, OutputValue, ServiceDefinition } from '../types';
import { xmlElement, xmlText } from '../xml';
import { structContent } from '../xml-codec';
import { header, type WireRequest, type WireResponse } from '../wire';
import { UNSUPPORTED_HEADER, type ProtocolCodec, type Resolution } from './protocol';

/** The request's parameters: form body (POST) merged after the query string. */
export function queryParams(req: WireRequest): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of req.query) out.set(k, v);
  const ct = header(req, 'content-type') ?? '';
  if (req.method === 'POST' && (ct === '' || ct.toLowerCase().startsWith('application/x-www-form-urlencoded'))) {
    for (const [k, v] of parseQuery(req.body.toString('utf8'), true)) out.set(k, v);
  }
  return out;
}

function decodeValue(shape: Shape, params: Map<string, string>, key: string): Decoded | undefined {
  switch (shape.kind) {
    case 'structure':
      return decodeStruct(shape, params, key + '.');
    case 'list': {
      const base = shape.flattened ? key : `${key}.${shape.memberName ?? 'member'}`;
      const out: Decoded[] = [];
      for (let i = 1; ; i++) {
        const v = decodeValue(shape.member, params, `${base}.${i}`);
        if (v === undefined) break;
        out.push(v);
      }
      // `Name=` with no members is an explicitly empty list.
      return out.length === 0 && !params.has(key) ? undefined : out;
    }
    case 'map': {
      const base = shape.flattened ? key : `${key}.entry`;
      const out: { [k: string]: Decoded } = {};
      let any = false;
      for (let i = 1; ; i++) {
        const k = params.get(`${base}.${i}.key`);
        if (k === undefined) break;
        const v = decodeValue(shape.value, params, `${base}.${i}.value`);
        if (v !== undefined) out[k] = v;
        any = true;
      }
      return any ? out : undefined;
    }
    default: {
      const v = params.get(key);
      return v === undefined ? undefined : fromStrings(shape, [v], 'query');
    }
  }
}

function decodeStruct(shape: StructureShape, params: Map<string, string>, prefix: string): DecodedStruct | undefined {
  const out: DecodedStruct = {};
  let any = false;
  for (const [name, m] of Object.entries(shape.members)) {
    const v = decodeValue(m.shape, params, prefix + (m.name ?? name));
    if (v !== undefined) {
      out[name] = v;
      any = true;
    }
  }
  return any || prefix === '' ? out : undefined;
}

export function queryErrorXml(service: ServiceDefinition, err: ServiceError, requestId: string): string {
  const fields = Object.entries(err.fields)
    .filter(([, v]) => v === null || typeof v !== 'object')
    .map(([k, v]) => xmlText(k, String(v)))
    .join('');
  const error = xmlElement('Error', xmlText('Type', err.fault === 'client' ? 'Sender' : 'Receiver') + xmlText('Code', err.code) + xmlText('Message', err.message) + fields);
  return xmlElement('ErrorResponse', error + xmlText('RequestId', requestId), service.xmlNamespace ? { xmlns: service.xmlNamespace } : {});
}

function baseHeaders(service: ServiceDefinition, requestId: string): Record<string, string> {
  return { 'content-type': 'text/xml', 'x-amzn-requestid': requestId, ...(service.requestIdHeaders?.(requestId) ?? {}) };
}

export const queryProtocol: ProtocolCodec = {
  resolve(service, req): Resolution {
    const action = queryParams(req).get('Action');
    if (action === undefined || action === '') return { kind: 'unknown' };
    const op: Operation | undefined = Object.prototype.hasOwnProperty.call(service.operations, action) ? service.operations[action] : undefined;
    return op ? { kind: 'operation', op, labels: new Map() } : { kind: 'unimplemented', name: action };
  },

  parseInput(_service, op, req, _labels, body) {
    return decodeStruct(op.input, queryParams({ ...req, body }), '') ?? {};
  },

  serializeOutput(service, op, output: OutputValue, requestId): WireResponse {
    const { content } = structContent(op.output, output);
    const result = content === '' ? '' : xmlElement(`${op.name}Result`, content);
    const meta = xmlElement('ResponseMetadata', xmlText('RequestId', requestId));
    const body = xmlElement(`${op.name}Response`, result + meta, service.xmlNamespace ? { xmlns: service.xmlNamespace } : {});
    return { status: 200, headers: baseHeaders(service, requestId), body };
  },

  serializeError(service, err, requestId): WireResponse {
    return { status: err.status, headers: { ...baseHeaders(service, requestId), ...err.headers }, body: queryErrorXml(service, err, requestId) };
  },

  unknownOperation(service, requestId, resolution, req): WireResponse {
    const action = queryParams(req).get('Action');
    const err =
      action === undefined || action === ''
        ? new ServiceError('MissingAction', 400, 'The request must contain the parameter Action.')
        : new ServiceError('InvalidAction', 400, `The action ${action} is not valid for this endpoint.`);
    const res = queryProtocol.serializeError(service, err, requestId);
    if (resolution.kind === 'unimplemented') res.headers[UNSUPPORTED_HEADER] = resolution.name;
    return res;
  },
};
