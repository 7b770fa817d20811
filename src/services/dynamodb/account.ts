/** DescribeEndpoints (endpoint discovery: this endpoint) and DescribeLimits (AWS's default quotas). */
import { defineOperation, document, long, member, struct, type Operation } from '../../aws';
import type { DynamoEngine } from './engine';

export function describeEndpoints(engine: DynamoEngine): Operation<'DescribeEndpoints'> {
  void engine;
  return defineOperation({
    name: 'DescribeEndpoints',
    input: struct({}),
    output: struct({ Endpoints: member(document()) }),
    // The SDKs only use the address for endpoint discovery; the caller already reached it.
    handler: async (_i, ctx) => ({ Endpoints: [{ Address: `dynamodb.${ctx.region}.amazonaws.com`, CachePeriodInMinutes: 1440 }] as never }),
  });
}

export function describeLimits(): Operation<'DescribeLimits'> {
  return defineOperation({
    name: 'DescribeLimits',
    input: struct({}),
    output: struct({
      AccountMaxReadCapacityUnits: member(long()),
      AccountMaxWriteCapacityUnits: member(long()),
      TableMaxReadCapacityUnits: member(long()),
      TableMaxWriteCapacityUnits: member(long()),
    }),
    handler: async () => ({ AccountMaxReadCapacityUnits: 80000, AccountMaxWriteCapacityUnits: 80000, TableMaxReadCapacityUnits: 40000, TableMaxWriteCapacityUnits: 40000 }),
  });
}
