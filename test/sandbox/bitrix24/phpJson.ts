/**
 * JSON as Bitrix24 (PHP's json_encode with JSON_HEX_TAG|AMP|APOS|QUOT, without
 * JSON_UNESCAPED_UNICODE/SLASHES) writes it: `/` as `\/`, `"` inside strings as `\u0022`,
 * `<>&'` and every non-ASCII character as `\uXXXX`; an empty map as `[]` and a map with keys
 * 0..n-1 as a list. Clients must decode it like any JSON.
 */

function hex(code: number): string {
	return `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** PHP arrays: Maps and objects become lists when empty or keyed 0..n-1. */
function phpShape(_key: string, value: unknown): unknown {
	let shaped = value;
	if (shaped instanceof Map) shaped = Object.fromEntries([...shaped.entries()].map(([k, v]) => [String(k), v]));
	if (shaped !== null && typeof shaped === 'object' && !Array.isArray(shaped)) {
		const record = shaped as Record<string, unknown>;
		const keys = Object.keys(record).filter((k) => record[k] !== undefined);
		if (keys.length === 0) return [];
		if (keys.every((k, index) => k === String(index))) return keys.map((k) => record[k]);
		return record;
	}
	if (typeof shaped === 'number' && !Number.isFinite(shaped)) return 0;
	return shaped;
}

// An escape sequence JSON.stringify wrote (taken whole, so `\\"` is never misread), or a
// character PHP escapes and JSON.stringify does not.
const PHP_DIFFERENCES = /\\.|[<>&'/\u007f-\uffff]/g;

function phpEscape(match: string): string {
	if (match.length === 2) return match === '\\"' ? '\\u0022' : match;
	if (match === '/') return '\\/';
	return hex(match.charCodeAt(0));
}

export function phpJsonEncode(value: unknown): string {
	return (JSON.stringify(value === undefined ? null : value, phpShape) ?? 'null').replace(PHP_DIFFERENCES, phpEscape);
}
