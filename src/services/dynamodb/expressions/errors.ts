/**
 * Expression errors. Parsing and checking raise `ExpressionError` with the
 * detail only; `compile.ts` prefixes it with the expression it came from
 * ("Invalid UpdateExpression: ..."), as DynamoDB does.
 */
import { CORAL_VALIDATE, ServiceError } from '../../../aws';

export type ExpressionKind = 'ConditionExpression' | 'FilterExpression' | 'KeyConditionExpression' | 'ProjectionExpression' | 'UpdateExpression';

export class ExpressionError extends Error {
  constructor(readonly detail: string) {
    super(detail);
  }
}

export function validation(message: string): ServiceError {
  return new ServiceError('ValidationException', 400, message, { namespace: CORAL_VALIDATE });
}

export function invalidExpression(kind: ExpressionKind, detail: string): ServiceError {
  return validation(`Invalid ${kind}: ${detail}`);
}

/** Runtime errors of an update (dynalite's tests, recorded against the service). */
export const MISSING_ATTRIBUTE = 'The provided expression refers to an attribute that does not exist in the item';
export const WRONG_OPERAND_TYPE = 'An operand in the update expression has an incorrect data type';
export const INVALID_PATH = 'The document path provided in the update expression is invalid for update';
