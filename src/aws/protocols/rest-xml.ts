/**
 * restXml (S3, CloudFront, Route 53): HTTP bindings plus an XML body.
 *
 * Errors (Smithy restXml, "Error response serialization"):
 * `<ErrorResponse><Error><Type/><Code/><Message/>...</Error><RequestId/></ErrorResponse>`,
 * or with `noErrorWrapping` (S3) `<Error><Code/><Message/>...<RequestId/><HostId/></Error>`
 * (Amazon S3 "REST error responses"), with `x-amz-request-id` and `x-amz-id-2`
 * headers. S3 answers an operation it does not implement with 501
 * `NotImplemented` ("A header you provided implies functionality that is not
 * implemented"); other restXml services with coral's 404.
 */
import { ServiceError } from '../errors';
import type { OutputValue } from '../types';
import type { WireResponse } from '../wire';
import { XML_DECLARATION, parseXml, xmlElement, xmlText } from '../xml';
import { fromXmlStruct, structContent } from '../xml-codec';
import { UNSUPPORTED_HEADER, unsupportedMessage, type ProtocolCodec } from './protocol';
import { parseRestInput, resolveRest, serializeRestOutput } from './rest';

function ns(xmlns: string | undefined): Record<string, string> {
  return xmlns ? { xmlns } : {};
}

export const restXmlProtocol: ProtocolCodec = {
  resolve: resolveRest,

  parseInput(_service, op, req, labels, body) {
    return parseRestInput(op, req, labels, body, (shape, b) => fromXmlStruct(shape, parseXml(b.toString('utf8'))));
  },

  serializeOutput(service, op, output: OutputValue, requestId): WireResponse {
    const r = serializeRestOutput(
      op,
      output,
      (shape, v, whole) => {
        const { attrs, content } = structContent(shape, v);
        const root = op.xmlRoot?.output ?? (whole ? `${op.name}Output` : `${op.name}Result`);
        return XML_DECLARATION + '\n' + xmlElement(root, content, { ...ns(service.xmlNamespace), ...attrs });
      },
      'application/xml',
    );
    return { ...r, headers: { ...r.headers, ...requestIdHeaders(service.requestIdHeaders, requestId) } };
  },

  serializeError(service, err, requestId): WireResponse {
    const fields = Object.entries(err.fields)
      .filter(([, v]) => v === null || typeof v !== 'object')
      .map(([k, v]) => xmlText(k, String(v)))
      .join('');
    let body: string;
    if (service.noErrorWrapping) {
      const ids = requestIdHeaders(service.requestIdHeaders, requestId);
      body =
        XML_DECLARATION +
        '\n' +
        xmlElement('Error', xmlText('Code', err.code) + xmlText('Message', err.message) + fields + xmlText('RequestId', ids['x-amz-request-id'] ?? requestId) + xmlText('HostId', ids['x-amz-id-2'] ?? ''));
    } else {
      const error = xmlElement('Error', xmlText('Type', err.fault === 'client' ? 'Sender' : 'Receiver') + xmlText('Code', err.code) + xmlText('Message', err.message) + fields);
      body = xmlElement('ErrorResponse', error + xmlText('RequestId', requestId), ns(service.xmlNamespace));
    }
    return {
      status: err.status,
      headers: { 'content-type': 'application/xml', ...requestIdHeaders(service.requestIdHeaders, requestId), ...err.headers },
      body,
    };
  },

  unknownOperation(service, requestId, resolution): WireResponse {
    let res: WireResponse;
    if (service.noErrorWrapping) {
      res = restXmlProtocol.serializeError(service, new ServiceError('NotImplemented', 501, 'A header you provided implies functionality that is not implemented.', { messageKey: 'Message' }), requestId);
    } else if (resolution.kind === 'unimplemented') {
      res = restXmlProtocol.serializeError(service, new ServiceError('UnknownOperationException', 404, unsupportedMessage(service.signingName, resolution.name)), requestId);
    } else {
      res = { status: 404, headers: requestIdHeaders(service.requestIdHeaders, requestId), body: '<UnknownOperationException/>\n' };
    }
    if (resolution.kind === 'unimplemented') res.headers[UNSUPPORTED_HEADER] = resolution.name;
    return res;
  },
};

function requestIdHeaders(custom: ((id: string) => Record<string, string>) | undefined, requestId: string): Record<string, string> {
  return custom ? custom(requestId) : { 'x-amzn-requestid': requestId };
}
