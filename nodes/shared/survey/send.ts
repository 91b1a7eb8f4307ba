/**
 * Sending surveys: claim them in the ledger (once per deal, not again to the same contact inside
 * N days), then try the channels in order until one takes the message.
 *
 * - "Cannot reach here" (no phone, not on WhatsApp, no Telegram chat, wrong number) and "refused"
 *   (bad key, channel off, no money) move on to the next channel.
 * - "Throttled" waits as the provider says and tries the same channel again, a bounded number of times.
 * - "Unknown" (a timeout after the request left) stops: the message may have gone out, and a second
 *   channel or a retry would survey the customer twice. The item says "outcome unknown".
 * Every job ends with a visible result; nothing is dropped. Claims of jobs that sent nothing are
 * given back so a later run may survey them.
 */

import type { RateGate, Sleep } from '../channels/rateGate';
import type { ChannelAdapter, ChannelName, ChannelOutcome, Recipient, SurveyMessage } from '../channels/types';
import type { SurveyLedger } from './ledger';

export interface SurveyJob {
	dealId: number;
	/** The contact's id (or phone/e-mail) for the N-day window; none: no window for this job. */
	contactKey?: string;
	recipient: Recipient;
	/** Set when the customer must not be surveyed (opted out), with why. */
	optedOut?: string;
	/** The message as a given channel should carry it (SMS texts are shorter). */
	messageFor(adapter: ChannelAdapter): SurveyMessage;
	/** A reason this job cannot use a channel that the adapter cannot know (e.g. the phone could not be read). */
	cannotUse?(adapter: ChannelAdapter): string | undefined;
}

export interface Attempt {
	channel: ChannelName;
	label: string;
	status: ChannelOutcome['status'] | 'skipped';
	code?: string;
	reason?: string;
	messageId?: string;
}

export type SurveyStatus = 'sent' | 'skipped' | 'failed' | 'unknown';

export type SkipCode = 'alreadySurveyed' | 'throttled' | 'optedOut' | 'noContactData';

export interface SurveyOutcome {
	status: SurveyStatus;
	/** Plain words for operators: why it was skipped or failed, or where it went. */
	reason: string;
	/** sent: the provider's code if any; skipped: a SkipCode; failed/unknown: the last provider code. */
	code?: string;
	channel?: ChannelName;
	channelLabel?: string;
	messageId?: string;
	attempts: Attempt[];
}

export interface SendDependencies {
	/** In the order to try them. */
	adapters: ChannelAdapter[];
	/** The rate gate of an adapter (shared by all sends to that provider account), if it has a limit. */
	gateOf?: (adapter: ChannelAdapter) => RateGate | undefined;
	ledger?: SurveyLedger;
	sleep: Sleep;
	now?: () => number;
	/** How many times one channel is retried after "throttled" (default 5). */
	maxThrottleRetries?: number;
	/** Longest single wait after "throttled"; longer ones count as refused (default 60 s). */
	maxThrottleWaitMs?: number;
	/** Jobs in flight at once (default 16). */
	concurrency?: number;
}

async function attemptOn(adapter: ChannelAdapter, job: SurveyJob, deps: SendDependencies): Promise<ChannelOutcome> {
	const retries = deps.maxThrottleRetries ?? 5;
	const longest = deps.maxThrottleWaitMs ?? 60_000;
	const gate = deps.gateOf?.(adapter);
	let message: SurveyMessage;
	try {
		message = job.messageFor(adapter);
	} catch (error) {
		// Nothing left: the next channel may still build its own message.
		return { status: 'refused', code: 'MESSAGE_NOT_BUILT', reason: `the message could not be built: ${error instanceof Error ? error.message : String(error)}` };
	}
	for (let attempt = 0; ; attempt++) {
		const release = gate ? await gate.acquire() : undefined;
		let outcome: ChannelOutcome;
		try {
			outcome = await adapter.send(job.recipient, message);
		} catch (error) {
			// An adapter should not throw; if it does, the request may have left: never resend.
			outcome = { status: 'unknown', code: 'INTERNAL', reason: error instanceof Error ? error.message : String(error) };
		} finally {
			release?.();
		}
		if (outcome.status !== 'throttled') return outcome;
		if (attempt >= retries || outcome.retryAfterMs > longest) {
			return { status: 'refused', code: outcome.code, reason: `${outcome.reason} (still over the limit after ${attempt + 1} tries)` };
		}
		// Everyone sending to this provider waits, not just this job.
		if (gate) gate.holdFor(outcome.retryAfterMs);
		else await deps.sleep(outcome.retryAfterMs);
	}
}

async function sendOne(job: SurveyJob, deps: SendDependencies): Promise<SurveyOutcome> {
	const attempts: Attempt[] = [];
	for (const adapter of deps.adapters) {
		const base = { channel: adapter.channel, label: adapter.label };
		const cannot = job.cannotUse?.(adapter) || adapter.cannotReach(job.recipient);
		if (cannot) {
			attempts.push({ ...base, status: 'skipped', reason: cannot });
			continue;
		}
		const outcome = await attemptOn(adapter, job, deps);
		const attempt: Attempt = { ...base, status: outcome.status };
		if (outcome.code) attempt.code = outcome.code;
		if (outcome.reason) attempt.reason = outcome.reason;
		if (outcome.status === 'sent' && outcome.messageId) attempt.messageId = outcome.messageId;
		attempts.push(attempt);
		if (outcome.status === 'sent') {
			return {
				status: 'sent',
				reason: `sent by ${adapter.label}${attempts.length > 1 ? ` after ${attempts.length - 1} other channel(s)` : ''}`,
				code: outcome.code,
				channel: adapter.channel,
				channelLabel: adapter.label,
				messageId: outcome.messageId,
				attempts,
			};
		}
		if (outcome.status === 'unknown') {
			return {
				status: 'unknown',
				reason: `outcome unknown on ${adapter.label}: ${outcome.reason}`,
				code: outcome.code,
				channel: adapter.channel,
				channelLabel: adapter.label,
				attempts,
			};
		}
	}
	const tried = attempts.filter((a) => a.status !== 'skipped');
	const summary = attempts.map((a) => `${a.label}: ${a.reason ?? a.status}`).join('; ');
	if (tried.length === 0) {
		return { status: 'skipped', code: 'noContactData', reason: `no channel can reach this customer (${summary || 'no channels chosen'})`, attempts };
	}
	return { status: 'failed', code: tried[tried.length - 1].code, reason: `no channel took the survey (${summary})`, attempts };
}

/** Sends a batch; results in the jobs' order. Throws only when the ledger cannot be read (nothing sent then). */
export async function sendSurveys(jobs: SurveyJob[], deps: SendDependencies): Promise<SurveyOutcome[]> {
	const now = deps.now ?? Date.now;
	const results: Array<SurveyOutcome | undefined> = jobs.map((job) =>
		job.optedOut ? { status: 'skipped', code: 'optedOut', reason: job.optedOut, attempts: [] } : undefined,
	);
	const open = jobs.map((_, index) => index).filter((index) => !results[index]);
	const claimedKeys = new Map<number, string[]>();
	if (deps.ledger && open.length > 0) {
		const decisions = await deps.ledger.claim(
			open.map((index) => ({ dealId: jobs[index].dealId, contactKey: jobs[index].contactKey })),
			now(),
		);
		open.forEach((index, i) => {
			const decision = decisions[i];
			if (decision.ok) claimedKeys.set(index, decision.keys);
			else results[index] = { status: 'skipped', code: decision.reason, reason: decision.message, attempts: [] };
		});
	}
	const pending = open.filter((index) => !results[index]);
	let next = 0;
	const worker = async () => {
		while (next < pending.length) {
			const index = pending[next++];
			results[index] = await sendOne(jobs[index], deps);
		}
	};
	await Promise.all(Array.from({ length: Math.max(1, Math.min(Number.isFinite(deps.concurrency) ? Number(deps.concurrency) : 16, pending.length)) }, worker));
	if (deps.ledger) {
		// Nothing went out for these: give their claims back.
		const giveBack = pending.filter((index) => results[index]!.status === 'skipped' || results[index]!.status === 'failed');
		await deps.ledger.release(giveBack.flatMap((index) => claimedKeys.get(index) ?? []));
	}
	return results as SurveyOutcome[];
}
