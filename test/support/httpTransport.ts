/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals -- test tooling: runs in Node test processes, never inside n8n */
/**
 * A Bitrix24 transport over Node's https, for tests, benchmarks and tooling outside n8n (inside
 * n8n, nodes use `this.helpers.httpRequestWithAuthentication`). It trusts the sandbox's
 * self-signed certificate only when told to.
 */

import * as http from 'node:http';
import * as https from 'node:https';

import { Bitrix24Transport, TransportError } from '../../nodes/shared/bitrix24/transport';

export interface HttpTransportOptions {
	/** The REST base: a webhook URL `https://host/rest/1/code/` or `https://host/rest/` for OAuth. */
	baseUrl: string;
	/** Bearer token for OAuth calls (read on every call, so a refresh takes effect). */
	accessToken?: () => string | undefined;
	/** Accept the sandbox's self-signed certificate. */
	insecure?: boolean;
	/** Keep connections alive (default true). */
	keepAlive?: boolean;
	/** Counts every HTTP request sent. */
	onRequest?: (method: string) => void;
}

export function httpTransport(options: HttpTransportOptions): Bitrix24Transport {
	const base = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
	const agentOptions = { keepAlive: options.keepAlive !== false, maxSockets: 64, rejectUnauthorized: !options.insecure };
	const agent = base.startsWith('https:') ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
	return ({ method, params, timeoutMs }) =>
		new Promise((resolve, reject) => {
			options.onRequest?.(method);
			const body = JSON.stringify(params);
			const url = new URL(`${method}.json`, base);
			const headers: Record<string, string | number> = {
				'Content-Type': 'application/json',
				Accept: 'application/json',
				'Content-Length': Buffer.byteLength(body),
				'User-Agent': 'n8n-nodes-bitrix24-nps-tests',
			};
			const token = options.accessToken?.();
			if (token) headers.Authorization = `Bearer ${token}`;
			const client = url.protocol === 'https:' ? https : http;
			let sent = false;
			const request = client.request(url, { method: 'POST', agent, headers, timeout: timeoutMs }, (response) => {
				const chunks: Buffer[] = [];
				response.on('data', (chunk: Buffer) => chunks.push(chunk));
				response.on('error', () => reject(new TransportError('ECONNRESET', true)));
				response.on('end', () => {
					const text = Buffer.concat(chunks).toString('utf8');
					let parsed: unknown = text;
					try {
						parsed = JSON.parse(text);
					} catch {
						// Not JSON (a proxy's HTML error page): hand over the text.
					}
					resolve({ status: response.statusCode ?? 0, body: parsed });
				});
			});
			request.on('finish', () => (sent = true));
			request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
			request.on('error', (error: NodeJS.ErrnoException) => {
				const code = error.code ?? 'ENETWORK';
				reject(new TransportError(code, sent || code === 'ETIMEDOUT' || code === 'ECONNRESET', `network error ${code}`));
			});
			request.end(body);
		});
}

/** A clock backed by real timers. */
export const realClock = {
	now: () => Date.now(),
	sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};
