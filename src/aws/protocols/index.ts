import type { Protocol } from '../types';
import { jsonRpcProtocol } from './json-rpc';
import type { ProtocolCodec } from './protocol';
import { queryProtocol } from './query';
import { restJsonProtocol } from './rest-json';
import { restXmlProtocol } from './rest-xml';

export const PROTOCOLS: Record<Protocol, ProtocolCodec> = {
  awsJson1_0: jsonRpcProtocol,
  awsJson1_1: jsonRpcProtocol,
  awsQuery: queryProtocol,
  restJson1: restJsonProtocol,
  restXml: restXmlProtocol,
};
