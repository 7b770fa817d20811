// The bench's async recorder (bench/run.js, --measure=lambda): appends
// "<awsRequestId> <epoch ms at the handler's start>\n" to the file named by
// $OUT, so the harness can match every accepted Event invocation (its 202
// carries the same request id) with the moment it started running.
const fs = require('node:fs');

exports.handler = async (event, context) => {
  const startedAt = Date.now();
  fs.appendFileSync(process.env.OUT, `${context.awsRequestId} ${startedAt}\n`);
  return { ok: true };
};
