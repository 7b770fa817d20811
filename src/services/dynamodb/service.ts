/**
 * DynamoDB (JSON 1.0, `DynamoDB_20120810`, signing name `dynamodb`): its
 * operation table, checked by the compiler, and how DynamoDB words
 * authentication and internal failures.
 */
import { coralAuthErrors, type OperationTable, type ServiceDefinition } from '../../aws';
import { batchGetItem } from './batch-get-item';
import { batchWriteItem } from './batch-write-item';
import { createTable } from './create-table';
import { deleteItem } from './delete-item';
import { deleteTable } from './delete-table';
import { describeTableOp } from './describe-table';
import type { DynamoEngine } from './engine';
import { DYNAMODB_NAMESPACE, internalServerError } from './errors';
import { getItem } from './get-item';
import { listTables } from './list-tables';
import { describeEndpoints, describeLimits } from './account';
import { putItem } from './put-item';
import { query } from './query';
import { scan } from './scan';
import { listTagsOfResource, tagResource, untagResource } from './tags';
import { describeTimeToLive, updateTimeToLive } from './time-to-live';
import { transactGetItems } from './transact-get-items';
import { transactWriteItems } from './transact-write-items';
import { updateItem } from './update-item';
import { updateTable } from './update-table';

export type DynamoOperation =
  | 'BatchGetItem'
  | 'BatchWriteItem'
  | 'CreateTable'
  | 'DeleteItem'
  | 'DeleteTable'
  | 'DescribeEndpoints'
  | 'DescribeLimits'
  | 'DescribeTable'
  | 'DescribeTimeToLive'
  | 'GetItem'
  | 'ListTables'
  | 'ListTagsOfResource'
  | 'PutItem'
  | 'Query'
  | 'Scan'
  | 'TagResource'
  | 'TransactGetItems'
  | 'TransactWriteItems'
  | 'UntagResource'
  | 'UpdateItem'
  | 'UpdateTable'
  | 'UpdateTimeToLive';

/** A request carries at most one 400 KB item per write and up to 25 / 100 of them in batches; 16 MB is DynamoDB's request cap. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

export function dynamoDbService(engine: DynamoEngine): ServiceDefinition<DynamoOperation> {
  const operations: OperationTable<DynamoOperation> = {
    BatchGetItem: batchGetItem(engine),
    BatchWriteItem: batchWriteItem(engine),
    CreateTable: createTable(engine),
    DeleteItem: deleteItem(engine),
    DeleteTable: deleteTable(engine),
    DescribeEndpoints: describeEndpoints(engine),
    DescribeLimits: describeLimits(),
    DescribeTable: describeTableOp(engine),
    DescribeTimeToLive: describeTimeToLive(engine),
    GetItem: getItem(engine),
    ListTables: listTables(engine),
    ListTagsOfResource: listTagsOfResource(engine),
    PutItem: putItem(engine),
    Query: query(engine),
    Scan: scan(engine),
    TagResource: tagResource(engine),
    TransactGetItems: transactGetItems(engine),
    TransactWriteItems: transactWriteItems(engine),
    UntagResource: untagResource(engine),
    UpdateItem: updateItem(engine),
    UpdateTable: updateTable(engine),
    UpdateTimeToLive: updateTimeToLive(engine),
  };
  return {
    signingName: 'dynamodb',
    protocol: 'awsJson1_0',
    targetPrefix: 'DynamoDB_20120810',
    errorNamespace: DYNAMODB_NAMESPACE,
    maxBodyBytes: MAX_REQUEST_BYTES,
    operations,
    authErrors: coralAuthErrors({ status: 400, missingMessage: 'Request is missing Authentication Token', detailedMismatch: true }),
    internalError: () => internalServerError(),
  };
}
