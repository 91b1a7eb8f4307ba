/**
 * The survey ledger: one survey per deal, no new survey of a contact inside N days, claims given
 * back when nothing was sent, and one claim at a time per store in this process.
 */

import { MemoryClaimTable, MemoryLedgerStore, SurveyLedger, TicketLedgerStore, type ClaimDecision, type ClaimTicket, type LedgerStore } from '../../../nodes/shared/survey/ledger';

const DAY = 86_400_000;
/** Noon of some day, so a few hours either way stay on the same day. */
const T0 = 20_000 * DAY + DAY / 2;

let identities = 0;
/** The serialization queues live for the whole process: each test gets its own identity. */
function identity(): string {
	identities++;
	return `ledger-test-${identities}`;
}

function ledgerWith(store: LedgerStore, contactWindowDays = 30, survey = 'nps', id = identity()) {
	return new SurveyLedger(store, { survey, contactWindowDays }, id);
}

const oks = (decisions: ClaimDecision[]) => decisions.filter((d) => d.ok).length;

describe('SurveyLedger.claim', () => {
	it('grants fresh claims in order with the deal and today\'s contact keys', async () => {
		const store = new MemoryLedgerStore();
		const ledger = ledgerWith(store);
		const decisions = await ledger.claim(
			[
				{ dealId: 1, contactKey: 'c1' },
				{ dealId: 2, contactKey: 'c2' },
				{ dealId: 3 },
			],
			T0,
		);
		const today = Math.floor(T0 / DAY);
		expect(decisions).toEqual([
			{ ok: true, keys: ['d:nps:1', `c:c1:${today}`] },
			{ ok: true, keys: ['d:nps:2', `c:c2:${today}`] },
			{ ok: true, keys: ['d:nps:3'] },
		]);
	});

	it('returns nothing for no requests and does not touch the store', async () => {
		const store = new MemoryLedgerStore();
		const spy = jest.spyOn(store, 'checkAndRecord');
		expect(await ledgerWith(store).claim([], T0)).toEqual([]);
		expect(spy).not.toHaveBeenCalled();
	});

	it('refuses the same deal twice in one batch', async () => {
		const ledger = ledgerWith(new MemoryLedgerStore(), 0);
		const decisions = await ledger.claim([{ dealId: 7 }, { dealId: 7 }], T0);
		expect(decisions[0].ok).toBe(true);
		expect(decisions[1]).toMatchObject({ ok: false, reason: 'alreadySurveyed' });
		expect(decisions[1].ok === false && decisions[1].message).toContain('deal 7');
	});

	it('refuses a deal recorded by an earlier run, even years later', async () => {
		const store = new MemoryLedgerStore();
		await ledgerWith(store).claim([{ dealId: 7, contactKey: 'c1' }], T0);
		const again = await ledgerWith(store).claim([{ dealId: 7, contactKey: 'c9' }], T0 + 1000 * DAY);
		expect(again).toEqual([
			{ ok: false, reason: 'alreadySurveyed', message: 'deal 7 already got this survey (nps)' },
		]);
	});

	it('keeps surveys of one deal apart by survey name', async () => {
		const store = new MemoryLedgerStore();
		expect((await ledgerWith(store, 0, 'afterSale').claim([{ dealId: 7 }], T0))[0].ok).toBe(true);
		expect((await ledgerWith(store, 0, 'afterService').claim([{ dealId: 7 }], T0))[0].ok).toBe(true);
		expect((await ledgerWith(store, 0, 'afterSale').claim([{ dealId: 7 }], T0))[0].ok).toBe(false);
	});

	it.each([0, 1, 5, 29])('throttles a contact surveyed %i day(s) ago inside a 30-day window', async (k) => {
		const store = new MemoryLedgerStore();
		await ledgerWith(store).claim([{ dealId: 1, contactKey: 'anna' }], T0);
		const [decision] = await ledgerWith(store).claim([{ dealId: 2, contactKey: 'anna' }], T0 + k * DAY);
		const ago = k === 0 ? 'today' : `${k} day(s) ago`;
		expect(decision).toEqual({
			ok: false,
			reason: 'throttled',
			message: `contact anna was surveyed ${ago}; no new survey inside 30 days`,
		});
	});

	it.each([30, 31, 365])('lets a contact surveyed %i days ago be surveyed again with a 30-day window', async (k) => {
		const store = new MemoryLedgerStore();
		await ledgerWith(store).claim([{ dealId: 1, contactKey: 'anna' }], T0);
		const [decision] = await ledgerWith(store).claim([{ dealId: 2, contactKey: 'anna' }], T0 + k * DAY);
		expect(decision.ok).toBe(true);
	});

	it('names the most recent survey when a contact was surveyed several times', async () => {
		const store = new MemoryLedgerStore();
		await ledgerWith(store, 3).claim([{ dealId: 1, contactKey: 'anna' }], T0);
		await ledgerWith(store, 3).claim([{ dealId: 2, contactKey: 'anna' }], T0 + 3 * DAY);
		// Windows of 10 days: surveys 2 and 5 days before; the message names the latest.
		const [decision] = await ledgerWith(store, 10).claim([{ dealId: 3, contactKey: 'anna' }], T0 + 5 * DAY);
		expect(decision).toMatchObject({ ok: false, reason: 'throttled' });
		expect(decision.ok === false && decision.message).toContain('surveyed 2 day(s) ago');
	});

	it('throttles the second deal of a contact in the same batch, and not another contact', async () => {
		const decisions = await ledgerWith(new MemoryLedgerStore()).claim(
			[
				{ dealId: 1, contactKey: 'anna' },
				{ dealId: 2, contactKey: 'anna' },
				{ dealId: 3, contactKey: 'boris' },
			],
			T0,
		);
		expect(decisions.map((d) => d.ok)).toEqual([true, false, true]);
		expect(decisions[1]).toMatchObject({ ok: false, reason: 'throttled' });
		expect(decisions[1].ok === false && decisions[1].message).toContain('in this same batch');
	});

	it('does not count a refused deal against its contact in the same batch', async () => {
		const store = new MemoryLedgerStore();
		await ledgerWith(store).claim([{ dealId: 1, contactKey: 'old' }], T0 - 100 * DAY);
		const decisions = await ledgerWith(store).claim(
			[
				{ dealId: 1, contactKey: 'anna' },
				{ dealId: 2, contactKey: 'anna' },
			],
			T0,
		);
		expect(decisions[0]).toMatchObject({ ok: false, reason: 'alreadySurveyed' });
		expect(decisions[1].ok).toBe(true);
	});

	it('has no contact limit with a window of 0 days', async () => {
		const store = new MemoryLedgerStore();
		const ledger = ledgerWith(store, 0);
		const first = await ledger.claim(
			[
				{ dealId: 1, contactKey: 'anna' },
				{ dealId: 2, contactKey: 'anna' },
			],
			T0,
		);
		const later = await ledger.claim([{ dealId: 3, contactKey: 'anna' }], T0 + 1000);
		expect([...first, ...later].map((d) => d.ok)).toEqual([true, true, true]);
		expect(first[0]).toEqual({ ok: true, keys: ['d:nps:1'] });
		// Only deal keys were ever stored.
		expect([...store.keys].sort()).toEqual(['d:nps:1', 'd:nps:2', 'd:nps:3']);
	});

	it('keeps only the granted keys in the store: no stray window-day keys', async () => {
		const store = new MemoryLedgerStore();
		const today = Math.floor(T0 / DAY);
		await ledgerWith(store, 30).claim([{ dealId: 1, contactKey: 'anna' }], T0);
		expect([...store.keys].sort()).toEqual([`c:anna:${today}`, 'd:nps:1']);

		// A batch with a grant, a repeated deal, a throttled contact and a second grant.
		await ledgerWith(store, 30).claim(
			[
				{ dealId: 1, contactKey: 'boris' },
				{ dealId: 2, contactKey: 'anna' },
				{ dealId: 3, contactKey: 'vera' },
				{ dealId: 4, contactKey: 'vera' },
			],
			T0 + 2 * DAY,
		);
		expect([...store.keys].sort()).toEqual([`c:anna:${today}`, `c:vera:${today + 2}`, 'd:nps:1', 'd:nps:3']);
	});

	it('reads the whole window from the store in one call', async () => {
		const store = new MemoryLedgerStore();
		const spy = jest.spyOn(store, 'checkAndRecord');
		const today = Math.floor(T0 / DAY);
		await ledgerWith(store, 3).claim([{ dealId: 1, contactKey: 'anna' }], T0);
		expect(spy).toHaveBeenCalledTimes(1);
		expect([...spy.mock.calls[0][0]].sort()).toEqual(
			[`c:anna:${today}`, `c:anna:${today - 1}`, `c:anna:${today - 2}`, 'd:nps:1'].sort(),
		);
	});
});

describe('SurveyLedger.release', () => {
	it('gives the keys back so the deal and the contact can be claimed again', async () => {
		const store = new MemoryLedgerStore();
		const ledger = ledgerWith(store);
		const [granted] = await ledger.claim([{ dealId: 1, contactKey: 'anna' }], T0);
		if (!granted.ok) throw new Error('expected a grant');
		expect((await ledger.claim([{ dealId: 1, contactKey: 'anna' }], T0))[0].ok).toBe(false);

		await ledger.release(granted.keys);
		expect(store.keys.size).toBe(0);
		const [again] = await ledger.claim([{ dealId: 1, contactKey: 'anna' }], T0 + 1000);
		expect(again).toEqual(granted);
	});

	it('does not call the store for nothing', async () => {
		const store = new MemoryLedgerStore();
		const spy = jest.spyOn(store, 'forget');
		await ledgerWith(store).release([]);
		expect(spy).not.toHaveBeenCalled();
	});

	it('leaves other deals\' keys alone', async () => {
		const store = new MemoryLedgerStore();
		const ledger = ledgerWith(store, 0);
		const [one, two] = await ledger.claim([{ dealId: 1 }, { dealId: 2 }], T0);
		if (!one.ok || !two.ok) throw new Error('expected grants');
		await ledger.release(one.keys);
		expect([...store.keys]).toEqual(['d:nps:2']);
	});
});

/** Yields to other tasks a few times, the way a database round trip would. */
async function roundTrip(ticks = 3): Promise<void> {
	for (let i = 0; i < ticks; i++) await Promise.resolve();
}

/**
 * n8n's store is a read-modify-write with awaits in between: two overlapping calls can both read
 * "not seen" and both record. This one does exactly that when calls overlap.
 */
class InterleavingStore implements LedgerStore {
	readonly inner = new MemoryLedgerStore();
	inFlight = 0;
	mostInFlight = 0;

	async checkAndRecord(keys: string[]): Promise<{ seen: Set<string> }> {
		this.inFlight++;
		this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
		try {
			await roundTrip();
			const seen = new Set(keys.filter((key) => this.inner.keys.has(key)));
			await roundTrip();
			for (const key of keys) if (!seen.has(key)) this.inner.keys.add(key);
			await roundTrip();
			return { seen };
		} finally {
			this.inFlight--;
		}
	}

	async forget(keys: string[]): Promise<void> {
		this.inFlight++;
		this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
		try {
			await roundTrip();
			for (const key of keys) this.inner.keys.delete(key);
		} finally {
			this.inFlight--;
		}
	}
}

describe('SurveyLedger concurrency', () => {
	it('grants a deal exactly once to many concurrent claims from two ledgers of one identity', async () => {
		const store = new MemoryLedgerStore();
		const id = identity();
		const a = ledgerWith(store, 30, 'nps', id);
		const b = ledgerWith(store, 30, 'nps', id);
		const decisions = (
			await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).claim([{ dealId: 42, contactKey: 'anna' }], T0)))
		).flat();
		expect(oks(decisions)).toBe(1);
		expect(decisions.filter((d) => !d.ok).every((d) => !d.ok && d.reason === 'alreadySurveyed')).toBe(true);
	});

	it('grants exactly once over a slow read-modify-write store, because one identity never overlaps', async () => {
		const store = new InterleavingStore();
		const id = identity();
		const ledgers = [0, 1, 2].map(() => ledgerWith(store, 30, 'nps', id));
		const decisions = (
			await Promise.all(
				Array.from({ length: 30 }, (_, i) =>
					ledgers[i % 3].claim(
						[
							{ dealId: 42, contactKey: `contact-${i}` },
							{ dealId: 100 + i, contactKey: 'anna' },
						],
						T0,
					),
				),
			)
		).flat();
		// Deal 42 once, and contact anna once: two grants in all, and the store never saw overlapping calls.
		expect(oks(decisions)).toBe(2);
		expect(store.mostInFlight).toBe(1);
		const today = Math.floor(T0 / DAY);
		const annaKeys = [...store.inner.keys].filter((key) => key.startsWith('c:anna:'));
		expect(annaKeys).toEqual([`c:anna:${today}`]);
	});

	it('serializes release with claims of the same identity', async () => {
		const store = new InterleavingStore();
		const id = identity();
		const ledger = ledgerWith(store, 0, 'nps', id);
		const [granted] = await ledger.claim([{ dealId: 5 }], T0);
		if (!granted.ok) throw new Error('expected a grant');
		// The release was asked for first, so the claim after it finds the deal free.
		const [, [after]] = await Promise.all([ledger.release(granted.keys), ledgerWith(store, 0, 'nps', id).claim([{ dealId: 5 }], T0)]);
		expect(after.ok).toBe(true);
		expect(store.mostInFlight).toBe(1);
	});

	it('keeps serving after a store failure', async () => {
		const store = new MemoryLedgerStore();
		const ledger = ledgerWith(store, 0);
		const spy = jest.spyOn(store, 'checkAndRecord').mockRejectedValueOnce(new Error('database is locked'));
		const [failed, next] = await Promise.allSettled([ledger.claim([{ dealId: 1 }], T0), ledger.claim([{ dealId: 1 }], T0)]);
		expect(failed.status).toBe('rejected');
		expect(next).toEqual({ status: 'fulfilled', value: [{ ok: true, keys: ['d:nps:1'] }] });
		expect(spy).toHaveBeenCalledTimes(2);
	});

	it('(control) the slow store does double-grant when calls are not serialized: different identities', async () => {
		// This shows the store above really interleaves; the identity queue is what prevents it.
		const store = new InterleavingStore();
		const decisions = (
			await Promise.all(Array.from({ length: 10 }, () => ledgerWith(store, 0, 'nps', identity()).claim([{ dealId: 42 }], T0)))
		).flat();
		expect(oks(decisions)).toBeGreaterThan(1);
		expect(store.mostInFlight).toBeGreaterThan(1);
	});
});

/** A claim table whose calls take a random while, so claims of several "processes" interleave. */
class SlowClaimTable extends MemoryClaimTable {
	private random = 1;

	private async pause(): Promise<void> {
		this.random = (this.random * 48271) % 2147483647;
		await roundTrip(this.random % 7);
	}

	override async insert(keys: string[], holder: string): Promise<void> {
		await this.pause();
		await super.insert(keys, holder);
		await this.pause();
	}

	override async rowsOf(keys: string[]): Promise<ClaimTicket[]> {
		await this.pause();
		return await super.rowsOf(keys);
	}

	override async remove(keys: string[], holder: string): Promise<void> {
		await this.pause();
		await super.remove(keys, holder);
	}
}

describe('TicketLedgerStore (queue mode: claims from several processes)', () => {
	it('grants a deal and a contact exactly once to claims from many processes at once, and keeps no losing tickets', async () => {
		const table = new SlowClaimTable();
		// Each claim is another process: another identity (no shared queue) and another holder.
		const decisions = (
			await Promise.all(
				Array.from({ length: 30 }, (_, i) =>
					ledgerWith(new TicketLedgerStore(table, `worker-${i}`), 30, 'nps', identity()).claim(
						[
							{ dealId: 42, contactKey: `contact-${i}` },
							{ dealId: 100 + i, contactKey: 'anna' },
						],
						T0,
					),
				),
			)
		).flat();
		expect(oks(decisions)).toBe(2);
		const today = Math.floor(T0 / DAY);
		expect(table.rows.map((row) => row.claimKey).sort()).toEqual(
			expect.arrayContaining(['d:nps:42', `c:anna:${today}`]),
		);
		// Only the granted keys stay: the deal's and its contact's today key, and anna's.
		expect(table.rows.filter((row) => row.claimKey === 'd:nps:42')).toHaveLength(1);
		expect(table.rows.filter((row) => row.claimKey.startsWith('c:anna:'))).toHaveLength(1);
		expect(table.rows).toHaveLength(4);
	});

	it('reads the 30-day window and writes only the granted keys: three table calls for a granted survey, no deletes', async () => {
		const table = new MemoryClaimTable();
		const calls = { insert: jest.spyOn(table, 'insert'), rowsOf: jest.spyOn(table, 'rowsOf'), remove: jest.spyOn(table, 'remove') };
		const [granted] = await ledgerWith(new TicketLedgerStore(table, 'run-1')).claim([{ dealId: 9, contactKey: 'dina' }], T0);
		expect(granted.ok).toBe(true);
		expect(calls.insert).toHaveBeenCalledTimes(1);
		expect(calls.insert.mock.calls[0][0]).toHaveLength(2);
		expect(calls.rowsOf).toHaveBeenCalledTimes(2);
		expect(calls.remove).not.toHaveBeenCalled();
	});

	it('refuses a deal claimed earlier, throttles a contact surveyed inside the window, and gives claims back on release', async () => {
		const table = new MemoryClaimTable();
		const first = ledgerWith(new TicketLedgerStore(table, 'run-1'));
		const [granted] = await first.claim([{ dealId: 7, contactKey: 'boris' }], T0);
		expect(granted).toEqual({ ok: true, keys: ['d:nps:7', `c:boris:${Math.floor(T0 / DAY)}`] });
		const later = ledgerWith(new TicketLedgerStore(table, 'run-2'));
		const [again, sameContact] = await later.claim([{ dealId: 7 }, { dealId: 8, contactKey: 'boris' }], T0 + 3 * DAY);
		expect(again).toMatchObject({ ok: false, reason: 'alreadySurveyed' });
		expect(sameContact).toMatchObject({ ok: false, reason: 'throttled' });
		expect(table.rows.map((row) => row.holder)).toEqual(['run-1', 'run-1']);

		if (!granted.ok) throw new Error('expected a grant');
		await first.release(granted.keys);
		expect(table.rows).toEqual([]);
		const [afterRelease] = await ledgerWith(new TicketLedgerStore(table, 'run-3')).claim([{ dealId: 7, contactKey: 'boris' }], T0);
		expect(afterRelease.ok).toBe(true);
	});
});
