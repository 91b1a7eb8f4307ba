/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test tooling: runs in Node test processes, never inside n8n */
/**
 * A plain HttpFunction for channel tests and benchmarks (in n8n the nodes use
 * `httpRequestWithAuthentication`): sends the request, resolves with any status, and turns a missing
 * answer into a TransportFailure that says whether the request may have arrived.
 */

import * as http from 'node:http';
import * as https from 'node:https';

import { TransportFailure, type HttpFunction, type HttpRequest, type HttpResponse } from '../../nodes/shared/channels/types';

const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 256 }), https: new https.Agent({ keepAlive: true, maxSockets: 256 }) };

/** `authenticate` adds what a credential would (headers, query) to each request. */
export function plainHttp(authenticate: (request: HttpRequest) => HttpRequest = (r) => r): HttpFunction {
	return (original) =>
		new Promise<HttpResponse>((resolve, reject) => {
			const request = authenticate(original);
			const url = new URL(request.url);
			for (const [key, value] of Object.entries(request.qs ?? {})) url.searchParams.set(key, String(value));
			const headers: Record<string, string> = { ...(request.headers ?? {}) };
			let payload: string | undefined;
			if (request.json !== undefined) {
				payload = JSON.stringify(request.json);
				headers['content-type'] ??= 'application/json';
			} else if (request.form) {
				payload = new URLSearchParams(request.form).toString();
				headers['content-type'] ??= 'application/x-www-form-urlencoded';
			}
			if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
			const transport = url.protocol === 'https:' ? https : http;
			let connected = false;
			const req = transport.request(
				url,
				{ method: request.method, headers, agent: url.protocol === 'https:' ? agents.https : agents.http, rejectUnauthorized: false },
				(res) => {
					const chunks: Buffer[] = [];
					res.on('data', (c: Buffer) => chunks.push(c));
					res.on('error', (error) => reject(new TransportFailure(error.message, true, 'RESET')));
					res.on('end', () => {
						const text = Buffer.concat(chunks).toString('utf8');
						let body: unknown = text;
						if (String(res.headers['content-type'] ?? '').includes('json') && text) {
							try {
								body = JSON.parse(text);
							} catch {
								body = text;
							}
						}
						resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
					});
				},
			);
			req.on('socket', (socket) => {
				if (!socket.connecting) connected = true;
				else socket.once('connect', () => (connected = true));
			});
			req.setTimeout(request.timeoutMs ?? 30_000, () => req.destroy(new TransportFailure('timed out', true, 'TIMEOUT')));
			req.on('error', (error: NodeJS.ErrnoException) => {
				if (error instanceof TransportFailure) return reject(error);
				reject(new TransportFailure(error.message, connected || error.code !== 'ECONNREFUSED', error.code === 'ECONNRESET' ? 'RESET' : error.code));
			});
			req.end(payload);
		});
}
