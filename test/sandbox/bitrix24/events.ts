/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals -- test tooling: runs in Node test processes, never inside n8n */
/**
 * Outgoing events and the "Webhook" robot, as Bitrix24's queue server delivers them: an
 * asynchronous form-urlencoded POST with PHP bracket keys, once, with no retry on failure.
 *
 * - Outgoing webhooks (set up in the portal UI) get `auth[application_token]` but no OAuth tokens.
 * - App handlers (event.bind) also get an access token, unless the change came from a robot.
 * - A deal update fires ONCRMDEALUPDATE whoever made it, including the integration itself.
 * - The "Webhook" robot on a stage posts only `document_id[0..2]` when a deal enters the stage.
 */

import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';

import type { ChangeSource, Portal, PortalChange } from './portal';
import type { EventBinding, EventRegistry } from './methods';
import { buildPhpQuery } from '../../../nodes/shared/bitrix24/phpQuery';

export interface OutgoingWebhook {
	id: number;
	url: string;
	events: Set<string>;
	applicationToken: string;
}

export interface Robot {
	id: number;
	stageId: string;
	/** Handler URL; `{=Document:ID}` and `{{ID}}` are replaced with the deal ID. */
	url: string;
}

export interface Delivery {
	seq: number;
	at: number;
	kind: 'event' | 'robot';
	event: string;
	url: string;
	dealId?: number;
	/** HTTP status of the handler's answer, or 0 when it could not be reached. */
	status: number;
	error?: string;
	durationMs: number;
}

export interface EventHubOptions {
	portal: Portal;
	/** Delay between a change and its delivery (the queue server is asynchronous). */
	deliveryDelayMs: number;
	/** How many deliveries run at once. */
	concurrency: number;
	timeoutMs: number;
	/** The portal's public REST base, e.g. https://portal/rest/. */
	restBase: () => string;
	/** Issues an access token for an app handler's `auth[...]`. */
	issueAppToken: (clientId: string, userId: number) => { accessToken: string; expires: number; scope: string };
}

interface Job {
	kind: 'event' | 'robot';
	event: string;
	url: string;
	body: string;
	dealId?: number;
}

export class EventHub implements EventRegistry {
	readonly webhooks: OutgoingWebhook[] = [];
	readonly robots: Robot[] = [];
	readonly bindings: EventBinding[] = [];
	readonly deliveries: Delivery[] = [];
	/** App application tokens (what ONAPPINSTALL would have handed the app). */
	readonly appTokens = new Map<string, string>();
	private queue: Job[] = [];
	private running = 0;
	private seq = 0;
	private ids = 0;
	private idleWaiters: Array<() => void> = [];
	private paused = false;
	private readonly unsubscribe: () => void;

	constructor(private readonly options: EventHubOptions) {
		this.unsubscribe = options.portal.onChange((change) => this.onChange(change));
	}

	close(): void {
		this.unsubscribe();
	}

	addOutgoingWebhook(url: string, events: string[], applicationToken = randomBytes(16).toString('hex')): OutgoingWebhook {
		const hook: OutgoingWebhook = { id: 900 + ++this.ids, url, events: new Set(events.map((e) => e.toUpperCase())), applicationToken };
		this.webhooks.push(hook);
		return hook;
	}

	removeOutgoingWebhook(id: number): void {
		const index = this.webhooks.findIndex((hook) => hook.id === id);
		if (index >= 0) this.webhooks.splice(index, 1);
	}

	addRobot(stageId: string, url: string): Robot {
		const robot = { id: ++this.ids, stageId, url };
		this.robots.push(robot);
		return robot;
	}

	bind(binding: EventBinding): void {
		binding.applicationToken = this.appTokens.get(binding.clientId) ?? '';
		this.bindings.push(binding);
	}

	unbind(event: string, handler: string, clientId: string): number {
		let count = 0;
		for (let i = this.bindings.length - 1; i >= 0; i--) {
			const b = this.bindings[i];
			if (b.clientId === clientId && b.event === event && (!handler || b.handler === handler)) {
				this.bindings.splice(i, 1);
				count++;
			}
		}
		return count;
	}

	list(clientId: string): EventBinding[] {
		return this.bindings.filter((b) => b.clientId === clientId);
	}

	/** Holds deliveries (the queue server is slow); `resume()` sends what piled up. */
	pause(): void {
		this.paused = true;
	}

	resume(): void {
		this.paused = false;
		this.pump();
	}

	/** Resolves when every queued delivery has been attempted. */
	async idle(): Promise<void> {
		if (this.queue.length === 0 && this.running === 0 && !this.pendingTimers) return;
		await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
	}

	private pendingTimers = 0;

	private onChange(change: PortalChange): void {
		switch (change.type) {
			case 'dealAdd':
				this.fire('ONCRMDEALADD', { FIELDS: { ID: change.id } }, change.source, change.id);
				this.runRobots(String(this.options.portal.deals.get(change.id)?.STAGE_ID ?? ''), change.id);
				break;
			case 'dealUpdate':
				this.fire('ONCRMDEALUPDATE', { FIELDS: { ID: change.id } }, change.source, change.id);
				if (change.enteredStage) this.runRobots(change.enteredStage, change.id);
				break;
			case 'dealMoveCategory':
				// Moving to another pipeline does not fire ONCRMDEALUPDATE; the app-only event does.
				this.fire('ONCRMDEALMOVETOCATEGORY', { FIELDS: { ID: change.id, CATEGORY_ID: change.categoryId, STAGE_ID: change.stageId } }, change.source, change.id, true);
				this.runRobots(change.stageId, change.id);
				break;
			case 'contactAdd':
				this.fire('ONCRMCONTACTADD', { FIELDS: { ID: change.id } }, change.source);
				break;
			case 'contactUpdate':
				this.fire('ONCRMCONTACTUPDATE', { FIELDS: { ID: change.id } }, change.source);
				break;
			case 'itemAdd':
			case 'itemUpdate':
				this.fire(change.type === 'itemAdd' ? 'ONCRMDYNAMICITEMADD' : 'ONCRMDYNAMICITEMUPDATE', { FIELDS: { ID: change.id, ENTITY_TYPE_ID: change.entityTypeId } }, change.source);
				break;
		}
	}

	private commonAuth(): Record<string, string> {
		const portal = this.options.portal;
		return {
			domain: portal.domain,
			client_endpoint: this.options.restBase(),
			server_endpoint: 'https://oauth.bitrix.info/rest/',
			member_id: portal.memberId,
		};
	}

	private fire(event: string, data: Record<string, unknown>, source: ChangeSource, dealId?: number, appsOnly = false): void {
		const ts = Math.floor(this.options.portal.now() / 1000);
		if (!appsOnly) {
			for (const hook of this.webhooks) {
				if (!hook.events.has(event)) continue;
				const body = buildPhpQuery({ event, event_handler_id: hook.id, data, ts, auth: { ...this.commonAuth(), application_token: hook.applicationToken } });
				this.enqueue({ kind: 'event', event, url: hook.url, body, dealId });
			}
		}
		for (const binding of this.bindings) {
			if (binding.event !== event || binding.offline) continue;
			const auth: Record<string, unknown> = { ...this.commonAuth(), application_token: binding.applicationToken };
			if (source.via !== 'robot') {
				const token = this.options.issueAppToken(binding.clientId, binding.authType || source.userId);
				Object.assign(auth, { access_token: token.accessToken, expires: token.expires, expires_in: 3600, scope: token.scope, status: 'L', user_id: binding.authType || source.userId });
			}
			const body = buildPhpQuery({ event, event_handler_id: 0, data, ts, auth });
			this.enqueue({ kind: 'event', event, url: binding.handler, body, dealId });
		}
	}

	private runRobots(stageId: string, dealId: number): void {
		for (const robot of this.robots) {
			if (robot.stageId !== stageId) continue;
			const url = robot.url.replace(/\{=Document:ID\}|\{\{ID\}\}/g, String(dealId));
			const body = buildPhpQuery({ document_id: ['crm', 'CCrmDocumentDeal', `DEAL_${dealId}`] });
			this.enqueue({ kind: 'robot', event: 'ROBOT_WEBHOOK', url, body, dealId });
		}
	}

	private enqueue(job: Job): void {
		this.pendingTimers++;
		setTimeout(() => {
			this.pendingTimers--;
			this.queue.push(job);
			this.pump();
		}, this.options.deliveryDelayMs);
	}

	private pump(): void {
		while (!this.paused && this.running < this.options.concurrency && this.queue.length) {
			const job = this.queue.shift() as Job;
			this.running++;
			this.deliver(job).finally(() => {
				this.running--;
				this.pump();
			});
		}
		if (!this.paused && this.queue.length === 0 && this.running === 0 && this.pendingTimers === 0) {
			const waiters = this.idleWaiters;
			this.idleWaiters = [];
			waiters.forEach((resolve) => resolve());
		}
	}

	private deliver(job: Job): Promise<void> {
		const started = Date.now();
		const record = (status: number, error?: string) =>
			this.deliveries.push({ seq: ++this.seq, at: started, kind: job.kind, event: job.event, url: job.url, dealId: job.dealId, status, error, durationMs: Date.now() - started });
		return new Promise<void>((resolve) => {
			let target: URL;
			try {
				target = new URL(job.url);
			} catch {
				record(0, 'invalid handler URL');
				resolve();
				return;
			}
			const client = target.protocol === 'https:' ? https : http;
			const request = client.request(
				target,
				{
					method: 'POST',
					headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(job.body), 'User-Agent': 'Bitrix24 Webhook Engine' },
					timeout: this.options.timeoutMs,
					rejectUnauthorized: false,
				},
				(response) => {
					response.resume();
					response.on('end', () => {
						record(response.statusCode ?? 0);
						resolve();
					});
				},
			);
			request.on('timeout', () => request.destroy(new Error('timeout')));
			request.on('error', (error) => {
				// No second chances: the queue server logs the failure and drops the event.
				record(0, error.message);
				resolve();
			});
			request.end(job.body);
		});
	}
}
