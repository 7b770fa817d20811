#!/usr/bin/env node
'use strict';
// The `nimbus` command. The CLI itself is TypeScript, compiled to dist/ (npm run build).
const { main } = require('../dist/src/cli/main.js');

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error('nimbus: internal error:', e);
    process.exit(1);
  },
);
