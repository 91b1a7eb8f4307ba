/**
 * The `batch` method as Bitrix24 runs it (rest module, CRestProvider::methodsBatch):
 * commands run in order; `$result[key][field]...` references are resolved against commands that
 * already ran, stopping silently at the first missing or null key; commands past 50 fail one by
 * one with ERROR_BATCH_LENGTH_EXCEEDED; the reply is always HTTP 200 with per-command maps.
 */

import type { Fields } from './portal';
import { parsePhpQuery } from '../../../nodes/shared/bitrix24/phpQuery';

export const BATCH_MAX_LENGTH = 50;

export interface CommandOutcome {
	ok: boolean;
	result?: unknown;
	total?: number;
	next?: number;
	time?: Record<string, unknown>;
	error?: { error: string; error_description: string };
}

export type RunCommand = (method: string, params: Fields) => Promise<CommandOutcome>;

const REFERENCE = /\$(result|next|total|time|error)([^\s]*)/gi;

interface Maps {
	result: Map<string, unknown>;
	next: Map<string, unknown>;
	total: Map<string, unknown>;
	time: Map<string, unknown>;
	error: Map<string, unknown>;
}

function step(value: unknown, key: string): unknown {
	if (value instanceof Map) return value.get(key);
	if (Array.isArray(value)) return /^\d+$/.test(key) ? value[Number(key)] : undefined;
	if (value !== null && typeof value === 'object') return (value as Record<string, unknown>)[key];
	return undefined;
}

/** Walks `[a][b][c]`; stops at the first missing or null key and keeps what it reached. */
function resolve(maps: Maps, root: string, tail: string): unknown {
	let value: unknown = maps[root as keyof Maps];
	if (value === undefined) return null;
	for (const match of tail.matchAll(/\[([^\]]+)\]/g)) {
		const next = step(value, match[1]);
		if (next === undefined || next === null) break;
		value = next;
	}
	return value instanceof Map ? Object.fromEntries(value) : value;
}

function substitute(value: unknown, maps: Maps): unknown {
	if (typeof value === 'string') {
		const matches = [...value.matchAll(REFERENCE)];
		if (!matches.length) return value;
		let out: unknown = value;
		for (const match of matches) {
			// The lookup is case-sensitive although the pattern is not: `$RESULT[...]` finds nothing.
			const root = match[1];
			const resolved = root in maps ? resolve(maps, root, match[2]) : null;
			if (out === match[0]) return resolved;
			if (typeof out === 'string' && typeof resolved === 'string') out = out.split(match[0]).join(resolved);
		}
		return out;
	}
	if (Array.isArray(value)) return value.map((entry) => substitute(entry, maps));
	if (value !== null && typeof value === 'object') {
		const out: Fields = {};
		for (const [key, entry] of Object.entries(value as Fields)) out[key] = substitute(entry, maps);
		return out;
	}
	return value;
}

/** PHP's parse_str turns `.` and spaces in top-level names into `_`. */
function phpTopLevelNames(params: Fields): Fields {
	const out: Fields = {};
	for (const [key, value] of Object.entries(params)) out[key.replace(/[. ]/g, '_')] = value;
	return out;
}

/** PHP's (bool) cast: "0", "", 0 and false are false; any other string (even "false") is true. */
export function phpBool(value: unknown): boolean {
	if (value === undefined || value === null) return false;
	if (typeof value === 'boolean') return value;
	if (typeof value === 'number') return value !== 0;
	if (Array.isArray(value)) return value.length > 0;
	const text = String(value);
	return text !== '' && text !== '0';
}

export async function runBatch(params: Fields, run: RunCommand): Promise<unknown> {
	const upper: Fields = {};
	for (const [key, value] of Object.entries(params)) upper[key.toUpperCase()] = value;
	const halt = phpBool(upper.HALT);
	const cmd = upper.CMD;
	const entries: Array<[string, unknown]> = Array.isArray(cmd)
		? cmd.map((call, index) => [String(index), call])
		: cmd !== null && typeof cmd === 'object'
			? Object.entries(cmd as Fields)
			: [];
	const maps: Maps = { result: new Map(), next: new Map(), total: new Map(), time: new Map(), error: new Map() };
	let count = 0;
	for (const [key, call] of entries) {
		if (count++ >= BATCH_MAX_LENGTH) {
			maps.error.set(key, { error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' });
			if (halt) break;
			continue;
		}
		if (typeof call !== 'string') continue;
		const question = call.indexOf('?');
		const method = (question < 0 ? call : call.slice(0, question)).split('#')[0];
		const query = question < 0 ? '' : call.slice(question + 1).split('#')[0];
		const commandParams = substitute(phpTopLevelNames(parsePhpQuery(query)), maps) as Fields;
		const outcome = await run(method, commandParams);
		if (outcome.ok) {
			maps.result.set(key, outcome.result);
			if (outcome.next !== undefined) maps.next.set(key, outcome.next);
			if (outcome.total !== undefined) maps.total.set(key, outcome.total);
			if (outcome.time) maps.time.set(key, outcome.time);
		} else {
			maps.error.set(key, outcome.error);
			if (halt) break;
		}
	}
	return new Map<string, unknown>([
		['result', maps.result],
		['result_error', maps.error],
		['result_total', maps.total],
		['result_next', maps.next],
		['result_time', maps.time],
	]);
}
