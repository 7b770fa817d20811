/**
 * The invoke engine's contract: the one path by which anything runs code.
 * Gateway, Lambda API, triggers and the CLI all call `Invoker.invoke`.
 */

export interface InvokeRequest {
  functionName: string;
  /** The event, as bytes or a JSON string (Lambda payloads are bytes). */
  payload: string | Buffer;
  /** Where the invocation came from (`http`, `httpApi`, `lambda`, `cli`, ...), for metering. */
  source: string;
  /** X-Amzn-Trace-Id to continue; a new root is made when absent. */
  traceId?: string;
  /** Base64 client context (Lambda API), passed through to the runtime. */
  clientContext?: string;
  /** Collect this invocation's log for `InvokeResult.logTail` (Lambda API `LogType: Tail`). */
  tailLogs?: boolean;
  /** Keep this request id (an async event keeps its id across retries); a new one otherwise. */
  requestId?: string;
}

export interface InvokeResult {
  requestId: string;
  /** The function's response payload (bytes as the runtime returned them). */
  payload: Buffer;
  /** Set when the function failed: AWS's X-Amz-Function-Error values. */
  functionError?: 'Unhandled' | 'Handled';
  /** Last 4 KB of this invocation's log (Lambda API LogType: Tail). */
  logTail: string;
  /** Executed version (`$LATEST`). */
  executedVersion: string;
}

/** Thrown (as rejections) for invocations that never ran. */
export class InvokeError extends Error {
  constructor(
    readonly code: 'ResourceNotFoundException' | 'TooManyRequestsException' | 'RequestTooLargeException' | 'InvalidRequestContentException' | 'ServiceException',
    message: string,
    /** For throttles: AWS's `Reason` (`ReservedFunctionConcurrentInvocationLimitExceeded`, `ConcurrentInvocationLimitExceeded`). */
    readonly reason?: string,
  ) {
    super(message);
    this.name = code;
  }
}

export interface Invoker {
  invoke(req: InvokeRequest): Promise<InvokeResult>;
}
