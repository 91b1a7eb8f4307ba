/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test tooling: runs in Node test processes, never inside n8n */
/**
 * n8n's Data tables, in memory, for the tests: ONE store behind both ways a workflow reaches a table.
 *
 * - n8n's built-in Data Table node (n8n-nodes-base.dataTable) goes through the proxies n8n-core asks
 *   `additionalData['data-table'].dataTableProxyProvider` for: `dataTableProxyProvider(store)`.
 * - Our own nodes go through n8n's public REST API (`/api/v1/data-tables…`): `startDataTableApi(store)`.
 *
 * The semantics follow n8n 2.40.7's DataTableService / DataTableRowsRepository (SQLite flavour, n8n's
 * default database): the cell validation and conversion, the filter conditions (`like` / `ilike` are
 * "contains" with `%` as the only wildcard, `neq` also matches NULL, empty means NULL or '' for
 * strings), upsert = update-or-insert-the-data-only, the name lookup as a case-insensitive substring
 * match, newest table first, and the same return shapes (rows carry Date objects for
 * createdAt/updatedAt and date columns; the REST API sends them as ISO strings).
 */

import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
	DATA_TABLE_SYSTEM_COLUMN_TYPE_MAP,
	DATA_TABLE_SYSTEM_COLUMNS,
	DATA_TABLE_SYSTEM_TESTING_COLUMN,
	NodeOperationError,
	UserError,
	validateFieldType,
	type AddDataTableColumnOptions,
	type CreateDataTableColumnOptions,
	type DataTable,
	type DataTableColumn,
	type DataTableColumnJsType,
	type DataTableColumnType,
	type DataTableFilter,
	type DataTableInsertRowsResult,
	type DataTableInsertRowsReturnType,
	type DataTableProxyProvider,
	type DataTableRow,
	type DataTableRowReturn,
	type DataTableRowReturnWithState,
	type IDataTableProjectAggregateService,
	type IDataTableProjectService,
	type INode,
	type ListDataTableOptions,
	type ListDataTableRowsOptions,
} from 'n8n-workflow';

/** The project the tables live in unless told otherwise (what the harness passes as `dataTableProjectId`). */
export const TEST_PROJECT_ID = 'test-project';

/** n8n's column name rule (@n8n/api-types dataTableColumnNameSchema). */
const COLUMN_NAME = /^[a-zA-Z][a-zA-Z0-9_]{0,62}$/;
const FIELD_TYPE = { number: 'number', string: 'string', boolean: 'boolean', date: 'dateTime' } as const;

/** n8n's DataTableValidationError: a UserError with this prefix (the public API answers it with 400). */
export class DataTableValidationError extends UserError {
	constructor(message: string) {
		super(`Validation error with data table request: ${message}`, { level: 'warning' });
	}
}

/** n8n's DataTableNotFoundError (404 in the public API). */
export class DataTableNotFoundError extends Error {
	constructor(dataTableId: string) {
		super(`Could not find the data table: '${dataTableId}'`);
	}
}

/** A 16-character alphanumeric id, like n8n's nanoid ids. */
function nanoId(): string {
	const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
	return Array.from(randomBytes(16), (byte) => alphabet[byte % alphabet.length]).join('');
}

type StoredColumn = DataTableColumn & { createdAt: Date; updatedAt: Date };

interface StoredRow {
	id: number;
	createdAt: Date;
	updatedAt: Date;
	values: Record<string, DataTableColumnJsType>;
}

interface StoredTable {
	id: string;
	name: string;
	projectId: string;
	createdAt: Date;
	updatedAt: Date;
	/** Breaks updatedAt ties (same millisecond) the way "most recently touched first" means. */
	touched: number;
	/** In creation order (the SQL table's column order); `index` is the display order. */
	columns: StoredColumn[];
	rows: StoredRow[];
	nextRowId: number;
}

const cloneValue = (value: DataTableColumnJsType): DataTableColumnJsType => (value instanceof Date ? new Date(value.getTime()) : value);

/**
 * A SQL LIKE pattern as a RegExp. Row filters: after n8n's escaping only `%` is a wildcard (SQLite GLOB
 * for like, escaped `_` for ilike). The table-name filter is a plain LIKE, where `_` is one too.
 */
function likeToRegExp(pattern: string, caseInsensitive: boolean, underscoreWildcard = false): RegExp {
	const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
	const source = pattern
		.split('%')
		.map((part) => (underscoreWildcard ? part.split('_').map(literal).join('.') : literal(part)))
		.join('.*');
	return new RegExp(`^${source}$`, caseInsensitive ? 'is' : 's');
}

function compareValues(a: DataTableColumnJsType, b: DataTableColumnJsType): number {
	if (a instanceof Date || b instanceof Date) return new Date(a as Date).getTime() - new Date(b as Date).getTime();
	if (typeof a === 'number' && typeof b === 'number') return a - b;
	if (typeof a === 'boolean' || typeof b === 'boolean') return Number(a) - Number(b);
	const left = String(a);
	const right = String(b);
	return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * In-memory data tables with n8n's semantics. `create` / `insert` / `rows` / `find` / `clear` are the
 * test-facing helpers; the other public methods are n8n's DataTableService operations the proxies
 * and the REST API share.
 */
export class DataTableStore {
	readonly projectId: string;
	private readonly tables = new Map<string, StoredTable>();
	private touchCounter = 0;

	constructor(options: { projectId?: string } = {}) {
		this.projectId = options.projectId ?? TEST_PROJECT_ID;
	}

	// ---- test helpers ------------------------------------------------------------------------

	/** Creates a table (n8n's rules: unique name in the project, valid column names, no system names). */
	create(name: string, columns: Array<{ name: string; type: DataTableColumnType }>, options: { projectId?: string; id?: string } = {}): DataTable {
		return this.createDataTable(options.projectId ?? this.projectId, { name, columns }, options.id);
	}

	/** Adds rows as n8n does: `id` counts up from 1, createdAt / updatedAt now, missing columns NULL. */
	insert(tableIdOrName: string, rows: Array<Record<string, unknown>>): DataTableRowReturn[] {
		const table = this.resolve(tableIdOrName);
		return this.insertRows(table.id, table.projectId, rows as DataTableRow[], 'all');
	}

	/** All rows of a table, by id, as n8n returns them. */
	rows(tableIdOrName: string): DataTableRowReturn[] {
		const table = this.resolve(tableIdOrName);
		return [...table.rows].sort((a, b) => a.id - b.id).map((row) => this.output(table, row));
	}

	/** The table of that exact name, compared case-insensitively. */
	find(name: string): DataTable | undefined {
		const wanted = name.toLowerCase();
		const table = [...this.tables.values()].find((t) => t.name.toLowerCase() === wanted);
		return table && this.describe(table);
	}

	/** Every table, oldest first. */
	list(): DataTable[] {
		return [...this.tables.values()].map((table) => this.describe(table));
	}

	/** Drops every table. */
	clear(): void {
		this.tables.clear();
	}

	// ---- n8n's DataTableService -------------------------------------------------------------

	createDataTable(projectId: string, options: { name: string; columns: CreateDataTableColumnOptions[] }, id?: string): DataTable {
		const name = options.name.trim();
		if (!name || name.length > 128) throw new DataTableValidationError('name must be 1 to 128 characters');
		if ([...this.tables.values()].some((t) => t.projectId === projectId && t.name === name)) {
			throw new Error(`Data table with name '${name}' already exists in this project`);
		}
		const now = new Date();
		const tableId = id ?? nanoId();
		const table: StoredTable = { id: tableId, name, projectId, createdAt: now, updatedAt: now, touched: ++this.touchCounter, columns: [], rows: [], nextRowId: 1 };
		options.columns.forEach((column, index) => table.columns.push(this.newColumn(table, column, column.index ?? index)));
		this.tables.set(tableId, table);
		return this.describe(table);
	}

	/** n8n's repository getManyAndCount: id / projectId are exact, name is a case-insensitive substring; newest first. */
	getManyAndCount(options: ListDataTableOptions = {}): { count: number; data: DataTable[] } {
		const wanted = (value: string | string[] | undefined) => [value].flat().filter((x): x is string => x !== undefined);
		const ids = wanted(options.filter?.id);
		const projectIds = wanted(options.filter?.projectId);
		const names = wanted(options.filter?.name).map((name) => likeToRegExp(`%${name}%`, true, true));
		let tables = [...this.tables.values()].filter(
			(t) => (ids.length === 0 || ids.includes(t.id)) && (projectIds.length === 0 || projectIds.includes(t.projectId)) && names.every((re) => re.test(t.name)),
		);
		const [field, direction] = (options.sortBy ?? 'updatedAt:desc').split(':') as [string, string];
		const sign = direction === 'asc' ? 1 : -1;
		tables = tables.sort((a, b) => {
			if (field === 'name') return sign * compareValues(a.name.toLowerCase(), b.name.toLowerCase());
			if (field === 'createdAt') return sign * (a.createdAt.getTime() - b.createdAt.getTime());
			if (field === 'size') return sign * (this.sizeBytes(a) - this.sizeBytes(b));
			return sign * (a.updatedAt.getTime() - b.updatedAt.getTime() || a.touched - b.touched);
		});
		const skip = options.skip ?? 0;
		const page = options.take ? tables.slice(skip, skip + options.take) : tables.slice(skip);
		return { count: tables.length, data: page.map((t) => this.describe(t)) };
	}

	getOne(dataTableId: string, projectId?: string): DataTable {
		return this.describe(this.table(dataTableId, projectId));
	}

	exists(dataTableId: string, projectId?: string): boolean {
		const table = this.tables.get(dataTableId);
		return !!table && (projectId === undefined || table.projectId === projectId);
	}

	updateDataTable(dataTableId: string, projectId: string, options: { name: string }): boolean {
		const table = this.table(dataTableId, projectId);
		if ([...this.tables.values()].some((t) => t.projectId === projectId && t.name === options.name)) {
			throw new Error(`Data table with name '${options.name}' already exists in this project`);
		}
		table.name = options.name;
		return true;
	}

	deleteDataTable(dataTableId: string, projectId: string): boolean {
		this.table(dataTableId, projectId);
		this.tables.delete(dataTableId);
		return true;
	}

	deleteDataTablesOfProject(projectId: string): boolean {
		const ids = [...this.tables.values()].filter((t) => t.projectId === projectId).map((t) => t.id);
		for (const id of ids) this.tables.delete(id);
		return ids.length > 0;
	}

	getColumns(dataTableId: string, projectId?: string): DataTableColumn[] {
		const table = this.table(dataTableId, projectId);
		return [...table.columns].sort((a, b) => a.index - b.index).map((column) => ({ ...column, createdAt: new Date(column.createdAt), updatedAt: new Date(column.updatedAt) }));
	}

	addColumn(dataTableId: string, projectId: string, options: AddDataTableColumnOptions): DataTableColumn {
		const table = this.table(dataTableId, projectId);
		if (table.columns.some((c) => c.name === options.name)) throw new DataTableValidationError(`column name '${options.name}' already taken`);
		const ordered = [...table.columns].sort((a, b) => a.index - b.index);
		const index = Math.min(options.index ?? ordered.length, ordered.length);
		for (const column of ordered) if (column.index >= index) column.index++;
		const column = this.newColumn(table, options, index);
		table.columns.push(column);
		for (const row of table.rows) row.values[column.name] = null;
		this.touch(table);
		return { ...column };
	}

	moveColumn(dataTableId: string, projectId: string, columnId: string, options: { targetIndex: number }): boolean {
		const table = this.table(dataTableId, projectId);
		const ordered = [...table.columns].sort((a, b) => a.index - b.index);
		const from = ordered.findIndex((c) => c.id === columnId);
		if (from === -1) throw new Error(`Could not find the column '${columnId}' in the data table: ${dataTableId}`);
		const [column] = ordered.splice(from, 1);
		ordered.splice(Math.max(0, Math.min(options.targetIndex, ordered.length)), 0, column);
		ordered.forEach((c, index) => (c.index = index));
		return true;
	}

	deleteColumn(dataTableId: string, projectId: string, columnId: string): boolean {
		const table = this.table(dataTableId, projectId);
		const column = table.columns.find((c) => c.id === columnId);
		if (!column) throw new Error(`Could not find the column '${columnId}' in the data table: ${dataTableId}`);
		table.columns = table.columns.filter((c) => c !== column);
		[...table.columns].sort((a, b) => a.index - b.index).forEach((c, index) => (c.index = index));
		for (const row of table.rows) delete row.values[column.name];
		this.touch(table);
		return true;
	}

	getManyRowsAndCount(dataTableId: string, projectId: string | undefined, options: Partial<ListDataTableRowsOptions> & { search?: string } = {}): { count: number; data: DataTableRowReturn[] } {
		const table = this.table(dataTableId, projectId);
		let rows = options.filter ? this.matching(table, this.transformFilter(table, options.filter)) : [...table.rows];
		const search = options.search?.trim() ? likeToRegExp(options.search.includes('%') ? options.search : `%${options.search}%`, true) : undefined;
		if (search) rows = rows.filter((row) => table.columns.some((c) => row.values[c.name] !== null && search.test(this.asText(row.values[c.name]))));
		const [sortColumn, sortDirection] = options.sortBy ?? ['id', 'ASC'];
		if (!(sortColumn in DATA_TABLE_SYSTEM_COLUMN_TYPE_MAP) && !table.columns.some((c) => c.name === sortColumn)) {
			throw new DataTableValidationError(`unknown column name '${sortColumn}'`);
		}
		const sign = sortDirection === 'DESC' ? -1 : 1;
		const cell = (row: StoredRow, name: string): DataTableColumnJsType => (name === 'id' || name === 'createdAt' || name === 'updatedAt' ? row[name] : (row.values[name] ?? null));
		rows.sort((a, b) => {
			const left = cell(a, sortColumn);
			const right = cell(b, sortColumn);
			// SQLite: NULLs sort first ascending, last descending. Then by id.
			const order = left === null || right === null ? (left === right ? 0 : left === null ? -1 : 1) : compareValues(left, right);
			return sign * order || a.id - b.id;
		});
		const skip = options.skip ?? 0;
		const page = options.take ? rows.slice(skip, skip + options.take) : rows.slice(skip);
		return { count: rows.length, data: page.map((row) => this.output(table, row)) };
	}

	insertRows<T extends DataTableInsertRowsReturnType>(dataTableId: string, projectId: string | undefined, rows: DataTableRow[], returnType: T): DataTableInsertRowsResult<T> {
		const table = this.table(dataTableId, projectId);
		const values = rows.map((row) => this.transformRow(table, row, false));
		const now = new Date();
		const inserted = values.map((row) => {
			const stored: StoredRow = { id: table.nextRowId++, createdAt: now, updatedAt: now, values: {} };
			for (const column of table.columns) stored.values[column.name] = row[column.name] ?? null;
			table.rows.push(stored);
			return stored;
		});
		this.touch(table);
		if (returnType === 'count') return { success: true, insertedRows: inserted.length } as DataTableInsertRowsResult<T>;
		if (returnType === 'id') return inserted.map((row) => ({ id: row.id })) as DataTableInsertRowsResult<T>;
		return inserted.map((row) => this.output(table, row)) as DataTableInsertRowsResult<T>;
	}

	updateRows(dataTableId: string, projectId: string | undefined, options: { filter: DataTableFilter; data: DataTableRow }, returnData = false, dryRun = false): true | DataTableRowReturn[] | DataTableRowReturnWithState[] {
		const table = this.table(dataTableId, projectId);
		const { data, filter } = this.transformUpdate(table, options);
		const affected = this.matching(table, filter);
		if (dryRun) return this.dryRunUpdate(table, affected, data);
		const now = new Date();
		for (const row of affected) {
			Object.assign(row.values, data);
			row.updatedAt = now;
		}
		this.touch(table);
		return returnData ? [...affected].sort((a, b) => a.id - b.id).map((row) => this.output(table, row)) : true;
	}

	/** n8n's upsert: update every row the filter matches; if none, insert `data` alone (not the filter's values). */
	upsertRow(dataTableId: string, projectId: string | undefined, options: { filter: DataTableFilter; data: DataTableRow }, returnData = false, dryRun = false): true | DataTableRowReturn[] | DataTableRowReturnWithState[] {
		const table = this.table(dataTableId, projectId);
		const { data, filter } = this.transformUpdate(table, options);
		const affected = this.matching(table, filter);
		if (dryRun) {
			if (affected.length > 0) return this.dryRunUpdate(table, affected, data);
			const now = new Date();
			return this.dryRunPair(null, { id: 0, createdAt: now, updatedAt: now, ...data });
		}
		if (affected.length > 0) return this.updateRows(dataTableId, projectId, options, returnData, false);
		const inserted = this.insertRows(dataTableId, projectId, [data], 'all');
		return returnData ? inserted : true;
	}

	deleteRows(dataTableId: string, projectId: string | undefined, options: { filter?: DataTableFilter }, returnData = false, dryRun = false): true | DataTableRowReturn[] | DataTableRowReturnWithState[] {
		const table = this.table(dataTableId, projectId);
		if (!options.filter?.filters || options.filter.filters.length === 0) {
			throw new DataTableValidationError('Filter is required for delete operations to prevent accidental deletion of all data');
		}
		const affected = this.matching(table, this.transformFilter(table, options.filter)).sort((a, b) => a.id - b.id);
		const rows = affected.map((row) => this.output(table, row));
		if (dryRun) return rows.flatMap((row) => this.dryRunPair(row, null));
		table.rows = table.rows.filter((row) => !affected.includes(row));
		this.touch(table);
		return returnData ? rows : true;
	}

	clearRows(dataTableId: string, projectId?: string): { deletedCount: number } {
		const table = this.table(dataTableId, projectId);
		const deletedCount = table.rows.length;
		table.rows = [];
		this.touch(table);
		return { deletedCount };
	}

	/** What the public API reports as `sizeBytes` (n8n measures the database; this is the rows' JSON size). */
	sizeBytes(table: { id: string }): number {
		const stored = this.tables.get(table.id);
		return stored ? Buffer.byteLength(JSON.stringify(stored.rows)) : 0;
	}

	// ---- internals ---------------------------------------------------------------------------

	private resolve(tableIdOrName: string): StoredTable {
		const byId = this.tables.get(tableIdOrName);
		if (byId) return byId;
		const found = this.find(tableIdOrName);
		if (!found) throw new Error(`No data table '${tableIdOrName}' in the test store`);
		return this.tables.get(found.id)!;
	}

	private table(dataTableId: string, projectId?: string): StoredTable {
		const table = this.tables.get(dataTableId);
		if (!table || (projectId !== undefined && table.projectId !== projectId)) throw new DataTableNotFoundError(dataTableId);
		return table;
	}

	private newColumn(table: StoredTable, column: CreateDataTableColumnOptions, index: number): StoredColumn {
		const name = column.name.trim();
		if (!COLUMN_NAME.test(name)) {
			throw new DataTableValidationError('Only alphabetical characters and non-leading numbers and underscores are allowed for column names, and the maximum length is 63 characters.');
		}
		const lower = name.toLowerCase();
		if (DATA_TABLE_SYSTEM_COLUMNS.some((system) => system.toLowerCase() === lower) || lower === DATA_TABLE_SYSTEM_TESTING_COLUMN.toLowerCase()) {
			throw new Error(`Column name '${name}' is reserved as a system column name`);
		}
		if (!(column.type in FIELD_TYPE)) throw new DataTableValidationError(`unknown column type '${String(column.type)}'`);
		const now = new Date();
		return { id: nanoId(), name, type: column.type, index, dataTableId: table.id, createdAt: now, updatedAt: now };
	}

	private touch(table: StoredTable): void {
		table.updatedAt = new Date();
		table.touched = ++this.touchCounter;
	}

	private describe(table: StoredTable): DataTable {
		const columns = [...table.columns].sort((a, b) => a.index - b.index).map((column) => ({ ...column, createdAt: new Date(column.createdAt), updatedAt: new Date(column.updatedAt) }));
		return { id: table.id, name: table.name, columns, createdAt: new Date(table.createdAt), updatedAt: new Date(table.updatedAt), projectId: table.projectId };
	}

	/** A row as n8n's normalizeRows returns it: the user columns, then id, createdAt, updatedAt. */
	private output(table: StoredTable, row: StoredRow): DataTableRowReturn {
		const values = Object.fromEntries(table.columns.map((column) => [column.name, cloneValue(row.values[column.name] ?? null)]));
		return { ...values, id: row.id, createdAt: new Date(row.createdAt), updatedAt: new Date(row.updatedAt) };
	}

	private asText(value: DataTableColumnJsType): string {
		return value instanceof Date ? value.toISOString() : String(value);
	}

	/** n8n's validateAndTransformCell, then what the database column keeps (TEXT affinity, a Date for dates). */
	private transformCell(value: unknown, key: string, type: DataTableColumnType | undefined): DataTableColumnJsType {
		if (value === null || value === undefined) return null;
		if (!type) return value as DataTableColumnJsType;
		const result = validateFieldType(key, value, FIELD_TYPE[type], { strict: false, parseStrings: false });
		if (!result.valid) throw new DataTableValidationError(`value '${String(value)}' does not match column type '${type}': ${result.errorMessage}`);
		const converted = result.newValue as unknown;
		if (type === 'date') {
			if (value instanceof Date) return new Date(value.getTime());
			const iso = (converted as { toUTC(): { toISO(): string | null } }).toUTC().toISO();
			if (!iso) throw new DataTableValidationError(`value '${String(value)}' does not match column type 'date'`);
			return new Date(iso);
		}
		if (type === 'string' && typeof converted !== 'string') return typeof converted === 'object' ? JSON.stringify(converted) : String(converted);
		return converted as DataTableColumnJsType;
	}

	private typeOf(table: StoredTable, name: string, includeSystem: boolean): DataTableColumnType | undefined {
		const column = table.columns.find((c) => c.name === name);
		if (column) return column.type;
		if (includeSystem && name in DATA_TABLE_SYSTEM_COLUMN_TYPE_MAP) return DATA_TABLE_SYSTEM_COLUMN_TYPE_MAP[name];
		throw new DataTableValidationError(`unknown column name '${name}'`);
	}

	private transformRow(table: StoredTable, row: DataTableRow, includeSystem: boolean): DataTableRow {
		return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, this.transformCell(value, key, this.typeOf(table, key, includeSystem))]));
	}

	/** n8n's validateAndTransformFilters. */
	private transformFilter(table: StoredTable, filter: DataTableFilter): DataTableFilter {
		const filters = (filter.filters ?? []).map((f) => {
			const type = this.typeOf(table, f.columnName, true);
			const value = this.transformCell(f.value, f.columnName, type);
			const condition = f.condition ?? 'eq';
			if (type !== 'string' && condition === 'isEmpty') return { ...f, condition: 'eq' as const, value: null };
			if (type !== 'string' && condition === 'isNotEmpty') return { ...f, condition: 'neq' as const, value: null };
			if (condition === 'like' || condition === 'ilike') {
				if (value === null) throw new DataTableValidationError(`${condition.toUpperCase()} filter value cannot be null or undefined`);
				if (typeof value !== 'string') throw new DataTableValidationError(`${condition.toUpperCase()} filter value must be a string`);
				return { ...f, condition, value: value.includes('%') ? value : `%${value}%` };
			}
			if (['gt', 'gte', 'lt', 'lte'].includes(condition) && value === null) {
				throw new DataTableValidationError(`${condition.toUpperCase()} filter value cannot be null or undefined`);
			}
			return { ...f, condition, value };
		});
		return { type: filter.type ?? 'and', filters };
	}

	private transformUpdate(table: StoredTable, { filter, data }: { filter: DataTableFilter; data: DataTableRow }) {
		if (table.columns.length === 0) throw new DataTableValidationError('No columns found for this data table or data table not found');
		if (!filter?.filters || filter.filters.length === 0) throw new DataTableValidationError('Filter must not be empty');
		if (!data || Object.keys(data).length === 0) throw new DataTableValidationError('Data columns must not be empty');
		return { data: this.transformRow(table, data, false), filter: this.transformFilter(table, filter) };
	}

	private matching(table: StoredTable, filter: DataTableFilter): StoredRow[] {
		if (filter.filters.length === 0) return [...table.rows];
		const test = (row: StoredRow, f: DataTableFilter['filters'][number]): boolean => {
			const cell = f.columnName === 'id' || f.columnName === 'createdAt' || f.columnName === 'updatedAt' ? row[f.columnName] : (row.values[f.columnName] ?? null);
			switch (f.condition) {
				case 'isEmpty':
					return cell === null || cell === '';
				case 'isNotEmpty':
					return cell !== null && cell !== '';
				case 'eq':
					return f.value === null ? cell === null : cell !== null && compareValues(cell, f.value) === 0;
				case 'neq':
					return f.value === null ? cell !== null : cell === null || compareValues(cell, f.value) !== 0;
				case 'gt':
					return cell !== null && compareValues(cell, f.value) > 0;
				case 'gte':
					return cell !== null && compareValues(cell, f.value) >= 0;
				case 'lt':
					return cell !== null && compareValues(cell, f.value) < 0;
				case 'lte':
					return cell !== null && compareValues(cell, f.value) <= 0;
				case 'like':
				case 'ilike':
					return cell !== null && likeToRegExp(String(f.value), f.condition === 'ilike').test(this.asText(cell));
				default:
					throw new Error(`Unsupported filter condition: ${String(f.condition)}`);
			}
		};
		return table.rows.filter((row) => (filter.type === 'or' ? filter.filters.some((f) => test(row, f)) : filter.filters.every((f) => test(row, f))));
	}

	private dryRunUpdate(table: StoredTable, affected: StoredRow[], data: DataTableRow): DataTableRowReturnWithState[] {
		return [...affected]
			.sort((a, b) => a.id - b.id)
			.flatMap((row) => {
				const before = this.output(table, row);
				return this.dryRunPair(before, { ...before, ...data, updatedAt: new Date() });
			});
	}

	/** n8n's toDryRunRows: a before/after pair, the missing side all NULL. */
	private dryRunPair(before: Record<string, unknown> | null, after: Record<string, unknown> | null): DataTableRowReturnWithState[] {
		const template = (before ?? after)!;
		const nullRow = { id: null, createdAt: null, updatedAt: null, ...Object.fromEntries(Object.keys(template).map((key) => [key, null])) };
		return [
			{ ...(before ?? nullRow), dryRunState: 'before' },
			{ ...(after ?? nullRow), dryRunState: 'after' },
		] as DataTableRowReturnWithState[];
	}
}

const ALLOWED_NODES = ['n8n-nodes-base.dataTable', 'n8n-nodes-base.dataTableTool', 'n8n-nodes-base.evaluationTrigger', 'n8n-nodes-base.evaluation'];

function validateRequest(node: INode): void {
	// As n8n's DataTableProxyService: only its own data-table nodes get the proxies (ours use the REST API).
	if (!ALLOWED_NODES.includes(node.type)) throw new Error('This proxy is only available for Data table nodes');
}

/** What n8n-core expects at `additionalData['data-table'].dataTableProxyProvider` (n8n's DataTableProxyService). */
export function dataTableProxyProvider(store: DataTableStore): DataTableProxyProvider {
	return {
		async getDataTableAggregateProxy(_workflow, node, projectId): Promise<IDataTableProjectAggregateService> {
			validateRequest(node);
			const project = projectId ?? store.projectId;
			return {
				getProjectId: () => project,
				getManyAndCount: async (options = {}) => store.getManyAndCount({ ...options, filter: { projectId: project, ...(options.filter ?? {}) } }),
				createDataTable: async (options) => store.createDataTable(project, options),
				deleteDataTableAll: async () => store.deleteDataTablesOfProject(project),
			};
		},
		async getDataTableProxy(_workflow, node, dataTableId, projectId): Promise<IDataTableProjectService> {
			validateRequest(node);
			const project = projectId ?? store.projectId;
			if (!store.exists(dataTableId, project)) {
				throw new NodeOperationError(node, `Data table with ID '${dataTableId}' could not be found in this project`, {
					description: 'It may have been deleted, or skipped when the workflow was imported. Choose an existing data table in the node.',
				});
			}
			return {
				updateDataTable: async (options) => store.updateDataTable(dataTableId, project, options),
				deleteDataTable: async () => store.deleteDataTable(dataTableId, project),
				getColumns: async () => store.getColumns(dataTableId, project),
				addColumn: async (options) => store.addColumn(dataTableId, project, options),
				moveColumn: async (columnId, options) => store.moveColumn(dataTableId, project, columnId, options),
				deleteColumn: async (columnId) => store.deleteColumn(dataTableId, project, columnId),
				getManyRowsAndCount: async (options) => store.getManyRowsAndCount(dataTableId, project, options),
				insertRows: async (rows, returnType) => store.insertRows(dataTableId, project, rows, returnType),
				// The node's proxy always asks for the rows back (returnData = true).
				updateRows: async (options) => store.updateRows(dataTableId, project, options, true, options.dryRun) as DataTableRowReturn[],
				upsertRow: async (options) => store.upsertRow(dataTableId, project, options, true, options.dryRun) as DataTableRowReturn[],
				deleteRows: async (options) => store.deleteRows(dataTableId, project, options, true, options.dryRun) as DataTableRowReturn[],
				clearRows: async () => store.clearRows(dataTableId, project),
			};
		},
	};
}

// ---- n8n's public REST API ----------------------------------------------------------------------

class HttpError extends Error {
	constructor(
		readonly status: number,
		message: string,
	) {
		super(message);
	}
}

const MAX_ITEMS_PER_PAGE = 250;
const TABLE_SORTS = ['name:asc', 'name:desc', 'createdAt:asc', 'createdAt:desc', 'updatedAt:asc', 'updatedAt:desc', 'size:asc', 'size:desc'];
const CONDITIONS = ['eq', 'neq', 'like', 'ilike', 'gt', 'gte', 'lt', 'lte', 'isEmpty', 'isNotEmpty'];

/** JSON.parse without throwing: the HTTP answers for bad JSON are thrown by the callers. */
function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
	try {
		return { ok: true, value: JSON.parse(text) as unknown };
	} catch {
		return { ok: false };
	}
}

/** n8n's pagination.service encodeNextCursor for offset pagination. */
export function encodeNextCursor(pagination: { offset: number; limit: number; numberOfTotalRecords: number }): string | null {
	if (pagination.numberOfTotalRecords > pagination.offset + pagination.limit) {
		return Buffer.from(JSON.stringify({ limit: pagination.limit, offset: pagination.offset + pagination.limit })).toString('base64');
	}
	return null;
}

/** The `validCursor` middleware, then publicApiPaginationSchema (limit default 100, at most 250). */
function pagination(query: URLSearchParams): { offset: number; limit: number } {
	let limitText = query.get('limit') ?? undefined;
	let offsetText = query.get('offset') ?? undefined;
	const cursor = query.get('cursor');
	if (cursor) {
		const parsed = tryJson(Buffer.from(cursor, 'base64').toString());
		if (!parsed.ok) throw new HttpError(400, 'An invalid cursor was provided');
		const decoded = parsed.value as Record<string, unknown> | null;
		if (decoded && typeof decoded === 'object' && 'offset' in decoded) offsetText = String(decoded.offset);
		else offsetText = undefined;
		limitText = decoded && typeof decoded === 'object' && decoded.limit !== undefined ? String(decoded.limit) : undefined;
	}
	const offset = offsetText ? parseInt(offsetText, 10) : 0;
	if (isNaN(offset)) throw new HttpError(400, 'Param `offset` must be a valid integer');
	if (offset < 0) throw new HttpError(400, 'Param `offset` must be a non-negative integer');
	const limit = limitText ? parseInt(limitText, 10) : 100;
	if (isNaN(limit)) throw new HttpError(400, 'Param `limit` must be a valid integer');
	if (limit < 0) throw new HttpError(400, 'Param `limit` must be a non-negative integer');
	return { offset, limit: Math.min(limit, MAX_ITEMS_PER_PAGE) };
}

function parseJsonParam(text: string | null): unknown {
	if (!text) return undefined;
	const parsed = tryJson(text);
	if (!parsed.ok) throw new HttpError(400, 'Invalid filter format');
	return parsed.value;
}

function tableFilter(text: string | null): ListDataTableOptions['filter'] {
	const parsed = parseJsonParam(text);
	if (parsed === undefined) return undefined;
	const valid =
		parsed !== null &&
		typeof parsed === 'object' &&
		!Array.isArray(parsed) &&
		Object.entries(parsed).every(([key, value]) =>
			key === 'projectId' ? typeof value === 'string' : (key === 'id' || key === 'name') && (typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'))),
		);
	if (!valid) throw new HttpError(400, 'Invalid filter fields');
	return parsed as ListDataTableOptions['filter'];
}

/** @n8n/api-types dataTableFilterSchema: type defaults to 'and', condition to 'eq'. */
function rowFilter(text: string | null, required = false): DataTableFilter | undefined {
	if (required && !text) throw new HttpError(400, 'Filter is required for delete operations');
	const parsed = parseJsonParam(text) as { type?: unknown; filters?: unknown } | undefined;
	if (parsed === undefined) return undefined;
	return rowFilterOf(parsed, required);
}

function rowFilterOf(parsed: unknown, required = false): DataTableFilter {
	const invalid = () => new HttpError(400, 'Invalid filter fields');
	if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid();
	const { type = 'and', filters = [] } = parsed as { type?: unknown; filters?: unknown };
	if ((type !== 'and' && type !== 'or') || !Array.isArray(filters)) throw invalid();
	const checked = filters.map((f: unknown) => {
		const { columnName, condition = 'eq', value } = (f ?? {}) as { columnName?: unknown; condition?: unknown; value?: unknown };
		if (typeof columnName !== 'string' || !COLUMN_NAME.test(columnName.trim()) || !CONDITIONS.includes(String(condition))) throw invalid();
		if (!(value === null || ['string', 'number', 'boolean'].includes(typeof value))) throw invalid();
		return { columnName: columnName.trim(), condition, value } as DataTableFilter['filters'][number];
	});
	if (required && checked.length === 0) throw new HttpError(400, 'At least one filter condition is required for delete operations');
	return { type, filters: checked };
}

function rowSort(text: string | null): [string, 'ASC' | 'DESC'] | undefined {
	if (text === null) return undefined;
	if (!text.includes(':')) throw new HttpError(400, 'Invalid sort format, expected <columnName>:<asc/desc>');
	const [column, direction] = text.split(':');
	if (!COLUMN_NAME.test(column.trim())) throw new HttpError(400, 'Only alphabetical characters and non-leading numbers and underscores are allowed for column names, and the maximum length is 63 characters.');
	const upper = direction?.toUpperCase();
	if (upper !== 'ASC' && upper !== 'DESC') throw new HttpError(400, 'Invalid sort direction');
	return [column.trim(), upper];
}

/** The public shape of a table: no `project`, plus `sizeBytes`; the columns without `dataTableId` (n8n's list query leaves it out). */
function publicTable(store: DataTableStore, table: DataTable, withColumnTableId: boolean) {
	const columns = table.columns.map(({ dataTableId, ...column }) => (withColumnTableId ? { ...column, dataTableId } : column));
	return { ...table, columns, sizeBytes: store.sizeBytes(table) };
}

export interface DataTableApi {
	/** The n8n instance's base URL (the API is at `${url}/api/v1`). */
	url: string;
	/** `${url}/api/v1`. */
	apiUrl: string;
	/** Requests answered so far (any path, any outcome). */
	readonly requests: number;
	/** Every request: method, path with query, status. */
	readonly log: Array<{ method: string; path: string; status: number }>;
	close(): Promise<void>;
}

/**
 * n8n 2.40.7's public data-table API over the store, on 127.0.0.1 (a free port): list/get tables,
 * list/insert/update/upsert/delete rows, with its pagination (limit 100 by default, at most 250; the
 * cursor is base64 JSON {limit, offset}), its 401 without the right `X-N8N-API-KEY`, its 404s and 400s.
 */
export async function startDataTableApi(store: DataTableStore, options: { apiKey: string }): Promise<DataTableApi> {
	const log: DataTableApi['log'] = [];

	async function readBody(request: http.IncomingMessage): Promise<unknown> {
		const chunks: Buffer[] = [];
		for await (const chunk of request) chunks.push(chunk as Buffer);
		const text = Buffer.concat(chunks).toString('utf8');
		if (!text) return {};
		const parsed = tryJson(text);
		if (!parsed.ok) throw new HttpError(400, 'Invalid JSON in request body');
		return parsed.value;
	}

	/** The projectScope middleware's lookup: 404 for a table that is not there. */
	function tableOrNotFound(id: string): DataTable {
		if (!store.exists(id)) throw new HttpError(404, `Data table with ID "${id}" not found.`);
		return store.getOne(id);
	}

	function boolParam(value: unknown, name: string): boolean {
		if (value === undefined) return false;
		if (typeof value !== 'boolean') throw new HttpError(400, `request/body/${name} must be boolean`);
		return value;
	}

	type Handler = (params: string[], query: URLSearchParams, request: http.IncomingMessage) => Promise<{ status?: number; body: unknown }>;
	const routes: Array<{ method: string; path: RegExp; handler: Handler }> = [
		{
			method: 'GET',
			path: /^\/data-tables$/,
			handler: async (_params, query) => {
				const { offset, limit } = pagination(query);
				const filter = tableFilter(query.get('filter'));
				const sortBy = query.get('sortBy') ?? undefined;
				if (sortBy !== undefined && !TABLE_SORTS.includes(sortBy)) throw new HttpError(400, `sortBy must be one of: ${TABLE_SORTS.join(', ')}`);
				const result = store.getManyAndCount({ skip: offset, take: limit, filter, sortBy: sortBy as ListDataTableOptions['sortBy'] });
				return { body: { data: result.data.map((table) => publicTable(store, table, false)), nextCursor: encodeNextCursor({ offset, limit, numberOfTotalRecords: result.count }) } };
			},
		},
		{
			method: 'GET',
			path: /^\/data-tables\/([^/]+)$/,
			handler: async ([id]) => ({ body: publicTable(store, tableOrNotFound(id), true) }),
		},
		{
			method: 'GET',
			path: /^\/data-tables\/([^/]+)\/rows$/,
			handler: async ([id], query) => {
				tableOrNotFound(id);
				const { offset, limit } = pagination(query);
				const result = store.getManyRowsAndCount(id, undefined, {
					skip: offset,
					take: limit,
					filter: rowFilter(query.get('filter')),
					sortBy: rowSort(query.get('sortBy')),
					search: query.get('search') ?? undefined,
				});
				return { body: { data: result.data, nextCursor: encodeNextCursor({ offset, limit, numberOfTotalRecords: result.count }) } };
			},
		},
		{
			method: 'POST',
			path: /^\/data-tables\/([^/]+)\/rows$/,
			handler: async ([id], _query, request) => {
				tableOrNotFound(id);
				const body = (await readBody(request)) as { data?: unknown; returnType?: unknown };
				if (!Array.isArray(body.data) || !body.data.every((row) => row !== null && typeof row === 'object' && !Array.isArray(row))) throw new HttpError(400, 'request/body/data must be array');
				const returnType = body.returnType ?? 'count';
				if (returnType !== 'all' && returnType !== 'count' && returnType !== 'id') throw new HttpError(400, 'request/body/returnType must be equal to one of the allowed values');
				return { body: store.insertRows(id, undefined, body.data as DataTableRow[], returnType) };
			},
		},
		{
			method: 'PATCH',
			path: /^\/data-tables\/([^/]+)\/rows\/update$/,
			handler: async ([id], _query, request) => {
				tableOrNotFound(id);
				const body = (await readBody(request)) as { filter?: unknown; data?: unknown; returnData?: unknown; dryRun?: unknown };
				const filter = rowFilterOf(body.filter ?? {});
				return { body: store.updateRows(id, undefined, { filter, data: (body.data ?? {}) as DataTableRow }, boolParam(body.returnData, 'returnData'), boolParam(body.dryRun, 'dryRun')) };
			},
		},
		{
			method: 'POST',
			path: /^\/data-tables\/([^/]+)\/rows\/upsert$/,
			handler: async ([id], _query, request) => {
				tableOrNotFound(id);
				const body = (await readBody(request)) as { filter?: unknown; data?: unknown; returnData?: unknown; dryRun?: unknown };
				const filter = rowFilterOf(body.filter ?? {});
				return { body: store.upsertRow(id, undefined, { filter, data: (body.data ?? {}) as DataTableRow }, boolParam(body.returnData, 'returnData'), boolParam(body.dryRun, 'dryRun')) };
			},
		},
		{
			method: 'DELETE',
			path: /^\/data-tables\/([^/]+)\/rows\/delete$/,
			handler: async ([id], query) => {
				tableOrNotFound(id);
				const filter = rowFilter(query.get('filter') ?? '', true);
				return { body: store.deleteRows(id, undefined, { filter }, query.get('returnData') === 'true', query.get('dryRun') === 'true') };
			},
		},
		{
			method: 'DELETE',
			path: /^\/data-tables\/([^/]+)\/rows\/clear$/,
			handler: async ([id]) => {
				tableOrNotFound(id);
				return { body: store.clearRows(id) };
			},
		},
	];

	const server = http.createServer((request, response) => {
		const send = (status: number, body: unknown) => {
			log.push({ method: request.method ?? 'GET', path: request.url ?? '', status });
			const text = body === undefined ? '' : JSON.stringify(body);
			response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
			response.end(text);
		};
		void (async () => {
			const url = new URL(request.url ?? '/', 'http://127.0.0.1');
			const prefix = '/api/v1';
			const path = url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length).replace(/\/+$/, '') : undefined;
			const matches = path === undefined ? [] : routes.map((route) => ({ route, match: route.path.exec(path) })).filter((m) => m.match);
			if (matches.length === 0) return send(404, { message: 'not found' });
			const chosen = matches.find((m) => m.route.method === request.method);
			if (!chosen) return send(405, { message: `${request.method} method not allowed` });
			// express-openapi-validator checks the route, then the security handler (API key).
			if (request.headers['x-n8n-api-key'] !== options.apiKey) return send(401, { message: 'unauthorized' });
			try {
				const params = chosen.match!.slice(1).map((p) => decodeURIComponent(p));
				const { status = 200, body } = await chosen.route.handler(params, url.searchParams, request);
				send(status, body);
			} catch (error) {
				if (error instanceof HttpError) send(error.status, { message: error.message });
				else if (error instanceof DataTableValidationError) send(400, { message: error.message });
				else if (error instanceof DataTableNotFoundError) send(404, { message: error.message });
				else send(500, { message: 'Internal server error' });
			}
		})();
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	const url = `http://127.0.0.1:${port}`;
	return {
		url,
		apiUrl: `${url}/api/v1`,
		get requests() {
			return log.length;
		},
		log,
		close: () =>
			new Promise<void>((resolve, reject) => {
				server.closeAllConnections?.();
				server.close((error) => (error ? reject(error) : resolve()));
			}),
	};
}
