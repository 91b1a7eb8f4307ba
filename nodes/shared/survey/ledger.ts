/**
 * "Once": exactly one survey per deal, and no new survey of the same contact inside N days.
 *
 * The ledger keeps keys in a store that outlives the process (in n8n: its database-backed
 * de-duplication helpers; in tests: memory). A contact's window is kept as one key per day it was
 * surveyed, so "surveyed in the last N days" is "any of the last N day keys was recorded": a
 * sliding window with nothing but set membership, which is all the store offers.
 */

export interface LedgerStore {
	/**
	 * Records the keys not seen before and says which were seen: n8n's `checkProcessedAndRecord`.
	 * Must not interleave with another call on the same store (the caller serializes).
	 */
	checkAndRecord(keys: string[]): Promise<{ seen: Set<string> }>;
	forget(keys: string[]): Promise<void>;
	/**
	 * Which of these keys are held, without recording anything. A store that has it is asked about
	 * the whole contact window first and records only the keys it grants (a ticket store would
	 * otherwise write and delete a row per window day).
	 */
	peek?(keys: string[]): Promise<Set<string>>;
}

export interface SurveyClaimRequest {
	dealId: number;
	/** Who the survey reaches: the CRM contact id, else the phone, e-mail or chat id. */
	contactKey?: string;
}

export type ClaimDecision =
	| { ok: true; keys: string[] }
	| { ok: false; reason: 'alreadySurveyed' | 'throttled'; message: string };

export interface LedgerOptions {
	/** Which survey of a deal (several surveys per deal may be wanted: after sale, after service). */
	survey: string;
	/** No new survey of a contact inside this many days; 0 turns the contact window off. */
	contactWindowDays: number;
}

const DAY_MS = 86_400_000;

function dayKey(contactKey: string, dayNumber: number): string {
	return `c:${contactKey}:${dayNumber}`;
}

/** Serializes the store's read-modify-write inside this process. */
class Serial {
	private tail: Promise<unknown> = Promise.resolve();

	run<T>(task: () => Promise<T>): Promise<T> {
		const result = this.tail.then(task, task);
		this.tail = result.catch(() => undefined);
		return result;
	}
}

const serials = new Map<string, Serial>();

/** One queue per store identity (workflow), shared by all executions in this process. */
function serialFor(identity: string): Serial {
	let serial = serials.get(identity);
	if (!serial) {
		serial = new Serial();
		serials.set(identity, serial);
	}
	return serial;
}

export class SurveyLedger {
	private readonly serial: Serial;

	constructor(
		private readonly store: LedgerStore,
		private readonly options: LedgerOptions,
		/** Same identity = same store: their calls never overlap in this process. */
		identity = 'default',
	) {
		this.serial = serialFor(identity);
	}

	private dealKey(dealId: number): string {
		return `d:${this.options.survey}:${dealId}`;
	}

	/**
	 * Claims surveys for a batch, in order: a deal already surveyed, or a contact surveyed inside
	 * the window (also earlier in this batch), is refused. Granted claims are recorded before
	 * anything is sent, so a crash mid-send never leads to a second survey.
	 */
	async claim(requests: SurveyClaimRequest[], now: number): Promise<ClaimDecision[]> {
		const today = Math.floor(now / DAY_MS);
		const windowDays = Math.max(0, Math.floor(this.options.contactWindowDays));
		const windowKeys = (contactKey: string) => Array.from({ length: windowDays }, (_, i) => dayKey(contactKey, today - i));
		const asked = new Set<string>();
		for (const request of requests) {
			asked.add(this.dealKey(request.dealId));
			if (request.contactKey && windowDays > 0) for (const key of windowKeys(request.contactKey)) asked.add(key);
		}
		if (asked.size === 0) return [];
		return this.serial.run(async () => {
			if (this.store.peek) return await this.claimPeekingFirst(requests, asked, today, windowKeys);
			const { seen } = await this.store.checkAndRecord([...asked]);
			const { decisions, keep } = this.decide(requests, seen, today, windowKeys);
			// The store recorded every new key it was asked about; only the granted claims stay.
			const undo = [...asked].filter((key) => !seen.has(key) && !keep.has(key));
			if (undo.length > 0) await this.store.forget(undo);
			return decisions;
		});
	}

	/** Decides a batch in order from the keys already held. */
	private decide(requests: SurveyClaimRequest[], seen: Set<string>, today: number, windowKeys: (contactKey: string) => string[]): { decisions: ClaimDecision[]; keep: Set<string> } {
		const windowDays = Math.max(0, Math.floor(this.options.contactWindowDays));
		const keep = new Set<string>();
		const claimedContacts = new Set<string>();
		const claimedDeals = new Set<number>();
		const decisions = requests.map((request): ClaimDecision => {
			const dealKey = this.dealKey(request.dealId);
			if (seen.has(dealKey) || claimedDeals.has(request.dealId)) {
				return { ok: false, reason: 'alreadySurveyed', message: `deal ${request.dealId} already got this survey (${this.options.survey})` };
			}
			if (request.contactKey && windowDays > 0) {
				const recent = windowKeys(request.contactKey).findIndex((key) => seen.has(key));
				if (recent >= 0 || claimedContacts.has(request.contactKey)) {
					const ago = recent >= 0 ? (recent === 0 ? 'today' : `${recent} day(s) ago`) : 'in this same batch';
					return {
						ok: false,
						reason: 'throttled',
						message: `contact ${request.contactKey} was surveyed ${ago}; no new survey inside ${windowDays} days`,
					};
				}
				claimedContacts.add(request.contactKey);
			}
			claimedDeals.add(request.dealId);
			const keys = [dealKey, ...(request.contactKey && windowDays > 0 ? [dayKey(request.contactKey, today)] : [])];
			for (const key of keys) keep.add(key);
			return { ok: true, keys };
		});
		return { decisions, keep };
	}

	/**
	 * Stores that can peek: read the whole window, then record only the granted keys. A key another
	 * claimant took in between is refused now, and that request's other keys are given back.
	 */
	private async claimPeekingFirst(requests: SurveyClaimRequest[], asked: Set<string>, today: number, windowKeys: (contactKey: string) => string[]): Promise<ClaimDecision[]> {
		const held = await this.store.peek!([...asked]);
		const { decisions, keep } = this.decide(requests, held, today, windowKeys);
		if (keep.size === 0) return decisions;
		const { seen } = await this.store.checkAndRecord([...keep]);
		if (seen.size === 0) return decisions;
		const giveBack: string[] = [];
		const raced = decisions.map((decision, index): ClaimDecision => {
			if (!decision.ok || !decision.keys.some((key) => seen.has(key))) return decision;
			giveBack.push(...decision.keys.filter((key) => !seen.has(key)));
			const dealTaken = seen.has(this.dealKey(requests[index].dealId));
			return dealTaken
				? { ok: false, reason: 'alreadySurveyed', message: `deal ${requests[index].dealId} was just claimed by another run (${this.options.survey})` }
				: { ok: false, reason: 'throttled', message: `contact ${requests[index].contactKey} was just claimed by another run; no new survey inside ${Math.floor(this.options.contactWindowDays)} days` };
		});
		if (giveBack.length > 0) await this.store.forget(giveBack);
		return raced;
	}

	/** Gives claims back when nothing was sent (no reachable channel), so a later run may survey. */
	async release(keys: string[]): Promise<void> {
		if (keys.length === 0) return;
		await this.serial.run(() => this.store.forget(keys));
	}
}

/** A store in memory: tests, benchmarks, and n8n's manual runs that must not touch the real ledger. */
export class MemoryLedgerStore implements LedgerStore {
	readonly keys = new Set<string>();

	async checkAndRecord(keys: string[]): Promise<{ seen: Set<string> }> {
		const seen = new Set<string>();
		for (const key of keys) {
			if (this.keys.has(key)) seen.add(key);
			else this.keys.add(key);
		}
		return { seen };
	}

	async forget(keys: string[]): Promise<void> {
		for (const key of keys) this.keys.delete(key);
	}
}

/** The data table the queue-mode store keeps its tickets in (templates, README, test stacks). */
export const CLAIM_TABLE_NAME = 'NPS survey claims';
export const CLAIM_TABLE_COLUMNS: ReadonlyArray<{ name: 'claimKey' | 'holder'; type: 'string'; what: string }> = [
	{ name: 'claimKey', type: 'string', what: 'what is claimed: d:<survey>:<deal ID>, or c:<contact>:<day number> for the contact window' },
	{ name: 'holder', type: 'string', what: 'who claimed it: the execution ID and a random part' },
];

/** A claim row: who asked for a key, in the order the database numbered the asks. */
export interface ClaimTicket {
	id: number;
	claimKey: string;
	holder: string;
}

/** A table where rows get increasing ids (an n8n data table): all the ticket store needs. */
export interface ClaimTable {
	/** Adds one row per key for this holder. */
	insert(keys: string[], holder: string): Promise<void>;
	/** Every row of these keys (any holder). */
	rowsOf(keys: string[]): Promise<ClaimTicket[]>;
	/** Deletes this holder's rows of these keys. */
	remove(keys: string[], holder: string): Promise<void>;
}

/**
 * A ledger store that stays right when several processes claim at once (n8n queue mode: workers on
 * several machines). n8n's de-duplication helpers read the list, add to it and write it back
 * whole, so two workers claiming together can both see a key as new, or overwrite each other's
 * keys. Here each claimant adds its own row (a ticket) and then reads the key's rows: the lowest id
 * holds the key. The database numbers the rows, so every claimant that reads after its own insert
 * agrees on the winner; a loser takes its ticket back.
 */
export class TicketLedgerStore implements LedgerStore {
	constructor(
		private readonly table: ClaimTable,
		/** Unique per claimant (an execution, plus randomness). */
		private readonly holder: string,
	) {}

	async checkAndRecord(keys: string[]): Promise<{ seen: Set<string> }> {
		const unique = [...new Set(keys)];
		if (unique.length === 0) return { seen: new Set() };
		await this.table.insert(unique, this.holder);
		const first = new Map<string, ClaimTicket>();
		for (const ticket of await this.table.rowsOf(unique)) {
			const held = first.get(ticket.claimKey);
			if (!held || ticket.id < held.id) first.set(ticket.claimKey, ticket);
		}
		const seen = new Set(unique.filter((key) => first.get(key)?.holder !== this.holder));
		if (seen.size > 0) await this.table.remove([...seen], this.holder);
		return { seen };
	}

	async forget(keys: string[]): Promise<void> {
		if (keys.length > 0) await this.table.remove([...new Set(keys)], this.holder);
	}

	async peek(keys: string[]): Promise<Set<string>> {
		return new Set((await this.table.rowsOf([...new Set(keys)])).map((ticket) => ticket.claimKey));
	}
}

/** A claim table in memory (tests): ids in insertion order, like a database's. */
export class MemoryClaimTable implements ClaimTable {
	readonly rows: ClaimTicket[] = [];
	private nextId = 1;

	async insert(keys: string[], holder: string): Promise<void> {
		for (const claimKey of keys) this.rows.push({ id: this.nextId++, claimKey, holder });
	}

	async rowsOf(keys: string[]): Promise<ClaimTicket[]> {
		const wanted = new Set(keys);
		return this.rows.filter((row) => wanted.has(row.claimKey)).map((row) => ({ ...row }));
	}

	async remove(keys: string[], holder: string): Promise<void> {
		const gone = new Set(keys);
		for (let i = this.rows.length - 1; i >= 0; i--) if (this.rows[i].holder === holder && gone.has(this.rows[i].claimKey)) this.rows.splice(i, 1);
	}
}
