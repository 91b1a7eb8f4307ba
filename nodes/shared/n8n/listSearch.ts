/**
 * "From list" searches for resource locators: deals, stages, users and smart processes, each
 * searchable by the words a person would type, with Bitrix24's own paging where the list is long.
 */

import type { ILoadOptionsFunctions, INodeListSearchItems, INodeListSearchResult } from 'n8n-workflow';

import { DEAL_ENTITY_TYPE_ID } from '../bitrix24/crmActions';
import { portalClient, stageOptions } from './loadOptions';

type Raw = Record<string, unknown>;

function matches(filter: string | undefined, ...texts: string[]): boolean {
	if (!filter?.trim()) return true;
	const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
	const haystack = texts.join(' ').toLowerCase();
	return words.every((word) => haystack.includes(word));
}

function nextToken(next: number | undefined): string | undefined {
	return next === undefined ? undefined : String(next);
}

function startOf(paginationToken: string | undefined): number {
	const start = Number(paginationToken);
	return Number.isInteger(start) && start > 0 ? start : 0;
}

/** Deals by title (or by number when the text is one), newest first, a page at a time. */
export async function searchDeals(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string): Promise<INodeListSearchResult> {
	const text = filter?.trim() ?? '';
	const where: Raw = /^\d+$/.test(text) ? { ID: Number(text) } : text ? { '%TITLE': text } : {};
	const client = await portalClient(this);
	const page = await client.call<Raw[]>('crm.deal.list', { filter: where, order: { ID: 'DESC' }, select: ['ID', 'TITLE', 'STAGE_ID'], start: startOf(paginationToken) });
	const results: INodeListSearchItems[] = (page.result ?? []).map((deal) => ({
		name: `${String(deal.TITLE || 'Deal')} (#${String(deal.ID)})`,
		value: String(deal.ID),
		description: String(deal.STAGE_ID ?? ''),
	}));
	return { results, paginationToken: nextToken(page.next) };
}

/** Stages of every deal pipeline, named "Pipeline: Stage". */
export async function searchStages(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	const options = await stageOptions(this);
	return {
		results: options
			.filter((option) => matches(filter, option.name, String(option.value)))
			.map((option) => ({ name: option.name, value: String(option.value), description: option.description })),
	};
}

/** Active employees; a typed text searches names, positions and departments (user.search). */
export async function searchUsers(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string): Promise<INodeListSearchResult> {
	const client = await portalClient(this);
	const text = filter?.trim() ?? '';
	const start = startOf(paginationToken);
	const page = text
		? await client.call<Raw[]>('user.search', { FIND: text, FILTER: { ACTIVE: true }, start })
		: await client.call<Raw[]>('user.get', { FILTER: { ACTIVE: true }, sort: 'ID', order: 'ASC', start });
	const results: INodeListSearchItems[] = (page.result ?? []).map((user) => ({
		name: [user.NAME, user.LAST_NAME].filter(Boolean).join(' ') || String(user.EMAIL || `User ${String(user.ID)}`),
		value: String(user.ID),
		description: String(user.WORK_POSITION ?? ''),
	}));
	return { results, paginationToken: nextToken(page.next) };
}

/** Smart processes (crm.type.list needs CRM admin rights; the error says so when it is missing). */
export async function searchSmartProcesses(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string): Promise<INodeListSearchResult> {
	const client = await portalClient(this);
	const page = await client.call<{ types?: Raw[] }>('crm.type.list', { order: { id: 'ASC' }, start: startOf(paginationToken) });
	return {
		results: (page.result.types ?? [])
			.filter((type) => Number(type.entityTypeId) !== DEAL_ENTITY_TYPE_ID && matches(filter, String(type.title), String(type.entityTypeId)))
			.map((type) => ({ name: String(type.title), value: String(type.entityTypeId), description: `Entity type ID ${String(type.entityTypeId)}` })),
		paginationToken: nextToken(page.next),
	};
}
