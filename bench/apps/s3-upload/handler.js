// The bench's upload recorder (bench/run.js, --measure=s3): appends
// "<key> <epoch ms at the handler's start>\n" to the file named by $OUT for each
// S3 event record, so the harness can match every acknowledged upload with the
// moment its notification reached a function. Keys arrive URL-encoded as in an
// HTML form (S3 user guide, "Event message structure": spaces as `+`).
const fs = require('node:fs');

exports.handler = async (event) => {
  const startedAt = Date.now();
  let lines = '';
  for (const r of event.Records ?? []) {
    const key = r.s3?.object?.key;
    if (key) lines += `${decodeURIComponent(key.replace(/\+/g, ' '))} ${startedAt}\n`;
  }
  if (lines) fs.appendFileSync(process.env.OUT, lines);
  return {};
};
