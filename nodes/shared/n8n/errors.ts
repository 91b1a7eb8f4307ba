/**
 * Turns core errors into n8n errors that name the item (and the deal, when there is one) and
 * carry only what is safe to show: a Bitrix24Error's own fields, never a raw HTTP error.
 */

import { type INode, type JsonObject, NodeApiError, NodeOperationError } from 'n8n-workflow';

import { Bitrix24Error } from '../bitrix24/errors';

export interface ErrorContext {
	itemIndex: number;
	dealId?: string | number;
	/** Extra sentence for the operator, e.g. that other items were applied. */
	note?: string;
}

function describe(context: ErrorContext, base?: string): string | undefined {
	const parts = [context.dealId !== undefined ? `Deal ${context.dealId}.` : '', base ?? '', context.note ?? ''].filter(Boolean);
	return parts.length ? parts.join(' ') : undefined;
}

export function toNodeError(node: INode, error: unknown, context: ErrorContext): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) {
		// Our own parameter errors are raised before the deal is known to them: name it here.
		const dealPrefix = context.dealId !== undefined ? `Deal ${context.dealId}: ` : '';
		if (dealPrefix && !error.message.startsWith(dealPrefix)) error.message = `${dealPrefix}${error.message}`;
		return error;
	}
	if (error instanceof Bitrix24Error) {
		const dealPrefix = context.dealId !== undefined ? `Deal ${context.dealId}: ` : '';
		return new NodeApiError(node, error.toJSON() as JsonObject, {
			itemIndex: context.itemIndex,
			message: `${dealPrefix}${error.message}`,
			description: describe({ ...context, dealId: undefined }, error.mayHaveBeenApplied ? 'Check Bitrix24 before running it again: the change may already be there.' : undefined),
			httpCode: error.httpStatus !== undefined ? String(error.httpStatus) : undefined,
		});
	}
	const message = error instanceof Error ? error.message : String(error);
	return new NodeOperationError(node, context.dealId !== undefined ? `Deal ${context.dealId}: ${message}` : message, {
		itemIndex: context.itemIndex,
		description: describe({ ...context, dealId: undefined }),
	});
}

/** The json an item gets under "continue on fail". */
export function errorItemJson(error: NodeApiError | NodeOperationError): JsonObject {
	const json: JsonObject = { error: error.message };
	if (error.description) json.description = error.description;
	if (error instanceof NodeApiError && error.httpCode) json.httpCode = error.httpCode;
	return json;
}
