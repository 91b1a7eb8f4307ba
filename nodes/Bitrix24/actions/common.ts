/**
 * What every operation of the Bitrix24 node does the same way: read IDs and field values from
 * parameters, send the items' commands together, and give each input item its output (paired
 * with it) or its error (naming the deal, saying what was done before the failure).
 */

import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { jsonParse, NodeOperationError } from 'n8n-workflow';

import type { Bitrix24Client } from '../../shared/bitrix24/client';
import { runWrites, type PlannedWrite, type WriteOutcome } from '../../shared/bitrix24/crmActions';
import { errorItemJson, toNodeError } from '../../shared/n8n/errors';

/** The outputs of one run, one slot per input item. */
export class ItemResults {
	private readonly slots: INodeExecutionData[][];
	private readonly continueOnFail: boolean;

	constructor(
		private readonly ctx: IExecuteFunctions,
		count: number,
	) {
		this.slots = Array.from({ length: count }, () => []);
		this.continueOnFail = ctx.continueOnFail();
	}

	set(index: number, json: IDataObject | IDataObject[]): void {
		this.slots[index] = (Array.isArray(json) ? json : [json]).map((entry) => ({ json: entry, pairedItem: { item: index } }));
	}

	/** Throws the error (stopping the node) or, under "continue on fail", makes it the item's output. */
	fail(index: number, error: unknown, context: { dealId?: number; note?: string } = {}): void {
		const nodeError = toNodeError(this.ctx.getNode(), error, { itemIndex: index, dealId: context.dealId, note: context.note });
		if (!this.continueOnFail) throw nodeError;
		const json = errorItemJson(nodeError);
		if (context.dealId !== undefined) json.dealId = context.dealId;
		this.slots[index] = [{ json, pairedItem: { item: index } }];
	}

	all(): INodeExecutionData[] {
		return this.slots.flat();
	}
}

/** Reads each item's plan; an item whose parameters are wrong fails alone. */
export function planEach<T>(ctx: IExecuteFunctions, results: ItemResults, count: number, plan: (index: number) => T): Array<T & { index: number }> {
	const planned: Array<T & { index: number }> = [];
	for (let index = 0; index < count; index++) {
		try {
			planned.push({ ...plan(index), index });
		} catch (error) {
			results.fail(index, error, { dealId: (error as { dealId?: number }).dealId });
		}
	}
	return planned;
}

function positiveInteger(value: unknown): number | undefined {
	const text = typeof value === 'string' ? value.trim() : value;
	const number = typeof text === 'number' ? text : typeof text === 'string' && /^\d+$/.test(text) ? Number(text) : NaN;
	return Number.isSafeInteger(number) && number > 0 ? number : undefined;
}

/** A numeric ID from a plain or resource-locator parameter. */
export function readId(ctx: IExecuteFunctions, name: string, index: number, what: string): number {
	const raw = ctx.getNodeParameter(name, index, '', { extractValue: true });
	const id = positiveInteger(raw);
	if (id === undefined) {
		const shownValue = raw === '' || raw === undefined || raw === null ? 'nothing' : `"${String(raw)}"`;
		throw new NodeOperationError(ctx.getNode(), `${what} must be a number like 123; got ${shownValue}`, { itemIndex: index });
	}
	return id;
}

export function readOptionalId(ctx: IExecuteFunctions, name: string, index: number, what: string): number | undefined {
	const raw = ctx.getNodeParameter(name, index, '', { extractValue: true });
	if (raw === '' || raw === undefined || raw === null || raw === 0) return undefined;
	return readId(ctx, name, index, what);
}

/** A text parameter, trimmed (hidden parameters give the fallback). */
export function readString(ctx: IExecuteFunctions, name: string, index: number, fallback = ''): string {
	const value = ctx.getNodeParameter(name, index, fallback);
	return value === undefined || value === null ? '' : String(value).trim();
}

/** The value of a resource locator that is not a number (e.g. a stage ID). */
export function readLocator(ctx: IExecuteFunctions, name: string, index: number): string {
	const value = ctx.getNodeParameter(name, index, '', { extractValue: true });
	return value === undefined || value === null ? '' : String(value).trim();
}

export function requireText(ctx: IExecuteFunctions, name: string, index: number, what: string): string {
	const text = readString(ctx, name, index);
	if (!text) throw new NodeOperationError(ctx.getNode(), `${what} is empty`, { itemIndex: index });
	return text;
}

/** A JSON object given as text or as an object from an expression; `what` names it in errors. */
export function parseJsonObject(ctx: IExecuteFunctions, index: number, what: string, raw: unknown, example = '{"TITLE": "New title"}'): IDataObject {
	let parsed: unknown = raw;
	if (typeof raw === 'string') parsed = jsonParse(raw.trim() || '{}', { errorMessage: `${what} is not valid JSON` });
	if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
		throw new NodeOperationError(ctx.getNode(), `${what} must be a JSON object, like ${example}`, { itemIndex: index });
	}
	return parsed as IDataObject;
}

/** A JSON object parameter. */
export function readJsonObject(ctx: IExecuteFunctions, name: string, index: number, what: string): IDataObject {
	return parseJsonObject(ctx, index, what, ctx.getNodeParameter(name, index, '{}'));
}

/** Field values from the "Specify Fields" parameters. */
export function readFieldValues(ctx: IExecuteFunctions, index: number): IDataObject {
	const mode = ctx.getNodeParameter('fieldsMode', index, 'list') as string;
	if (mode === 'json') return readJsonObject(ctx, 'fieldsJson', index, 'Fields (JSON)');
	const pairs = (ctx.getNodeParameter('fieldValues.field', index, []) as Array<{ name?: string; value?: unknown }>) ?? [];
	const fields: IDataObject = {};
	for (const pair of pairs) {
		const name = String(pair.name ?? '').trim();
		if (!name) throw new NodeOperationError(ctx.getNode(), 'A field in "Fields" has no name: choose one or remove the row', { itemIndex: index });
		fields[name] = pair.value as IDataObject[keyof IDataObject];
	}
	return fields;
}

export function withDeal(error: unknown, dealId: number | undefined): unknown {
	if (dealId !== undefined && error && typeof error === 'object') Object.assign(error, { dealId });
	return error;
}

export interface WriteItem extends PlannedWrite {
	dealId?: number;
	/** The item's command names in words, for saying what was done before a failure. */
	labels: Record<string, string>;
	/** The item's output from its results. */
	output(outcome: WriteOutcome): IDataObject;
}

/** Sends the items' writes together and fills in each item's output or error. */
export async function sendWrites(client: Bitrix24Client, results: ItemResults, writes: WriteItem[]): Promise<void> {
	if (!writes.length) return;
	let outcomes: Map<number, WriteOutcome>;
	try {
		outcomes = await runWrites(client, writes);
	} catch (error) {
		for (const write of writes) results.fail(write.index, error, { dealId: write.dealId });
		return;
	}
	for (const write of writes) {
		const outcome = outcomes.get(write.index) ?? { results: {}, errors: {} };
		const names = Object.keys(outcome.errors);
		if (!names.length) {
			results.set(write.index, write.output(outcome));
			continue;
		}
		const done = Object.keys(outcome.results).map((name) => write.labels[name] ?? name);
		const failed = names.filter((name) => name !== 'all').map((name) => write.labels[name] ?? name);
		const notes = [
			done.length ? `Done: ${done.join(', ')}.` : '',
			failed.length > 1 ? `Not done: ${failed.join(', ')}.` : '',
			done.length ? 'Running this item again repeats what was done.' : '',
		].filter(Boolean);
		results.fail(write.index, outcome.errors[names[0]], { dealId: write.dealId, note: notes.join(' ') || undefined });
	}
}
