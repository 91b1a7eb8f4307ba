/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test tooling: runs in Node test processes, never inside n8n */
/**
 * Raw HTTP calls for tests that check exact wire formats (the sandbox's answers, event bodies).
 */

import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface RawResponse {
	status: number;
	headers: http.IncomingHttpHeaders;
	text: string;
	json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export function rawRequest(url: string, options: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
	return new Promise((resolve, reject) => {
		const target = new URL(url);
		const client = target.protocol === 'https:' ? https : http;
		const request = client.request(target, { method: options.method ?? 'POST', headers: options.headers, rejectUnauthorized: false }, (response) => {
			const chunks: Buffer[] = [];
			response.on('data', (chunk: Buffer) => chunks.push(chunk));
			response.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				let json: unknown;
				try {
					json = JSON.parse(text);
				} catch {
					json = undefined;
				}
				resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
			});
		});
		request.on('error', reject);
		request.end(options.body);
	});
}

/** POSTs JSON parameters to a REST method URL. */
export function rawCall(baseUrl: string, method: string, params: unknown = {}, headers: Record<string, string> = {}): Promise<RawResponse> {
	return rawRequest(`${baseUrl}${method}.json`, { body: JSON.stringify(params), headers: { 'Content-Type': 'application/json', ...headers } });
}

export interface ReceivedRequest {
	method: string;
	url: string;
	headers: http.IncomingHttpHeaders;
	body: string;
}

/** A local HTTP endpoint that records what it receives and answers with `status`. */
export async function startReceiver(status = 200): Promise<{ url: string; received: ReceivedRequest[]; setStatus: (s: number) => void; stop: () => Promise<void> }> {
	const received: ReceivedRequest[] = [];
	let answer = status;
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
			res.writeHead(answer);
			res.end('ok');
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		received,
		setStatus: (s) => (answer = s),
		stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}
