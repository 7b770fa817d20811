/**
 * DynamoDB's errors as it words them (messages checked against AWS's API
 * reference and dynalite, which was written against the live service).
 * Validation failures travel as `com.amazon.coral.validate#ValidationException`,
 * the service's own errors in `com.amazonaws.dynamodb.v20120810`.
 */
import { CORAL_VALIDATE, ServiceError, type JsonValue } from '../../aws';
import type { Item } from './model/attribute-value';

export const DYNAMODB_NAMESPACE = 'com.amazonaws.dynamodb.v20120810';

export function validation(message: string): ServiceError {
  return new ServiceError('ValidationException', 400, message, { namespace: CORAL_VALIDATE });
}

/** `One or more parameter values were invalid: ...` */
export function invalidParameter(detail: string): ServiceError {
  return validation(`One or more parameter values were invalid: ${detail}`);
}

export function resourceNotFound(message = 'Requested resource not found'): ServiceError {
  return new ServiceError('ResourceNotFoundException', 400, message);
}

export function tableNotFound(name: string): ServiceError {
  return resourceNotFound(`Requested resource not found: Table: ${name} not found`);
}

export function resourceInUse(message: string): ServiceError {
  return new ServiceError('ResourceInUseException', 400, message);
}

/** `Item` is the old item when the request asked for ReturnValuesOnConditionCheckFailure: ALL_OLD. */
export function conditionalCheckFailed(item?: Item): ServiceError {
  return new ServiceError('ConditionalCheckFailedException', 400, 'The conditional request failed', item ? { fields: { Item: item } } : {});
}

export interface CancellationReason {
  Code: string;
  Message?: string;
  Item?: Item;
}

/** TransactWriteItems / TransactGetItems: one reason per action, `None` for those that were fine. */
export function transactionCanceled(reasons: CancellationReason[]): ServiceError {
  const codes = reasons.map((r) => r.Code).join(', ');
  return new ServiceError('TransactionCanceledException', 400, `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes}]`, {
    fields: { CancellationReasons: reasons as unknown as JsonValue },
  });
}

export function limitExceeded(message: string): ServiceError {
  return new ServiceError('LimitExceededException', 400, message);
}

export function internalServerError(): ServiceError {
  return new ServiceError('InternalServerError', 500, 'Internal server error', { fault: 'server' });
}

/** A partition of a table with local secondary indexes would pass 10 GB (AWS's item collection limit). */
export function itemCollectionSizeLimitExceeded(): ServiceError {
  return new ServiceError('ItemCollectionSizeLimitExceededException', 400, 'Item collection size limit exceeded. The item collection for this partition key has reached the maximum allowed size of 10 GB.');
}
