// @ts-check
'use strict';
/** The "S3" section of bench/results/latest.md (`--measure=s3`). */
const { OPS, OP_LABELS, TARGET_LABELS, LARGE_RUNS } = require('./s3');

const { num, int, ratio, pct, cell, rpsCell, latCell, rawErrorCount, failedTargetLines } = require('./report-tables');

/** @param {boolean | null} ok */
const verdict = (ok) => (ok === null ? '**not measured**' : ok ? '**met**' : '**not met**');

/** `N / M` answers intact: the uploads read back after each PutObject run, the GetObject samples after the load. @param {any} r @param {string} op */
function readBackCell(r, op) {
  if (r?.status !== 'ok') return '—';
  /** @type {Record<string, number>[]} */
  const all = op === 'put' ? r.runs.map((/** @type {any} */ x) => x.readBack ?? {}) : [r.checkAfter ?? {}];
  let ok = 0;
  let n = 0;
  for (const counts of all) {
    for (const [k, v] of Object.entries(counts)) {
      n += v;
      if (k === '200 ok') ok += v;
    }
  }
  return n ? `${ok} / ${n}` : '—';
}

/**
 * @param {any} d results.s3
 * @param {any} o results.options
 * @returns {string[]}
 */
function renderS3(d, o) {
  const L = [];
  L.push('## S3: Nimbus vs s3rver');
  L.push('');
  if (d.status !== 'ok') {
    L.push(`${d.status}: ${cell(d.reason ?? '')}`);
    L.push('');
    return L;
  }
  const kb = Math.round(d.objectSize / 1024);
  L.push(
    `Bucket \`${d.bucket}\` on each target (path-style, us-east-1), objects of ${kb} KB. Before measuring, each real target gets CreateBucket and ${int(d.pools.getKeys)} objects for GetObject. ` +
      `${d.connections} connections, ${d.warmupS} s warm-up then ${d.durationS} s measured per run` +
      `${d.repeat > 1 ? `, ${d.repeat} rounds interleaved across targets and operations, each (operation, target)'s median run by req/s` : ''}; loopback only; every server in its own process. ` +
      "The issue's s3rver figures (1.5k PutObject/s, 1.8k GetObject/s raw; 780 / 870 ops/s through the SDK; 64 MB up at 148 MB/s, down at 265 MB/s) were measured before Nimbus existed; the s3rver columns here are this run's, on the same machine at the same time as Nimbus." +
      `${o.quick ? ' **--quick run: short durations, numbers are indicative only.**' : ''}`,
  );
  L.push('');
  L.push(
    'Durability differs, and is part of the comparison: **Nimbus** answers an upload after its data is in a temp file that was fsynced, renamed into place and its folder fsynced, and after its metadata commit (SQLite, WAL, `synchronous=FULL`) — see src/store/blobs.ts. ' +
      '**s3rver** writes the object and its metadata files with plain `fs` writes and no fsync (lib/stores/filesystem.js), so an acknowledged upload survives the process being killed but not a power loss. ' +
      's3rver does not verify SigV4 signatures (lib/middleware/authentication.js leaves the V4 check unimplemented; it only looks the access key up, and knows one: `S3RVER`); Nimbus verifies every signature, payload hash included.',
  );
  L.push('');
  L.push(...failedTargetLines(d.targets, TARGET_LABELS));

  // ---------------------------------------------------------- server-side
  L.push(`### Server-side: pre-signed raw requests (${cell(d.serverSideTool)})`);
  L.push('');
  L.push(
    `Pools of distinct requests, SigV4-signed up front (signatures carry no nonce and stay valid 15 minutes; \`x-amz-content-sha256\` is the body's SHA-256) and replayed in a cycle: ` +
      `per target and round, ${int(d.pools.put)} PutObjects with distinct keys (the warm-up replays the first half, the measured run the second, so no key is written twice), GetObjects over the ${int(d.pools.getKeys)} loaded keys. ` +
      "Both servers get the same requests (signed for their own Host and key pair). wrk sees only status codes, so a sample of each pool is also sent with node:http before each run, and after each PutObject run 20 of the uploads it sent are read back byte for byte (\"read back\"); GetObject answers are compared byte for byte on samples before and after.",
  );
  L.push('');
  L.push('| operation | Nimbus req/s | s3rver req/s | Nimbus / s3rver | Nimbus p50 / p99 (ms) | s3rver p50 / p99 (ms) | Nimbus CPU per request (ms) | errors (Nimbus) | read back intact (Nimbus) |');
  L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const op of OPS) {
    const row = d.serverSide[op] ?? {};
    const n = row.nimbus;
    const errs = rawErrorCount(n);
    L.push(
      `| ${OP_LABELS[op]} | ${rpsCell(n)} | ${rpsCell(row.s3rver)} | ${ratio(row['ratio/s3rver'])} | ${latCell(n)} | ${latCell(row.s3rver)} | ${n?.status === 'ok' ? num(n.median.serverCpuMsPerRequest, 3) : '—'} | ${errs ?? '—'} | ${readBackCell(n, op)} |`,
    );
  }
  L.push('');

  // ---------------------------------------------------------- SDK
  L.push('### SDK-driven: @aws-sdk/client-s3');
  L.push('');
  L.push(
    `The same operations through \`S3Client\` (PutObjectCommand with a ${kb} KB Buffer and a new key, the returned ETag checked against the body's MD5; GetObjectCommand, the body compared byte for byte), SDK defaults (so PutObject sends a CRC32 header and GetObject validates Nimbus' CRC32), from one Node load generator process (\`bench/lib/s3-load.js\`: ${d.connections} closed loops over one keep-alive \`http.Agent\`, \`forcePathStyle\`, \`maxAttempts: 1\`; 2 s of unmeasured calls to the canned server first warm up the SDK's code paths; operation by operation, server by server). ` +
      'The ceiling is the same client against `bench/targets/s3-canned.js`, which answers every call at once with the headers Nimbus sends: what one Node process of SDK calls can do on this machine, whatever the server.',
  );
  L.push('');
  L.push('| operation | Nimbus req/s | s3rver req/s | ceiling req/s | Nimbus % of ceiling | s3rver % of ceiling | Nimbus p50 / p99 (ms) | s3rver p50 / p99 (ms) | ceiling p50 / p99 (ms) | load generator CPU, Nimbus run (cores) |');
  L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const op of OPS) {
    const row = d.sdk[op] ?? {};
    const n = row.nimbus;
    L.push(
      `| ${OP_LABELS[op]} | ${rpsCell(n)} | ${rpsCell(row.s3rver)} | ${rpsCell(row.canned)} | ${pct(row['ofCeiling/nimbus'])} | ${pct(row['ofCeiling/s3rver'])} | ${latCell(n)} | ${latCell(row.s3rver)} | ${latCell(row.canned)} | ${n?.status === 'ok' ? num(n.median.clientCpuCores) : '—'} |`,
    );
  }
  L.push('');

  // ---------------------------------------------------------- large objects
  const g = d.large;
  L.push(`### Large objects: ${g.mib ?? '—'} MiB up and down`);
  L.push('');
  if (g.status !== 'ok') L.push(`${g.status}: ${cell(g.reason ?? '')}`);
  else {
    L.push(
      `One file of ${g.mib} MiB (1 MiB blocks of fixed bytes, each stamped with its number), on the same disk as the servers' data. "Up": one PutObject through the SDK with a read stream of the file and its ContentLength (a single request; the ETag checked against the file's MD5). ` +
        '"Down": one GetObject whose body is streamed and compared with the file block by block as it arrives (nothing kept). ' +
        'The reference is `cp` of the file on the same disk followed by `sync` of the copy (coreutils `sync FILE`: an fsync of that file), since an upload is answered once it is on the disk too; `cp` copies inside the kernel (`copy_file_range`), so the Node stream copy (with fsync) is shown too, as what a Node process can move through user space. ' +
        `Server RSS: the main process (the one holding the listening socket), read from /proc every 50 ms; growth is the peak during the transfer minus the last reading before it. "Flat" means a growth under ${g.flatLimitMiB} MiB (an eighth of the object: memory that does not grow with the object). ` +
        `${g.repeat > 1 ? `${g.repeat} rounds, configurations rotated; medians of MiB/s, the largest growth. ` : ''}MiB = 2^20 bytes. s3rver gets plain bodies only: it stores an aws-chunked upload with its chunk framing (it has no aws-chunked decoding), which the download check rejects.`,
    );
    L.push('');
    L.push('| run | up MiB/s | down MiB/s | up / cp | down / cp | server RSS before (MiB) | RSS growth, up (MiB) | RSS growth, down (MiB) |');
    L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const cfg of LARGE_RUNS) {
      const r = g.runs[cfg.id];
      if (!r) continue;
      if (r.status !== 'ok') {
        L.push(`| ${cell(cfg.label)} | ${r.status}: ${cell(String(r.reason ?? '').slice(0, 160))} | | | | | | |`);
        continue;
      }
      if (cfg.target === null) {
        const ofCp = cfg.id === 'cp' ? '1.00×' : ratio(r.ofCopy);
        L.push(`| ${cell(cfg.label)} | ${num(r.mibps, 1)} | ${num(r.mibps, 1)} | ${ofCp} | ${ofCp} | — | — | — |`);
        continue;
      }
      L.push(
        `| ${cell(cfg.label)} | ${num(r.upMiBps, 1)} | ${num(r.downMiBps, 1)} | ${ratio(r.upOfCopy)} | ${ratio(r.downOfCopy)} | ${num(r.rssBeforeMiB, 1)} | ${num(r.rssGrowthUpMiB, 1)} | ${num(r.rssGrowthDownMiB, 1)} |`,
      );
    }
  }
  L.push('');

  // ---------------------------------------------------------- upload -> function
  const u = d.uploads;
  L.push('### Upload → function through a bucket notification');
  L.push('');
  if (u.status !== 'ok') L.push(`Upload → function latency: **${u.status}**: ${cell(u.reason ?? '')}`);
  else {
    L.push(
      `\`bench/apps/s3-upload\` (a function with an \`s3\` event on bucket \`nimbus-bench-uploads\`, \`s3:ObjectCreated:*\`) deployed to the Nimbus above with \`nimbus deploy\` (${int(u.deployMs)} ms). ` +
        `PutObjects of ${kb} KB (plain signed HTTP) paced at ${int(u.rate)}/s for ${u.durationS} s (after ${u.warmupMs.length} warm-up uploads, each waited for), each key noting its send time; the function appends \`<key> <Date.now()>\` when a record reaches it. ` +
        `**Upload → function: p50 ${num(u.sendToFunction.p50Ms, 0)} ms, p99 ${num(u.sendToFunction.p99Ms, 0)} ms, max ${num(u.sendToFunction.maxMs, 0)} ms** from sending the PutObject ` +
        `(from its acknowledgment: p50 ${num(u.ackToFunction.p50Ms, 0)} ms, p99 ${num(u.ackToFunction.p99Ms, 0)} ms; the PutObject itself: p50 ${num(u.put.p50Ms, 0)} ms, p99 ${num(u.put.p99Ms, 0)} ms); ` +
        `${int(u.arrived)} of ${int(u.acked)} acknowledged uploads arrived${u.errors ? `, ${u.errors} uploads failed` : ''}${u.skipped ? `, ${u.skipped} uploads were not sent (${d.connections} were already in flight each time: the pace was not kept)` : ''}. Both clocks are \`Date.now()\` on this machine (whole milliseconds).`,
    );
  }
  L.push('');

  // ---------------------------------------------------------- durability
  const k = d.durability;
  L.push('### Acknowledged uploads after kill -9');
  L.push('');
  if (k.status !== 'ok') L.push(`**${k.status}**: ${cell(k.reason ?? '')}`);
  else {
    L.push(
      `After everything above, ${d.connections} loops upload ${kb} KB objects with distinct keys to Nimbus as fast as it answers, each 200 noted at once; ${int(k.killAfterMs)} ms in, Nimbus' process group gets SIGKILL. ` +
        `A new Nimbus on the same data directory (ready in ${int(k.restartMs)} ms) is then asked for every acknowledged key: **${int(k.intact)} of ${int(k.acked)} acknowledged uploads read back intact**${k.lost ? `, **${int(k.lost)} lost or wrong**` : ''} (${int(k.sent)} started). ` +
        'A killed process leaves the page cache behind, so this proves that an upload is answered only after it is committed, not that the disk has it: that part is the fsync described above.',
    );
  }
  L.push('');

  // ---------------------------------------------------------- targets of the issue
  const ss = OPS.map((op) => d.serverSide[op]?.['ratio/s3rver']);
  const ssOk = ss.every((x) => typeof x === 'number') ? ss.every((x) => /** @type {number} */ (x) >= 3) : null;
  const durOk = k.status === 'ok' ? k.lost === 0 : null;
  const sdk = OPS.map((op) => d.sdk[op]?.['ofCeiling/nimbus']);
  const sdkOk = sdk.every((x) => typeof x === 'number') ? sdk.every((x) => /** @type {number} */ (x) >= 0.9) : null;
  const goals = [];
  goals.push(
    `server-side at least 3× s3rver on small objects — ${OPS.map((op, i) => `${op} ${ratio(ss[i])}`).join(', ')}: ${verdict(ssOk)}; ` +
      `with every acknowledged upload durable — ${k.status === 'ok' ? `${int(k.intact)} of ${int(k.acked)} intact after kill -9 (the fsync before each answer is by design, src/store/blobs.ts; a kill cannot test it)` : k.status}: ${verdict(durOk)}`,
  );
  goals.push(`SDK-driven within 10 % of the SDK's ceiling — ${OPS.map((op, i) => `${op} ${pct(sdk[i])}`).join(', ')}: ${verdict(sdkOk)}`);
  if (g.status === 'ok') {
    for (const id of ['nimbus-default', 'nimbus-plain']) {
      const r = g.runs[id];
      if (!r) continue;
      if (r.status !== 'ok') {
        goals.push(`large objects at least 50 % of the plain file copy with flat memory (${cell(r.label)}) — ${r.status}: ${verdict(null)}`);
        continue;
      }
      const fast = typeof r.upOfCopy === 'number' ? r.upOfCopy >= 0.5 && r.downOfCopy >= 0.5 : null;
      const flat = Math.max(r.rssGrowthUpMiB ?? Infinity, r.rssGrowthDownMiB ?? Infinity) < g.flatLimitMiB;
      goals.push(
        `large objects at least 50 % of the plain file copy with flat memory (${cell(r.label)}) — up ${pct(r.upOfCopy)}, down ${pct(r.downOfCopy)} of \`cp\`; RSS growth ${num(r.rssGrowthUpMiB, 1)} / ${num(r.rssGrowthDownMiB, 1)} MiB: ${verdict(fast === null ? null : fast && flat)}`,
      );
    }
  } else goals.push(`large objects at least 50 % of the plain file copy with flat memory — ${g.status}: ${verdict(null)}`);
  goals.push(`upload-to-function p99 under 50 ms — ${u.status === 'ok' ? `${num(u.sendToFunction.p99Ms, 0)} ms from sending the PutObject (${num(u.ackToFunction.p99Ms, 0)} ms from its acknowledgment)` : u.status}: ${verdict(u.status === 'ok' ? u.sendToFunction.p99Ms < 50 : null)}`);
  L.push('Issue targets:');
  L.push('');
  for (const x of goals) L.push(`- ${x}`);
  L.push('');
  return L;
}

module.exports = { renderS3 };
