/**
 * Dropdowns filled from the portal: pipelines, stages, deal fields, users, smart processes.
 * Shared by the Bitrix24 node and the triggers.
 */

import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { stageEntityId } from '../bitrix24/crmActions';
import { bitrix24ClientFor } from './bitrix24Client';

type Raw = Record<string, unknown>;

/** The client for the credential the node being edited uses. */
export async function portalClient(ctx: ILoadOptionsFunctions) {
	const authentication = (ctx.getCurrentNodeParameter('authentication') as string | undefined) ?? 'webhook';
	const source = ctx.getCurrentNodeParameter('source') as string | undefined;
	return bitrix24ClientFor(ctx, source === 'appEvents' ? 'oAuth2' : authentication);
}

export async function getPipelines(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const { result } = await (await portalClient(this)).call<{ categories: Raw[] }>('crm.category.list', { entityTypeId: 2 });
	return (result.categories ?? []).map((c) => ({ name: String(c.name), value: Number(c.id) }));
}

async function stagesOf(ctx: ILoadOptionsFunctions, categoryIds: number[]): Promise<INodePropertyOptions[]> {
	const c = await portalClient(ctx);
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
export async function stageOptions(ctx: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const { result } = await (await portalClient(ctx)).call<{ categories: Raw[] }>('crm.category.list', { entityTypeId: 2 });
	return stagesOf(ctx, (result.categories ?? []).map((c) => Number(c.id)));
}

export async function getAllStages(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	return stageOptions(this);
}

/** Deal custom fields (UF_CRM_…), named by their label. */
export async function getDealFields(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const { result } = await (await portalClient(this)).call<Raw[]>('crm.deal.userfield.list', { filter: { LANG: 'en' } });
	return (result ?? []).map((field) => ({
		name: `${String(field.EDIT_FORM_LABEL || field.LIST_COLUMN_LABEL || field.FIELD_NAME)} (${String(field.USER_TYPE_ID)})`,
		value: String(field.FIELD_NAME),
		description: String(field.FIELD_NAME),
	}));
}

export async function getUsers(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const users = await (await portalClient(this)).listAll<Raw>('user.get', { FILTER: { ACTIVE: true } }, { limit: 2000 });
	return users.map((u) => ({ name: [u.NAME, u.LAST_NAME].filter(Boolean).join(' ') || String(u.EMAIL || u.ID), value: Number(u.ID), description: String(u.WORK_POSITION ?? '') }));
}

export async function getSmartProcesses(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const { result } = await (await portalClient(this)).call<{ types: Raw[] }>('crm.type.list', {});
	return (result.types ?? []).map((t) => ({ name: String(t.title), value: Number(t.entityTypeId), description: `Entity type ID ${String(t.entityTypeId)}` }));
}

/** Deal fields a workflow may write: the standard ones and the custom (UF_CRM_…) ones, by label. */
export async function getWritableDealFields(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const { result } = await (await portalClient(this)).call<Record<string, Raw>>('crm.deal.fields', {});
	return Object.entries(result ?? {})
		.filter(([name, field]) => !field.isReadOnly && !['STAGE_ID', 'CATEGORY_ID'].includes(name))
		.map(([name, field]) => ({
			name: `${String(field.listLabel || field.formLabel || field.title || name)}`,
			value: name,
			description: `${name} (${String(field.type)}${field.isMultiple ? ', several values' : ''})`,
		}))
		.sort((a, b) => a.name.localeCompare(b.name));
}

/** The chosen smart process's writable fields, with their original UF_CRM_… names. */
export async function getSmartProcessFields(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const entityTypeId = Number(this.getCurrentNodeParameter('smartProcess', { extractValue: true }));
	if (!(entityTypeId > 0)) throw new NodeOperationError(this.getNode(), 'Choose a smart process first');
	const { result } = await (await portalClient(this)).call<{ fields: Record<string, Raw> }>('crm.item.fields', { entityTypeId, useOriginalUfNames: 'Y' });
	return Object.entries(result.fields ?? {})
		.filter(([, field]) => !field.isReadOnly)
		.map(([name, field]) => ({ name: String(field.title || name), value: name, description: `${name} (${String(field.type)}${field.isMultiple ? ', several values' : ''})` }))
		.sort((a, b) => a.name.localeCompare(b.name));
}
