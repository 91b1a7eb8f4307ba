import {
	type IDataObject,
	type ILoadOptionsFunctions,
	type INodeExecutionData,
	type INodePropertyOptions,
	type INodeType,
	type INodeTypeDescription,
	type IPollFunctions,
	NodeConnectionTypes,
} from 'n8n-workflow';

import { judge, type StageFilter } from '../shared/bitrix24/dealEvents';
import { asOfEntry, enrichDeals } from '../shared/bitrix24/deals';
import type { Bitrix24ErrorKind } from '../shared/bitrix24/errors';
import { bitrix24ClientFor, LOCAL_APP_CREDENTIAL, WEBHOOK_CREDENTIAL } from '../shared/n8n/bitrix24Client';
import { dealEventItem } from '../shared/n8n/dealItems';
import { authenticationProperty, branchFieldProperty, dealItemOptionFields, readDealEventOptions, stageFilterProperties } from '../shared/n8n/dealParameters';
import { toNodeError } from '../shared/n8n/errors';
import { getDealFields, getPipelines, getStages } from '../shared/n8n/loadOptions';

interface HistoryRecord {
	ID: number;
	OWNER_ID: number;
	STAGE_ID: string;
	STAGE_SEMANTIC_ID: string;
	CREATED_TIME: string;
	CATEGORY_ID: number;
}

interface Cursor {
	/** The last stage-history record looked at. */
	lastHistoryId?: number;
}

function historyFilter(filter: StageFilter): Record<string, unknown> {
	if (filter.mode === 'anyWon') return { STAGE_SEMANTIC_ID: 'S' };
	if (filter.mode === 'stages') return { '@STAGE_ID': filter.stageIds };
	return {};
}

const PASSING_FAILURES = new Set<Bitrix24ErrorKind>(['rateLimit', 'operatingLimit', 'overload', 'server', 'network', 'timeout', 'protocol', 'unknown']);

/** Entries older than the settle time only (none when it is 0). */
function settledFilter(settleMinutes: number | undefined): Record<string, string> {
	const minutes = Number(settleMinutes ?? 0);
	return minutes > 0 ? { '<CREATED_TIME': new Date(Date.now() - minutes * 60_000).toISOString() } : {};
}

export class Bitrix24PollTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Bitrix24 Poll Trigger',
		name: 'bitrix24PollTrigger',
		icon: { light: 'file:../../icons/bitrix24.svg', dark: 'file:../../icons/bitrix24.dark.svg' },
		group: ['trigger'],
		version: 1,
		polling: true,
		subtitle: '={{ "Deals reaching " + ({"anyWon": "a won stage", "stages": "chosen stages", "any": "any stage"}[$parameter["stageMode"]] ?? "a stage") }}',
		description: 'Checks Bitrix24 for deals that reached a stage; needs no public URL',
		defaults: { name: 'Bitrix24 Poll Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: WEBHOOK_CREDENTIAL, required: true, displayOptions: { show: { authentication: ['webhook'] } } },
			{ name: LOCAL_APP_CREDENTIAL, required: true, displayOptions: { show: { authentication: ['oAuth2'] } } },
		],
		properties: [
			{
				displayName:
					'Reads the deals\' stage history (crm.stagehistory.list) every poll and emits each deal that entered a chosen stage since the last poll. The first time the workflow is published it starts from now, unless you set a date to catch up from.',
				name: 'pollNotice',
				type: 'notice',
				default: '',
			},
			authenticationProperty(),
			...stageFilterProperties(),
			branchFieldProperty('The deal field that holds the branch or city; a list field is read as its text.'),
			{
				displayName: 'Catch Up From',
				name: 'backfillFrom',
				type: 'dateTime',
				default: '',
				description: 'On the first poll, emit the deals that reached the stage since this moment. Empty: start from now.',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					...dealItemOptionFields("A deal field the workflow fills with the item's eventKey once it acted; deals whose field holds the key are skipped. The item names the field (markerField) for the workflow's own marks."),
					{
						displayName: 'Settle Time (Minutes)',
						name: 'settleMinutes',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 0,
						description:
							'Only stage entries at least this old are taken; newer ones wait for a later poll. Use it when this node backs up a Bitrix24 Trigger on the same workflow (catching events that never arrived): the webhook gets its turn first, and the marker field then tells the poll the deal was handled.',
					},
					{
						displayName: 'Resume Deals Whose Mark Reads',
						name: 'unfinishedMark',
						type: 'string',
						default: '',
						placeholder: 'survey queued',
						description:
							'Text of the mark the workflow writes when a run starts and replaces when it finishes. A deal whose field still holds the entry\'s key with this text is emitted again: its run started but never finished (an n8n worker died mid-run). Use it on a second Poll Trigger whose settle time is longer than the workflow\'s longest wait.',
					},
					{
						displayName: 'Max Entries Per Poll',
						name: 'maxPerPoll',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 2500,
						description: 'The rest waits for the next poll',
					},
				],
			},
		],
	};

	methods = {
		loadOptions: { getPipelines, getStages, getDealFields } as Record<string, (this: ILoadOptionsFunctions) => Promise<INodePropertyOptions[]>>,
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const cursor = this.getWorkflowStaticData('node') as Cursor;
		const manual = this.getMode() === 'manual';
		const { eventOptions, options } = readDealEventOptions<{ markerField?: string; includeRaw?: boolean; maxPerPoll?: number; settleMinutes?: number; unfinishedMark?: string }>(this);
		const resuming = Boolean(options.unfinishedMark?.trim());
		if (resuming) eventOptions.unfinishedMark = options.unfinishedMark;
		const stages = eventOptions.stages;
		const client = await bitrix24ClientFor(this);
		const select = ['ID', 'OWNER_ID', 'STAGE_ID', 'STAGE_SEMANTIC_ID', 'CREATED_TIME', 'CATEGORY_ID', 'TYPE_ID'];

		try {
			let records: HistoryRecord[];
			if (manual && cursor.lastHistoryId === undefined) {
				// "Fetch test event": the newest matching entry, without moving the cursor.
				const { result } = await client.call<{ items: HistoryRecord[] }>('crm.stagehistory.list', { entityTypeId: 2, filter: historyFilter(stages), order: { ID: 'DESC' }, select, start: -1 });
				records = (result.items ?? []).slice(0, 1);
			} else if (cursor.lastHistoryId === undefined) {
				const backfill = this.getNodeParameter('backfillFrom', '') as string;
				if (!backfill) {
					// First activation: start from now.
					const { result } = await client.call<{ items: HistoryRecord[] }>('crm.stagehistory.list', { entityTypeId: 2, order: { ID: 'DESC' }, select: ['ID'], start: -1 });
					cursor.lastHistoryId = Number(result.items?.[0]?.ID ?? 0);
					return null;
				}
				records = await client.listAll<HistoryRecord>('crm.stagehistory.list', { entityTypeId: 2, filter: { ...historyFilter(stages), '>=CREATED_TIME': new Date(backfill).toISOString() }, select }, { limit: options.maxPerPoll ?? 2500 });
			} else {
				records = await client.listAll<HistoryRecord>('crm.stagehistory.list', { entityTypeId: 2, filter: { ...historyFilter(stages), '>ID': cursor.lastHistoryId, ...settledFilter(options.settleMinutes) }, select }, { limit: options.maxPerPoll ?? 2500 });
			}
			if (!records.length) return null;

			const { deals, failures } = await enrichDeals(client, records.map((r) => Number(r.OWNER_ID)), eventOptions);
			// A deal that could not be read for a passing reason (limits, 5xx, network) stops the poll
			// before the cursor moves: the next poll reads the same entries again instead of losing it.
			const passing = [...failures.values()].find((failure) => PASSING_FAILURES.has(failure.kind));
			if (passing) throw passing;
			if (!manual) cursor.lastHistoryId = Math.max(cursor.lastHistoryId ?? 0, ...records.map((r) => Number(r.ID)));

			const latestEntry = new Map<number, number>();
			for (const record of records) latestEntry.set(Number(record.OWNER_ID), Math.max(latestEntry.get(Number(record.OWNER_ID)) ?? 0, Number(record.ID)));
			const items: INodeExecutionData[] = [];
			for (const record of records) {
				const enriched = deals.get(Number(record.OWNER_ID));
				if (!enriched) {
					const failure = failures.get(Number(record.OWNER_ID));
					this.logger.warn(`Bitrix24 Poll Trigger: deal ${record.OWNER_ID} could not be read (${failure?.message ?? 'not found'}); skipped`);
					continue;
				}
				// Still in the stage it entered last: that is the deal's current entry, keyed by its own
				// MOVED_TIME exactly as the Bitrix24 Trigger keys it, so one marker serves both triggers.
				const current = latestEntry.get(enriched.deal.id) === Number(record.ID) && enriched.stage.id === String(record.STAGE_ID);
				const entry = current ? enriched : asOfEntry(enriched, { stageId: String(record.STAGE_ID), semantic: String(record.STAGE_SEMANTIC_ID), movedAt: String(record.CREATED_TIME) });
				// Resuming looks past this process's memory of handled entries: it may have emitted the very
				// entry whose run then died.
				const decision = judge(entry, eventOptions, undefined, !manual && !resuming);
				if (!decision.emit) {
					this.logger.debug(`Bitrix24 Poll Trigger: ${decision.detail}`);
					continue;
				}
				items.push({ json: dealEventItem(decision.deal, { source: 'polling', event: 'STAGE_HISTORY', includeRaw: options.includeRaw !== false, markerField: eventOptions.markerField }) as IDataObject });
			}
			return items.length ? [items] : null;
		} catch (error) {
			throw toNodeError(this.getNode(), error, { itemIndex: 0, note: 'Polling the deals\' stage history failed; the next poll tries again from the same point.' });
		}
	}
}
