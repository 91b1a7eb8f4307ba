/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals -- test tooling: runs in Node test processes, never inside n8n */
/**
 * The sandbox portal in a worker thread, so its own CPU work (parsing, encoding) runs beside
 * the client under test instead of taking turns with it. Used by benchmarks.
 */

import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import type { Bitrix24SandboxOptions, RequestLogEntry } from './sandbox';

export interface WorkerSandbox {
	url: string;
	createWebhook(options?: { userId?: number; scopes?: string[] }): Promise<{ url: string; code: string; userId: number }>;
	resetLimits(): Promise<void>;
	log(): Promise<RequestLogEntry[]>;
	stop(): Promise<void>;
}

/** Options cross the thread boundary as data: functions (like operatingCost) are given as a formula. */
export type WorkerSandboxOptions = Omit<Bitrix24SandboxOptions, 'operatingCost' | 'now'> & {
	/** Cost in real seconds: base + perRecord × records + perScanned × scanned. */
	cost?: { base: number; perRecord: number; perScanned: number };
};

export async function startSandboxInWorker(options: WorkerSandboxOptions): Promise<WorkerSandbox> {
	const worker = new Worker(join(__dirname, 'worker-entry.js'), { workerData: options });
	let nextId = 0;
	const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
	worker.on('message', (message: { id: number; result?: unknown; error?: string }) => {
		const waiter = pending.get(message.id);
		if (!waiter) return;
		pending.delete(message.id);
		if (message.error) waiter.reject(new Error(message.error));
		else waiter.resolve(message.result);
	});
	const call = <T>(method: string, ...args: unknown[]) =>
		new Promise<T>((resolve, reject) => {
			const id = ++nextId;
			pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
			worker.postMessage({ id, method, args });
		});
	const url = await call<string>('start');
	return {
		url,
		createWebhook: (o) => call('createWebhook', o),
		resetLimits: () => call('resetLimits'),
		log: () => call('log'),
		stop: async () => {
			await call('stop');
			await worker.terminate();
		},
	};
}
