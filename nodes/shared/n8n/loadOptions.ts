/**
 * Dropdowns filled from the portal: pipelines, stages, deal fields, users, smart processes.
 * Shared by the Bitrix24 node and the triggers.
 */

import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { stageEntityId } from '../bitrix24/crmActions';
import { bitrix24ClientFor } from './bitrix24Client';

type Raw = Record<string, unknown>;

async function client(ctx: ILoadOptionsFunctions) {
	const authentication = (ctx.getCurrentNodeParameter('authentication') as string | undefined) ?? 'webhook';
	const source = ctx.getCurrentNodeParameter('source') as string | undefined;
	return bitrix24ClientFor(ctx, source === 'appEvents' ? 'oAuth2' : authentication);
}

export async function getPipelines(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const { result } = await (await client(this)).call<{ categories: Raw[] }>('crm.category.list', { entityTypeId: 2 });
	return (result.categories ?? []).map((c) => ({ name: String(c.name), value: Number(c.id) }));
}

async function stagesOf(ctx: ILoadOptionsFunctions, categoryIds: number[]): Promise<INodePropertyOptions[]> {
	const c = await client(ctx);
	const outcome = await c.batch(Object.fromEntries(categoryIds.map((id) => [`s${id}`, { method: 'crm.status.list', params: { filter: { ENTITY_ID: stageEntityId(id) }, order: { SORT: 'ASC' } } }])));
	const names = new Map<number, string>();
	if (categoryIds.length > 1) {
		const { result } = await c.call<{ categories: Raw[] }>('crm.category.list', { entityTypeId: 2 });
		for (const category of result.categories ?? []) names.set(Number(category.id), String(category.name));
	}
	const options: INodePropertyOptions[] = [];
	for (const id of categoryIds) {
		const stages = outcome.results[`s${id}`];
		if (!Array.isArray(stages)) continue;
		for (const stage of stages as Raw[]) {
			const semantic = stage.SEMANTICS === 'S' ? ' (won)' : stage.SEMANTICS === 'F' ? ' (lost)' : '';
			const prefix = names.has(id) ? `${names.get(id)}: ` : '';
			options.push({ name: `${prefix}${String(stage.NAME)}${semantic}`, value: String(stage.STATUS_ID), description: String(stage.STATUS_ID) });
		}
	}
	return options;
}

/** Stages of the pipeline chosen in the `pipeline` parameter. */
export async function getStages(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const pipeline = this.getCurrentNodeParameter('pipeline');
	if (pipeline === undefined || pipeline === '') throw new NodeOperationError(this.getNode(), 'Choose a pipeline first');
	return stagesOf(this, [Number(pipeline)]);
}

/** Stages of every pipeline, named "Pipeline: Stage". */
export async function getAllStages(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const { result } = await (await client(this)).call<{ categories: Raw[] }>('crm.category.list', { entityTypeId: 2 });
	return stagesOf(this, (result.categories ?? []).map((c) => Number(c.id)));
}

/** Deal custom fields (UF_CRM_…), named by their label. */
export async function getDealFields(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const { result } = await (await client(this)).call<Raw[]>('crm.deal.userfield.list', { filter: { LANG: 'en' } });
	return (result ?? []).map((field) => ({
		name: `${String(field.EDIT_FORM_LABEL || field.LIST_COLUMN_LABEL || field.FIELD_NAME)} (${String(field.USER_TYPE_ID)})`,
		value: String(field.FIELD_NAME),
		description: String(field.FIELD_NAME),
	}));
}

export async function getUsers(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const users = await (await client(this)).listAll<Raw>('user.get', { FILTER: { ACTIVE: true } }, { limit: 2000 });
	return users.map((u) => ({ name: [u.NAME, u.LAST_NAME].filter(Boolean).join(' ') || String(u.EMAIL || u.ID), value: Number(u.ID), description: String(u.WORK_POSITION ?? '') }));
}

export async function getSmartProcesses(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const { result } = await (await client(this)).call<{ types: Raw[] }>('crm.type.list', {});
	return (result.types ?? []).map((t) => ({ name: String(t.title), value: Number(t.entityTypeId), description: `Entity type ID ${String(t.entityTypeId)}` }));
}
