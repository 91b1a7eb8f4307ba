import { LeakyBucket, OperatingTracker, RATE_LIMITS, rateLimitFor } from '../../../nodes/shared/bitrix24/limits';

/** A clock that only moves when someone sleeps. */
function fakeClock(start = 1_000_000) {
	let now = start;
	return {
		now: () => now,
		sleep: async (ms: number) => {
			now += ms;
		},
		advance: (ms: number) => {
			now += ms;
		},
	};
}

describe('LeakyBucket', () => {
	it('lets a burst through at once, then paces at the drain rate', async () => {
		const clock = fakeClock();
		const bucket = new LeakyBucket(RATE_LIMITS.standard, clock);
		const start = clock.now();
		for (let i = 0; i < 50; i++) {
			expect(await bucket.acquire()).toBe(0);
			bucket.release();
		}
		for (let i = 0; i < 10; i++) {
			await bucket.acquire();
			bucket.release();
		}
		// 10 requests over the burst at 2/s take 5 s.
		expect(clock.now() - start).toBe(5000);
	});

	it('admits concurrent callers in call order, each a drain step after the last', async () => {
		const clock = fakeClock();
		const bucket = new LeakyBucket({ drainPerSecond: 2, burst: 2 }, clock);
		const sentAt: number[] = [];
		await Promise.all(
			[0, 1, 2, 3].map(async (i) => {
				await bucket.acquire();
				sentAt[i] = clock.now() - 1_000_000;
				bucket.release();
			}),
		);
		expect(sentAt).toEqual([0, 0, 500, 1000]);
	});

	it('counts a request in flight as not drained until its answer is back', async () => {
		const clock = fakeClock();
		const bucket = new LeakyBucket({ drainPerSecond: 10, burst: 3 }, clock);
		for (let i = 0; i < 3; i++) await bucket.acquire();
		// Ten seconds pass with the three requests still in flight: nothing has drained.
		clock.advance(10_000);
		expect(bucket.currentLevel()).toBe(3);
		expect(bucket.delayForNext()).toBe(100);
		bucket.release();
		bucket.release();
		bucket.release();
		clock.advance(100);
		expect(bucket.currentLevel()).toBeCloseTo(2, 5);
	});

	it('drains while idle', async () => {
		const clock = fakeClock();
		const bucket = new LeakyBucket({ drainPerSecond: 5, burst: 250 }, clock);
		for (let i = 0; i < 250; i++) {
			await bucket.acquire();
			bucket.release();
		}
		clock.advance(10_000);
		expect(bucket.currentLevel()).toBe(200);
		expect(bucket.delayForNext()).toBe(0);
	});

	it('slows down after the portal says the bucket is full', async () => {
		const clock = fakeClock();
		const bucket = new LeakyBucket(RATE_LIMITS.standard, clock);
		bucket.markFull();
		expect(await bucket.acquire()).toBe(500);
	});

	it('refuses nonsense limits', () => {
		expect(() => new LeakyBucket({ drainPerSecond: 0, burst: 50 }, fakeClock())).toThrow(/Invalid rate limit/);
	});

	it('knows the plans', () => {
		expect(rateLimitFor('enterprise')).toEqual({ drainPerSecond: 5, burst: 250 });
		expect(rateLimitFor(undefined)).toEqual({ drainPerSecond: 2, burst: 50 });
		// An on-premise portal with its own limits; unreadable custom values fall back to Standard.
		expect(rateLimitFor('custom', { requestsPerSecond: 40, burst: '400' })).toEqual({ drainPerSecond: 40, burst: 400 });
		expect(rateLimitFor('custom', { requestsPerSecond: 0, burst: 10 })).toEqual({ drainPerSecond: 2, burst: 50 });
		expect(rateLimitFor('custom', {})).toEqual({ drainPerSecond: 2, burst: 50 });
	});
});

describe('OperatingTracker', () => {
	it('pauses a method close to its budget until the portal said it resets', () => {
		const clock = fakeClock(1_700_000_000_000);
		const tracker = new OperatingTracker({ limitSeconds: 480, headroomSeconds: 10 }, clock);
		const resetAt = clock.now() / 1000 + 30;
		tracker.record('crm.deal.list', { operating: 100, operating_reset_at: resetAt });
		expect(tracker.delayFor('crm.deal.list')).toBe(0);
		tracker.record('crm.deal.list', { operating: 475, operating_reset_at: resetAt });
		expect(tracker.delayFor('crm.deal.list')).toBe(30_000);
		expect(tracker.delayFor('crm.contact.get')).toBe(0);
		clock.advance(30_000);
		expect(tracker.delayFor('crm.deal.list')).toBe(0);
	});

	it('remembers a refusal even when the answer carried no reset time', () => {
		const clock = fakeClock(1_700_000_000_000);
		const tracker = new OperatingTracker({ limitSeconds: 480, headroomSeconds: 10 }, clock);
		tracker.record('crm.deal.list', { operating: 10, operating_reset_at: clock.now() / 1000 + 60 });
		tracker.markExhausted('crm.deal.list', undefined);
		expect(tracker.delayFor('crm.deal.list')).toBe(60_000);
	});

	it('ignores answers without operating figures', () => {
		const tracker = new OperatingTracker({ limitSeconds: 480, headroomSeconds: 10 }, fakeClock());
		tracker.record('x', undefined);
		tracker.record('x', { start: 1 });
		expect(tracker.delayFor('x')).toBe(0);
	});
});
