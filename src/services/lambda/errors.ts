/**
 * Lambda's errors as its API model shapes them: every client error carries
 * `Type: "User"`, and the message member is `Message` for some errors and
 * `message` for others (@aws-sdk/client-lambda's schema;
 * `{"Type":"User","Message":"Function not found: ..."}` is what AWS sends, per
 * LocalStack's AWS-recorded snapshots).
 */
import { ServiceError } from '../../aws';

function user(code: string, status: number, message: string, messageKey: 'message' | 'Message', extra: Record<string, string> = {}, headers: Record<string, string> = {}): ServiceError {
  return new ServiceError(code, status, message, { fields: { Type: 'User', ...extra }, messageKey, headers });
}

export function resourceNotFound(message: string): ServiceError {
  return user('ResourceNotFoundException', 404, message, 'Message');
}

/** `Function not found: arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]` */
export function functionNotFound(arn: string): ServiceError {
  return resourceNotFound(`Function not found: ${arn}`);
}

export function invalidParameter(message: string): ServiceError {
  return user('InvalidParameterValueException', 400, message, 'message');
}

export function resourceConflict(message: string): ServiceError {
  return user('ResourceConflictException', 409, message, 'message');
}

export function invalidRequestContent(message: string): ServiceError {
  return user('InvalidRequestContentException', 400, message, 'message');
}

export function requestTooLarge(message: string): ServiceError {
  return user('RequestTooLargeException', 413, message, 'message');
}

/** 429 with AWS's `Reason` (`ReservedFunctionConcurrentInvocationLimitExceeded`, `ConcurrentInvocationLimitExceeded`) and `Retry-After`. */
export function tooManyRequests(reason: string, message = 'Rate Exceeded.'): ServiceError {
  return user('TooManyRequestsException', 429, message, 'message', { Reason: reason }, { 'Retry-After': '1' });
}

export function serviceException(message: string): ServiceError {
  return new ServiceError('ServiceException', 500, message, { fields: { Type: 'Service' }, messageKey: 'Message' });
}
