'use strict';

// Module scope runs once per instance: warm invocations reuse it.
let invocations = 0;

exports.handler = async (event, context) => {
  invocations++;
  const name = (event.pathParameters && event.pathParameters.name) || 'world';
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      message: `${process.env.GREETING}, ${name}!`,
      stage: process.env.STAGE,
      function: context.functionName,
      requestId: context.awsRequestId,
      warmInvocations: invocations,
    }),
  };
};
