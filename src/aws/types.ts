/**
 * The contracts between the wire layer and the services: what a service
 * declares (protocol, operations, auth dialect) and what an operation handler
 * gets (typed input and a context). Handlers never see `req`/`res`.
 */
import type { ServiceError } from './errors';
import type { OutputOf, StreamingInputOf, StructureShape, TypeOf } from './shapes';
import type { WireRequest } from './wire';

export type Protocol = 'awsJson1_0' | 'awsJson1_1' | 'awsQuery' | 'restJson1' | 'restXml';

/** Who signed the request. */
export type Principal =
  | { kind: 'admin'; accessKeyId: string }
  | { kind: 'function'; functionName: string; accessKeyId: string }
  /** Relaxed auth (`enforceAuth: false`): a well-formed signature from a key Nimbus does not know. */
  | { kind: 'unverified'; accessKeyId: string }
  /**
   * No SigV4 on the request: only operations declared `formAuthenticated`
   * (S3 POST uploads, which carry a signed policy in the body) run so. The
   * empty `accessKeyId` keeps `principal.accessKeyId` valid for every kind.
   */
  | { kind: 'anonymous'; accessKeyId: '' };

export interface OperationContext {
  /** This request's id, echoed in the response headers (and body, for query). */
  readonly requestId: string;
  readonly principal: Principal;
  /** The request's `X-Amzn-Trace-Id`, when it had one. */
  readonly traceId?: string;
  readonly region: string;
  readonly accountId: string;
  readonly service: string;
  readonly operation: string;
  /**
   * `formAuthenticated` operations: verifies a SigV4 signature computed over a
   * string the request carries in its body (S3 POST: the base64 policy), with
   * the endpoint's keys, and returns who signed. Throws the service's auth errors.
   */
  readonly verifyFormSignature?: (f: FormSignature) => Principal;
}

/** The fields of a body-borne SigV4 signature (S3 POST `x-amz-*` form fields). */
export interface FormSignature {
  algorithm: string;
  /** `<key>/<date>/<region>/<service>/aws4_request` */
  credential: string;
  /** ISO-8601 basic (`20240101T000000Z`). */
  amzDate: string;
  /** Hex HMAC-SHA256 of `stringToSign` under the SigV4 signing key. */
  signature: string;
  stringToSign: string;
  securityToken?: string;
}

export interface HttpBinding {
  readonly method: string;
  /** Smithy URI pattern: `/2015-03-31/functions/{FunctionName}/invocations`, `/{Bucket}/{Key+}?uploads`. */
  readonly path: string;
  /** Status of a successful response (unless an httpResponseCode member says otherwise). */
  readonly code: number;
  /**
   * The route matches only requests carrying this header (S3's CopyObject and
   * UploadPartCopy share PutObject's and UploadPart's method and path and
   * differ by `x-amz-copy-source`); such routes are tried first.
   */
  readonly header?: string;
}

/** An operation as the wire layer sees it: shapes plus a handler over validated, typed input. */
export interface Operation<N extends string = string> {
  readonly name: N;
  /** REST protocols: the operation's route. */
  readonly http?: HttpBinding;
  readonly input: StructureShape;
  readonly output: StructureShape;
  /** Content-Type of a blob httpPayload in the response (default application/octet-stream). */
  readonly payloadContentType?: string;
  /** restXml: the root element of the request / response document (default `<Name>Request` / `<Name>Result`). */
  readonly xmlRoot?: { input?: string; output?: string };
  /**
   * restXml / restJson1: the operation is recognised and authenticated from
   * the request head, and its blob payload member is a `PayloadStream`
   * (src/aws/stream.ts) instead of a buffered body (S3 PutObject, UploadPart).
   */
  readonly streamingInput?: true;
  /**
   * The request may carry no SigV4 at all: the operation authenticates from its
   * body (S3 POST uploads' signed policy) through `ctx.verifyFormSignature`.
   * Only for `streamingInput` operations. A request that is signed anyway is
   * verified as usual.
   */
  readonly formAuthenticated?: true;
  /** Runs the handler on input that has been parsed and validated against `input`. */
  run(input: ValidatedInput, ctx: OperationContext): Promise<OutputValue>;
}

/** Input decoded from the wire and checked against the operation's input shape. */
export interface ValidatedInput {
  readonly __validated: unique symbol;
}
/** A handler's result, to be serialized against the operation's output shape. */
export type OutputValue = { readonly [member: string]: unknown };

export interface OperationSpec<N extends string, I extends StructureShape, O extends StructureShape, S extends true | undefined = undefined> {
  name: N;
  http?: HttpBinding;
  input: I;
  output: O;
  payloadContentType?: string;
  xmlRoot?: { input?: string; output?: string };
  /** The blob payload member arrives as a `PayloadStream` (see `Operation.streamingInput`). */
  streamingInput?: S;
  /** See `Operation.formAuthenticated`. */
  formAuthenticated?: true;
  handler: (input: InputOf<I, S>, ctx: OperationContext) => Promise<OutputOf<O>>;
}

/** The handler's input: the shape's type, with a streamed payload when the operation streams its input. */
export type InputOf<I extends StructureShape, S extends true | undefined = undefined> = S extends true ? StreamingInputOf<I> : TypeOf<I>;

/**
 * Declares an operation. The handler is typed from the shapes; the one cast
 * below is sound because the wire layer validates input against `spec.input`
 * before `run` is called.
 */
export function defineOperation<N extends string, I extends StructureShape, O extends StructureShape, S extends true | undefined = undefined>(
  spec: OperationSpec<N, I, O, S>,
): Operation<N> {
  const handler = spec.handler as unknown as (input: ValidatedInput, ctx: OperationContext) => Promise<OutputValue>;
  return {
    name: spec.name,
    http: spec.http,
    input: spec.input,
    output: spec.output,
    payloadContentType: spec.payloadContentType,
    xmlRoot: spec.xmlRoot,
    ...(spec.streamingInput === true ? { streamingInput: true as const } : {}),
    ...(spec.formAuthenticated === true ? { formAuthenticated: true as const } : {}),
    run: (input, ctx) => handler(input, ctx),
  };
}

/** A service's operations: the compiler checks that every name has its handler, and that each handler carries that name. */
export type OperationTable<N extends string> = { readonly [K in N]: Operation<K> };

/** Which error each authentication failure becomes in a service (AWS differs per service and protocol). */
export interface AuthErrors {
  /** No Authorization header and no presigned query. */
  missing(): ServiceError;
  /** Malformed Authorization header, credential, date or presigned parameters. */
  incomplete(message: string, presigned: boolean): ServiceError;
  /** Well-formed but wrong: credential scope, Host not signed. */
  invalidSignature(message: string): ServiceError;
  /** Unknown access key id (or a session key without its valid token). */
  unknownKey(accessKeyId: string): ServiceError;
  /** The signature does not match. */
  signatureMismatch(detail: SignatureMismatch): ServiceError;
  /** Outside the 15-minute window (header auth) or past X-Amz-Expires (presigned). */
  expired(message: string, detail: { requestTime: string; serverTime: string; expires?: string; presigned: boolean }): ServiceError;
  invalidToken(): ServiceError;
  expiredToken(): ServiceError;
  /** x-amz-content-sha256 does not match the body, or a malformed streaming payload. */
  contentMismatch(message: string, detail: { computed?: string; provided?: string; invalidValue?: boolean }): ServiceError;
}

export interface SignatureMismatch {
  accessKeyId: string;
  canonicalRequest: string;
  stringToSign: string;
  signatureProvided: string;
}

export interface ServiceDefinition<N extends string = string> {
  /** The SigV4 signing name (`lambda`, `s3`, `dynamodb`, `sqs`...): the credential scope names the service. */
  readonly signingName: string;
  readonly protocol: Protocol;
  /** JSON protocols: the `X-Amz-Target` prefix (`DynamoDB_20120810`). */
  readonly targetPrefix?: string;
  /** JSON 1.0: the namespace of modeled errors in `__type` (`com.amazonaws.dynamodb.v20120810`). */
  readonly errorNamespace?: string;
  /** Query / restXml: the namespace of response documents. */
  readonly xmlNamespace?: string;
  /** restXml: S3's `<Error>` root without `<ErrorResponse>`. */
  readonly noErrorWrapping?: boolean;
  /** S3: the canonical URI is the path as sent (not normalized, not encoded again); every other service encodes twice. */
  readonly singleEncodePath?: boolean;
  /** S3: `UNSIGNED-PAYLOAD` and the streaming `x-amz-content-sha256` modes are allowed; other services sign the body hash. */
  readonly allowUnsignedPayload?: boolean;
  /** JSON 1.0 services migrated from query (SQS): errors also carry `x-amzn-query-error: Code;Sender`. */
  readonly awsQueryCompatible?: boolean;
  /** The error for a request body that does not parse (default: SerializationException). */
  malformedBody?(detail: string): ServiceError;
  /** Largest request body accepted (bytes). */
  readonly maxBodyBytes: number;
  readonly operations: OperationTable<N>;
  /** REST: operations AWS has that Nimbus does not implement yet; recognised by route so the answer can name them. */
  readonly unimplemented?: readonly { name: string; method: string; path: string }[];
  readonly authErrors: AuthErrors;
  /** An unexpected exception in a handler, as this service reports internal failures. */
  internalError(e: unknown): ServiceError;
  /** Response headers the service always sends (e.g. S3's `x-amz-id-2`). */
  readonly requestIdHeaders?: (requestId: string) => Record<string, string>;
  /**
   * Virtual-hosted-style addressing (S3's `<bucket>.s3.<region>.amazonaws.com`):
   * the first path segment a Host header stands for, or null when the host
   * names none. Such a request is routed as `/<segment><path>` (operation,
   * labels, CORS), while SigV4 is verified on the request as sent.
   */
  virtualHost?(host: string): string | null;
  /** Cross-origin requests answered by the service's own rules (S3 bucket CORS). */
  readonly cors?: CorsHook;
}

/**
 * A service's CORS rules. Both methods get the request as routed (virtual
 * hosts already moved into the path), never signed: browsers send preflights
 * without credentials.
 */
export interface CorsHook {
  /** A preflight (`OPTIONS`): the headers of the 200 answer; a refusal throws the service's ServiceError. */
  preflight(req: WireRequest): Promise<Record<string, string>>;
  /** Any other request carrying `Origin`: headers to add to its answer, success or error (none when no rule matches). */
  responseHeaders(req: WireRequest): Promise<Record<string, string>>;
}
