/**
 * The CRM writes and look-ups the NPS flow needs, as batch commands, and a runner that sends the
 * commands of many input items in as few HTTP calls as Bitrix24's 50-command batches allow,
 * without splitting one item's commands across calls (so their `$result` references stay inside
 * one request).
 */

import type { BatchCommand, Bitrix24Client } from './client';
import { Bitrix24Error } from './errors';
import { KeyedQueue } from './dealEvents';
import { MAX_BATCH_COMMANDS } from './methods';
import { phoneSearchForms, type PhoneCountry } from '../phone';

type Raw = Record<string, unknown>;

export const DEAL_ENTITY_TYPE_ID = 2;

/** The stage list's entity ID for a pipeline: DEAL_STAGE for the default one, DEAL_STAGE_<n> else. */
export function stageEntityId(categoryId: number): string {
	return categoryId === 0 ? 'DEAL_STAGE' : `DEAL_STAGE_${categoryId}`;
}

/** The pipeline a stage belongs to, read from its code (`C3:WON` → 3, `WON` → 0). */
export function categoryOfStage(stageId: string): number {
	const match = /^C(\d+):/.exec(stageId);
	return match ? Number(match[1]) : 0;
}

/**
 * Moves a deal to a stage of any pipeline. crm.item.update with the stage's pipeline does both:
 * within a pipeline it is a stage change (ONCRMDEALUPDATE fires); across pipelines it moves the
 * deal, which crm.deal.update silently refuses to do.
 */
export function moveDealCommand(dealId: number, stageId: string): BatchCommand {
	return { method: 'crm.item.update', params: { entityTypeId: DEAL_ENTITY_TYPE_ID, id: dealId, fields: { categoryId: categoryOfStage(stageId), stageId } } };
}

export function updateDealCommand(dealId: number, fields: Raw): BatchCommand {
	return { method: 'crm.deal.update', params: { id: dealId, fields, params: { REGISTER_SONET_EVENT: 'N' } } };
}

export function timelineCommentCommand(dealId: number, comment: string): BatchCommand {
	return { method: 'crm.timeline.comment.add', params: { fields: { ENTITY_ID: dealId, ENTITY_TYPE: 'deal', COMMENT: comment } } };
}

export interface TaskInput {
	title: string;
	responsibleId: number;
	description?: string;
	/** ISO date-time. */
	deadline?: string;
	createdBy?: number;
	auditors?: number[];
	/** 0 low, 1 medium, 2 high. */
	priority?: number;
}

/** A task bound to the deal (`UF_CRM_TASK: ["D_<id>"]`), so it shows in the deal card. */
export function taskCommand(dealId: number | undefined, task: TaskInput): BatchCommand {
	const fields: Raw = { TITLE: task.title, RESPONSIBLE_ID: task.responsibleId };
	if (task.description) fields.DESCRIPTION = task.description;
	if (task.deadline) fields.DEADLINE = task.deadline;
	if (task.createdBy) fields.CREATED_BY = task.createdBy;
	if (task.auditors?.length) fields.AUDITORS = task.auditors;
	if (task.priority !== undefined) fields.PRIORITY = task.priority;
	if (dealId) fields.UF_CRM_TASK = [`D_${dealId}`];
	return { method: 'tasks.task.add', params: { fields } };
}

export const NOTIFY_CLIENT_ID = 'n8n-nodes-bitrix24-nps';

/** A system notification; a tag replaces the user's older notification with the same tag. */
export function notifyCommand(userId: number, message: string, tag?: string): BatchCommand {
	const params: Raw = { USER_ID: userId, MESSAGE: message };
	// Bitrix24 wants CLIENT_ID beside TAG when a webhook sends the notification.
	if (tag) Object.assign(params, { TAG: tag, CLIENT_ID: NOTIFY_CLIENT_ID });
	return { method: 'im.notify.system.add', params };
}

export function smartProcessAddCommand(entityTypeId: number, fields: Raw): BatchCommand {
	return { method: 'crm.item.add', params: { entityTypeId, fields, useOriginalUfNames: 'Y' } };
}

export function smartProcessUpdateCommand(entityTypeId: number, id: number, fields: Raw): BatchCommand {
	return { method: 'crm.item.update', params: { entityTypeId, id, fields, useOriginalUfNames: 'Y' } };
}

// --- running many items' commands --------------------------------------------------------------

export interface ItemCommands {
	/** Which input item these commands belong to. */
	index: number;
	/** The item's commands, by name; names are the item's own (they get a prefix when sent). */
	commands: Record<string, BatchCommand>;
}

export interface ItemOutcome {
	results: Record<string, unknown>;
	errors: Record<string, Bitrix24Error>;
}

/**
 * Sends the items' commands in batches of at most 50, keeping each item's commands together.
 * An item that has more than 50 commands on its own is refused.
 */
export async function runItemCommands(client: Bitrix24Client, items: ItemCommands[]): Promise<Map<number, ItemOutcome>> {
	const outcomes = new Map<number, ItemOutcome>();
	const packs: ItemCommands[][] = [];
	let pack: ItemCommands[] = [];
	let size = 0;
	for (const item of items) {
		const count = Object.keys(item.commands).length;
		if (count === 0) {
			outcomes.set(item.index, { results: {}, errors: {} });
			continue;
		}
		if (count > MAX_BATCH_COMMANDS) {
			const error = new Bitrix24Error({ code: 'TOO_MANY_ACTIONS', description: `One item may send at most ${MAX_BATCH_COMMANDS} commands; it has ${count}`, method: 'batch' }, 'invalidInput');
			outcomes.set(item.index, { results: {}, errors: { all: error } });
			continue;
		}
		if (size + count > MAX_BATCH_COMMANDS) {
			packs.push(pack);
			pack = [];
			size = 0;
		}
		pack.push(item);
		size += count;
	}
	if (pack.length) packs.push(pack);

	for (const group of packs) {
		const prefix = (index: number) => `i${index}_`;
		const commands: Record<string, BatchCommand> = {};
		for (const item of group) {
			for (const [name, command] of Object.entries(item.commands)) {
				// References between one item's commands name them by the item's own names.
				commands[`${prefix(item.index)}${name}`] = { method: command.method, params: prefixReferences(command.params ?? {}, prefix(item.index)) as Raw };
			}
		}
		let batch: Awaited<ReturnType<Bitrix24Client['batch']>>;
		try {
			batch = await client.batch(commands);
		} catch (error) {
			// The whole request failed (after retries): every item of it gets the error.
			for (const item of group) outcomes.set(item.index, { results: {}, errors: { all: error as Bitrix24Error } });
			continue;
		}
		for (const item of group) {
			const outcome: ItemOutcome = { results: {}, errors: {} };
			for (const name of Object.keys(item.commands)) {
				const key = `${prefix(item.index)}${name}`;
				if (batch.errors[key]) outcome.errors[name] = batch.errors[key];
				else outcome.results[name] = batch.results[key];
			}
			outcomes.set(item.index, outcome);
		}
	}
	return outcomes;
}

function prefixReferences(value: unknown, prefix: string): unknown {
	if (typeof value === 'string') return value.replace(/\$result\[([^\]]+)\]/g, (_match, key: string) => `$result[${prefix}${key}]`);
	if (Array.isArray(value)) return value.map((entry) => prefixReferences(entry, prefix));
	if (value !== null && typeof value === 'object') {
		const out: Raw = {};
		for (const [key, entry] of Object.entries(value as Raw)) out[key] = prefixReferences(entry, prefix);
		return out;
	}
	return value;
}

// --- upsert by deal ------------------------------------------------------------------------------

export interface RowLink {
	/** `parentId2` (the smart process is linked to deals) or a field holding the deal ID. */
	field: string;
}

/** Finds, for each deal, the existing smart-process row linked to it (the oldest, if several). */
export async function findRowsByDeal(client: Bitrix24Client, entityTypeId: number, dealIds: number[], link: RowLink): Promise<Map<number, number>> {
	const found = new Map<number, number>();
	const unique = [...new Set(dealIds)];
	if (!unique.length) return found;
	const commands: Record<string, BatchCommand> = {};
	for (let i = 0; i < unique.length; i += 50) {
		commands[`r${i / 50}`] = {
			method: 'crm.item.list',
			params: { entityTypeId, filter: { [`@${link.field}`]: unique.slice(i, i + 50) }, select: ['id', link.field], order: { id: 'ASC' }, useOriginalUfNames: 'Y', start: -1 },
		};
	}
	const outcome = await client.batch(commands);
	for (const key of Object.keys(commands)) {
		if (outcome.errors[key]) throw outcome.errors[key];
		const items = ((outcome.results[key] as { items?: Raw[] } | undefined)?.items ?? []) as Raw[];
		for (const item of items) {
			const dealId = Number(Array.isArray(item[link.field]) ? (item[link.field] as unknown[])[0] : item[link.field]);
			if (dealId > 0 && !found.has(dealId)) found.set(dealId, Number(item.id));
		}
	}
	return found;
}

// --- the deal awaiting a survey answer, by phone ----------------------------------------------------

export interface AwaitingQuery {
	phone: string;
	/** Stages in which a deal waits for the customer's answer. */
	stageIds: string[];
	country?: PhoneCountry;
}

export type AwaitingAnswer =
	| { found: true; dealId: number; contactId: number; deal: Raw; candidates: number }
	| { found: false; reason: string };

/**
 * Two commands per phone, in one HTTP call for up to 25 phones: the contacts with that phone
 * (crm.duplicate.findbycomm, in every form the CRM may store it), then their deals in the awaiting
 * stages, newest first. A found deal must belong to one of the found contacts: when no contact
 * matched, Bitrix24 would otherwise resolve the reference to something else and list any deal.
 */
export function awaitingCommands(query: AwaitingQuery): Record<string, BatchCommand> | { reason: string } {
	const forms = phoneSearchForms(query.phone, query.country);
	if (!forms.length) return { reason: `"${query.phone}" is not a phone number that can be searched` };
	if (!query.stageIds.length) return { reason: 'no awaiting stage is chosen' };
	return {
		contacts: { method: 'crm.duplicate.findbycomm', params: { type: 'PHONE', values: forms, entity_type: 'CONTACT' } },
		deals: {
			method: 'crm.deal.list',
			params: {
				filter: { CONTACT_ID: '$result[contacts][CONTACT]', '@STAGE_ID': query.stageIds },
				order: { MOVED_TIME: 'DESC', ID: 'DESC' },
				select: ['ID', 'TITLE', 'STAGE_ID', 'CATEGORY_ID', 'CONTACT_ID', 'ASSIGNED_BY_ID', 'MOVED_TIME', 'DATE_MODIFY'],
				start: -1,
			},
		},
	};
}

export function readAwaiting(outcome: ItemOutcome, query: AwaitingQuery): AwaitingAnswer {
	const contactsError = outcome.errors.contacts;
	if (contactsError) throw contactsError;
	const found = outcome.results.contacts;
	const contactIds = new Set(
		(found && typeof found === 'object' && !Array.isArray(found) && Array.isArray((found as Raw).CONTACT) ? ((found as Raw).CONTACT as unknown[]) : []).map(Number),
	);
	if (!contactIds.size) return { found: false, reason: `no contact has the phone ${query.phone}` };
	if (outcome.errors.deals) throw outcome.errors.deals;
	const deals = (Array.isArray(outcome.results.deals) ? (outcome.results.deals as Raw[]) : []).filter(
		(deal) => contactIds.has(Number(deal.CONTACT_ID)) && query.stageIds.includes(String(deal.STAGE_ID)),
	);
	if (!deals.length) return { found: false, reason: `the contacts with the phone ${query.phone} have no deal in the awaiting stages` };
	return { found: true, dealId: Number(deals[0].ID), contactId: Number(deals[0].CONTACT_ID), deal: deals[0], candidates: deals.length };
}

// --- writes with a smart-process row upserted by deal ----------------------------------------------

export interface RowUpsert {
	entityTypeId: number;
	dealId: number;
	link: RowLink;
	fields: Raw;
}

export interface PlannedWrite {
	index: number;
	/** The item's own commands (named by the item; `row` is reserved for the upserted row). */
	commands: Record<string, BatchCommand>;
	/** A result row for the deal: updated when the deal has one, added otherwise. */
	row?: RowUpsert;
}

export interface RowResult {
	id: number;
	created: boolean;
}

export interface WriteOutcome extends ItemOutcome {
	row?: RowResult;
}

const ROW_COMMAND = 'row';

/** The smart process and link field a row is found by. */
function processKey(row: RowUpsert): string {
	return `${row.entityTypeId}|${row.link.field}`;
}

function rowKey(row: RowUpsert): string {
	return `${processKey(row)}|${row.dealId}`;
}

function rowIdOf(result: unknown): number | undefined {
	const item = result && typeof result === 'object' ? (result as { item?: Raw }).item : undefined;
	const id = Number(item?.id);
	return id > 0 ? id : undefined;
}

/** Writes to one smart process from this process go one run at a time, so two runs cannot both add a deal's row. */
const rowWriters = new KeyedQueue();

/**
 * Sends the items' writes: one look-up call for the rows of all deals (per smart process), then
 * the commands in packed batches. Two items for the same deal in one run go in two rounds, so the
 * second updates the row the first added instead of adding another.
 */
export async function runWrites(client: Bitrix24Client, writes: PlannedWrite[]): Promise<Map<number, WriteOutcome>> {
	const processes = [...new Set(writes.flatMap((w) => (w.row ? [processKey(w.row)] : [])))].sort();
	const run = () => runWritesNow(client, writes);
	// Hold every smart process these writes touch, in a fixed order, for the whole run.
	const locked = processes.reduceRight<() => Promise<Map<number, WriteOutcome>>>((inner, key) => () => rowWriters.run(key, inner), run);
	return locked();
}

async function runWritesNow(client: Bitrix24Client, writes: PlannedWrite[]): Promise<Map<number, WriteOutcome>> {
	const outcomes = new Map<number, WriteOutcome>();
	const rowIds = new Map<string, number>();
	const lookupFailures = new Map<string, Bitrix24Error>();
	// Rows whose add may or may not have happened: later writes for that deal must not add another.
	const uncertain = new Map<string, Bitrix24Error>();

	// One look-up per smart process (and link field) for every deal of the run.
	const byProcess = new Map<string, { entityTypeId: number; link: RowLink; dealIds: number[] }>();
	for (const write of writes) {
		if (!write.row) continue;
		const key = processKey(write.row);
		const group = byProcess.get(key) ?? { entityTypeId: write.row.entityTypeId, link: write.row.link, dealIds: [] };
		group.dealIds.push(write.row.dealId);
		byProcess.set(key, group);
	}
	for (const [key, group] of byProcess) {
		try {
			const found = await findRowsByDeal(client, group.entityTypeId, group.dealIds, group.link);
			for (const [dealId, rowId] of found) rowIds.set(`${key}|${dealId}`, rowId);
		} catch (error) {
			for (const dealId of group.dealIds) lookupFailures.set(`${key}|${dealId}`, error as Bitrix24Error);
		}
	}

	// Rounds: the n-th write for a deal's row goes in round n.
	const rounds: PlannedWrite[][] = [];
	const seen = new Map<string, number>();
	for (const write of writes) {
		let round = 0;
		if (write.row) {
			const key = rowKey(write.row);
			round = seen.get(key) ?? 0;
			seen.set(key, round + 1);
		}
		(rounds[round] ??= []).push(write);
	}

	for (const round of rounds) {
		const planned: ItemCommands[] = [];
		const rowCreated = new Map<number, boolean>();
		for (const write of round) {
			const commands = { ...write.commands };
			if (write.row) {
				const key = rowKey(write.row);
				const failure = lookupFailures.get(key) ?? uncertain.get(key);
				if (failure) {
					// Without knowing whether the row exists, nothing of this item is sent.
					outcomes.set(write.index, { results: {}, errors: { [ROW_COMMAND]: failure } });
					continue;
				}
				const existing = rowIds.get(key);
				commands[ROW_COMMAND] =
					existing !== undefined
						? smartProcessUpdateCommand(write.row.entityTypeId, existing, write.row.fields)
						: smartProcessAddCommand(write.row.entityTypeId, { ...write.row.fields, [write.row.link.field]: write.row.dealId });
				rowCreated.set(write.index, existing === undefined);
			}
			planned.push({ index: write.index, commands });
		}
		const results = await runItemCommands(client, planned);
		for (const write of round) {
			const outcome = results.get(write.index);
			if (!outcome) continue;
			const written: WriteOutcome = { ...outcome };
			const rowError = outcome.errors[ROW_COMMAND] ?? outcome.errors.all;
			if (write.row && rowError?.mayHaveBeenApplied && rowCreated.get(write.index)) uncertain.set(rowKey(write.row), rowError);
			if (write.row && !rowError) {
				const id = rowIdOf(outcome.results[ROW_COMMAND]);
				if (id !== undefined) {
					written.row = { id, created: rowCreated.get(write.index) === true };
					rowIds.set(rowKey(write.row), id);
				}
			}
			outcomes.set(write.index, written);
		}
	}
	return outcomes;
}
