/**
 * PHP-style query strings, the way Bitrix24 (PHP) reads and writes them.
 *
 * - `buildPhpQuery` turns parameters into `fields[TITLE]=x&select[0]=ID`, as PHP's
 *   http_build_query does; batch commands are written this way.
 * - `parsePhpQuery` rebuilds nesting from flat bracket keys, as PHP's parse_str does. Bitrix24's
 *   outgoing events arrive as `data[FIELDS][ID]=7&auth[application_token]=...`, and n8n's own
 *   form parser leaves such keys flat.
 *
 * The parser never writes `__proto__`, `constructor` or `prototype` keys, so a forged body cannot
 * pollute object prototypes, and it bounds the work a hostile body can cause.
 */

export type PhpQueryValue = string | PhpQueryValue[] | { [key: string]: PhpQueryValue };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function encode(text: string): string {
	return encodeURIComponent(text);
}

function scalarToString(value: unknown): string {
	if (typeof value === 'boolean') return value ? '1' : '0';
	if (value instanceof Date) return value.toISOString();
	return String(value);
}

function appendPairs(prefix: string, value: unknown, out: string[]): void {
	if (value === undefined || value === null) return;
	if (Array.isArray(value)) {
		value.forEach((entry, index) => appendPairs(`${prefix}[${index}]`, entry, out));
		return;
	}
	if (typeof value === 'object' && !(value instanceof Date)) {
		for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
			appendPairs(prefix ? `${prefix}[${key}]` : key, entry, out);
		}
		return;
	}
	out.push(`${encode(prefix)}=${encode(scalarToString(value))}`);
}

/** `{ filter: { '>ID': 5 }, select: ['ID'] }` → `filter%5B%3EID%5D=5&select%5B0%5D=ID`. */
export function buildPhpQuery(params: Record<string, unknown>): string {
	const out: string[] = [];
	for (const [key, value] of Object.entries(params)) appendPairs(key, value, out);
	return out.join('&');
}

export interface ParseLimits {
	/** Most key=value pairs read (PHP's max_input_vars defaults to 1000). */
	maxPairs: number;
	/** Most bracket levels in one key (PHP's max_input_nesting_level defaults to 64). */
	maxDepth: number;
}

const DEFAULT_LIMITS: ParseLimits = { maxPairs: 5000, maxDepth: 20 };

function decodeComponent(text: string): string {
	const spaced = text.replace(/\+/g, ' ');
	try {
		return decodeURIComponent(spaced);
	} catch {
		return spaced;
	}
}

/** `data[FIELDS][ID]` → `['data', 'FIELDS', 'ID']`; `a[]` → `['a', '']`; `a[b` → `['a_b']` (as PHP). */
export function splitPhpKey(key: string): string[] {
	const open = key.indexOf('[');
	if (open <= 0) return [key];
	if (key.indexOf(']', open) < 0) return [key.slice(0, open) + '_' + key.slice(open + 1)];
	const segments = [key.slice(0, open)];
	let rest = key.slice(open);
	while (rest.startsWith('[')) {
		const close = rest.indexOf(']');
		if (close < 0) break;
		segments.push(rest.slice(1, close));
		rest = rest.slice(close + 1);
	}
	// PHP ignores anything after the last closing bracket.
	return segments;
}

type Node = { [key: string]: Node | string };

function nextIndex(node: Node): string {
	let max = -1;
	for (const key of Object.keys(node)) {
		if (/^(0|[1-9]\d*)$/.test(key)) max = Math.max(max, Number(key));
	}
	return String(max + 1);
}

/** Objects whose keys are exactly 0..n-1 become arrays, as PHP's lists look in JSON. */
function finalize(node: Node | string): PhpQueryValue {
	if (typeof node === 'string') return node;
	const keys = Object.keys(node);
	const values: Record<string, PhpQueryValue> = {};
	for (const key of keys) values[key] = finalize(node[key]);
	const isList = keys.length > 0 && keys.every((key, index) => key === String(index));
	return isList ? keys.map((key) => values[key]) : values;
}

/** Adds one parsed pair into the tree; returns false when the key is refused. */
export function setPhpPath(root: Node, segments: string[], value: string): boolean {
	if (segments.some((segment) => FORBIDDEN_KEYS.has(segment))) return false;
	let node = root;
	for (let i = 0; i < segments.length; i++) {
		const isLast = i === segments.length - 1;
		const segment = segments[i] === '' ? nextIndex(node) : segments[i];
		if (isLast) {
			node[segment] = value;
			return true;
		}
		const existing = node[segment];
		if (typeof existing === 'object') {
			node = existing;
		} else {
			const child: Node = {};
			node[segment] = child;
			node = child;
		}
	}
	return true;
}

/**
 * Parses `a[b][c]=1&a[d][]=2` into `{ a: { b: { c: '1' }, d: ['2'] } }` like PHP's parse_str.
 * Keys that would touch a prototype are dropped; input beyond the limits is ignored.
 */
export function parsePhpQuery(
	query: string,
	limits: Partial<ParseLimits> = {},
): Record<string, PhpQueryValue> {
	const { maxPairs, maxDepth } = { ...DEFAULT_LIMITS, ...limits };
	const root: Node = {};
	const text = query.startsWith('?') ? query.slice(1) : query;
	let pairs = 0;
	for (const part of text.split('&')) {
		if (!part) continue;
		if (++pairs > maxPairs) break;
		const eq = part.indexOf('=');
		const rawKey = eq < 0 ? part : part.slice(0, eq);
		const rawValue = eq < 0 ? '' : part.slice(eq + 1);
		const key = decodeComponent(rawKey);
		if (!key) continue;
		const segments = splitPhpKey(key);
		if (segments.length > maxDepth + 1) continue;
		setPhpPath(root, segments, decodeComponent(rawValue));
	}
	return finalize(root) as Record<string, PhpQueryValue>;
}

/**
 * Rebuilds nesting from an already-decoded flat object, e.g. the body n8n produced with
 * `querystring.parse` (`{ 'data[FIELDS][ID]': '7' }`). Repeated keys arrive as arrays.
 */
export function nestFlatPhpKeys(
	flat: Record<string, unknown>,
	limits: Partial<ParseLimits> = {},
): Record<string, PhpQueryValue> {
	const { maxPairs, maxDepth } = { ...DEFAULT_LIMITS, ...limits };
	const root: Node = {};
	let pairs = 0;
	for (const [key, value] of Object.entries(flat)) {
		const values = Array.isArray(value) ? value : [value];
		for (const entry of values) {
			if (++pairs > maxPairs) return finalize(root) as Record<string, PhpQueryValue>;
			const segments = splitPhpKey(key);
			if (segments.length > maxDepth + 1) continue;
			setPhpPath(root, segments, entry === undefined || entry === null ? '' : String(entry));
		}
	}
	return finalize(root) as Record<string, PhpQueryValue>;
}
