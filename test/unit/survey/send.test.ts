/**
 * The send orchestrator with scripted channels: fallback from channel to channel, retries after
 * "throttled", the stop on "unknown", claims given back when nothing went out, job order and the
 * concurrency bound.
 */

import { RateGate } from '../../../nodes/shared/channels/rateGate';
import type { ChannelAdapter, ChannelName, ChannelOutcome, Recipient, SurveyMessage } from '../../../nodes/shared/channels/types';
import { MemoryLedgerStore, SurveyLedger } from '../../../nodes/shared/survey/ledger';
import { sendSurveys, type SendDependencies, type SurveyJob } from '../../../nodes/shared/survey/send';

const NOW = 20_000 * 86_400_000 + 43_200_000;

type Script = (call: number, recipient: Recipient, message: SurveyMessage) => ChannelOutcome | Promise<ChannelOutcome>;

interface FakeAdapter extends ChannelAdapter {
	calls: Array<{ recipient: Recipient; message: SurveyMessage }>;
}

/** A channel that answers from a list (the last answer repeats) or a function, and records every call. */
function fakeAdapter(
	channel: ChannelName,
	answers: ChannelOutcome[] | Script,
	cannotReach: (recipient: Recipient) => string | undefined = () => undefined,
): FakeAdapter {
	const calls: FakeAdapter['calls'] = [];
	const script: Script = Array.isArray(answers) ? (call) => answers[Math.min(call, answers.length - 1)] : answers;
	return {
		channel,
		label: `Fake ${channel}`,
		calls,
		cannotReach,
		async send(recipient, message) {
			calls.push({ recipient, message });
			return script(calls.length - 1, recipient, message);
		},
	};
}

const sent = (messageId = 'm-1'): ChannelOutcome => ({ status: 'sent', messageId });
const unreachable = (code = 'NOT_ON_WHATSAPP'): ChannelOutcome => ({ status: 'unreachable', code, reason: `cannot reach (${code})` });
const refused = (code = 'NO_MONEY'): ChannelOutcome => ({ status: 'refused', code, reason: `refused (${code})` });
const unknown = (code = 'ETIMEDOUT'): ChannelOutcome => ({ status: 'unknown', code, reason: `no answer (${code})` });
const throttled = (retryAfterMs = 1000): ChannelOutcome => ({ status: 'throttled', code: '429', reason: 'too many requests', retryAfterMs });

function job(dealId: number, overrides: Partial<SurveyJob> = {}): SurveyJob {
	return {
		dealId,
		contactKey: `contact-${dealId}`,
		recipient: { phone: `+7912000${String(dealId).padStart(4, '0')}`, name: `Customer ${dealId}` },
		messageFor: (adapter) => ({
			text: `Deal ${dealId}: how likely are you to recommend us?`,
			link: `https://survey.example/s/t${dealId}`,
			token: `t${dealId}`,
			variables: { dealId: String(dealId) },
			idempotencyKey: `${dealId}-${adapter.channel}`,
			numericId: dealId,
		}),
		...overrides,
	};
}

/** A sleep that only records. */
function recordingSleep() {
	const waits: number[] = [];
	return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

function deps(adapters: ChannelAdapter[], extra: Partial<SendDependencies> = {}): SendDependencies {
	return { adapters, sleep: recordingSleep().sleep, now: () => NOW, ...extra };
}

let identities = 0;
function freshLedger(contactWindowDays = 30) {
	const store = new MemoryLedgerStore();
	identities++;
	const ledger = new SurveyLedger(store, { survey: 'nps', contactWindowDays }, `send-test-${identities}`);
	return { store, ledger };
}

/** A small seeded generator: "random" but the same every run. */
function seeded(seed: number) {
	let state = seed >>> 0;
	return () => {
		state = (state * 1_664_525 + 1_013_904_223) >>> 0;
		return state / 2 ** 32;
	};
}

/** Lets other tasks run `ticks` times, as a slow network answer would. */
async function ticks(count: number): Promise<void> {
	for (let i = 0; i < count; i++) await Promise.resolve();
}

describe('sendSurveys: fallback across channels', () => {
	it('stops at the first channel that sends', async () => {
		const first = fakeAdapter('wazzup', [{ status: 'sent', messageId: 'w-1', code: 'OK' }]);
		const second = fakeAdapter('smsc', [sent()]);
		const [outcome] = await sendSurveys([job(1)], deps([first, second]));
		expect(outcome).toEqual({
			status: 'sent',
			reason: 'sent by Fake wazzup',
			code: 'OK',
			channel: 'wazzup',
			channelLabel: 'Fake wazzup',
			messageId: 'w-1',
			attempts: [{ channel: 'wazzup', label: 'Fake wazzup', status: 'sent', code: 'OK', messageId: 'w-1' }],
		});
		expect(first.calls).toHaveLength(1);
		expect(first.calls[0].recipient.phone).toBe('+79120000001');
		expect(first.calls[0].message.idempotencyKey).toBe('1-wazzup');
		expect(second.calls).toHaveLength(0);
	});

	it('falls back to the next channel when the first cannot reach the customer', async () => {
		const first = fakeAdapter('wazzup', [unreachable('BAD_CONTACT')]);
		const second = fakeAdapter('smsc', [sent('s-9')]);
		const [outcome] = await sendSurveys([job(1)], deps([first, second]));
		expect(outcome).toMatchObject({ status: 'sent', channel: 'smsc', messageId: 's-9', reason: 'sent by Fake smsc after 1 other channel(s)' });
		expect(outcome.attempts).toEqual([
			{ channel: 'wazzup', label: 'Fake wazzup', status: 'unreachable', code: 'BAD_CONTACT', reason: 'cannot reach (BAD_CONTACT)' },
			{ channel: 'smsc', label: 'Fake smsc', status: 'sent', messageId: 's-9' },
		]);
		// Each channel gets the message made for it.
		expect(second.calls[0].message.idempotencyKey).toBe('1-smsc');
	});

	it('falls back to the next channel when the first refuses', async () => {
		const first = fakeAdapter('whatsappCloud', [refused('BAD_KEY')]);
		const second = fakeAdapter('twilio', [refused('NO_MONEY')]);
		const third = fakeAdapter('telegram', [sent('t-1')]);
		const [outcome] = await sendSurveys([job(1)], deps([first, second, third]));
		expect(outcome).toMatchObject({ status: 'sent', channel: 'telegram', reason: 'sent by Fake telegram after 2 other channel(s)' });
		expect(outcome.attempts.map((a) => [a.channel, a.status, a.code])).toEqual([
			['whatsappCloud', 'refused', 'BAD_KEY'],
			['twilio', 'refused', 'NO_MONEY'],
			['telegram', 'sent', undefined],
		]);
	});

	it('skips a channel that says up front it cannot reach the customer, without sending', async () => {
		const first = fakeAdapter('telegram', [sent()], () => 'no Telegram chat id');
		const second = fakeAdapter('wazzup', [sent('w-2')]);
		const [outcome] = await sendSurveys([job(1)], deps([first, second]));
		expect(first.calls).toHaveLength(0);
		expect(outcome).toMatchObject({ status: 'sent', channel: 'wazzup' });
		expect(outcome.attempts[0]).toEqual({ channel: 'telegram', label: 'Fake telegram', status: 'skipped', reason: 'no Telegram chat id' });
	});

	it('stops on an unknown outcome: no other channel, no retry, the claim kept', async () => {
		const { store, ledger } = freshLedger();
		const first = fakeAdapter('wazzup', [unknown('ETIMEDOUT')]);
		const second = fakeAdapter('smsc', [sent()]);
		const [outcome] = await sendSurveys([job(1)], deps([first, second], { ledger }));
		expect(outcome).toEqual({
			status: 'unknown',
			reason: 'outcome unknown on Fake wazzup: no answer (ETIMEDOUT)',
			code: 'ETIMEDOUT',
			channel: 'wazzup',
			channelLabel: 'Fake wazzup',
			attempts: [{ channel: 'wazzup', label: 'Fake wazzup', status: 'unknown', code: 'ETIMEDOUT', reason: 'no answer (ETIMEDOUT)' }],
		});
		expect(first.calls).toHaveLength(1);
		expect(second.calls).toHaveLength(0);
		expect(store.keys.has('d:nps:1')).toBe(true);
		// A later run does not survey this deal again.
		const [again] = await sendSurveys([job(1)], deps([first, second], { ledger }));
		expect(again).toMatchObject({ status: 'skipped', code: 'alreadySurveyed' });
		expect(first.calls).toHaveLength(1);
	});

	it('skips with noContactData and gives the claim back when no channel can reach the customer', async () => {
		const { store, ledger } = freshLedger();
		const first = fakeAdapter('wazzup', [sent()], () => 'no phone number');
		const second = fakeAdapter('telegram', [sent()], () => 'no Telegram chat id');
		const [outcome] = await sendSurveys([job(1)], deps([first, second], { ledger }));
		expect(outcome).toEqual({
			status: 'skipped',
			code: 'noContactData',
			reason: 'no channel can reach this customer (Fake wazzup: no phone number; Fake telegram: no Telegram chat id)',
			attempts: [
				{ channel: 'wazzup', label: 'Fake wazzup', status: 'skipped', reason: 'no phone number' },
				{ channel: 'telegram', label: 'Fake telegram', status: 'skipped', reason: 'no Telegram chat id' },
			],
		});
		expect(first.calls).toHaveLength(0);
		expect(second.calls).toHaveLength(0);
		expect(store.keys.size).toBe(0);
		// Once the customer has contact data, a later run may survey.
		const [later] = await sendSurveys([job(1)], deps([fakeAdapter('smsc', [sent()])], { ledger }));
		expect(later.status).toBe('sent');
	});

	it('skips with noContactData when no channels were chosen', async () => {
		const { store, ledger } = freshLedger();
		const [outcome] = await sendSurveys([job(1)], deps([], { ledger }));
		expect(outcome).toEqual({ status: 'skipped', code: 'noContactData', reason: 'no channel can reach this customer (no channels chosen)', attempts: [] });
		expect(store.keys.size).toBe(0);
	});

	it('tries every channel and gives the claim back when all of them answer unreachable', async () => {
		const { store, ledger } = freshLedger();
		const first = fakeAdapter('wazzup', [unreachable('BAD_CONTACT')]);
		const second = fakeAdapter('telegram', [unreachable('CHAT_NOT_FOUND')], () => undefined);
		const [outcome] = await sendSurveys([job(1)], deps([first, second], { ledger }));
		expect(first.calls).toHaveLength(1);
		expect(second.calls).toHaveLength(1);
		expect(outcome.status).not.toBe('sent');
		expect(outcome.attempts.map((a) => [a.channel, a.status, a.code])).toEqual([
			['wazzup', 'unreachable', 'BAD_CONTACT'],
			['telegram', 'unreachable', 'CHAT_NOT_FOUND'],
		]);
		expect(store.keys.size).toBe(0);
	});

	it('fails with the last code and gives the claim back when every channel refuses', async () => {
		const { store, ledger } = freshLedger();
		const first = fakeAdapter('wazzup', [refused('CHANNEL_OFF')]);
		const second = fakeAdapter('smsc', [refused('NO_MONEY')]);
		const [outcome] = await sendSurveys([job(1)], deps([first, second], { ledger }));
		expect(outcome).toEqual({
			status: 'failed',
			code: 'NO_MONEY',
			reason: 'no channel took the survey (Fake wazzup: refused (CHANNEL_OFF); Fake smsc: refused (NO_MONEY))',
			attempts: [
				{ channel: 'wazzup', label: 'Fake wazzup', status: 'refused', code: 'CHANNEL_OFF', reason: 'refused (CHANNEL_OFF)' },
				{ channel: 'smsc', label: 'Fake smsc', status: 'refused', code: 'NO_MONEY', reason: 'refused (NO_MONEY)' },
			],
		});
		expect(store.keys.size).toBe(0);
	});

	it('keeps the claims of sent jobs and gives back only those that sent nothing', async () => {
		const { store, ledger } = freshLedger();
		const adapter = fakeAdapter('wazzup', (_call, recipient) => (recipient.phone?.endsWith('2') ? refused() : sent()));
		const outcomes = await sendSurveys([job(1), job(2), job(3)], deps([adapter], { ledger }));
		expect(outcomes.map((o) => o.status)).toEqual(['sent', 'failed', 'sent']);
		const today = Math.floor(NOW / 86_400_000);
		expect([...store.keys].sort()).toEqual([`c:contact-1:${today}`, `c:contact-3:${today}`, 'd:nps:1', 'd:nps:3']);
	});
});

describe('sendSurveys: throttled', () => {
	it('waits as the provider says and tries the same channel again (no gate: sleep)', async () => {
		const { sleep, waits } = recordingSleep();
		const first = fakeAdapter('wazzup', [throttled(1500), throttled(2500), sent('w-3')]);
		const second = fakeAdapter('smsc', [sent()]);
		const [outcome] = await sendSurveys([job(1)], deps([first, second], { sleep }));
		expect(outcome).toMatchObject({ status: 'sent', channel: 'wazzup', messageId: 'w-3' });
		expect(outcome.attempts).toHaveLength(1);
		expect(first.calls).toHaveLength(3);
		expect(second.calls).toHaveLength(0);
		expect(waits).toEqual([1500, 2500]);
	});

	it('holds the channel\'s rate gate instead of sleeping when it has one', async () => {
		let clock = 1_000_000;
		const gateSleeps: number[] = [];
		const gate = new RateGate({ requests: 100, windowMs: 1000 }, async (ms) => {
			gateSleeps.push(ms);
			clock += ms;
		}, () => clock);
		const { sleep, waits } = recordingSleep();
		const sentAt: number[] = [];
		const first = fakeAdapter('wazzup', (call) => {
			sentAt.push(clock - 1_000_000);
			return call < 2 ? throttled(3000) : sent('w-4');
		});
		const [outcome] = await sendSurveys([job(1)], deps([first], { sleep, gateOf: (adapter) => (adapter === first ? gate : undefined) }));
		expect(outcome).toMatchObject({ status: 'sent', messageId: 'w-4' });
		expect(waits).toEqual([]);
		expect(gateSleeps).toEqual([3000, 3000]);
		expect(sentAt).toEqual([0, 3000, 6000]);
	});

	it('makes the next job on the same gate wait out the hold a 429 caused', async () => {
		let clock = 0;
		const gate = new RateGate({ requests: 100, windowMs: 1000 }, async (ms) => {
			clock += ms;
		}, () => clock);
		const sentAt = new Map<number, number[]>();
		const adapter = fakeAdapter('wazzup', (call, recipient) => {
			const deal = Number(recipient.name?.split(' ')[1]);
			sentAt.set(deal, [...(sentAt.get(deal) ?? []), clock]);
			return call === 0 ? throttled(2000) : sent();
		});
		// One at a time: job 1 is throttled, job 2 comes after the hold it caused.
		const outcomes = await sendSurveys([job(1), job(2)], deps([adapter], { concurrency: 1, gateOf: () => gate }));
		expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent']);
		expect(sentAt.get(1)).toEqual([0, 2000]);
		expect(sentAt.get(2)).toEqual([2000]);
	});

	it('gives up on a channel after maxThrottleRetries and moves to the next one', async () => {
		const { sleep, waits } = recordingSleep();
		const first = fakeAdapter('wazzup', [throttled(100)]);
		const second = fakeAdapter('smsc', [sent('s-1')]);
		const [outcome] = await sendSurveys([job(1)], deps([first, second], { sleep, maxThrottleRetries: 2 }));
		expect(first.calls).toHaveLength(3);
		expect(waits).toEqual([100, 100]);
		expect(outcome).toMatchObject({ status: 'sent', channel: 'smsc' });
		expect(outcome.attempts[0]).toEqual({
			channel: 'wazzup',
			label: 'Fake wazzup',
			status: 'refused',
			code: '429',
			reason: 'too many requests (still over the limit after 3 tries)',
		});
	});

	it('retries 5 times by default', async () => {
		const { sleep, waits } = recordingSleep();
		const first = fakeAdapter('wazzup', [throttled(10)]);
		const [outcome] = await sendSurveys([job(1)], deps([first], { sleep }));
		expect(first.calls).toHaveLength(6);
		expect(waits).toHaveLength(5);
		expect(outcome).toMatchObject({ status: 'failed', code: '429' });
	});

	it('counts a wait longer than maxThrottleWaitMs as refused, without waiting', async () => {
		const { sleep, waits } = recordingSleep();
		const first = fakeAdapter('wazzup', [throttled(120_000)]);
		const second = fakeAdapter('smsc', [sent()]);
		const [outcome] = await sendSurveys([job(1)], deps([first, second], { sleep, maxThrottleWaitMs: 60_000 }));
		expect(first.calls).toHaveLength(1);
		expect(waits).toEqual([]);
		expect(outcome.attempts[0]).toMatchObject({ status: 'refused', code: '429', reason: 'too many requests (still over the limit after 1 tries)' });
		expect(outcome).toMatchObject({ status: 'sent', channel: 'smsc' });
	});

	it('takes 60 s as the longest wait by default', async () => {
		const { sleep, waits } = recordingSleep();
		const first = fakeAdapter('wazzup', [throttled(60_000), throttled(60_001)]);
		const [outcome] = await sendSurveys([job(1)], deps([first], { sleep }));
		expect(waits).toEqual([60_000]);
		expect(first.calls).toHaveLength(2);
		expect(outcome.status).toBe('failed');
	});
});

describe('sendSurveys: skips before sending', () => {
	it('skips an opted-out job without asking the ledger or any channel about it', async () => {
		const { ledger } = freshLedger();
		const claim = jest.spyOn(ledger, 'claim');
		const adapter = fakeAdapter('wazzup', [sent()]);
		const outcomes = await sendSurveys(
			[job(1, { optedOut: 'the customer unsubscribed' }), job(2)],
			deps([adapter], { ledger }),
		);
		expect(outcomes[0]).toEqual({ status: 'skipped', code: 'optedOut', reason: 'the customer unsubscribed', attempts: [] });
		expect(outcomes[1].status).toBe('sent');
		expect(adapter.calls.map((c) => c.recipient.name)).toEqual(['Customer 2']);
		expect(claim).toHaveBeenCalledTimes(1);
		expect(claim.mock.calls[0][0]).toEqual([{ dealId: 2, contactKey: 'contact-2' }]);
	});

	it('does not call the ledger at all when every job opted out', async () => {
		const { ledger } = freshLedger();
		const claim = jest.spyOn(ledger, 'claim');
		const release = jest.spyOn(ledger, 'release');
		const adapter = fakeAdapter('wazzup', [sent()]);
		const [outcome] = await sendSurveys([job(1, { optedOut: 'STOP' })], deps([adapter], { ledger }));
		expect(outcome).toMatchObject({ status: 'skipped', code: 'optedOut' });
		expect(claim).not.toHaveBeenCalled();
		expect(adapter.calls).toHaveLength(0);
		// Nothing to give back either.
		expect(release.mock.calls.flatMap(([keys]) => keys)).toEqual([]);
	});

	it('skips deals already surveyed and contacts inside the window, with the ledger\'s words', async () => {
		const { ledger } = freshLedger();
		await ledger.claim([{ dealId: 1 }], NOW);
		const adapter = fakeAdapter('wazzup', [sent()]);
		const outcomes = await sendSurveys(
			[job(1), job(2, { contactKey: 'anna' }), job(3, { contactKey: 'anna' })],
			deps([adapter], { ledger }),
		);
		expect(outcomes[0]).toEqual({ status: 'skipped', code: 'alreadySurveyed', reason: 'deal 1 already got this survey (nps)', attempts: [] });
		expect(outcomes[1].status).toBe('sent');
		expect(outcomes[2]).toMatchObject({ status: 'skipped', code: 'throttled', attempts: [] });
		expect(adapter.calls).toHaveLength(1);
	});

	it('passes the clock to the ledger', async () => {
		const { ledger } = freshLedger();
		const claim = jest.spyOn(ledger, 'claim');
		await sendSurveys([job(1)], deps([fakeAdapter('wazzup', [sent()])], { ledger, now: () => 123_456 }));
		expect(claim.mock.calls[0][1]).toBe(123_456);
	});

	it('lets the job\'s own reason override the adapter: a phone problem on phone channels', async () => {
		const wazzup = fakeAdapter('wazzup', [sent()]);
		const smsc = fakeAdapter('smsc', [sent()]);
		const telegram = fakeAdapter('telegram', [sent('t-7')]);
		const phoneProblem = 'the phone "8 912" could not be read';
		const [outcome] = await sendSurveys(
			[job(1, { cannotUse: (adapter) => (adapter.channel !== 'telegram' ? phoneProblem : undefined) })],
			deps([wazzup, smsc, telegram]),
		);
		expect(wazzup.calls).toHaveLength(0);
		expect(smsc.calls).toHaveLength(0);
		expect(outcome).toMatchObject({ status: 'sent', channel: 'telegram', messageId: 't-7' });
		expect(outcome.attempts.slice(0, 2)).toEqual([
			{ channel: 'wazzup', label: 'Fake wazzup', status: 'skipped', reason: phoneProblem },
			{ channel: 'smsc', label: 'Fake smsc', status: 'skipped', reason: phoneProblem },
		]);
	});

	it('prefers the job\'s reason over the adapter\'s own, and asks the adapter when the job has none', async () => {
		const wazzup = fakeAdapter('wazzup', [sent()], () => 'no phone number');
		const telegram = fakeAdapter('telegram', [sent()], () => 'no Telegram chat id');
		const [outcome] = await sendSurveys(
			[job(1, { cannotUse: (adapter) => (adapter.channel === 'wazzup' ? 'phone could not be read' : undefined) })],
			deps([wazzup, telegram]),
		);
		expect(outcome).toMatchObject({ status: 'skipped', code: 'noContactData' });
		expect(outcome.attempts.map((a) => a.reason)).toEqual(['phone could not be read', 'no Telegram chat id']);
	});
});

describe('sendSurveys: many jobs', () => {
	it('keeps the jobs\' order when channels answer in a random order', async () => {
		const random = seeded(42);
		const finished: number[] = [];
		const adapter = fakeAdapter('wazzup', async (_call, recipient) => {
			await ticks(Math.floor(random() * 50));
			const deal = Number(recipient.name?.split(' ')[1]);
			finished.push(deal);
			return deal % 5 === 0 ? refused(`R${deal}`) : sent(`m-${deal}`);
		});
		const jobs = Array.from({ length: 40 }, (_, i) => job(i + 1));
		const outcomes = await sendSurveys(jobs, deps([adapter], { concurrency: 8 }));
		// The answers really came back out of order…
		expect(finished).not.toEqual([...finished].sort((a, b) => a - b));
		// …and the results are still in the jobs' order.
		expect(outcomes.map((o) => o.messageId ?? o.code)).toEqual(jobs.map((j) => (j.dealId % 5 === 0 ? `R${j.dealId}` : `m-${j.dealId}`)));
	});

	it('keeps skipped jobs in their places among the sent ones', async () => {
		const { ledger } = freshLedger();
		await ledger.claim([{ dealId: 3 }], NOW);
		const random = seeded(7);
		const adapter = fakeAdapter('wazzup', async (_call, recipient) => {
			await ticks(Math.floor(random() * 20));
			return sent(`m-${recipient.name?.split(' ')[1]}`);
		});
		const outcomes = await sendSurveys(
			[job(1), job(2, { optedOut: 'STOP' }), job(3), job(4), job(5, { optedOut: 'STOP' }), job(6)],
			deps([adapter], { ledger, concurrency: 3 }),
		);
		expect(outcomes.map((o) => o.messageId ?? o.code)).toEqual(['m-1', 'optedOut', 'alreadySurveyed', 'm-4', 'optedOut', 'm-6']);
	});

	it.each([1, 3, 16])('never has more than %i sends in flight', async (concurrency) => {
		const random = seeded(concurrency);
		let inFlight = 0;
		let most = 0;
		const adapter = fakeAdapter('wazzup', async () => {
			inFlight++;
			most = Math.max(most, inFlight);
			await ticks(1 + Math.floor(random() * 30));
			inFlight--;
			return sent();
		});
		const outcomes = await sendSurveys(
			Array.from({ length: 50 }, (_, i) => job(i + 1)),
			deps([adapter], { concurrency }),
		);
		expect(outcomes.every((o) => o.status === 'sent')).toBe(true);
		expect(adapter.calls).toHaveLength(50);
		expect(most).toBe(concurrency);
	});

	it('counts a job trying several channels as one in flight', async () => {
		let inFlight = 0;
		let most = 0;
		const track = (answer: ChannelOutcome) => async () => {
			inFlight++;
			most = Math.max(most, inFlight);
			await ticks(5);
			inFlight--;
			return answer;
		};
		const first = fakeAdapter('wazzup', track(refused()));
		const second = fakeAdapter('smsc', track(sent()));
		await sendSurveys(
			Array.from({ length: 20 }, (_, i) => job(i + 1)),
			deps([first, second], { concurrency: 4 }),
		);
		expect(first.calls).toHaveLength(20);
		expect(second.calls).toHaveLength(20);
		expect(most).toBe(4);
	});

	it('runs 16 at a time by default', async () => {
		let inFlight = 0;
		let most = 0;
		const adapter = fakeAdapter('wazzup', async () => {
			inFlight++;
			most = Math.max(most, inFlight);
			await ticks(5);
			inFlight--;
			return sent();
		});
		await sendSurveys(
			Array.from({ length: 40 }, (_, i) => job(i + 1)),
			deps([adapter]),
		);
		expect(most).toBe(16);
	});

	it('sends nothing and throws when the ledger cannot be read', async () => {
		const { ledger } = freshLedger();
		jest.spyOn(ledger, 'claim').mockRejectedValue(new Error('database is locked'));
		const adapter = fakeAdapter('wazzup', [sent()]);
		await expect(sendSurveys([job(1)], deps([adapter], { ledger }))).rejects.toThrow('database is locked');
		expect(adapter.calls).toHaveLength(0);
	});
});

describe('sendSurveys when code throws', () => {
	it('records "unknown" for an adapter that throws (it may have sent), keeps its claim, and finishes the batch', async () => {
		const { store, ledger } = freshLedger();
		const flaky = fakeAdapter('wazzup', (call) => {
			if (call === 1) throw new Error('adapter bug');
			return sent(`m-${call}`);
		});
		const results = await sendSurveys([job(1), job(2), job(3), job(4)], deps([flaky], { ledger, concurrency: 2 }));
		expect(results.map((r) => r.status).sort()).toEqual(['sent', 'sent', 'sent', 'unknown']);
		const broken = results.find((r) => r.status === 'unknown')!;
		expect(broken).toMatchObject({ code: 'INTERNAL', reason: expect.stringContaining('adapter bug') });
		expect(flaky.calls).toHaveLength(4);
		// Every deal stays claimed: three were sent, one may have been.
		expect([...store.keys].filter((key) => key.startsWith('d:'))).toHaveLength(4);
	});

	it('moves on to the next channel when a message cannot be built for one, sending nothing there', async () => {
		const first = fakeAdapter('whatsappCloud', [sent()]);
		const second = fakeAdapter('smsc', [sent('sms-1')]);
		const broken = job(7, {
			messageFor: (adapter) => {
				if (adapter.channel === 'whatsappCloud') throw new Error('no template variable');
				return job(7).messageFor(adapter);
			},
		});
		const [result] = await sendSurveys([broken], deps([first, second]));
		expect(first.calls).toHaveLength(0);
		expect(result).toMatchObject({ status: 'sent', channel: 'smsc', messageId: 'sms-1' });
		expect(result.attempts[0]).toMatchObject({ channel: 'whatsappCloud', status: 'refused', code: 'MESSAGE_NOT_BUILT' });
	});
});
