/**
 * Keeps our requests to a provider under its published limit ("500 requests per 5 seconds"),
 * so the provider never has to refuse them. A sliding log: at most `requests` starts in any
 * `windowMs`, which also keeps every fixed window the provider may count in under the limit.
 * Waiters are served first come, first served. Shared by every execution in this process that
 * uses the same provider account (see `gateFor`).
 */

import type { ChannelRateLimit } from './types';

export type Sleep = (ms: number) => Promise<void>;

export class RateGate {
	private readonly starts: number[] = [];
	private head = 0;
	private queue: Promise<void> = Promise.resolve();

	constructor(
		readonly limit: ChannelRateLimit,
		private readonly sleep: Sleep,
		private readonly clock: () => number = Date.now,
		/** Added to the window: the provider's clock starts its window when our first request arrives, a little later than we sent it. */
		private readonly marginMs = Math.min(250, Math.ceil(limit.windowMs * 0.02)),
	) {}

	/** Resolves when one more request may start now. */
	acquire(): Promise<void> {
		const turn = this.queue.then(() => this.waitForSlot());
		this.queue = turn.catch(() => undefined);
		return turn;
	}

	/** After a provider's 429: nobody starts before `ms` from now. */
	holdFor(ms: number): void {
		const until = this.clock() + ms;
		const held = this.queue.then(async () => {
			const wait = until - this.clock();
			if (wait > 0) await this.sleep(wait);
		});
		this.queue = held.catch(() => undefined);
	}

	private async waitForSlot(): Promise<void> {
		const window = this.limit.windowMs + this.marginMs;
		for (;;) {
			const now = this.clock();
			while (this.head < this.starts.length && this.starts[this.head] <= now - window) this.head++;
			if (this.head > 1024 && this.head * 2 > this.starts.length) {
				this.starts.splice(0, this.head);
				this.head = 0;
			}
			if (this.starts.length - this.head < this.limit.requests) {
				this.starts.push(now);
				return;
			}
			await this.sleep(this.starts[this.head] + window - now);
		}
	}
}

const gates = new Map<string, RateGate>();

/** One gate per provider account in this process (`key`: channel and credential id, never a secret). */
export function gateFor(key: string, limit: ChannelRateLimit, sleep: Sleep): RateGate {
	let gate = gates.get(key);
	if (!gate || gate.limit.requests !== limit.requests || gate.limit.windowMs !== limit.windowMs) {
		gate = new RateGate(limit, sleep);
		gates.set(key, gate);
	}
	return gate;
}
