/** GetAccountSettings (GET /2016-08-19/account-settings): AWS's default code-size limits, Nimbus' concurrency. */
import { defineOperation, long, member, struct, type Operation } from '../../aws';
import type { LambdaBackend } from './backend';

export function getAccountSettings(backend: LambdaBackend): Operation<'GetAccountSettings'> {
  return defineOperation({
    name: 'GetAccountSettings',
    http: { method: 'GET', path: '/2016-08-19/account-settings', code: 200 },
    input: struct({}),
    output: struct({
      AccountLimit: member(
        struct({
          TotalCodeSize: member(long()),
          CodeSizeUnzipped: member(long()),
          CodeSizeZipped: member(long()),
          ConcurrentExecutions: member(long()),
          UnreservedConcurrentExecutions: member(long()),
        }),
      ),
      AccountUsage: member(struct({ TotalCodeSize: member(long()), FunctionCount: member(long()) })),
    }),
    handler: async () => {
      const fns = await backend.listFunctions();
      const { accountLimit, unreserved } = backend.concurrencyLimits();
      return {
        AccountLimit: {
          TotalCodeSize: 80530636800,
          CodeSizeUnzipped: 262144000,
          CodeSizeZipped: 52428800,
          ConcurrentExecutions: accountLimit,
          UnreservedConcurrentExecutions: unreserved,
        },
        AccountUsage: { TotalCodeSize: fns.reduce((n, f) => n + f.codeSize, 0), FunctionCount: fns.length },
      };
    },
  });
}
