// @ts-check
'use strict';
/** Apps the benchmark generates at run time (under the run's temp dir). */
const fs = require('node:fs');
const path = require('node:path');

/**
 * An app of `n` distinct trivial functions, each in its own file with its own
 * HTTP API route (GET /fNN answers "fNN"), plus a `probe` function on GET /probe:
 * readiness is polled there, so no measured function is touched before its
 * first, measured request. Deploys are atomic, so once /probe answers, every
 * route exists.
 * @param {string} dir
 * @param {number} n
 * @returns {{ dir: string, names: string[] }}
 */
function generateColdApp(dir, n) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const names = Array.from({ length: n }, (_, i) => `f${String(i + 1).padStart(2, '0')}`);
  const lines = ['service: coldstart', '', 'provider:', '  name: aws', '  runtime: nodejs20.x', '', 'functions:'];
  for (const name of [...names, 'probe']) {
    fs.writeFileSync(path.join(dir, `${name}.js`), `exports.handler = async (event) => ({ statusCode: 200, body: '${name}' });\n`);
    lines.push(`  ${name}:`, `    handler: ${name}.handler`, '    events:', '      - httpApi:', '          method: GET', `          path: /${name}`);
  }
  fs.writeFileSync(path.join(dir, 'serverless.yml'), lines.join('\n') + '\n');
  return { dir, names };
}

module.exports = { generateColdApp };
