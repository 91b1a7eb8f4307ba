/**
 * What the client needs to know about Bitrix24 methods: which ones are safe to repeat, and how
 * each list method pages (cursor field, filter key, where the records sit in `result`).
 */

const READ_SUFFIXES = [
	'.get',
	'.list',
	'.fields',
	'.current',
	'.search',
	'.types',
	'.entity.types',
	'.items.get',
	'.findbycomm',
	'.getbyentitytypeid',
];

/** Calls that change nothing, or leave the same state when repeated (update, delete, set). */
const REPEATABLE_SUFFIXES = ['.update', '.delete', '.set', '.unbind'];

const READ_METHODS = new Set(['profile', 'user.get', 'user.current', 'scope', 'methods', 'method.get', 'app.info', 'server.time']);

export function isReadMethod(method: string): boolean {
	const m = method.toLowerCase();
	return READ_METHODS.has(m) || READ_SUFFIXES.some((suffix) => m.endsWith(suffix));
}

/**
 * Whether repeating the call after an unclear failure (a timeout, a dropped connection, a 5xx)
 * cannot create a duplicate. `*.add`, `tasks.task.add`, `im.notify.*`, `crm.timeline.comment.add`
 * and anything unknown are not: they are never retried once they may have reached the portal.
 */
export function isIdempotentMethod(method: string): boolean {
	const m = method.toLowerCase();
	if (isReadMethod(m)) return true;
	if (m.endsWith('.add') || m.includes('.add.')) return false;
	return REPEATABLE_SUFFIXES.some((suffix) => m.endsWith(suffix));
}

export interface ListShape {
	/** Field holding the record ID in each returned record (`ID` or `id`). */
	idField: string;
	/** Filter key for "ID greater than the cursor" (`>ID` or `>id`). */
	cursorFilterKey: string;
	/** The `order` object that sorts by ID ascending. */
	order: Record<string, string>;
	/** Key under `result` holding the records, when `result` is an object (`items`, `tasks`...). */
	listKey?: string;
	/** Some methods (user.get) sort with `sort`/`order` strings instead of an `order` object. */
	userGetStyle?: boolean;
}

const CRM_V1: ListShape = { idField: 'ID', cursorFilterKey: '>ID', order: { ID: 'ASC' } };

const LIST_SHAPES: Record<string, ListShape> = {
	'crm.deal.list': CRM_V1,
	'crm.contact.list': CRM_V1,
	'crm.company.list': CRM_V1,
	'crm.lead.list': CRM_V1,
	'crm.status.list': CRM_V1,
	'crm.deal.userfield.list': CRM_V1,
	'crm.timeline.comment.list': CRM_V1,
	'crm.activity.list': CRM_V1,
	'crm.stagehistory.list': { ...CRM_V1, listKey: 'items' },
	'crm.item.list': { idField: 'id', cursorFilterKey: '>id', order: { id: 'ASC' }, listKey: 'items' },
	'tasks.task.list': { idField: 'id', cursorFilterKey: '>ID', order: { ID: 'asc' }, listKey: 'tasks' },
	'user.get': { idField: 'ID', cursorFilterKey: '>ID', order: { ID: 'ASC' }, userGetStyle: true },
};

/** How a list method pages; unknown methods are assumed to follow the CRM v1 convention. */
export function listShapeFor(method: string): ListShape {
	return LIST_SHAPES[method.toLowerCase()] ?? CRM_V1;
}

export const PAGE_SIZE = 50;
export const MAX_BATCH_COMMANDS = 50;
