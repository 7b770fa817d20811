/**
 * Function routes: list deployed functions with their live instances, and
 * invoke one synchronously (as `nimbus invoke` does), through the one invoke path.
 */
import type * as http from 'node:http';
import { MAX_SYNC_PAYLOAD } from '../invoke/engine';
import { InvokeError } from '../invoke/types';
import type { ControlHost } from './host';
import { ControlError, badRequest, readBody } from './http';
import type { FunctionsReply, InvokeReply } from './types';

/**
 * A function name as a user typed it -> the deployed name. The deployed name
 * (`<service>-<stage>-<key>`) always works; the short key (`hello`) works when
 * exactly one deployed function has it. Unknown names are returned unchanged
 * (stats and logs may still hold records of a removed function).
 */
export async function resolveFunctionName(host: ControlHost, name: string): Promise<string> {
  return (await lookupFunction(host, name)).name;
}

/** As resolveFunctionName, also telling whether such a function is deployed. */
export async function lookupFunction(host: ControlHost, name: string): Promise<{ name: string; deployed: boolean }> {
  if (host.engine.getFunction(name) || (await host.store.functions.get(name))) return { name, deployed: true };
  const matches = (await host.store.functions.list()).filter((f) => f.spec.key === name);
  if (matches.length === 1) return { name: matches[0]!.name, deployed: true };
  if (matches.length > 1) {
    throw badRequest(`"${name}" is ambiguous: it is a function of several apps (${matches.map((f) => f.name).join(', ')}); use the full name`);
  }
  return { name, deployed: false };
}

export async function listFunctions(host: ControlHost): Promise<FunctionsReply> {
  const fns = await host.store.functions.list();
  return {
    functions: fns.map((f) => ({
      name: f.name,
      key: f.spec.key,
      app: f.appName,
      runtime: f.spec.runtime,
      handler: f.spec.handler,
      memorySize: f.spec.memorySize,
      timeout: f.spec.timeout,
      reservedConcurrency: f.spec.reservedConcurrency,
      provisionedConcurrency: f.spec.provisionedConcurrency,
      version: f.version,
      instances: host.runtime.counts(f.name),
    })),
  };
}

export async function invokeFunction(host: ControlHost, rawName: string, req: http.IncomingMessage): Promise<InvokeReply> {
  const payload = await readBody(
    req,
    MAX_SYNC_PAYLOAD,
    () => new ControlError(413, 'RequestTooLargeException', `Request must be smaller than ${MAX_SYNC_PAYLOAD} bytes for the InvokeFunction operation`),
  );
  // Lambda requires a JSON payload (InvalidRequestContentException otherwise); none means `{}`.
  let event: Buffer | string = payload;
  if (payload.length === 0) event = '{}';
  else {
    try {
      JSON.parse(payload.toString('utf8'));
    } catch (e) {
      throw badRequest(`Could not parse request body into json: ${(e as Error).message}`);
    }
  }
  const functionName = await resolveFunctionName(host, rawName);
  try {
    const r = await host.engine.invoke({ functionName, payload: event, source: 'cli', tailLogs: true });
    const reply: InvokeReply = { requestId: r.requestId, statusCode: 200, payload: r.payload.toString('utf8'), logTail: r.logTail };
    if (r.functionError) reply.functionError = r.functionError;
    return reply;
  } catch (e) {
    if (e instanceof InvokeError && e.code === 'ResourceNotFoundException') {
      throw new ControlError(404, e.code, `no function named "${rawName}" is deployed`);
    }
    throw e;
  }
}
