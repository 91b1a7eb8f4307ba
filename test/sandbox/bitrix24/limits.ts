/**
 * The portal's side of Bitrix24's limits. Unlike the client, the portal does not wait: it refuses.
 *
 * - Request rate: a leaky bucket per portal; over the burst, 503 QUERY_LIMIT_EXCEEDED.
 *   A refused request does not fill the bucket.
 * - Operating time: per app or webhook, per method, summed over ten buckets spanning the window;
 *   when the sum is over the limit the method answers 429 OPERATION_TIME_LIMIT. `batch` itself is
 *   not counted; its commands are.
 */

export interface SandboxRateLimit {
	drainPerSecond: number;
	burst: number;
}

export interface SandboxOperatingLimit {
	/** Seconds of execution time per method per window (cloud: 480 s). */
	limitSeconds: number;
	/** Window length in seconds (cloud: 600 s, as ten one-minute buckets). */
	windowSeconds: number;
}

export class PortalBucket {
	private level = 0;
	private updatedAt: number;
	refused = 0;

	constructor(
		public limit: SandboxRateLimit,
		private readonly now: () => number,
	) {
		this.updatedAt = now();
	}

	private leak(): void {
		const now = this.now();
		this.level = Math.max(0, this.level - ((now - this.updatedAt) / 1000) * this.limit.drainPerSecond);
		this.updatedAt = now;
	}

	/** Counts the request if it fits; false means "answer 503". */
	take(): boolean {
		this.leak();
		if (this.level + 1 > this.limit.burst + 1e-9) {
			this.refused++;
			return false;
		}
		this.level += 1;
		return true;
	}

	currentLevel(): number {
		this.leak();
		return this.level;
	}

	/** Fill the bucket as if other apps on the same portal had used it up. */
	fill(level = this.limit.burst): void {
		this.leak();
		this.level = level;
	}

	reset(): void {
		this.level = 0;
		this.updatedAt = this.now();
	}
}

interface Usage {
	/** Bucket index → when its first call came (ms) and the seconds spent in it. */
	buckets: Map<number, { firstAt: number; seconds: number }>;
}

export class OperatingLedger {
	private readonly usage = new Map<string, Usage>();

	constructor(
		public limit: SandboxOperatingLimit,
		private readonly now: () => number,
	) {}

	private bucketMs(): number {
		return (this.limit.windowSeconds * 1000) / 10;
	}

	private live(key: string): Usage {
		let usage = this.usage.get(key);
		if (!usage) {
			usage = { buckets: new Map() };
			this.usage.set(key, usage);
		}
		// A bucket drops out of the window one window after its first call.
		const now = this.now();
		for (const [index, bucket] of usage.buckets) if (bucket.firstAt + this.limit.windowSeconds * 1000 <= now) usage.buckets.delete(index);
		return usage;
	}

	/** Seconds used in the window and when the oldest bucket drops out (unix seconds). */
	stat(clientKey: string, method: string): { operating: number; resetAt?: number } {
		const usage = this.live(`${clientKey}|${method}`);
		let operating = 0;
		let oldest = Infinity;
		for (const bucket of usage.buckets.values()) {
			operating += bucket.seconds;
			oldest = Math.min(oldest, bucket.firstAt);
		}
		return {
			operating,
			resetAt: Number.isFinite(oldest) ? Math.ceil((oldest + this.limit.windowSeconds * 1000) / 1000) : undefined,
		};
	}

	isBlocked(clientKey: string, method: string): boolean {
		return this.stat(clientKey, method).operating > this.limit.limitSeconds;
	}

	record(clientKey: string, method: string, seconds: number): void {
		if (seconds <= 0) return;
		const usage = this.live(`${clientKey}|${method}`);
		const now = this.now();
		const index = Math.floor(now / this.bucketMs());
		const bucket = usage.buckets.get(index);
		if (bucket) bucket.seconds += seconds;
		else usage.buckets.set(index, { firstAt: now, seconds });
	}

	reset(): void {
		this.usage.clear();
	}
}
