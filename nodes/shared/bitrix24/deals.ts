/**
 * A deal with everything the NPS flow needs, read in one HTTP call: the deal, its primary
 * contact, the responsible employee and their department, the stage and pipeline names, and the
 * branch field resolved to its text. All in one `batch`, the later commands taking their IDs from
 * the deal through `$result[...]` references.
 *
 * Bitrix24 resolves a reference to a missing or empty field quietly, to the record above it
 * (a deal without a contact would "have" contact #1: the deal record read as an integer). So every
 * referenced record is checked against the field it was meant to come from before it is used.
 */

import type { BatchCommand, Bitrix24Client } from './client';
import { Bitrix24Error } from './errors';

type Raw = Record<string, unknown>;

export interface DealSummary {
	id: number;
	title: string;
	stageId: string;
	categoryId: number;
	/** P in progress, S won, F lost. */
	stageSemantic: string;
	opportunity: number;
	currency: string;
	assignedById: number;
	contactId: number | null;
	createdAt: string;
	modifiedAt: string;
	movedAt: string;
	closed: boolean;
}

export interface ContactSummary {
	id: number;
	name: string;
	lastName: string;
	secondName: string;
	fullName: string;
	/** As written in the CRM, mobile numbers first. */
	phones: string[];
	emails: string[];
}

export interface UserSummary {
	id: number;
	name: string;
	lastName: string;
	fullName: string;
	email: string;
	position: string;
	departmentId: number | null;
	department: string | null;
}

export interface BranchSummary {
	/** The deal field the branch is kept in. */
	field: string;
	/** What the deal stores: a list item ID for list fields, the value itself otherwise. */
	value: string;
	/** The text: the list item's name for list fields. */
	name: string;
}

export interface StageSummary {
	id: string;
	name: string;
	semantic: string;
	categoryId: number;
	categoryName: string;
}

export interface EnrichedDeal {
	deal: DealSummary;
	contact: ContactSummary | null;
	responsible: UserSummary | null;
	branch: BranchSummary | null;
	stage: StageSummary;
	movedAt: string;
	/** Identifies "this deal entered this stage at this moment", for exactly-once handling. */
	eventKey: string;
	raw: { deal: Raw; contact: Raw | null; responsible: Raw | null };
}

export interface EnrichOptions {
	/** The deal field holding the branch (e.g. UF_CRM_1700000000001); none: no branch. */
	branchField?: string;
}

/** Commands that every deal of a batch shares (the branch field's list, the pipelines). */
const SHARED_KEYS = { fields: 'uf', categories: 'cat' } as const;

/** Commands per deal, keyed `<prefix><dealId><name>`. */
export function dealCommands(dealId: number, prefix = 'd'): Record<string, BatchCommand> {
	const key = (name: string) => `${prefix}${dealId}${name}`;
	return {
		[key('deal')]: { method: 'crm.deal.get', params: { id: dealId } },
		[key('contact')]: { method: 'crm.contact.get', params: { id: `$result[${key('deal')}][CONTACT_ID]` } },
		[key('user')]: { method: 'user.get', params: { ID: `$result[${key('deal')}][ASSIGNED_BY_ID]` } },
		[key('dept')]: { method: 'department.get', params: { ID: `$result[${key('user')}][0][UF_DEPARTMENT][0]` } },
		[key('stage')]: { method: 'crm.status.list', params: { filter: { STATUS_ID: `$result[${key('deal')}][STAGE_ID]` } } },
	};
}

export function sharedCommands(options: EnrichOptions): Record<string, BatchCommand> {
	const commands: Record<string, BatchCommand> = { [SHARED_KEYS.categories]: { method: 'crm.category.list', params: { entityTypeId: 2 } } };
	if (options.branchField) commands[SHARED_KEYS.fields] = { method: 'crm.deal.userfield.list', params: { filter: { FIELD_NAME: options.branchField } } };
	return commands;
}

const PER_DEAL_COMMANDS = 5;

function str(value: unknown): string {
	return value === null || value === undefined ? '' : String(value);
}

function num(value: unknown): number {
	const n = Number(value);
	return Number.isFinite(n) ? n : 0;
}

function isRecord(value: unknown): value is Raw {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function multiValues(entries: unknown, mobileFirst = false): string[] {
	if (!Array.isArray(entries)) return [];
	const values = entries.filter(isRecord);
	if (mobileFirst) values.sort((a, b) => Number(b.VALUE_TYPE === 'MOBILE') - Number(a.VALUE_TYPE === 'MOBILE'));
	return values.map((entry) => str(entry.VALUE).trim()).filter(Boolean);
}

function joinName(...parts: string[]): string {
	return parts.filter(Boolean).join(' ');
}

export function summarizeDeal(deal: Raw): DealSummary {
	const contactId = num(deal.CONTACT_ID);
	return {
		id: num(deal.ID),
		title: str(deal.TITLE),
		stageId: str(deal.STAGE_ID),
		categoryId: num(deal.CATEGORY_ID),
		stageSemantic: str(deal.STAGE_SEMANTIC_ID),
		opportunity: num(deal.OPPORTUNITY),
		currency: str(deal.CURRENCY_ID),
		assignedById: num(deal.ASSIGNED_BY_ID),
		contactId: contactId > 0 ? contactId : null,
		createdAt: str(deal.DATE_CREATE),
		modifiedAt: str(deal.DATE_MODIFY),
		movedAt: str(deal.MOVED_TIME),
		closed: str(deal.CLOSED) === 'Y',
	};
}

export function summarizeContact(contact: Raw): ContactSummary {
	const name = str(contact.NAME);
	const lastName = str(contact.LAST_NAME);
	const secondName = str(contact.SECOND_NAME);
	return {
		id: num(contact.ID),
		name,
		lastName,
		secondName,
		fullName: joinName(name, lastName),
		phones: multiValues(contact.PHONE, true),
		emails: multiValues(contact.EMAIL),
	};
}

function summarizeUser(user: Raw, department: Raw | undefined): UserSummary {
	const departments = Array.isArray(user.UF_DEPARTMENT) ? user.UF_DEPARTMENT.map(num) : [];
	const name = str(user.NAME);
	const lastName = str(user.LAST_NAME);
	return {
		id: num(user.ID),
		name,
		lastName,
		fullName: joinName(name, lastName),
		email: str(user.EMAIL),
		position: str(user.WORK_POSITION),
		departmentId: departments[0] ?? null,
		department: department ? str(department.NAME) : null,
	};
}

/** The key for exactly-once handling: a deal entering a stage at a moment. */
export function dealEventKey(dealId: number, stageId: string, movedAt: string): string {
	return `${dealId}|${stageId}|${movedAt}`;
}

export interface EnrichmentOutcome {
	/** Deals read, by ID. */
	deals: Map<number, EnrichedDeal>;
	/** Deals that could not be read (e.g. deleted), by ID. */
	failures: Map<number, Bitrix24Error>;
	httpCalls: number;
}

/** How many deals fit in one HTTP call with their commands and the shared ones. */
export function dealsPerCall(options: EnrichOptions): number {
	return Math.floor((50 - Object.keys(sharedCommands(options)).length) / PER_DEAL_COMMANDS);
}

/**
 * Reads deals with their contact, employee, department, stage, pipeline and branch: one HTTP call
 * per group of deals that fits in a batch (9 with a branch field), groups in parallel.
 */
export async function enrichDeals(client: Bitrix24Client, dealIds: readonly number[], options: EnrichOptions = {}): Promise<EnrichmentOutcome> {
	const unique = [...new Set(dealIds.filter((id) => Number.isInteger(id) && id > 0))];
	const outcome: EnrichmentOutcome = { deals: new Map(), failures: new Map(), httpCalls: 0 };
	const perCall = dealsPerCall(options);
	const groups: number[][] = [];
	for (let i = 0; i < unique.length; i += perCall) groups.push(unique.slice(i, i + perCall));
	await Promise.all(
		groups.map(async (group) => {
			const commands: Record<string, BatchCommand> = { ...sharedCommands(options) };
			for (const id of group) Object.assign(commands, dealCommands(id));
			const batch = await client.batch(commands);
			outcome.httpCalls += batch.httpCalls;
			const categories = isRecord(batch.results[SHARED_KEYS.categories]) ? ((batch.results[SHARED_KEYS.categories] as Raw).categories as Raw[] | undefined) ?? [] : [];
			const branchFieldDef = Array.isArray(batch.results[SHARED_KEYS.fields]) ? ((batch.results[SHARED_KEYS.fields] as Raw[])[0] as Raw | undefined) : undefined;
			for (const id of group) {
				const key = (name: string) => `d${id}${name}`;
				const dealError = batch.errors[key('deal')];
				const deal = batch.results[key('deal')];
				if (dealError || !isRecord(deal) || num(deal.ID) !== id) {
					outcome.failures.set(id, dealError ?? new Bitrix24Error({ code: '', description: 'Not found', method: 'crm.deal.get' }, 'notFound'));
					continue;
				}
				outcome.deals.set(id, assemble(deal, batch.results, key, categories, branchFieldDef, options));
			}
		}),
	);
	return outcome;
}

function assemble(deal: Raw, results: Record<string, unknown>, key: (name: string) => string, categories: Raw[], branchFieldDef: Raw | undefined, options: EnrichOptions): EnrichedDeal {
	const summary = summarizeDeal(deal);
	// Each referenced record counts only if it is the one the deal names (see the note at the top).
	const contactRaw = results[key('contact')];
	const contact = summary.contactId !== null && isRecord(contactRaw) && num(contactRaw.ID) === summary.contactId ? contactRaw : null;
	const users = results[key('user')];
	const user = Array.isArray(users) ? (users as Raw[]).find((u) => num(u.ID) === summary.assignedById) ?? null : null;
	const departmentIds = user && Array.isArray(user.UF_DEPARTMENT) ? user.UF_DEPARTMENT.map(num) : [];
	const departments = results[key('dept')];
	const department = Array.isArray(departments) ? (departments as Raw[]).find((d) => num(d.ID) === departmentIds[0]) : undefined;
	const statuses = results[key('stage')];
	const stageRecord = Array.isArray(statuses) ? (statuses as Raw[]).find((s) => str(s.STATUS_ID) === summary.stageId && str(s.ENTITY_ID).startsWith('DEAL_STAGE')) : undefined;
	const category = categories.find((c) => num(c.id) === summary.categoryId);
	const stage: StageSummary = {
		id: summary.stageId,
		name: stageRecord ? str(stageRecord.NAME) : summary.stageId,
		semantic: summary.stageSemantic,
		categoryId: summary.categoryId,
		categoryName: category ? str(category.name) : '',
	};
	return {
		deal: summary,
		contact: contact ? summarizeContact(contact) : null,
		responsible: user ? summarizeUser(user, department) : null,
		branch: resolveBranch(deal, options.branchField, branchFieldDef),
		stage,
		movedAt: summary.movedAt,
		eventKey: dealEventKey(summary.id, summary.stageId, summary.movedAt),
		raw: { deal, contact, responsible: user },
	};
}

/** The branch as text: a list field's item name, or the stored value for other field types. */
export function resolveBranch(deal: Raw, field: string | undefined, definition: Raw | undefined): BranchSummary | null {
	if (!field) return null;
	const stored = deal[field];
	const value = Array.isArray(stored) ? str(stored[0]) : str(stored);
	if (!value) return null;
	const list = definition && Array.isArray(definition.LIST) ? (definition.LIST as Raw[]) : [];
	const item = list.find((entry) => str(entry.ID) === value);
	return { field, value, name: item ? str(item.VALUE) : value };
}

/** A stage entry from the stage history: the deal may have moved on since. */
export interface StageEntry {
	stageId: string;
	semantic: string;
	movedAt: string;
}

/** The deal as of a past stage entry: that stage, that moment, that entry's key. */
export function asOfEntry(enriched: EnrichedDeal, entry: StageEntry): EnrichedDeal {
	const sameStage = entry.stageId === enriched.stage.id;
	return {
		...enriched,
		stage: { ...enriched.stage, id: entry.stageId, semantic: entry.semantic, name: sameStage ? enriched.stage.name : entry.stageId },
		movedAt: entry.movedAt,
		eventKey: dealEventKey(enriched.deal.id, entry.stageId, entry.movedAt),
	};
}
