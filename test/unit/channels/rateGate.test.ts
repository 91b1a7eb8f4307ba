/**
 * The provider rate gate on a clock that only moves when someone sleeps: the sliding-log limit,
 * its throughput, first come first served, holds after a 429, and one gate per provider account.
 */

import { gateFor, RateGate } from '../../../nodes/shared/channels/rateGate';

/** A clock that only moves when someone sleeps (or the test advances it). */
function fakeClock(start = 1_000_000) {
	let now = start;
	const sleeps: number[] = [];
	return {
		now: () => now,
		sleeps,
		sleep: async (ms: number) => {
			sleeps.push(ms);
			now += ms;
		},
		advance: (ms: number) => {
			now += ms;
		},
	};
}

/** The most starts inside any half-open span [t, t + span). */
function busiestSpan(starts: number[], span: number): number {
	const sorted = [...starts].sort((a, b) => a - b);
	let most = 0;
	let tail = 0;
	for (let head = 0; head < sorted.length; head++) {
		while (sorted[head] - sorted[tail] >= span) tail++;
		most = Math.max(most, head - tail + 1);
	}
	return most;
}

const LIMIT = { requests: 50, windowMs: 1000 };
/** The default margin: 1% of the window, at most 250 ms. */
const MARGIN = 10;

/** Acquires and is answered at once: the slot frees a window (plus margin) from now. */
async function startNow(gate: RateGate): Promise<void> {
	const release = await gate.acquire();
	release();
}

describe('RateGate', () => {
	it('never lets more than the limit start in any window (plus margin) over 2000 concurrent acquisitions', async () => {
		const clock = fakeClock();
		const gate = new RateGate(LIMIT, clock.sleep, clock.now);
		const starts: number[] = [];
		await Promise.all(
			Array.from({ length: 2000 }, async () => {
				const release = await gate.acquire();
				starts.push(clock.now());
				release();
			}),
		);
		expect(starts).toHaveLength(2000);
		expect(busiestSpan(starts, LIMIT.windowMs + MARGIN)).toBe(LIMIT.requests);
		// The provider's own window, wherever it starts, sees no more than the limit either.
		expect(busiestSpan(starts, LIMIT.windowMs)).toBeLessThanOrEqual(LIMIT.requests);
	});

	it('keeps the limit when callers come one at a time with work in between', async () => {
		const clock = fakeClock();
		const gate = new RateGate(LIMIT, clock.sleep, clock.now);
		const starts: number[] = [];
		for (let i = 0; i < 2000; i++) {
			await startNow(gate);
			starts.push(clock.now());
			// Each request takes an uneven 0–12 ms before the caller comes back.
			clock.advance((i * 7) % 13);
		}
		expect(busiestSpan(starts, LIMIT.windowMs + MARGIN)).toBeLessThanOrEqual(LIMIT.requests);
		expect(busiestSpan(starts, LIMIT.windowMs)).toBeLessThanOrEqual(LIMIT.requests);
	});

	it.each([1, 49, 50, 51, 100, 2000, 2001])('runs %i acquisitions in about (ceil(N/limit) - 1) windows', async (count) => {
		const clock = fakeClock();
		const gate = new RateGate(LIMIT, clock.sleep, clock.now);
		const start = clock.now();
		await Promise.all(Array.from({ length: count }, () => startNow(gate)));
		const elapsed = clock.now() - start;
		const windows = Math.ceil(count / LIMIT.requests) - 1;
		expect(elapsed).toBeGreaterThanOrEqual(windows * LIMIT.windowMs);
		expect(elapsed).toBeLessThanOrEqual(windows * (LIMIT.windowMs + MARGIN));
	});

	it('uses exactly the window when the margin is 0', async () => {
		const clock = fakeClock();
		const gate = new RateGate({ requests: 3, windowMs: 100 }, clock.sleep, clock.now, 0);
		const starts: number[] = [];
		for (let i = 0; i < 7; i++) {
			await startNow(gate);
			starts.push(clock.now() - 1_000_000);
		}
		expect(starts).toEqual([0, 0, 0, 100, 100, 100, 200]);
	});

	it('takes the default margin as 1% of the window, at most 250 ms', async () => {
		const clock = fakeClock();
		const small = new RateGate({ requests: 1, windowMs: 1000 }, clock.sleep, clock.now);
		await startNow(small);
		await startNow(small);
		expect(clock.now() - 1_000_000).toBe(1010);

		const large = new RateGate({ requests: 1, windowMs: 60_000 }, clock.sleep, clock.now);
		const before = clock.now();
		await startNow(large);
		await startNow(large);
		expect(clock.now() - before).toBe(60_250);
	});

	it('serves waiters first come, first served', async () => {
		const clock = fakeClock();
		const gate = new RateGate({ requests: 2, windowMs: 100 }, clock.sleep, clock.now, 0);
		const order: number[] = [];
		const at: number[] = [];
		const waiters = Array.from({ length: 10 }, (_, i) =>
			gate.acquire().then((release) => {
				order.push(i);
				at[i] = clock.now() - 1_000_000;
				release();
			}),
		);
		// Late arrivals (asked for while the first ones still wait) line up behind them.
		const late = [10, 11].map((i) =>
			Promise.resolve()
				.then(() => gate.acquire())
				.then((release) => {
					order.push(i);
					at[i] = clock.now() - 1_000_000;
					release();
				}),
		);
		await Promise.all([...waiters, ...late]);
		expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
		expect(at).toEqual([0, 0, 100, 100, 200, 200, 300, 300, 400, 400, 500, 500]);
	});

	it('holds later acquisitions after holdFor, even with free slots', async () => {
		const clock = fakeClock();
		const gate = new RateGate({ requests: 100, windowMs: 1000 }, clock.sleep, clock.now);
		await startNow(gate);
		expect(clock.now()).toBe(1_000_000);
		gate.holdFor(5000);
		await startNow(gate);
		expect(clock.now()).toBe(1_005_000);
		// The hold is over: the next one starts at once.
		await startNow(gate);
		expect(clock.now()).toBe(1_005_000);
	});

	it('measures the hold from when it was asked for, not from when its turn comes', async () => {
		const clock = fakeClock();
		const gate = new RateGate({ requests: 100, windowMs: 1000 }, clock.sleep, clock.now);
		gate.holdFor(3000);
		// Time passes before anyone asks: only the rest of the hold is waited.
		clock.advance(2000);
		await startNow(gate);
		expect(clock.now()).toBe(1_003_000);
		gate.holdFor(1000);
		clock.advance(1500);
		const sleepsBefore = clock.sleeps.length;
		await startNow(gate);
		// Already over: no sleep at all.
		expect(clock.sleeps.length).toBe(sleepsBefore);
		expect(clock.now()).toBe(1_004_500);
	});

	it('still keeps the window limit after a hold', async () => {
		const clock = fakeClock();
		const gate = new RateGate({ requests: 2, windowMs: 1000 }, clock.sleep, clock.now, 0);
		await startNow(gate);
		await startNow(gate);
		// A short hold ends before the window frees a slot: the window decides.
		gate.holdFor(300);
		await startNow(gate);
		expect(clock.now()).toBe(1_001_000);
	});

	it('lets the next caller go after a failing sleep', async () => {
		const clock = fakeClock();
		let fail = true;
		const sleep = async (ms: number) => {
			if (fail) {
				fail = false;
				throw new Error('sleep broke');
			}
			await clock.sleep(ms);
		};
		const gate = new RateGate({ requests: 1, windowMs: 100 }, sleep, clock.now, 0);
		await startNow(gate);
		await expect(startNow(gate)).rejects.toThrow('sleep broke');
		await startNow(gate);
		expect(clock.now()).toBe(1_000_100);
	});
});

describe('RateGate slots held while the request is in flight', () => {
	it('frees a slot a window after the answer, not after the start: a slow answer delays the next start', async () => {
		const clock = fakeClock();
		const gate = new RateGate({ requests: 1, windowMs: 100 }, clock.sleep, clock.now, 0);
		const release = await gate.acquire();
		// The request takes 250 ms; its arrival at the provider may be as late as its answer.
		clock.advance(250);
		release();
		await startNow(gate);
		expect(clock.now() - 1_000_000).toBe(350);
	});

	it('keeps a slot busy while unanswered and lets the next caller in once it is answered', async () => {
		const clock = fakeClock();
		const gate = new RateGate({ requests: 2, windowMs: 100 }, clock.sleep, clock.now, 0);
		const first = await gate.acquire();
		const second = await gate.acquire();
		let third = false;
		const waiting = gate.acquire().then((release) => {
			third = true;
			release();
		});
		// Both slots are in flight: the waiter polls until one is answered and its window passes.
		await Promise.resolve();
		expect(third).toBe(false);
		first();
		second();
		await waiting;
		expect(third).toBe(true);
		expect(clock.now() - 1_000_000).toBeGreaterThanOrEqual(100);
	});

	it('ignores a second release of the same slot', async () => {
		const clock = fakeClock();
		const gate = new RateGate({ requests: 1, windowMs: 100 }, clock.sleep, clock.now, 0);
		const release = await gate.acquire();
		release();
		clock.advance(90);
		release();
		await startNow(gate);
		expect(clock.now() - 1_000_000).toBe(100);
	});
});

describe('gateFor', () => {
	const sleep = async () => undefined;

	it('returns the same gate for the same key and limit', () => {
		const first = gateFor('test-rategate:wazzup:cred-1', { requests: 500, windowMs: 5000 }, sleep);
		const again = gateFor('test-rategate:wazzup:cred-1', { requests: 500, windowMs: 5000 }, sleep);
		expect(again).toBe(first);
		expect(first.limit).toEqual({ requests: 500, windowMs: 5000 });
	});

	it('returns a different gate for another key', () => {
		const one = gateFor('test-rategate:smsc:cred-1', { requests: 10, windowMs: 1000 }, sleep);
		const other = gateFor('test-rategate:smsc:cred-2', { requests: 10, windowMs: 1000 }, sleep);
		expect(other).not.toBe(one);
	});

	it('replaces the gate when the limit changes, and keeps the new one', () => {
		const key = 'test-rategate:twilio:cred-1';
		const old = gateFor(key, { requests: 100, windowMs: 1000 }, sleep);
		const moreRequests = gateFor(key, { requests: 200, windowMs: 1000 }, sleep);
		expect(moreRequests).not.toBe(old);
		expect(moreRequests.limit).toEqual({ requests: 200, windowMs: 1000 });
		const longerWindow = gateFor(key, { requests: 200, windowMs: 2000 }, sleep);
		expect(longerWindow).not.toBe(moreRequests);
		expect(gateFor(key, { requests: 200, windowMs: 2000 }, sleep)).toBe(longerWindow);
	});
});

describe('RateGate.holdFor and callers already waiting', () => {
	it('holds a caller that was already queued when the 429 came', async () => {
		const clock = fakeClock();
		const gate = new RateGate({ requests: 1, windowMs: 1000 }, clock.sleep, clock.now, 0);
		await startNow(gate);
		let startedAt = 0;
		const queued = gate.acquire().then((release) => {
			startedAt = clock.now() - 1_000_000;
			release();
		});
		gate.holdFor(5000);
		await queued;
		expect(startedAt).toBeGreaterThanOrEqual(5000);
	});
});
