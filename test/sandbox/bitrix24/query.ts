/**
 * How the sandbox reads list parameters the way Bitrix24 does: CRM filter keys with operator
 * prefixes (CSqlUtil semantics), `order`, `select`, and paging (50 a page, `start=-1` fast mode).
 */

import type { Fields } from './portal';
import { crmError, RestError } from './restError';

export const PAGE_SIZE = 50;

type Operator = '>=' | '>' | '<=' | '<' | '@' | '=%' | '%=' | '%' | '=';

interface Condition {
	field: string;
	operator: Operator;
	negate: boolean;
	value: unknown;
}

/** Prefixes in the order CSqlUtil tries them: longer ones first. */
const OPERATORS: Operator[] = ['>=', '<=', '=%', '%=', '>', '<', '@', '%', '='];

export function parseFilterKey(key: string): { field: string; operator: Operator; negate: boolean } {
	let rest = key;
	let negate = false;
	if (rest.startsWith('!')) {
		negate = true;
		rest = rest.slice(1);
	}
	if (rest.startsWith('+')) rest = rest.slice(1);
	for (const op of OPERATORS) {
		if (rest.startsWith(op)) return { field: rest.slice(op.length), operator: op, negate };
	}
	return { field: rest, operator: '=', negate };
}

/** PHP's intval: arrays are 1 when non-empty, strings read their leading integer. */
export function phpInt(value: unknown): number {
	if (Array.isArray(value)) return value.length ? 1 : 0;
	if (value !== null && typeof value === 'object') return Object.keys(value).length ? 1 : 0;
	if (typeof value === 'number') return Math.trunc(value);
	if (typeof value === 'boolean') return value ? 1 : 0;
	const match = /^\s*([+-]?\d+)/.exec(String(value ?? ''));
	return match ? Number(match[1]) : 0;
}

export function phpFloat(value: unknown): number {
	if (typeof value === 'number') return value;
	const match = /^\s*([+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?)/i.exec(String(value ?? ''));
	return match ? Number(match[1]) : phpInt(value);
}

export interface FieldTypes {
	numeric: Set<string>;
	dates: Set<string>;
}

function likeToRegExp(pattern: string, anchored: 'none' | 'own' | 'left'): RegExp {
	const escaped = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
	if (anchored === 'own') return new RegExp(`^${escaped}$`, 'i');
	if (anchored === 'left') return new RegExp(`^${escaped}.*$`, 'i');
	return new RegExp(escaped, 'i');
}

function compareOne(recordValue: unknown, condition: Condition, value: unknown, types: FieldTypes): boolean {
	const isNumeric = types.numeric.has(condition.field);
	const isDate = types.dates.has(condition.field);
	const op = condition.operator;
	if (op === '%' || op === '=%' || op === '%=') {
		if (isNumeric) return phpFloat(recordValue) === phpFloat(value);
		if (recordValue === null || recordValue === undefined) return false;
		const anchored = op === '%' ? 'none' : op === '=%' ? 'own' : 'left';
		return likeToRegExp(String(value), anchored).test(String(recordValue));
	}
	if (op === '=' && (value === '' || value === '0' || value === 0 || value === false) && (recordValue === null || recordValue === undefined || recordValue === '')) {
		return true;
	}
	if (recordValue === null || recordValue === undefined) return false;
	let left: number | string;
	let right: number | string;
	if (isNumeric) {
		left = phpFloat(recordValue);
		right = phpFloat(value);
	} else if (isDate) {
		left = Date.parse(String(recordValue));
		right = Date.parse(String(value));
		if (Number.isNaN(right)) return false;
	} else {
		left = String(recordValue).toLowerCase();
		right = String(value).toLowerCase();
	}
	switch (op) {
		case '>':
			return left > right;
		case '>=':
			return left >= right;
		case '<':
			return left < right;
		case '<=':
			return left <= right;
		default:
			return left === right;
	}
}

function matchCondition(record: Fields, condition: Condition, types: FieldTypes): boolean {
	const recordValue = record[condition.field];
	const candidates = Array.isArray(recordValue) ? recordValue : [recordValue];
	let matched: boolean;
	if (condition.operator === '@') {
		const set = (Array.isArray(condition.value) ? condition.value : [condition.value]).map((v) =>
			types.numeric.has(condition.field) ? String(phpInt(v)) : String(v).toLowerCase(),
		);
		matched = candidates.some((c) =>
			set.includes(types.numeric.has(condition.field) ? String(phpInt(c)) : String(c ?? '').toLowerCase()),
		);
	} else if (Array.isArray(condition.value)) {
		// A non-IN operator with a list means "any of them".
		matched = condition.value.some((v) => candidates.some((c) => compareOne(c, condition, v, types)));
	} else {
		matched = candidates.some((c) => compareOne(c, condition, condition.value, types));
	}
	return condition.negate ? !matched : matched;
}

export type Filter = Record<string, unknown>;

/**
 * Builds a predicate from a CRM filter. Unknown fields are ignored (as CSqlUtil does) unless
 * `knownFields` is given. `logic: 'OR'` groups (crm.item.list) are supported.
 */
export function buildFilter(filter: unknown, types: FieldTypes, knownFields?: Set<string>): (record: Fields) => boolean {
	if (filter === undefined || filter === null || (Array.isArray(filter) && filter.length === 0)) return () => true;
	if (typeof filter !== 'object' || Array.isArray(filter)) throw crmError("Parameter 'filter' must be array.");
	const entries = Object.entries(filter as Filter);
	const logic = String((filter as Filter).logic ?? (filter as Filter).LOGIC ?? 'AND').toUpperCase();
	const parts: Array<(record: Fields) => boolean> = [];
	for (const [key, value] of entries) {
		if (key.toLowerCase() === 'logic') continue;
		if (/^\d+$/.test(key) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
			parts.push(buildFilter(value, types, knownFields));
			continue;
		}
		const condition = { ...parseFilterKey(key), value };
		if (knownFields && !knownFields.has(condition.field)) {
			throw new RestError('INVALID_ARG_VALUE', `Invalid filter: field '${condition.field}' is not allowed in filter`);
		}
		parts.push((record) => matchCondition(record, condition, types));
	}
	if (logic === 'OR') return (record) => parts.length === 0 || parts.some((p) => p(record));
	return (record) => parts.every((p) => p(record));
}

/** Sorts by an `order` object: `{ ID: 'ASC', DATE_CREATE: 'DESC' }`. */
export function sortRecords(records: Fields[], order: unknown, types: FieldTypes, strict = false): Fields[] {
	if (order === undefined || order === null || (Array.isArray(order) && order.length === 0)) return records;
	if (typeof order !== 'object' || Array.isArray(order)) throw crmError("Parameter 'order' must be array.");
	const keys = Object.entries(order as Record<string, unknown>).map(([field, direction]) => {
		const dir = String(direction).toUpperCase();
		if (strict && dir !== 'ASC' && dir !== 'DESC') throw new RestError('INVALID_ARG_VALUE', `Invalid order direction for '${field}'`);
		return { field, desc: dir !== 'ASC' };
	});
	return [...records].sort((a, b) => {
		for (const { field, desc } of keys) {
			const av = a[field];
			const bv = b[field];
			let cmp: number;
			if (types.numeric.has(field)) cmp = phpFloat(av) - phpFloat(bv);
			else if (types.dates.has(field)) cmp = Date.parse(String(av)) - Date.parse(String(bv));
			else cmp = String(av ?? '').localeCompare(String(bv ?? ''));
			if (cmp !== 0) return desc ? -cmp : cmp;
		}
		return 0;
	});
}

/** `select` for legacy CRM lists: `*` = standard fields, `UF_*` = user fields, names otherwise. */
export function selectFields(record: Fields, select: unknown, idField = 'ID'): Fields {
	const list = Array.isArray(select) ? select.map(String) : select && typeof select === 'object' ? Object.values(select).map(String) : [];
	const wanted = list.length ? list : ['*'];
	const out: Fields = {};
	const all = wanted.includes('*');
	const allUf = wanted.includes('UF_*');
	for (const [key, value] of Object.entries(record)) {
		const isUf = key.startsWith('UF_');
		if (key === idField || wanted.includes(key) || (all && !isUf) || (allUf && isUf)) out[key] = value;
	}
	return out;
}

export interface Page<T> {
	result: T[];
	total?: number;
	next?: number;
}

/** Legacy CDBResult paging: `start` rounds down to a page; `start=-1` skips the count. */
export function pageLegacy<T>(records: T[], start: number): Page<T> {
	if (start < 0) return { result: records.slice(0, PAGE_SIZE), total: 0 };
	const offset = Math.floor(start / PAGE_SIZE) * PAGE_SIZE;
	const result = records.slice(offset, offset + PAGE_SIZE);
	const page: Page<T> = { result, total: records.length };
	if (offset + PAGE_SIZE < records.length) page.next = offset + PAGE_SIZE;
	return page;
}

export interface ListedPage {
	result: Fields[];
	total?: number;
	next?: number;
	/** Records the portal had to look at (a counted page looks at every match). */
	scanned: number;
}

function isIdOrder(order: unknown, idField: string): boolean {
	if (order === undefined || order === null) return true;
	if (typeof order !== 'object' || Array.isArray(order)) return false;
	const entries = Object.entries(order as Record<string, unknown>);
	return entries.length === 1 && entries[0][0] === idField && String(entries[0][1]).toUpperCase() === 'ASC';
}

function firstIndexAbove(records: Fields[], idField: string, bound: number, inclusive: boolean): number {
	let low = 0;
	let high = records.length;
	while (low < high) {
		const middle = (low + high) >> 1;
		const id = phpFloat(records[middle][idField]);
		if (inclusive ? id < bound : id <= bound) low = middle + 1;
		else high = middle;
	}
	return low;
}

/**
 * Lists records the way the portal pages them (legacy or D7 `next` rules), taking the index path
 * a database would for `order ID ASC` with an `>ID` cursor or an `@ID` list, so large seeds stay
 * fast: with `start=-1` it stops at 50 matches, as `LIMIT 50` does without the count.
 */
export function listRecords(options: {
	records: Fields[];
	byId?: (id: string) => Fields | undefined;
	idField: string;
	filter: unknown;
	order: unknown;
	start: number;
	types: FieldTypes;
	knownFields?: Set<string>;
	convert?: (record: Fields) => Fields;
	strictOrder?: boolean;
	/** D7 paging: `next` only when more remain. Legacy paging behaves the same here. */
}): ListedPage {
	const { records, idField, filter, order, start, types } = options;
	const convert = options.convert ?? ((record: Fields) => record);
	const predicate = buildFilter(filter, types, options.knownFields);
	const offset = start < 0 ? 0 : Math.floor(start / PAGE_SIZE) * PAGE_SIZE;
	if (!isIdOrder(order, idField)) {
		const matched = sortRecords(records.map(convert).filter(predicate), order, types, options.strictOrder);
		return finishPage(matched, start, offset, matched.length, records.length);
	}
	const f = (filter && typeof filter === 'object' && !Array.isArray(filter) ? filter : {}) as Record<string, unknown>;
	let candidates = records;
	let from = 0;
	const inList = f[`@${idField}`];
	if (Array.isArray(inList) && options.byId) {
		candidates = [...new Set(inList.map((v) => String(phpInt(v))))]
			.map((id) => options.byId?.(id))
			.filter((r): r is Fields => r !== undefined)
			.sort((a, b) => phpFloat(a[idField]) - phpFloat(b[idField]));
	} else if (typeof f[`>${idField}`] === 'number' || typeof f[`>${idField}`] === 'string') {
		from = firstIndexAbove(records, idField, phpFloat(f[`>${idField}`]), false);
	} else if (typeof f[`>=${idField}`] === 'number' || typeof f[`>=${idField}`] === 'string') {
		from = firstIndexAbove(records, idField, phpFloat(f[`>=${idField}`]), true);
	}
	const matched: Fields[] = [];
	let scanned = 0;
	for (let i = from; i < candidates.length; i++) {
		scanned++;
		const record = convert(candidates[i]);
		if (!predicate(record)) continue;
		matched.push(record);
		if (start < 0 && matched.length >= PAGE_SIZE) break;
	}
	return finishPage(matched, start, offset, matched.length, scanned);
}

function finishPage(matched: Fields[], start: number, offset: number, total: number, scanned: number): ListedPage {
	if (start < 0) return { result: matched.slice(0, PAGE_SIZE), total: 0, scanned };
	const result = matched.slice(offset, offset + PAGE_SIZE);
	const page: ListedPage = { result, total, scanned };
	if (offset + PAGE_SIZE < total) page.next = offset + PAGE_SIZE;
	return page;
}
