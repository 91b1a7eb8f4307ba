/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test tooling: runs in Node test processes, never inside n8n */
/**
 * The common part of the channel sandboxes (Wazzup, Chat2Desk, Meta, SMSC, Twilio, Telegram): an
 * HTTP server on 127.0.0.1 that parses JSON, form and query bodies, logs every request, and can be
 * told to misbehave (hold the request past the client's timeout, reset the socket, answer 5xx)
 * before or after the provider "sent" the message.
 */

import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface SandboxRequest {
	method: string;
	/** Path without the query string. */
	path: string;
	query: Record<string, string>;
	headers: http.IncomingHttpHeaders;
	/** Parsed body: JSON object, form fields (as a record), or text. */
	body: unknown;
	rawBody: string;
}

export interface SandboxAnswer {
	status: number;
	headers?: Record<string, string>;
	/** An object is sent as JSON; a string as text; undefined as an empty body. */
	body?: unknown;
}

export type ChannelFaultKind = 'timeout' | 'reset' | 'serverError';

export interface ChannelFault {
	kind: ChannelFaultKind;
	/** `before`: nothing happens at the provider. `after`: the message is sent (recorded), then the answer fails. */
	when?: 'before' | 'after';
	/** Only requests whose path contains this text. */
	path?: string;
	/** How many times (default once). */
	times?: number;
}

export interface LoggedRequest {
	at: number;
	method: string;
	path: string;
	status: number | 'timeout' | 'reset';
}

export type RouteHandler = (request: SandboxRequest) => SandboxAnswer | Promise<SandboxAnswer>;

export class ChannelServer {
	readonly log: LoggedRequest[] = [];
	private faults: Array<ChannelFault & { left: number }> = [];
	private readonly sockets = new Set<Socket>();
	private server?: http.Server;
	url = '';

	constructor(private readonly handler: RouteHandler) {}

	async start(port = 0): Promise<this> {
		this.server = http.createServer((req, res) => void this.serve(req, res));
		this.server.on('connection', (socket) => {
			this.sockets.add(socket);
			socket.on('close', () => this.sockets.delete(socket));
		});
		this.server.keepAliveTimeout = 5000;
		await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
		this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
		return this;
	}

	async stop(): Promise<void> {
		for (const socket of this.sockets) socket.destroy();
		await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
	}

	addFault(fault: ChannelFault): void {
		this.faults.push({ ...fault, left: fault.times ?? 1 });
	}

	clearFaults(): void {
		this.faults = [];
	}

	private takeFault(path: string, when: 'before' | 'after'): ChannelFault | undefined {
		const fault = this.faults.find((f) => f.left > 0 && (f.when ?? 'before') === when && (!f.path || path.includes(f.path)));
		if (fault) fault.left--;
		return fault;
	}

	private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const rawBody = Buffer.concat(chunks).toString('utf8');
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const query = Object.fromEntries(url.searchParams.entries());
		const type = String(req.headers['content-type'] ?? '');
		let body: unknown = rawBody;
		if (type.includes('json') && rawBody) {
			try {
				body = JSON.parse(rawBody);
			} catch {
				body = rawBody;
			}
		} else if (type.includes('x-www-form-urlencoded')) {
			body = Object.fromEntries(new URLSearchParams(rawBody).entries());
		}
		const request: SandboxRequest = { method: req.method ?? 'GET', path: url.pathname, query, headers: req.headers, body, rawBody };
		const entry: LoggedRequest = { at: Date.now(), method: request.method, path: request.path, status: 0 };
		this.log.push(entry);

		const before = this.takeFault(request.path, 'before');
		if (before && this.misbehave(before, res, entry)) return;
		let answer: SandboxAnswer;
		try {
			answer = await this.handler(request);
		} catch (error) {
			answer = { status: 500, body: { error: 'SANDBOX_BUG', description: String(error) } };
		}
		const after = this.takeFault(request.path, 'after');
		if (after && this.misbehave(after, res, entry)) return;
		entry.status = answer.status;
		const headers: Record<string, string> = { ...(answer.headers ?? {}) };
		let text = '';
		if (answer.body !== undefined) {
			if (typeof answer.body === 'string') {
				text = answer.body;
				headers['content-type'] ??= 'text/plain; charset=utf-8';
			} else {
				text = JSON.stringify(answer.body);
				headers['content-type'] ??= 'application/json; charset=utf-8';
			}
		}
		res.writeHead(answer.status, headers);
		res.end(text);
	}

	/** Applies a fault; true when the answer is taken care of. */
	private misbehave(fault: ChannelFault, res: http.ServerResponse, entry: LoggedRequest): boolean {
		if (fault.kind === 'reset') {
			entry.status = 'reset';
			res.socket?.destroy();
			return true;
		}
		if (fault.kind === 'timeout') {
			// Hold the request: the client's timeout fires first; the socket is closed on stop().
			entry.status = 'timeout';
			return true;
		}
		entry.status = 502;
		res.writeHead(502, { 'content-type': 'text/html' });
		res.end('<html><body>502 Bad Gateway</body></html>');
		return true;
	}
}

/**
 * A fixed window counter, like the providers' ("500 requests per 5 seconds, reset every 5 s"):
 * `windowMs` is divided by `timeScale` so benchmarks can run the real limit faster.
 */
export class FixedWindowLimit {
	private windowStart = 0;
	private count = 0;

	constructor(
		readonly limit: number,
		readonly windowMs: number,
		readonly timeScale = 1,
	) {}

	/** Counts a request; false when it is over the limit (the request is refused). */
	take(now = Date.now()): boolean {
		const window = this.windowMs / this.timeScale;
		if (now - this.windowStart >= window) {
			this.windowStart = now;
			this.count = 0;
		}
		this.count++;
		return this.count <= this.limit;
	}

	/** Milliseconds until the current window resets. */
	resetInMs(now = Date.now()): number {
		return Math.max(0, this.windowStart + this.windowMs / this.timeScale - now);
	}
}
