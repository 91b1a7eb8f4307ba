/**
 * JSON as Bitrix24 (PHP's json_encode with JSON_HEX_TAG|AMP|APOS|QUOT, without
 * JSON_UNESCAPED_UNICODE/SLASHES) writes it: `/` as `\/`, `"` inside strings as `\u0022`,
 * `<>&'` and every non-ASCII character as `\uXXXX`. Clients must decode it like any JSON.
 */

function hex(code: number): string {
	return `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

function encodeString(text: string): string {
	let out = '"';
	for (let i = 0; i < text.length; i++) {
		const ch = text[i];
		const code = text.charCodeAt(i);
		if (ch === '"' || ch === '<' || ch === '>' || ch === '&' || ch === "'") out += hex(code);
		else if (ch === '\\') out += '\\\\';
		else if (ch === '/') out += '\\/';
		else if (ch === '\n') out += '\\n';
		else if (ch === '\r') out += '\\r';
		else if (ch === '\t') out += '\\t';
		else if (code < 0x20 || code > 0x7e) out += hex(code);
		else out += ch;
	}
	return `${out}"`;
}

export function phpJsonEncode(value: unknown): string {
	if (value === null || value === undefined) return 'null';
	if (typeof value === 'string') return encodeString(value);
	if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '0';
	if (typeof value === 'boolean') return value ? 'true' : 'false';
	if (Array.isArray(value)) return `[${value.map(phpJsonEncode).join(',')}]`;
	if (typeof value === 'object') {
		// A Map keeps PHP's insertion order even for numeric keys (plain objects would reorder them).
		const source = value instanceof Map ? [...value.entries()].map(([k, v]) => [String(k), v] as [string, unknown]) : Object.entries(value as Record<string, unknown>);
		const entries = source.filter(([, v]) => v !== undefined);
		// PHP arrays with keys 0..n-1 in order are lists; an empty array is `[]`.
		if (entries.length === 0) return '[]';
		if (entries.every(([key], index) => key === String(index))) return `[${entries.map(([, v]) => phpJsonEncode(v)).join(',')}]`;
		return `{${entries.map(([key, v]) => `${encodeString(key)}:${phpJsonEncode(v)}`).join(',')}}`;
	}
	return 'null';
}
