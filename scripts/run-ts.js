#!/usr/bin/env node
// Runs a TypeScript entry point (demo, benchmarks, sandbox) without a build step, as the main
// module (so `require.main === module` holds in it).
'use strict';
const Module = require('node:module');
const path = require('node:path');

require('./register-ts');

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
	console.error('usage: node scripts/run-ts.js <file.ts> [args...]');
	process.exit(2);
}
process.argv = [process.argv[0], path.resolve(entry), ...args];
Module.runMain();
