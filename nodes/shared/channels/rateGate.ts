/**
 * Keeps our requests to a provider under its published limit ("500 requests per 5 seconds"),
 * so the provider never has to refuse them.
 *
 * Providers count fixed windows that start when a request *arrives* after the last window ran
 * out, so a late straggler can open a window early. A request only arrives between our sending it
 * and our reading its answer, so a slot here is held from the send until `windowMs` after the
 * answer: then no `windowMs` interval can hold more than `requests` arrivals, whatever the
 * network does, and every window the provider may count stays under its limit. Waiters are served
 * first come, first served. Shared by every execution in this process that uses the same provider
 * account (see `gateFor`).
 */

import type { ChannelRateLimit } from './types';

export type Sleep = (ms: number) => Promise<void>;

/** Call when the provider's answer (or the failure) is in. */
export type Release = () => void;

interface Slot {
	/** When the slot frees; Infinity while the request is in flight. */
	freeAt: number;
}

export class RateGate {
	private slots: Slot[] = [];
	private queue: Promise<unknown> = Promise.resolve();
	private heldUntil = 0;

	constructor(
		readonly limit: ChannelRateLimit,
		private readonly sleep: Sleep,
		private readonly clock: () => number = Date.now,
		/** Spare time per window for clock granularity. */
		private readonly marginMs = Math.min(250, Math.ceil(limit.windowMs * 0.01)),
	) {}

	/** Resolves when one more request may start now; call the returned function when it is answered. */
	acquire(): Promise<Release> {
		const turn = this.queue.then(() => this.waitForSlot());
		this.queue = turn.catch(() => undefined);
		return turn;
	}

	/** After a provider's 429: nobody starts before `ms` from now, callers already waiting included. */
	holdFor(ms: number): void {
		this.heldUntil = Math.max(this.heldUntil, this.clock() + ms);
	}

	private async waitForSlot(): Promise<Release> {
		for (;;) {
			const now = this.clock();
			if (now < this.heldUntil) {
				await this.sleep(this.heldUntil - now);
				continue;
			}
			this.slots = this.slots.filter((slot) => slot.freeAt > now);
			if (this.slots.length < this.limit.requests) {
				const slot: Slot = { freeAt: Number.POSITIVE_INFINITY };
				this.slots.push(slot);
				let released = false;
				return () => {
					if (released) return;
					released = true;
					slot.freeAt = this.clock() + this.limit.windowMs + this.marginMs;
				};
			}
			const next = Math.min(...this.slots.map((slot) => slot.freeAt));
			// All slots in flight: look again shortly (an answer frees one).
			await this.sleep(Number.isFinite(next) ? Math.max(1, next - now) : Math.max(1, Math.ceil(this.marginMs / 2)));
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
