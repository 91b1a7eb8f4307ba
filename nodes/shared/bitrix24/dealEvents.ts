/**
 * Deciding whether a "deal changed" signal becomes one item: the deal is read (one HTTP call),
 * kept only if it is in a wanted stage, and emitted once per entry into that stage.
 *
 * Bitrix24 sends ONCRMDEALUPDATE for every change, our own writes included, sometimes several
 * times, and never retries. A stage entry is identified by deal + stage + move time. Two guards:
 * - in this process, events for one deal are handled one after another and recent entries are
 *   remembered, so duplicates that arrive together (or our writes' echoes) find the first one's
 *   mark; in queue mode all webhooks arrive at the webhook process, so this holds there too;
 * - across restarts, a deal field can carry the mark (written by the flow once it acted): a deal
 *   whose field already holds this entry's key is skipped. It is read with the deal: no extra call.
 * n8n's own dedup helpers are not available to triggers and are not atomic, so they are not used.
 */

import type { Bitrix24Client } from './client';
import { enrichDeals, type EnrichedDeal, type EnrichOptions } from './deals';
import type { Bitrix24Error } from './errors';

export type StageFilter =
	| { mode: 'anyWon' }
	| { mode: 'any' }
	| { mode: 'stages'; stageIds: string[] };

export interface DealEventOptions extends EnrichOptions {
	stages: StageFilter;
	/** A deal field that holds the key of the stage entry already handled (optional). */
	markerField?: string;
	/**
	 * Text of the mark a run writes when it starts and replaces when it finishes ("survey queued"):
	 * a field that still reads so does not count as handled (the run never finished).
	 */
	unfinishedMark?: string;
}

export type DealEventDecision =
	| { emit: true; deal: EnrichedDeal }
	| { emit: false; reason: 'gone' | 'otherStage' | 'marked' | 'duplicate'; dealId: number; detail: string; error?: Bitrix24Error };

export function stageMatches(filter: StageFilter, stageId: string, semantic: string): boolean {
	if (filter.mode === 'any') return true;
	if (filter.mode === 'anyWon') return semantic === 'S';
	return filter.stageIds.includes(stageId);
}

/** Remembers recently handled keys, for a while and up to a number. */
export class RecentKeys {
	private readonly seen = new Map<string, number>();

	constructor(
		private readonly maxEntries = 50_000,
		private readonly ttlMs = 7 * 24 * 3600_000,
		private readonly now: () => number = Date.now,
	) {}

	has(key: string): boolean {
		const at = this.seen.get(key);
		if (at === undefined) return false;
		if (this.now() - at > this.ttlMs) {
			this.seen.delete(key);
			return false;
		}
		return true;
	}

	add(key: string): void {
		this.seen.delete(key);
		this.seen.set(key, this.now());
		// Map keeps insertion order: the first keys are the oldest.
		while (this.seen.size > this.maxEntries) this.seen.delete(this.seen.keys().next().value as string);
	}
}

/** Runs tasks with the same key one after another (tasks with other keys run freely). */
export class KeyedQueue {
	private readonly tails = new Map<string, Promise<unknown>>();

	async run<T>(key: string, task: () => Promise<T>): Promise<T> {
		const previous = this.tails.get(key) ?? Promise.resolve();
		const current = previous.then(task, task);
		const tail = current.catch(() => undefined);
		this.tails.set(key, tail);
		try {
			return await current;
		} finally {
			if (this.tails.get(key) === tail) this.tails.delete(key);
		}
	}
}

export interface DealEventGuards {
	queue: KeyedQueue;
	recent: RecentKeys;
}

/** Guards shared by every trigger in this process (module state is per process, by design here). */
export const processGuards: DealEventGuards = { queue: new KeyedQueue(), recent: new RecentKeys() };

function markerHolds(deal: EnrichedDeal, field: string | undefined, unfinishedMark: string | undefined): boolean {
	if (!field) return false;
	const value = deal.raw.deal[field];
	const text = Array.isArray(value) ? value.map(String) : [String(value ?? '')];
	const unfinished = unfinishedMark?.trim();
	return text.some((entry) => !(unfinished && entry.includes(unfinished)) && entry.split(/[\s,;]+/).includes(deal.eventKey));
}

/**
 * Reads one deal and decides. With `record: false` (a test run in the editor) the duplicate
 * guard is left out both ways, so the same event can be tried again.
 */
export async function decideDealEvent(
	client: Bitrix24Client,
	dealId: number,
	options: DealEventOptions,
	guards: DealEventGuards = processGuards,
	record = true,
): Promise<DealEventDecision> {
	return guards.queue.run(`deal:${dealId}`, async () => {
		const { deals, failures } = await enrichDeals(client, [dealId], options);
		const deal = deals.get(dealId);
		if (!deal) {
			const error = failures.get(dealId);
			if (error && error.kind !== 'notFound') throw error;
			return { emit: false, reason: 'gone', dealId, detail: `deal ${dealId} no longer exists`, error };
		}
		return judge(deal, options, guards, record);
	});
}

/** The decision for a deal already read (the poll trigger reads many at once). */
export function judge(deal: EnrichedDeal, options: DealEventOptions, guards: DealEventGuards = processGuards, record = true): DealEventDecision {
	const dealId = deal.deal.id;
	if (!stageMatches(options.stages, deal.stage.id, deal.stage.semantic)) {
		return { emit: false, reason: 'otherStage', dealId, detail: `deal ${dealId} is in stage ${deal.stage.id}, not a wanted one` };
	}
	if (markerHolds(deal, options.markerField, options.unfinishedMark)) {
		return { emit: false, reason: 'marked', dealId, detail: `deal ${dealId} is marked as handled for ${deal.eventKey}` };
	}
	// A test run in the editor neither consults nor records what was handled.
	if (!record) return { emit: true, deal };
	if (guards.recent.has(deal.eventKey)) {
		return { emit: false, reason: 'duplicate', dealId, detail: `deal ${dealId} already entered stage ${deal.stage.id} at ${deal.movedAt} and was handled` };
	}
	guards.recent.add(deal.eventKey);
	return { emit: true, deal };
}
