/**
 * The Bitrix24 client against the sandbox portal: batching, references, error mapping,
 * pagination, limits, fault recovery, OAuth refresh, and no duplicate writes.
 */

import { Bitrix24Client, Bitrix24ClientEvent, Bitrix24ClientOptions } from '../../../nodes/shared/bitrix24/client';
import { Bitrix24Error } from '../../../nodes/shared/bitrix24/errors';
import { Bitrix24Sandbox, Bitrix24SandboxOptions, startBitrix24Sandbox } from '../../sandbox/bitrix24';
import { httpTransport, realClock } from '../../support/httpTransport';

jest.setTimeout(60_000);

async function setup(options: Bitrix24SandboxOptions = {}, clientOptions: Partial<Bitrix24ClientOptions> = {}, hookScopes?: string[]) {
	const sandbox = await startBitrix24Sandbox(options);
	const hook = sandbox.createWebhook({ scopes: hookScopes });
	const events: Bitrix24ClientEvent[] = [];
	const client = new Bitrix24Client({
		transport: httpTransport({ baseUrl: hook.url, insecure: true }),
		clock: realClock,
		retryBaseMs: 20,
		onEvent: (event) => events.push(event),
		...clientOptions,
	});
	return { sandbox, hook, client, events };
}

function restCalls(sandbox: Bitrix24Sandbox, method?: string) {
	return sandbox.log.filter((entry) => !method || entry.method === method);
}

describe('call', () => {
	let sandbox: Bitrix24Sandbox;
	let client: Bitrix24Client;
	let hookCode: string;
	beforeAll(async () => {
		({ sandbox, client, hook: { code: hookCode } } = await setup({ seed: { deals: 20 } }));
	});
	afterAll(() => sandbox.stop());

	it('returns result and time for one method', async () => {
		const { result, time } = await client.call<Record<string, string>>('crm.deal.get', { id: 3 });
		expect(result.ID).toBe('3');
		expect(result.STAGE_SEMANTIC_ID).toMatch(/^[PSF]$/);
		expect(typeof time?.operating).toBe('number');
		expect(typeof time?.operating_reset_at).toBe('number');
	});

	it('maps a CRM error with an empty code to the error type', async () => {
		const error = await client.call('crm.deal.get', { id: 99_999 }).catch((e) => e);
		expect(error).toBeInstanceOf(Bitrix24Error);
		expect(error).toMatchObject({ code: '', description: 'Not found', method: 'crm.deal.get', httpStatus: 400, kind: 'notFound' });
	});

	it('maps an unknown method like the real portal (404 ERROR_METHOD_NOT_FOUND)', async () => {
		await expect(client.call('crm.deal.frobnicate')).rejects.toMatchObject({ code: 'ERROR_METHOD_NOT_FOUND', httpStatus: 404, kind: 'methodNotFound' });
	});

	it('refuses a method name that would rewrite the URL', async () => {
		const before = sandbox.log.length;
		await expect(client.call('crm.deal.get/../../x')).rejects.toMatchObject({ kind: 'invalidInput' });
		expect(sandbox.log.length).toBe(before);
	});

	it('never puts the webhook code into an error message', async () => {
		const wrong = new Bitrix24Client({ transport: httpTransport({ baseUrl: `${sandbox.url}/rest/1/wrongcode123/`, insecure: true }), clock: realClock, retryBaseMs: 1 });
		const error = (await wrong.call('crm.deal.get', { id: 1 }).catch((e) => e)) as Bitrix24Error;
		expect(error).toMatchObject({ code: 'INVALID_CREDENTIALS', httpStatus: 401, kind: 'auth' });
		expect(JSON.stringify({ message: error.message, json: error.toJSON(), stack: error.stack })).not.toContain('wrongcode123');
		const unreachable = new Bitrix24Client({ transport: httpTransport({ baseUrl: `https://127.0.0.1:1/rest/1/${hookCode}/`, insecure: true }), clock: realClock, maxRetries: 1, retryBaseMs: 1 });
		const network = (await unreachable.call('profile').catch((e) => e)) as Bitrix24Error;
		expect(network.kind).toBe('network');
		expect(JSON.stringify({ message: network.message, json: network.toJSON(), stack: network.stack })).not.toContain(hookCode);
	});

	it('maps access denials to the access-denied kind', async () => {
		const clerk = sandbox.portal.addUser({ NAME: 'Без', LAST_NAME: 'Доступа', CRM_ACCESS: false });
		const clerkClient = new Bitrix24Client({ transport: httpTransport({ baseUrl: sandbox.createWebhook({ userId: Number(clerk.ID) }).url, insecure: true }), clock: realClock });
		await expect(clerkClient.call('crm.deal.get', { id: 1 })).rejects.toMatchObject({ code: '', kind: 'accessDenied' });
		sandbox.restAvailable = false;
		try {
			const error = (await client.call('profile').catch((e) => e)) as Bitrix24Error;
			expect(error).toMatchObject({ code: 'ACCESS_DENIED', httpStatus: 403, kind: 'accessDenied' });
			expect(error.message).toContain('not allowed to do this (missing right, scope or plan feature)');
		} finally {
			sandbox.restAvailable = true;
		}
	});

	it('refuses webhook calls over plain http, as Bitrix24 does', async () => {
		const plain = new Bitrix24Client({ transport: httpTransport({ baseUrl: `${sandbox.httpUrl}/rest/1/${hookCode}/` }), clock: realClock });
		await expect(plain.call('profile')).rejects.toMatchObject({ code: 'INVALID_REQUEST', description: 'Https required.' });
	});
});

describe('batch', () => {
	let sandbox: Bitrix24Sandbox;
	let client: Bitrix24Client;
	beforeAll(async () => {
		({ sandbox, client } = await setup({ seed: { deals: 130 } }, {}, ['crm', 'user', 'im']));
	});
	afterAll(() => sandbox.stop());

	it('sends 120 commands as 3 HTTP calls of at most 50', async () => {
		const before = sandbox.log.length;
		const commands = Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`d${i + 1}`, { method: 'crm.deal.get', params: { id: i + 1 } }]));
		const outcome = await client.batch(commands);
		const calls = sandbox.log.slice(before);
		expect(calls.map((c) => c.method)).toEqual(['batch', 'batch', 'batch']);
		expect(calls.map((c) => c.commands?.length)).toEqual([50, 50, 20]);
		expect(outcome.httpCalls).toBe(3);
		expect(Object.keys(outcome.errors)).toHaveLength(0);
		expect((outcome.results.d120 as Record<string, string>).ID).toBe('120');
	});

	it('resolves $result references inside a chunk and across chunk boundaries', async () => {
		const commands: Record<string, { method: string; params: Record<string, unknown> }> = { filler: { method: 'profile', params: {} } };
		for (let i = 1; i <= 40; i++) {
			commands[`deal${i}`] = { method: 'crm.deal.get', params: { id: i } };
			commands[`contact${i}`] = { method: 'crm.contact.get', params: { id: `$result[deal${i}][CONTACT_ID]` } };
		}
		// deal25 is command 50 and contact25 command 51: the pair straddles the first chunk.
		const outcome = await client.batch(commands);
		expect(Object.keys(outcome.errors)).toEqual([]);
		for (let i = 1; i <= 40; i++) {
			const deal = outcome.results[`deal${i}`] as Record<string, string>;
			const contact = outcome.results[`contact${i}`] as Record<string, string>;
			expect(contact.ID).toBe(deal.CONTACT_ID);
			expect(contact.NAME).toBe(sandbox.portal.getContact(Number(deal.CONTACT_ID)).NAME);
		}
	});

	it('maps result_error per command and keeps the rest', async () => {
		const outcome = await client.batch({
			ok: { method: 'crm.deal.get', params: { id: 1 } },
			missing: { method: 'crm.deal.get', params: { id: 424242 } },
			unknown: { method: 'crm.no.such', params: {} },
			scope: { method: 'tasks.task.add', params: { fields: { TITLE: 'x', RESPONSIBLE_ID: 1 } } },
			after: { method: 'crm.deal.get', params: { id: 2 } },
		});
		expect(Object.keys(outcome.results).sort()).toEqual(['after', 'ok']);
		expect(outcome.errors.missing).toMatchObject({ code: '', description: 'Not found', command: 'missing', method: 'crm.deal.get', kind: 'notFound' });
		expect(outcome.errors.unknown).toMatchObject({ code: 'ERROR_METHOD_NOT_FOUND', command: 'unknown' });
		expect(outcome.errors.scope).toMatchObject({ code: 'insufficient_scope', kind: 'accessDenied', method: 'tasks.task.add' });
	});

	it('reads the `[]` that Bitrix24 sends for empty maps and the lists it sends for numbered commands', async () => {
		const outcome = await client.batch([
			{ method: 'crm.deal.get', params: { id: 1 } },
			{ method: 'crm.deal.get', params: { id: 2 } },
		]);
		expect(Object.keys(outcome.results)).toEqual(['0', '1']);
		expect(outcome.errors).toEqual({});
	});

	it('fails a command whose earlier-chunk dependency failed, without sending it', async () => {
		const commands: Record<string, { method: string; params: Record<string, unknown> }> = { gone: { method: 'crm.deal.get', params: { id: 777_777 } } };
		for (let i = 0; i < 55; i++) commands[`f${i}`] = { method: 'profile', params: {} };
		commands.dependent = { method: 'crm.contact.get', params: { id: '$result[gone][CONTACT_ID]' } };
		const outcome = await client.batch(commands);
		expect(outcome.errors.gone.kind).toBe('notFound');
		expect(outcome.errors.dependent).toMatchObject({ code: 'BATCH_REFERENCE_UNRESOLVED' });
	});

	it('refuses a reference to a later or unknown command before sending anything', async () => {
		const before = sandbox.log.length;
		await expect(
			client.batch({ a: { method: 'crm.contact.get', params: { id: '$result[b][CONTACT_ID]' } }, b: { method: 'crm.deal.get', params: { id: 1 } } }),
		).rejects.toMatchObject({ code: 'INVALID_BATCH_REFERENCE' });
		await expect(client.batch({ 'bad key': { method: 'profile' } })).rejects.toMatchObject({ code: 'INVALID_BATCH_KEY' });
		await expect(client.batch({ nested: { method: 'batch' } })).rejects.toMatchObject({ code: 'ERROR_BATCH_METHOD_NOT_ALLOWED' });
		expect(sandbox.log.length).toBe(before);
	});
});

describe('listAll', () => {
	let sandbox: Bitrix24Sandbox;
	let client: Bitrix24Client;
	beforeAll(async () => {
		({ sandbox, client } = await setup({ seed: { deals: 1234, contacts: 300 } }));
	});
	afterAll(() => sandbox.stop());

	const expectAllDeals = (deals: Array<Record<string, unknown>>) => {
		expect(deals).toHaveLength(1234);
		expect(deals.map((d) => Number(d.ID))).toEqual(Array.from({ length: 1234 }, (_, i) => i + 1));
	};

	it('reads 1,234 records with fast pagination, one page per call (25 calls)', async () => {
		const before = sandbox.log.length;
		const deals = await client.listAll('crm.deal.list', { select: ['ID', 'STAGE_ID'] });
		expectAllDeals(deals);
		const calls = sandbox.log.slice(before);
		expect(calls).toHaveLength(25);
		expect(calls.every((c) => c.method === 'crm.deal.list' && c.status === 200)).toBe(true);
	});

	it('reads 1,234 records in two HTTP calls: the first page with a count, then exactly the 24 pages left', async () => {
		const before = sandbox.log.length;
		const deals = await client.listAllBatched('crm.deal.list', { select: ['ID', 'STAGE_ID'] });
		expectAllDeals(deals);
		const calls = sandbox.log.slice(before);
		expect(calls.map((c) => [c.method, c.commands?.length])).toEqual([
			['crm.deal.list', undefined],
			['batch', 24],
		]);
	});

	it('streams pages as they arrive and wastes no page command at the end', async () => {
		const before = sandbox.log.length;
		const chunks: number[] = [];
		for await (const chunk of client.listPagesBatched('crm.deal.list', { select: ['ID'] }, { pagesPerCall: 10 })) chunks.push(chunk.length);
		expect(chunks).toEqual([50, 500, 500, 184]);
		expect(sandbox.log.slice(before).map((c) => c.commands?.length ?? 1)).toEqual([1, 10, 10, 4]);
	});

	it('reads records by ID, 50 per command, and leaves out IDs that do not exist', async () => {
		const ids = [...Array.from({ length: 120 }, (_, i) => i + 1), 999_999, 0, 5];
		const before = sandbox.log.length;
		const contacts = await client.listByIds<Record<string, string>>('crm.contact.list', ids, { select: ['ID', 'NAME', 'PHONE'] });
		expect(contacts.size).toBe(120);
		expect(contacts.get('7')?.NAME).toBe(sandbox.portal.getContact(7).NAME);
		expect(sandbox.log.slice(before).map((c) => [c.method, c.commands?.length])).toEqual([['batch', 3]]);
	});

	it('keeps the caller filter and counts the same records either way', async () => {
		const expected = [...sandbox.portal.deals.values()].filter((d) => d.STAGE_SEMANTIC_ID === 'S').length;
		const a = await client.listAll('crm.deal.list', { FILTER: { STAGE_SEMANTIC_ID: 'S' }, select: ['ID'] });
		const b = await client.listAllBatched('crm.deal.list', { filter: { STAGE_SEMANTIC_ID: 'S' }, select: ['ID'] }, { pagesPerCall: 7 });
		expect(a).toHaveLength(expected);
		expect(b.map((d) => d.ID)).toEqual(a.map((d) => d.ID));
	});

	it('pages crm.item.list (camelCase id, items under result.items)', async () => {
		const items = await client.listAllBatched<{ id: number }>('crm.item.list', { entityTypeId: 2, select: ['id', 'stageId'] });
		expect(items).toHaveLength(1234);
		expect(items[1233].id).toBe(1234);
	});

	it('honours a limit', async () => {
		expect(await client.listAll('crm.deal.list', { select: ['ID'] }, { limit: 70 })).toHaveLength(70);
	});
});

describe('limits', () => {
	it('completes a burst of 200 calls under the 2/s, burst 50 bucket with zero failures, by waiting', async () => {
		const k = 20; // time-scaled: the bucket drains 40/s instead of 2/s
		const { sandbox, client, events } = await setup({ seed: { deals: 10 }, timeScale: k }, { rateLimit: { drainPerSecond: 2 * k, burst: 50 } });
		try {
			const started = Date.now();
			const results = await Promise.all(Array.from({ length: 200 }, (_, i) => client.call('crm.deal.get', { id: (i % 10) + 1 })));
			const elapsed = Date.now() - started;
			expect(results).toHaveLength(200);
			expect(sandbox.bucket.refused).toBe(0);
			expect(restCalls(sandbox).filter((c) => c.status !== 200)).toHaveLength(0);
			// 150 requests over the burst at 40/s need at least 3.75 s.
			expect(elapsed).toBeGreaterThanOrEqual(3_600);
			expect(events.some((e) => e.type === 'throttle' && e.reason === 'rate')).toBe(true);
			expect(events.filter((e) => e.type === 'retry')).toHaveLength(0);
		} finally {
			await sandbox.stop();
		}
	});

	it('recovers from 20% injected 503 QUERY_LIMIT_EXCEEDED and 429 OPERATION_TIME_LIMIT', async () => {
		// Time-scaled 300x: a 429 is waited out until the operating window's next reset (2 s, not 10 min).
		const k = 300;
		const { sandbox, client, events } = await setup(
			{ seed: { deals: 10 }, timeScale: k, faults: { rate: 0.2, kinds: ['queryLimit', 'operatingLimit'], seed: 7 } },
			{ rateLimit: { drainPerSecond: 2 * k, burst: 50 }, operatingLimit: { limitSeconds: 480 / k, headroomSeconds: 1 / k } },
		);
		try {
			const results = await Promise.all(Array.from({ length: 100 }, (_, i) => client.call('crm.deal.get', { id: (i % 10) + 1 })));
			expect(results).toHaveLength(100);
			const faults = sandbox.log.filter((c) => c.fault);
			expect(faults.length).toBeGreaterThan(5);
			expect(new Set(faults.map((f) => f.fault))).toEqual(new Set(['queryLimit', 'operatingLimit']));
			expect(events.filter((e) => e.type === 'retry')).toHaveLength(faults.length);
		} finally {
			await sandbox.stop();
		}
	});

	it('waits out a real operating limit until operating_reset_at and finishes', async () => {
		// A budget of 0.5 s per 3 s window; every call costs 0.1 s.
		const { sandbox, client } = await setup(
			{ seed: { deals: 5 }, operatingLimit: { limitSeconds: 0.5, windowSeconds: 3 }, operatingCost: () => 0.1 },
			{ operatingLimit: { limitSeconds: 0.5, headroomSeconds: 0.05 } },
		);
		try {
			const started = Date.now();
			for (let i = 0; i < 12; i++) await client.call('crm.deal.get', { id: 1 });
			expect(Date.now() - started).toBeGreaterThan(1_500);
			expect(restCalls(sandbox, 'crm.deal.get').filter((c) => c.status === 200)).toHaveLength(12);
			// The client paused before the portal had to refuse.
			expect(restCalls(sandbox).filter((c) => c.error === 'OPERATION_TIME_LIMIT')).toHaveLength(0);
		} finally {
			await sandbox.stop();
		}
	});

	it('when refused with 429 (no time in the error), retries at the reset time it saw earlier', async () => {
		const { sandbox, client, events } = await setup({ seed: { deals: 5 }, operatingLimit: { limitSeconds: 0.25, windowSeconds: 2 }, operatingCost: () => 0.1 });
		try {
			for (let i = 0; i < 6; i++) await client.call('crm.deal.get', { id: 2 });
			expect(restCalls(sandbox).filter((c) => c.error === 'OPERATION_TIME_LIMIT').length).toBeGreaterThanOrEqual(1);
			const retry = events.find((e) => e.reason === 'OPERATION_TIME_LIMIT');
			expect(retry?.waitMs).toBeGreaterThan(200);
		} finally {
			await sandbox.stop();
		}
	});

	it('gives up with a clear error when a limit lifts later than it may wait', async () => {
		const { sandbox, client } = await setup(
			{ seed: { deals: 5 }, operatingLimit: { limitSeconds: 0.15, windowSeconds: 600 }, operatingCost: () => 0.1 },
			{ maxWaitMs: 1_000 },
		);
		try {
			await client.call('crm.deal.get', { id: 1 });
			await client.call('crm.deal.get', { id: 1 });
			const error = (await client.call('crm.deal.get', { id: 1 }).catch((e) => e)) as Bitrix24Error;
			expect(error.kind).toBe('operatingLimit');
			expect(error.retryAt).toBeGreaterThan(Date.now() + 500_000);
			expect(error.message).toContain('available again after');
		} finally {
			await sandbox.stop();
		}
	});
});

describe('no duplicate writes', () => {
	let sandbox: Bitrix24Sandbox;
	let client: Bitrix24Client;
	beforeEach(async () => {
		({ sandbox, client } = await setup({ seed: { deals: 5 }, hangMs: 3_000 }, { timeoutMs: 400 }));
	});
	afterEach(() => sandbox.stop());

	it('does not repeat crm.deal.add after a timeout; says it may have been applied', async () => {
		sandbox.addFault({ kind: 'timeout', when: 'after', method: 'crm.deal.add' });
		const before = sandbox.portal.deals.size;
		const error = (await client.call('crm.deal.add', { fields: { TITLE: 'Once' } }).catch((e) => e)) as Bitrix24Error;
		expect(error).toBeInstanceOf(Bitrix24Error);
		expect(error).toMatchObject({ kind: 'timeout', code: 'ETIMEDOUT', mayHaveBeenApplied: true, attempts: 1 });
		expect(error.message).toContain('may have been applied, so it was not repeated');
		expect(restCalls(sandbox, 'crm.deal.add')).toHaveLength(1);
		expect(sandbox.portal.deals.size).toBe(before + 1);
	});

	it('does not repeat an add after a dropped connection or a 500', async () => {
		sandbox.addFault({ kind: 'reset', when: 'after', method: 'crm.item.add' });
		await expect(client.call('crm.item.add', { entityTypeId: 1032, fields: { title: 'answer' } })).rejects.toMatchObject({ mayHaveBeenApplied: true });
		expect(restCalls(sandbox, 'crm.item.add')).toHaveLength(1);
		expect(sandbox.portal.items.get(1032)?.size).toBe(1);

		sandbox.addFault({ kind: 'serverError', when: 'after', method: 'tasks.task.add' });
		await expect(client.call('tasks.task.add', { fields: { TITLE: 'Check the review', RESPONSIBLE_ID: 1 } })).rejects.toMatchObject({ kind: 'server', mayHaveBeenApplied: true });
		expect(restCalls(sandbox, 'tasks.task.add')).toHaveLength(1);
		expect(sandbox.portal.tasks.size).toBe(1);
	});

	it('does not repeat a batch that holds an add', async () => {
		sandbox.addFault({ kind: 'timeout', when: 'after', method: 'batch' });
		await expect(
			client.batch({ deal: { method: 'crm.deal.get', params: { id: 1 } }, comment: { method: 'crm.timeline.comment.add', params: { fields: { ENTITY_ID: 1, ENTITY_TYPE: 'deal', COMMENT: 'NPS 9' } } } }),
		).rejects.toMatchObject({ kind: 'timeout', mayHaveBeenApplied: true });
		expect(restCalls(sandbox, 'batch')).toHaveLength(1);
		expect(sandbox.portal.timelineComments).toHaveLength(1);
	});

	it('does repeat reads and updates after a timeout, a 500 or a proxy error page', async () => {
		sandbox.addFault({ kind: 'timeout', when: 'after', method: 'crm.deal.get' });
		sandbox.addFault({ kind: 'badGateway', when: 'before', method: 'crm.deal.update' });
		sandbox.addFault({ kind: 'serverError', when: 'before', method: 'crm.deal.update' });
		expect((await client.call<Record<string, string>>('crm.deal.get', { id: 2 })).result.ID).toBe('2');
		expect(restCalls(sandbox, 'crm.deal.get')).toHaveLength(2);
		expect((await client.call('crm.deal.update', { id: 2, fields: { COMMENTS: 'x' } })).result).toBe(true);
		expect(restCalls(sandbox, 'crm.deal.update')).toHaveLength(3);
	});

	it('repeats an add that was refused before it ran (503), which cannot duplicate', async () => {
		sandbox.addFault({ kind: 'queryLimit', method: 'crm.deal.add' });
		const before = sandbox.portal.deals.size;
		await client.call('crm.deal.add', { fields: { TITLE: 'After 503' } });
		expect(restCalls(sandbox, 'crm.deal.add')).toHaveLength(2);
		expect(sandbox.portal.deals.size).toBe(before + 1);
	});
});

describe('OAuth', () => {
	it('refreshes on 401 expired_token only, once for concurrent calls, and uses the rotated refresh token', async () => {
		const sandbox = await startBitrix24Sandbox({ seed: { deals: 5 } });
		try {
			const app = sandbox.createApp();
			let tokens = sandbox.issueTokens(app.clientId);
			let refreshes = 0;
			const refreshAuth = async () => {
				refreshes++;
				const response = await fetchJson(`${sandbox.httpUrl}/oauth/token/?grant_type=refresh_token&client_id=${app.clientId}&client_secret=${encodeURIComponent(app.clientSecret)}&refresh_token=${tokens.refresh_token}`);
				if (response.error) throw new Error(response.error);
				tokens = response;
			};
			const client = new Bitrix24Client({ transport: httpTransport({ baseUrl: `${sandbox.url}/rest/`, accessToken: () => tokens.access_token, insecure: true }), clock: realClock, refreshAuth });
			expect((await client.call<Record<string, string>>('profile')).result.ID).toBe('1');
			const firstRefreshToken = tokens.refresh_token;
			sandbox.expireAccessTokens();
			const results = await Promise.all([client.call('crm.deal.get', { id: 1 }), client.call('crm.deal.get', { id: 2 }), client.call('crm.deal.get', { id: 3 })]);
			expect(results).toHaveLength(3);
			expect(refreshes).toBe(1);
			expect(tokens.refresh_token).not.toBe(firstRefreshToken);
			// The spent refresh token no longer works: keeping the new one was necessary.
			const reuse = await fetchJson(`${sandbox.httpUrl}/oauth/token/?grant_type=refresh_token&client_id=${app.clientId}&client_secret=${encodeURIComponent(app.clientSecret)}&refresh_token=${firstRefreshToken}`);
			expect(reuse.error).toBe('invalid_grant');

			tokens = { ...tokens, access_token: 'not-a-token' };
			await expect(client.call('profile')).rejects.toMatchObject({ code: 'invalid_token', kind: 'auth' });
			expect(refreshes).toBe(1);
		} finally {
			await sandbox.stop();
		}
	});
});

async function fetchJson(url: string) {
	const response = await fetch(url, { method: 'POST' });
	return (await response.json()) as Record<string, string> & { access_token: string; refresh_token: string; expires: number; scope: string };
}
