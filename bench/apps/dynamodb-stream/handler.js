// The bench's stream recorder (bench/run.js, --measure=dynamodb): appends
// "<pk> <epoch ms at the handler's start>\n" to the file named by $OUT for each
// DynamoDB stream record, so the harness can match every acknowledged write
// (its item carries the same pk) with the moment its record reached a function.
const fs = require('node:fs');

exports.handler = async (event) => {
  const startedAt = Date.now();
  let lines = '';
  for (const r of event.Records ?? []) {
    const pk = r.dynamodb?.Keys?.pk?.S ?? r.dynamodb?.NewImage?.pk?.S;
    if (pk) lines += `${pk} ${startedAt}\n`;
  }
  if (lines) fs.appendFileSync(process.env.OUT, lines);
  return {};
};
