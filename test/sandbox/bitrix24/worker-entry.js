'use strict';
// Worker-thread side of worker.ts: runs a sandbox and answers calls from the parent thread.
require('../../../scripts/register-ts');
const { parentPort, workerData } = require('node:worker_threads');
const { Bitrix24Sandbox } = require('./sandbox');

const { cost, ...options } = workerData;
if (cost) options.operatingCost = (_method, records, scanned) => cost.base + cost.perRecord * records + cost.perScanned * scanned;
const sandbox = new Bitrix24Sandbox(options);

const handlers = {
	start: async () => (await sandbox.start()).url,
	createWebhook: (o) => sandbox.createWebhook(o),
	resetLimits: () => sandbox.resetLimits(),
	log: () => sandbox.log,
	stop: () => sandbox.stop(),
};

parentPort.on('message', async ({ id, method, args }) => {
	try {
		parentPort.postMessage({ id, result: await handlers[method](...args) });
	} catch (error) {
		parentPort.postMessage({ id, error: String(error && error.message ? error.message : error) });
	}
});
