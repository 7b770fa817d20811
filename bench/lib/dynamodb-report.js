// @ts-check
'use strict';
/** The "DynamoDB" section of bench/results/latest.md (`--measure=dynamodb`). */
const { OPS, OP_LABELS, TARGET_LABELS } = require('./dynamodb');

const { num, int, ratio, pct, cell, rpsCell, latCell, rawErrorCount, failedTargetLines } = require('./report-tables');

/** One (op, target) entry's req/s, with the operation actually run when it is not the row's (dynalite's BatchWriteItem). @param {any} r @param {boolean} showOp */
const opRpsCell = (r, showOp) => rpsCell(r, showOp && r?.operation && !['PutItem', 'GetItem', 'Query', 'TransactWriteItems'].includes(r.operation) ? ` (${r.operation})` : '');

/**
 * @param {any} d results.dynamodb
 * @param {any} o results.options
 * @returns {string[]}
 */
function renderDynamo(d, o) {
  const L = [];
  L.push('## DynamoDB: Nimbus vs dynalite');
  L.push('');
  if (d.status !== 'ok') {
    L.push(`${d.status}: ${cell(d.reason ?? '')}`);
    L.push('');
    return L;
  }
  const p = d.pools;
  L.push(
    `Table \`${d.table}\` (pk S HASH, sk S RANGE, on demand) on each target; every item is 1 KB by DynamoDB's size rule. Before measuring, each target gets CreateTable and ${int(p.getKeys)} items for GetItem ` +
      `plus ${p.queryPartitions} partitions of ${p.queryItems} items for Query. ${d.connections} connections, ${d.warmupS} s warm-up then ${d.durationS} s measured per run` +
      `${d.repeat > 1 ? `, ${d.repeat} rounds interleaved across targets and operations, each (operation, target)'s median run by req/s` : ''}; loopback only; every target in its own process.` +
      `${o.quick ? ' **--quick run: short durations, numbers are indicative only.**' : ''}`,
  );
  L.push('');
  const t = d.targets;
  L.push(
    'Durability differs, and is part of the comparison: **Nimbus** runs with its default store (SQLite, WAL, `synchronous=FULL`: a write is acknowledged after its commit is fsynced). ' +
      '**dynalite in memory** (its default, and presumably how the issue\'s 6.4k PutItem/s and 11.9k GetItem/s were measured) keeps nothing. ' +
      '**dynalite --path** writes to LevelDB without `sync` (dynalite passes no write options), so an acknowledged write survives the process being killed but not a power loss: the closer, but still not equal, comparison. ' +
      'dynalite 4 has no TransactWriteItems (`UnknownOperationException`), so in that row it gets the same 10 Puts as one BatchWriteItem (not atomic, no isolation): a reference, not a like-for-like ratio.',
  );
  L.push('');
  L.push(...failedTargetLines(t, TARGET_LABELS));

  // ---------------------------------------------------------- server-side
  L.push(`### Server-side: pre-signed raw requests (${cell(d.serverSideTool)})`);
  L.push('');
  L.push(
    `Pools of distinct requests, SigV4-signed up front (signatures carry no nonce and stay valid 15 minutes) and replayed in a cycle: ${int(p.put)} PutItems with distinct keys, GetItems over the ${int(p.getKeys)} loaded keys, ` +
      `Queries over the ${p.queryPartitions} partitions, ${int(p.tx)} TransactWriteItems of ${p.txSize} distinct keys. Both servers get the same bodies (signed for their own Host; dynalite does not check signatures, Nimbus checks every one). ` +
      'wrk sees only status codes, so a sample of each pool is also sent with node:http before and after each run and its answers checked (the item, the 100 items).',
  );
  L.push('');
  L.push('| operation | Nimbus req/s | dynalite (memory) req/s | Nimbus / dynalite (memory) | dynalite --path req/s | Nimbus / dynalite --path | Nimbus p50 / p99 (ms) | dynalite (memory) p50 / p99 (ms) | dynalite --path p50 / p99 (ms) | Nimbus CPU per request (ms) | errors (Nimbus) |');
  L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const op of OPS) {
    const row = d.serverSide[op] ?? {};
    const n = row.nimbus;
    const errs = rawErrorCount(n);
    L.push(
      `| ${OP_LABELS[op]} | ${opRpsCell(n, true)} | ${opRpsCell(row['dynalite-mem'], true)} | ${ratio(row['ratio/dynalite-mem'])} | ${opRpsCell(row['dynalite-disk'], true)} | ${ratio(row['ratio/dynalite-disk'])} | ${latCell(n)} | ${latCell(row['dynalite-mem'])} | ${latCell(row['dynalite-disk'])} | ${n?.status === 'ok' ? num(n.median.serverCpuMsPerRequest, 3) : '—'} | ${errs ?? '—'} |`,
    );
  }
  L.push('');

  // ---------------------------------------------------------- SDK
  L.push('### SDK-driven: @aws-sdk/lib-dynamodb');
  L.push('');
  L.push(
    `The same operations through \`DynamoDBDocumentClient\` (PutCommand, GetCommand, QueryCommand, TransactWriteCommand; BatchWriteCommand for dynalite), from one Node load generator process (\`bench/lib/dynamodb-load.js\`: ${d.connections} closed loops over one keep-alive \`http.Agent\`, \`maxAttempts: 1\`, every answer checked; 2 s of unmeasured calls to the canned server first warm up the SDK's code paths, which need it; operation by operation, server by server, so a ceiling run is seconds from the runs compared with it). ` +
      'The ceiling is the same client against `bench/targets/dynamodb-canned.js`, which answers every call at once with a fixed valid body: what one Node process of SDK calls can do on this machine, whatever the server.',
  );
  L.push('');
  L.push('| operation | Nimbus req/s | dynalite (memory) req/s | ceiling req/s | Nimbus % of ceiling | dynalite % of ceiling | Nimbus p50 / p99 (ms) | dynalite p50 / p99 (ms) | ceiling p50 / p99 (ms) | load generator CPU, Nimbus run (cores) |');
  L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const op of OPS) {
    const row = d.sdk[op] ?? {};
    const n = row.nimbus;
    L.push(
      `| ${OP_LABELS[op]} | ${opRpsCell(n, true)} | ${opRpsCell(row['dynalite-mem'], true)} | ${opRpsCell(row.canned, false)} | ${pct(row['ofCeiling/nimbus'])} | ${pct(row['ofCeiling/dynalite-mem'])} | ${latCell(n)} | ${latCell(row['dynalite-mem'])} | ${latCell(row.canned)} | ${n?.status === 'ok' ? num(n.median.clientCpuCores) : '—'} |`,
    );
  }
  L.push('');

  // ---------------------------------------------------------- stream
  const s = d.stream;
  L.push('### Write → function through a DynamoDB stream');
  L.push('');
  if (s.status !== 'ok') L.push(`Write → function latency: **${s.status}**: ${cell(s.reason ?? '')}`);
  else {
    L.push(
      `\`bench/apps/dynamodb-stream\` (an \`AWS::DynamoDB::Table\` with a NEW_IMAGE stream under \`resources:\`, a function with a \`stream\` event, batchSize 1) deployed to the Nimbus above with \`nimbus deploy\` (${int(s.deployMs)} ms). ` +
        `PutItems paced at ${int(s.rate)}/s for ${s.durationS} s (after ${s.warmupMs.length} warm-up writes, each waited for), each item carrying its send time; the function appends \`<pk> <Date.now()>\` when a record reaches it. ` +
        `**Write → function: p50 ${num(s.sendToFunction.p50Ms, 0)} ms, p99 ${num(s.sendToFunction.p99Ms, 0)} ms, max ${num(s.sendToFunction.maxMs, 0)} ms** from sending the PutItem ` +
        `(from its acknowledgment: p50 ${num(s.ackToFunction.p50Ms, 0)} ms, p99 ${num(s.ackToFunction.p99Ms, 0)} ms; the PutItem itself: p50 ${num(s.write.p50Ms, 0)} ms, p99 ${num(s.write.p99Ms, 0)} ms); ` +
        `${int(s.arrived)} of ${int(s.acked)} acknowledged writes arrived${s.errors ? `, ${s.errors} writes failed` : ''}${s.skipped ? `, ${s.skipped} writes were not sent (${d.connections} were already in flight each time: the pace was not kept)` : ''}. Both clocks are \`Date.now()\` on this machine (whole milliseconds).`,
    );
  }
  L.push('');

  // ---------------------------------------------------------- targets of the issue
  const goals = [];
  const ss = OPS.map((op) => {
    const r = d.serverSide[op] ?? {};
    return `${op} ${ratio(r['ratio/dynalite-mem'])} / ${ratio(r['ratio/dynalite-disk'])}`;
  });
  goals.push(`server-side ≥ 3× dynalite on each operation (vs memory / vs --path) — ${ss.join(', ')}`);
  goals.push(`SDK-driven within 10 % of the ceiling — ${OPS.map((op) => `${op} ${pct(d.sdk[op]?.['ofCeiling/nimbus'])}`).join(', ')}`);
  const p99 = ['put', 'get'].map((op) => {
    const r = d.serverSide[op]?.nimbus;
    const q = d.sdk[op]?.nimbus;
    return `${op} ${r?.status === 'ok' ? num(r.median.p99Ms) : '—'} ms raw, ${q?.status === 'ok' ? num(q.median.p99Ms) : '—'} ms SDK`;
  });
  goals.push(`p99 under 5 ms for single-item operations at ${d.connections} connections — ${p99.join('; ')}`);
  goals.push(
    `write → function p99 under 50 ms — ${s.status === 'ok' ? `${num(s.sendToFunction.p99Ms, 0)} ms from sending the PutItem, ${num(s.ackToFunction.p99Ms, 0)} ms from its acknowledgment` : s.status}`,
  );
  L.push('Issue targets:');
  L.push('');
  for (const g of goals) L.push(`- ${g}`);
  L.push('');
  return L;
}

module.exports = { renderDynamo };
