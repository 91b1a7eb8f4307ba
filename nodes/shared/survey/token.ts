/**
 * Signed, compact tokens for survey and review links. n8n queue mode answers a link in another
 * process (or machine) than the one that sent it, so a link carries everything it needs, signed,
 * and nothing is kept in memory.
 *
 * Format: `<keyId>.<payload>.<mac>`, all URL-safe, no percent-encoding needed:
 * - keyId: [A-Za-z0-9_-]{1,16}, names the secret, so keys can be rotated while old links still open;
 * - payload: base64url of a small binary record (version, presence flags, varints, short strings);
 *   a typical survey link token is about 65 characters, short enough for an SMS;
 * - mac: base64url of HMAC-SHA256 over the ASCII text `keyId.payload`, truncated to 16 bytes.
 *   RFC 2104 §5 allows truncating an HMAC to no less than half its length (and 80 bits);
 *   128 bits leaves forging by guessing out of reach.
 *
 * Compact tokens (`signCompact`/`openCompact`) use the same envelope and keys with a 12-byte MAC
 * and a caller-defined binary payload, for links that must stay very short (review links).
 */

import { createHash, createHmac, timingSafeEqual } from 'crypto';

export interface TokenClaims {
	/** What the link is for, short: 's' survey, 'r' review link… */
	kind: string;
	dealId: number;
	contactId?: number;
	branch?: string;
	channel?: string;
	extra?: Record<string, string | number>;
	/** Unix seconds. */
	issuedAt: number;
	/** Unix seconds. */
	expiresAt: number;
}

export interface SigningKey {
	id: string;
	secret: string;
}

export interface SigningKeys {
	current: SigningKey;
	previous: SigningKey[];
}

export type TokenFailure = 'malformed' | 'unknownKey' | 'badSignature' | 'expired' | 'notYetValid' | 'wrongKind';

export type TokenCheck =
	| { ok: true; claims: TokenClaims; keyId: string }
	| { ok: false; reason: TokenFailure; message: string };

export const MAX_TOKEN_LENGTH = 512;
const MAC_BYTES = 16;
/** MAC length of a compact token: 96 bits, 16 base64url characters (see signCompact). */
export const COMPACT_MAC_BYTES = 12;
const COMPACT_DOMAIN = /^[a-z]{1,8}$/;
const FORMAT_VERSION = 1;
const KEY_ID = /^[A-Za-z0-9_-]{1,16}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const MIN_SECRET_LENGTH = 16;

// Presence flags (second byte of the payload).
const HAS_CONTACT = 1;
const HAS_BRANCH = 2;
const HAS_CHANNEL = 4;
const HAS_EXTRA = 8;
const KNOWN_FLAGS = HAS_CONTACT | HAS_BRANCH | HAS_CHANNEL | HAS_EXTRA;

// Types of `extra` values.
const EXTRA_TEXT = 0;
const EXTRA_UINT = 1;
const EXTRA_NUMBER = 2; // any other number, as its decimal text

/** Builds a binary payload: bytes, LEB128 varints, fixed-width numbers and length-prefixed UTF-8. */
export class PayloadWriter {
	private readonly bytes: number[] = [];

	byte(value: number): void {
		this.bytes.push(value & 0xff);
	}

	/** Big-endian, `size` bytes (at most 6, so any value fits a safe integer). */
	fixed(value: number, size: number): void {
		if (!Number.isSafeInteger(value) || value < 0 || size > 6 || value >= 2 ** (8 * size)) {
			throw new Error(`${value} does not fit ${size} bytes`);
		}
		for (let i = size - 1; i >= 0; i--) this.bytes.push(Math.floor(value / 2 ** (8 * i)) % 256);
	}

	/** Raw bytes, no length (the caller records the length elsewhere). */
	raw(value: Buffer): void {
		for (const b of value) this.bytes.push(b);
	}

	/** Unsigned LEB128; plain arithmetic, since bit operators stop at 32 bits. */
	uint(value: number): void {
		let rest = value;
		while (rest >= 0x80) {
			this.bytes.push((rest % 0x80) | 0x80);
			rest = Math.floor(rest / 0x80);
		}
		this.bytes.push(rest);
	}

	text(value: string): void {
		const encoded = Buffer.from(value, 'utf8');
		this.uint(encoded.length);
		for (const b of encoded) this.bytes.push(b);
	}

	toBuffer(): Buffer {
		return Buffer.from(this.bytes);
	}
}

/** Reads what PayloadWriter wrote; every method throws on a short or invalid payload. */
export class PayloadReader {
	private offset = 0;

	constructor(private readonly buffer: Buffer) {}

	byte(): number {
		if (this.offset >= this.buffer.length) throw new Error('payload ends early');
		return this.buffer[this.offset++];
	}

	fixed(size: number): number {
		let value = 0;
		for (let i = 0; i < size; i++) value = value * 256 + this.byte();
		return value;
	}

	/** `length` raw bytes as UTF-8 text; invalid UTF-8 is rejected. */
	rawText(length: number): string {
		if (this.offset + length > this.buffer.length) throw new Error('payload ends early');
		const value = this.buffer.subarray(this.offset, this.offset + length);
		this.offset += length;
		const decoded = value.toString('utf8');
		if (!Buffer.from(decoded, 'utf8').equals(value)) throw new Error('bad text');
		return decoded;
	}

	uint(): number {
		let value = 0;
		let scale = 1;
		for (let i = 0; i < 8; i++) {
			const b = this.byte();
			value += (b & 0x7f) * scale;
			if ((b & 0x80) === 0) {
				if (!Number.isSafeInteger(value)) throw new Error('number too large');
				return value;
			}
			scale *= 0x80;
		}
		throw new Error('number too long');
	}

	text(): string {
		// Invalid UTF-8 is rejected rather than passed on as replacement characters.
		return this.rawText(this.uint());
	}

	get done(): boolean {
		return this.offset === this.buffer.length;
	}
}

function isId(value: unknown): value is number {
	return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function isTime(value: unknown): value is number {
	return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function encodeClaims(claims: TokenClaims): Buffer {
	const fail = (what: string) => {
		throw new Error(`Cannot sign the link: ${what}`);
	};
	if (typeof claims.kind !== 'string' || claims.kind === '') fail('the kind is empty');
	if (!isId(claims.dealId)) fail(`the deal ID ${String(claims.dealId)} is not a positive whole number`);
	if (claims.contactId !== undefined && !isId(claims.contactId)) {
		fail(`the contact ID ${String(claims.contactId)} is not a positive whole number`);
	}
	if (!isTime(claims.issuedAt) || !isTime(claims.expiresAt)) fail('the issue and expiry times must be whole Unix seconds');
	if (claims.expiresAt < claims.issuedAt) fail('it would expire before it is issued');

	const hasBranch = claims.branch !== undefined && claims.branch !== '';
	const hasChannel = claims.channel !== undefined && claims.channel !== '';
	const extra = claims.extra ? Object.entries(claims.extra) : [];
	let flags = 0;
	if (claims.contactId !== undefined) flags |= HAS_CONTACT;
	if (hasBranch) flags |= HAS_BRANCH;
	if (hasChannel) flags |= HAS_CHANNEL;
	if (extra.length > 0) flags |= HAS_EXTRA;

	const w = new PayloadWriter();
	w.byte(FORMAT_VERSION);
	w.byte(flags);
	w.text(claims.kind);
	w.uint(claims.dealId);
	w.uint(claims.issuedAt);
	// The lifetime is smaller than the expiry time itself: 30 days fit in 3 bytes.
	w.uint(claims.expiresAt - claims.issuedAt);
	if (flags & HAS_CONTACT) w.uint(claims.contactId as number);
	if (hasBranch) w.text(String(claims.branch));
	if (hasChannel) w.text(String(claims.channel));
	if (extra.length > 0) {
		w.uint(extra.length);
		for (const [key, value] of extra) {
			w.text(key);
			if (typeof value === 'number') {
				if (!Number.isFinite(value)) fail(`the extra value "${key}" is not a finite number`);
				if (Number.isSafeInteger(value) && value >= 0) {
					w.byte(EXTRA_UINT);
					w.uint(value);
				} else {
					w.byte(EXTRA_NUMBER);
					w.text(String(value));
				}
			} else if (typeof value === 'string') {
				w.byte(EXTRA_TEXT);
				w.text(value);
			} else {
				fail(`the extra value "${key}" is neither text nor a number`);
			}
		}
	}
	return w.toBuffer();
}

function decodeClaims(payload: Buffer): TokenClaims {
	const r = new PayloadReader(payload);
	if (r.byte() !== FORMAT_VERSION) throw new Error('unknown token version');
	const flags = r.byte();
	if ((flags & ~KNOWN_FLAGS) !== 0) throw new Error('unknown flags');
	const kind = r.text();
	const dealId = r.uint();
	const issuedAt = r.uint();
	const expiresAt = issuedAt + r.uint();
	const claims: TokenClaims = { kind, dealId, issuedAt, expiresAt };
	if (flags & HAS_CONTACT) claims.contactId = r.uint();
	if (flags & HAS_BRANCH) claims.branch = r.text();
	if (flags & HAS_CHANNEL) claims.channel = r.text();
	if (flags & HAS_EXTRA) {
		const count = r.uint();
		const extra: Record<string, string | number> = {};
		for (let i = 0; i < count; i++) {
			const key = r.text();
			const type = r.byte();
			if (type === EXTRA_TEXT) extra[key] = r.text();
			else if (type === EXTRA_UINT) extra[key] = r.uint();
			else if (type === EXTRA_NUMBER) {
				const n = Number(r.text());
				if (!Number.isFinite(n)) throw new Error('bad number');
				extra[key] = n;
			} else throw new Error('unknown value type');
		}
		claims.extra = extra;
	}
	if (!r.done) throw new Error('trailing bytes');
	if (!Number.isSafeInteger(expiresAt)) throw new Error('bad expiry');
	return claims;
}

/** HMAC-SHA256 of `message`, truncated to `bytes`: the one MAC of this module. */
function macOf(message: string, secret: string, bytes: number): Buffer {
	return createHmac('sha256', secret).update(message).digest().subarray(0, bytes);
}

/** What a full token's MAC covers. */
function fullMacInput(keyId: string, payload: string): string {
	return `${keyId}.${payload}`;
}

/**
 * Decodes base64url only in its canonical form: Node's decoder ignores stray trailing bits, so
 * without this check one token would have several spellings.
 */
function fromBase64url(text: string): Buffer | undefined {
	if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
	const bytes = Buffer.from(text, 'base64url');
	return bytes.toString('base64url') === text ? bytes : undefined;
}

function checkSigningKey(key: SigningKey): void {
	if (!KEY_ID.test(key.id)) throw new Error(`Cannot sign the link: the key ID must be 1–16 letters, digits, "_" or "-"`);
	if (typeof key.secret !== 'string' || key.secret.length < MIN_SECRET_LENGTH) {
		throw new Error(`Cannot sign the link: the secret of key "${key.id}" is shorter than ${MIN_SECRET_LENGTH} characters`);
	}
}

type EnvelopeFailure = 'malformed' | 'unknownKey' | 'badSignature';

/** A token whose envelope and MAC check out, with its still undecoded payload. */
export type OpenedToken = { ok: true; keyId: string; payload: Buffer } | { ok: false; reason: EnvelopeFailure; message: string };

/**
 * Checks the envelope `<keyId>.<payload>.<mac>` and its MAC (`macBytes` long, over `macInput`),
 * trying the current and the previous keys by key ID. Shared by full and compact tokens.
 */
function openEnvelope(token: unknown, keys: SigningKeys, macBytes: number, macInput: (keyId: string, payload: string) => string): OpenedToken {
	const failure = (reason: EnvelopeFailure, message: string): OpenedToken => ({ ok: false, reason, message });
	if (typeof token !== 'string' || token === '') return failure('malformed', 'The link has no token');
	if (token.length > MAX_TOKEN_LENGTH) return failure('malformed', 'The link token is too long');
	const parts = token.split('.');
	if (parts.length !== 3) return failure('malformed', 'The link token is incomplete or damaged');
	const [keyId, payloadText, macText] = parts;
	if (!KEY_ID.test(keyId)) return failure('malformed', 'The link token is damaged (bad key ID)');
	const payload = fromBase64url(payloadText);
	const givenMac = fromBase64url(macText);
	if (!payload || !givenMac || givenMac.length !== macBytes) {
		return failure('malformed', 'The link token is damaged (not valid base64url)');
	}

	const key = [keys.current, ...(keys.previous ?? [])].find((k) => k.id === keyId);
	if (!key) {
		return failure('unknownKey', `The link was signed with key "${keyId}", which is no longer configured (retired or never set up here)`);
	}
	if (!timingSafeEqual(givenMac, macOf(macInput(keyId, payloadText), key.secret, macBytes))) {
		return failure('badSignature', 'The link signature does not match: the link was altered or signed with another secret');
	}
	return { ok: true, keyId, payload };
}

export function signToken(claims: TokenClaims, key: SigningKey): string {
	checkSigningKey(key);
	const payload = encodeClaims(claims).toString('base64url');
	const token = `${key.id}.${payload}.${macOf(fullMacInput(key.id, payload), key.secret, MAC_BYTES).toString('base64url')}`;
	if (token.length > MAX_TOKEN_LENGTH) {
		throw new Error(`Cannot sign the link: the token would be ${token.length} characters (at most ${MAX_TOKEN_LENGTH}); put less into extra`);
	}
	return token;
}

export function verifyToken(
	token: string,
	keys: SigningKeys,
	options: { now: number; kind?: string; leewaySeconds?: number },
): TokenCheck {
	const failure = (reason: TokenFailure, message: string): TokenCheck => ({ ok: false, reason, message });
	const opened = openEnvelope(token, keys, MAC_BYTES, fullMacInput);
	if (!opened.ok) return opened;
	const { keyId } = opened;

	let claims: TokenClaims;
	try {
		claims = decodeClaims(opened.payload);
	} catch {
		return failure('malformed', 'The link token is signed but its content cannot be read (written by a newer version?)');
	}

	if (options.kind !== undefined && claims.kind !== options.kind) {
		return failure('wrongKind', `The link is of kind "${claims.kind}", not "${options.kind}"`);
	}
	const leeway = options.leewaySeconds ?? 300;
	if (claims.expiresAt <= options.now) {
		const date = new Date(claims.expiresAt * 1000).toISOString();
		return failure('expired', `The link expired on ${date.slice(0, 16).replace('T', ' ')} UTC`);
	}
	if (claims.issuedAt > options.now + leeway) {
		return failure('notYetValid', 'The link was issued in the future (check the server clocks)');
	}
	return { ok: true, claims, keyId };
}

/**
 * A compact token: the same envelope `<keyId>.<payload>.<mac>` and the same keys (so rotation works
 * alike), for a caller-defined binary `payload` (PayloadWriter), with a 12-byte MAC over
 * `<domain>:<keyId>.<payload>`.
 *
 * - The domain (e.g. 'r' for review links) separates kinds: ':' never occurs in a full token's MAC
 *   input `keyId.payload`, so no full token, nor its MAC cut short, nor a compact token of another
 *   domain, verifies here, and the other way round.
 * - Why 96 bits are enough: RFC 2104 §5 advises keeping at least 80 bits. Its other advice, half the
 *   hash output, is against birthday attacks, which need MACs the attacker can compute offline — not
 *   possible without the secret. So a forger can only guess online, one HTTP request per guess, with
 *   a chance of 2^-96 each. And a forged review link achieves little: the redirect target comes from
 *   the company's own table, never from the link, so at worst a click that did not happen is recorded.
 * Compact tokens carry no kind or version of their own; the caller's payload should.
 */
export function signCompact(domain: string, payload: Buffer, key: SigningKey): string {
	if (!COMPACT_DOMAIN.test(domain)) throw new Error('Cannot sign the link: the token domain must be 1–8 lowercase letters');
	checkSigningKey(key);
	const payloadText = payload.toString('base64url');
	return `${key.id}.${payloadText}.${macOf(`${domain}:${key.id}.${payloadText}`, key.secret, COMPACT_MAC_BYTES).toString('base64url')}`;
}

/** Checks a compact token's envelope and MAC; the caller decodes the payload. Never throws. */
export function openCompact(domain: string, token: string, keys: SigningKeys): OpenedToken {
	if (!COMPACT_DOMAIN.test(domain)) return { ok: false, reason: 'malformed', message: 'The link token cannot be checked (bad token domain)' };
	return openEnvelope(token, keys, COMPACT_MAC_BYTES, (keyId, payload) => `${domain}:${keyId}.${payload}`);
}

/** Appends the token as the `t` query parameter, before any #fragment, replacing an existing `t`. */
export function withToken(baseUrl: string, token: string): string {
	const hashAt = baseUrl.indexOf('#');
	const fragment = hashAt >= 0 ? baseUrl.slice(hashAt) : '';
	let base = hashAt >= 0 ? baseUrl.slice(0, hashAt) : baseUrl;
	const queryAt = base.indexOf('?');
	if (queryAt >= 0) {
		const kept = base
			.slice(queryAt + 1)
			.split('&')
			.filter((pair) => pair !== '' && pair.split('=')[0] !== 't');
		base = base.slice(0, queryAt) + (kept.length > 0 ? `?${kept.join('&')}&` : '?');
	} else {
		base += '?';
	}
	return `${base}t=${encodeURIComponent(token)}${fragment}`;
}

/** The `t` query parameter of a URL (absolute, relative or a bare query string), if any. */
export function tokenFromUrl(url: string): string | undefined {
	if (typeof url !== 'string') return undefined;
	const withoutFragment = url.split('#')[0];
	const queryAt = withoutFragment.indexOf('?');
	const query = queryAt >= 0 ? withoutFragment.slice(queryAt + 1) : withoutFragment.includes('=') ? withoutFragment : '';
	for (const pair of query.split('&')) {
		const eq = pair.indexOf('=');
		if (eq < 0 || pair.slice(0, eq) !== 't') continue;
		const raw = pair.slice(eq + 1);
		let value: string;
		try {
			value = decodeURIComponent(raw.replace(/\+/g, ' '));
		} catch {
			value = raw;
		}
		value = value.trim();
		if (value !== '') return value;
	}
	return undefined;
}

function textOf(value: unknown): string {
	return typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '';
}

function checkKeyId(id: string, where: string): void {
	if (!KEY_ID.test(id)) {
		throw new Error(`${where}: the key ID "${id.slice(0, 20)}" must be 1–16 letters, digits, "_" or "-"`);
	}
}

function checkSecret(secret: string, where: string): void {
	// Never put the secret, or a part of it, into a message: messages end up in execution logs.
	if (secret === '') throw new Error(`${where}: the secret is empty`);
	if (secret.length < MIN_SECRET_LENGTH) {
		throw new Error(
			`${where}: the secret is too short (fewer than ${MIN_SECRET_LENGTH} characters); use at least 32 random characters, e.g. from "openssl rand -base64 32"`,
		);
	}
}

/**
 * Signing keys from the NPS Link Signing credential. Previous keys are text, one `keyId:secret`
 * per line (blank lines and lines starting with # are ignored), or an array of such lines.
 */
export function signingKeysFrom(credential: { keyId?: unknown; secret?: unknown; previousKeys?: unknown }): SigningKeys {
	const id = textOf(credential.keyId) || 'k1';
	checkKeyId(id, 'NPS Link Signing credential');
	const secret = textOf(credential.secret);
	checkSecret(secret, `NPS Link Signing credential, key "${id}"`);

	const lines: string[] = Array.isArray(credential.previousKeys)
		? credential.previousKeys.map(textOf)
		: textOf(credential.previousKeys).split(/\r?\n/);
	const seen = new Set([id]);
	const previous: SigningKey[] = [];
	lines.forEach((rawLine, index) => {
		const line = rawLine.trim();
		if (line === '' || line.startsWith('#')) return;
		const where = `NPS Link Signing credential, Previous Keys line ${index + 1}`;
		const colon = line.indexOf(':');
		if (colon <= 0) throw new Error(`${where} is not in the form keyId:secret`);
		const previousId = line.slice(0, colon).trim();
		checkKeyId(previousId, where);
		const previousSecret = line.slice(colon + 1).trim();
		checkSecret(previousSecret, `${where} (key "${previousId}")`);
		if (seen.has(previousId)) {
			throw new Error(`${where}: the key ID "${previousId}" is used twice; every key needs its own ID`);
		}
		seen.add(previousId);
		previous.push({ id: previousId, secret: previousSecret });
	});
	return { current: { id, secret }, previous };
}

/**
 * The credential's "Test" button, for a node's `methods.credentialTest` (`testedBy`): the keys
 * parse and a link signed with the current key verifies. Shaped like n8n's INodeCredentialTestResult.
 */
export function signingCredentialTest(credential: { keyId?: unknown; secret?: unknown; previousKeys?: unknown }): {
	status: 'OK' | 'Error';
	message: string;
} {
	try {
		const keys = signingKeysFrom(credential);
		const now = Math.floor(Date.now() / 1000);
		const check = verifyToken(signToken({ kind: 't', dealId: 1, issuedAt: now, expiresAt: now + 60 }, keys.current), keys, { now });
		if (!check.ok) return { status: 'Error', message: check.message };
		const previous = keys.previous.length;
		return {
			status: 'OK',
			message: `Key "${keys.current.id}" signs links${previous ? `; ${previous} previous key${previous > 1 ? 's' : ''} still accepted` : ''}`,
		};
	} catch (error) {
		return { status: 'Error', message: (error as Error).message };
	}
}

function shortHash(text: string): string {
	return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 8);
}

/**
 * A short stable key for "one survey per deal": `nps-<dealId>-<survey>` in [A-Za-z0-9_-], at most
 * 40 characters. A name that had to be cut or cleaned (e.g. Cyrillic) gets a hash of the original
 * so different names stay different.
 */
export function surveyIdempotencyKey(dealId: number, survey: string): string {
	const raw = `nps-${dealId}-${survey}`;
	const clean = raw.replace(/[^A-Za-z0-9_-]+/g, '_');
	if (clean === raw && clean.length <= 40) return clean;
	return `${clean.slice(0, 31)}-${shortHash(raw)}`;
}

/** A stable integer 1..2147483647 from a text, e.g. SMSC's message `id`. */
export function numericId(text: string): number {
	const n = createHash('sha256').update(String(text), 'utf8').digest().readUInt32BE(0);
	return (n % 2147483647) + 1;
}
