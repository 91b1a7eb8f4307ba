/**
 * One rate bucket and one operating tracker per portal in this process, so concurrent
 * executions that talk to the same portal pace themselves together. (In queue mode each worker
 * has its own; the portal's 503s and the client's retries cover the rest.)
 */

import { Clock, DEFAULT_OPERATING_LIMIT, LeakyBucket, OperatingTracker, RateLimit } from './limits';

interface PortalLimits {
	bucket: LeakyBucket;
	operating: OperatingTracker;
}

const byPortal = new Map<string, PortalLimits>();

export function sharedLimitsFor(portalKey: string, rateLimit: RateLimit, clock: Clock): PortalLimits {
	const key = `${portalKey}|${rateLimit.drainPerSecond}|${rateLimit.burst}`;
	let limits = byPortal.get(key);
	if (!limits) {
		limits = { bucket: new LeakyBucket(rateLimit, clock), operating: new OperatingTracker(DEFAULT_OPERATING_LIMIT, clock) };
		byPortal.set(key, limits);
	}
	return limits;
}
