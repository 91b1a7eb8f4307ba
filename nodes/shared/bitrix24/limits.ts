/**
 * Client-side mirrors of Bitrix24's two limits.
 *
 * 1. The request-rate leaky bucket: every HTTP request adds 1 to a counter that drains
 *    `drainPerSecond` per second; above `burst` the portal answers 503 QUERY_LIMIT_EXCEEDED.
 *    A batch call counts once. Standard plans: 2/s, burst 50; Enterprise: 5/s, burst 250.
 * 2. The operating limit: per method, the portal sums execution time over a 10-minute window;
 *    past 480 s it answers 429 OPERATION_TIME_LIMIT until `time.operating_reset_at`.
 *
 * Time comes from an injected clock so the core stays free of timers (n8n's lint forbids
 * `setTimeout` in node code; nodes pass n8n-workflow's `sleep`).
 */

export interface Clock {
	/** Milliseconds since the epoch. */
	now(): number;
	sleep(ms: number): Promise<void>;
}

export interface RateLimit {
	/** How fast the portal's counter drains, in requests per second. */
	drainPerSecond: number;
	/** How many requests fit before the portal starts refusing. */
	burst: number;
}

export const RATE_LIMITS = {
	standard: { drainPerSecond: 2, burst: 50 },
	enterprise: { drainPerSecond: 5, burst: 250 },
} as const satisfies Record<string, RateLimit>;

export type RatePlan = keyof typeof RATE_LIMITS;

/**
 * The limit of a plan. `custom` (an on-premise portal whose administrator set other limits, or agreed
 * limits) takes the given rate and burst; anything unreadable falls back to the plan's safe default.
 */
export function rateLimitFor(plan: string | undefined, custom?: { requestsPerSecond?: unknown; burst?: unknown }): RateLimit {
	if (plan === 'custom') {
		const rate = Number(custom?.requestsPerSecond);
		const burst = Number(custom?.burst);
		if (Number.isFinite(rate) && rate > 0 && Number.isFinite(burst) && burst >= 1) return { drainPerSecond: rate, burst: Math.floor(burst) };
		return RATE_LIMITS.standard;
	}
	return plan === 'enterprise' ? RATE_LIMITS.enterprise : RATE_LIMITS.standard;
}

/**
 * A leaky bucket that admits one request at a time, first come first served.
 *
 * The portal counts a request when it arrives, which the client cannot see. So the estimate is
 * kept on the safe side: a request in flight counts as full (it may arrive any moment), and its
 * unit starts draining only when its answer is back (it arrived by then at the latest). Call
 * `acquire()` before sending and `release()` once the answer (or the failure) is in.
 */
export class LeakyBucket {
	private level = 0;
	private inFlight = 0;
	private updatedAt: number;
	private queue: Promise<unknown> = Promise.resolve();

	constructor(
		private limit: RateLimit,
		private readonly clock: Clock,
	) {
		if (!(limit.drainPerSecond > 0) || !(limit.burst >= 1)) {
			throw new Error(`Invalid rate limit: drain ${limit.drainPerSecond}/s, burst ${limit.burst}`);
		}
		this.updatedAt = clock.now();
	}

	get rateLimit(): RateLimit {
		return this.limit;
	}

	private leak(): void {
		const now = this.clock.now();
		const elapsed = Math.max(0, now - this.updatedAt);
		this.level = Math.max(0, this.level - (elapsed / 1000) * this.limit.drainPerSecond);
		this.updatedAt = now;
	}

	/** Current counter estimate, in-flight requests included (for tests and diagnostics). */
	currentLevel(): number {
		this.leak();
		return this.level + this.inFlight;
	}

	/** Milliseconds the next request would wait if nothing else happened. */
	delayForNext(): number {
		this.leak();
		const over = this.level + this.inFlight + 1 - this.limit.burst;
		return over > 0 ? Math.ceil((over / this.limit.drainPerSecond) * 1000) : 0;
	}

	/** Resolves when one more request may be sent, in call order. Returns the wait in ms. */
	acquire(): Promise<number> {
		const turn = this.queue.then(async () => {
			let waited = 0;
			for (;;) {
				const delay = this.delayForNext();
				if (delay <= 0) {
					this.inFlight++;
					return waited;
				}
				await this.clock.sleep(delay);
				waited += delay;
			}
		});
		this.queue = turn;
		return turn;
	}

	/** The request's answer (or failure) is in: from now on its unit drains. */
	release(): void {
		this.leak();
		this.inFlight = Math.max(0, this.inFlight - 1);
		this.level += 1;
	}

	/**
	 * The portal refused a request with QUERY_LIMIT_EXCEEDED: someone else (another workflow, app
	 * or server on the same IP) shares the bucket. Treat it as full so we slow down.
	 */
	markFull(): void {
		this.leak();
		this.level = Math.max(this.level, this.limit.burst);
	}
}

export interface OperatingLimit {
	/** Seconds of execution time a method may use per window (480 on the cloud). */
	limitSeconds: number;
	/** Keep this much headroom before pausing a method proactively. */
	headroomSeconds: number;
}

export const DEFAULT_OPERATING_LIMIT: OperatingLimit = { limitSeconds: 480, headroomSeconds: 10 };

interface MethodUsage {
	operatingSeconds: number;
	resetAtMs: number;
}

/** The `time` object of a Bitrix24 response (only the fields the limits use). */
export interface Bitrix24Time {
	operating?: number;
	operating_reset_at?: number;
	[key: string]: unknown;
}

/**
 * Remembers, per method, how much of the operating budget the portal reported as used and when
 * it resets, so a method near its limit pauses before the portal blocks it.
 */
export class OperatingTracker {
	private readonly usage = new Map<string, MethodUsage>();

	constructor(
		private readonly limit: OperatingLimit,
		private readonly clock: Clock,
	) {}

	record(method: string, time: Bitrix24Time | undefined): void {
		if (!time || typeof time.operating !== 'number') return;
		const resetAt = typeof time.operating_reset_at === 'number' ? time.operating_reset_at * 1000 : 0;
		this.usage.set(method, { operatingSeconds: time.operating, resetAtMs: resetAt });
	}

	/** When the portal said the method's budget frees up (unix ms), if it said so. */
	resetAt(method: string): number | undefined {
		const u = this.usage.get(method);
		return u && u.resetAtMs > 0 ? u.resetAtMs : undefined;
	}

	/** Milliseconds to wait before calling the method so it stays under the operating limit. */
	delayFor(method: string): number {
		const u = this.usage.get(method);
		if (!u) return 0;
		const now = this.clock.now();
		if (u.resetAtMs <= now) {
			if (u.resetAtMs > 0) this.usage.delete(method);
			return 0;
		}
		if (u.operatingSeconds < this.limit.limitSeconds - this.limit.headroomSeconds) return 0;
		return u.resetAtMs - now;
	}

	/** The portal refused with OPERATION_TIME_LIMIT: the method is over budget until reset. */
	markExhausted(method: string, resetAtMs: number | undefined): void {
		const known = this.usage.get(method);
		this.usage.set(method, {
			operatingSeconds: this.limit.limitSeconds,
			resetAtMs: resetAtMs ?? known?.resetAtMs ?? 0,
		});
	}
}
