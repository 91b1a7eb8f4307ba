/* eslint-disable @n8n/community-nodes/no-restricted-globals -- test code: runs in Node test processes, never inside n8n */
/**
 * The sandbox behaves like a Bitrix24 cloud portal on the wire: envelopes, escaping, errors,
 * paging, batch quirks, limits, CRM rules, outgoing events, robots and OAuth.
 */

import { parsePhpQuery } from '../../../nodes/shared/bitrix24/phpQuery';
import { Bitrix24Sandbox, startBitrix24Sandbox } from '../../sandbox/bitrix24';
import { rawCall, rawRequest, startReceiver } from '../../support/rawHttp';

jest.setTimeout(30_000);

describe('wire format', () => {
	let sandbox: Bitrix24Sandbox;
	let base: string;
	beforeAll(async () => {
		sandbox = await startBitrix24Sandbox({ seed: { deals: 130 } });
		base = sandbox.createWebhook().url;
	});
	afterAll(() => sandbox.stop());

	it('answers with result, then next/total, then time, escaped like PHP json_encode', async () => {
		const response = await rawCall(base, 'crm.deal.list', { select: ['ID', 'TITLE'], order: { ID: 'ASC' } });
		expect(response.status).toBe(200);
		expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
		expect(Object.keys(response.json)).toEqual(['result', 'next', 'total', 'time']);
		expect(response.json).toMatchObject({ next: 50, total: 130 });
		// Cyrillic titles travel as \uXXXX escapes.
		expect(response.text).toMatch(/"TITLE":"\\u[0-9A-F]{4}/);
		const time = response.json.time;
		expect(Number.isInteger(time.start)).toBe(true);
		expect(typeof time.finish).toBe('number');
		expect(time.date_start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+03:00$/);
		expect(typeof time.operating).toBe('number');
		expect(Number.isInteger(time.operating_reset_at)).toBe(true);
	});

	it('writes / as \\/ and <>&\' as \\u escapes', async () => {
		const deal = await rawCall(base, 'crm.deal.add', { fields: { TITLE: 'A/B <x> & "q" \'s' } });
		const got = await rawCall(base, 'crm.deal.get', { id: deal.json.result });
		expect(got.text).toContain('"TITLE":"A\\/B \\u003Cx\\u003E \\u0026 \\u0022q\\u0022 \\u0027s"');
		expect(got.json.result.TITLE).toBe('A/B <x> & "q" \'s');
	});

	it('pages legacy lists by 50, rounding start down; start=-1 gives total 0 and no next', async () => {
		const page = await rawCall(base, 'crm.deal.list', { select: ['ID'], start: 70 });
		expect(page.json.result[0].ID).toBe('51');
		expect(page.json.next).toBe(100);
		const fast = await rawCall(base, 'crm.deal.list', { select: ['ID'], start: -1, filter: { '>ID': 100 }, order: { ID: 'ASC' } });
		expect(fast.json.total).toBe(0);
		expect(fast.json.next).toBeUndefined();
		expect(fast.json.result).toHaveLength(31);
	});

	it('answers errors without time; CRM errors with an empty code', async () => {
		const missing = await rawCall(base, 'crm.deal.get', { id: 99_999 });
		expect(missing.status).toBe(400);
		expect(missing.json).toEqual({ error: '', error_description: 'Not found' });
		const invalid = await rawCall(base, 'crm.deal.get', {});
		expect(invalid.json).toEqual({ error: '', error_description: 'ID is not defined or invalid.' });
	});

	it('answers an unknown method with 404 before looking at the credentials', async () => {
		const response = await rawCall(`${sandbox.url}/rest/1/wrong/`, 'crm.nothing.here');
		expect(response.status).toBe(404);
		expect(response.json).toEqual({ error: 'ERROR_METHOD_NOT_FOUND', error_description: 'Method not found!' });
	});

	it('refuses bad credentials the way the portal does', async () => {
		expect((await rawCall(`${sandbox.url}/rest/1/wrong/`, 'profile')).json).toEqual({ error: 'INVALID_CREDENTIALS', error_description: 'Invalid request credentials' });
		const none = await rawCall(`${sandbox.url}/rest/`, 'profile');
		expect(none.status).toBe(401);
		expect(none.json.error).toBe('NO_AUTH_FOUND');
		expect((await rawCall(`${sandbox.httpUrl}/rest/1/${base.split('/')[5]}/`, 'profile')).json).toEqual({ error: 'INVALID_REQUEST', error_description: 'Https required.' });
		const limited = sandbox.createWebhook({ scopes: ['crm'] });
		const scope = await rawCall(limited.url, 'tasks.task.add', { fields: { TITLE: 'x', RESPONSIBLE_ID: 1 } });
		expect(scope.status).toBe(401);
		expect(scope.json.error).toBe('insufficient_scope');
	});

	it('denies access the two ways a portal does: no REST on the plan, no CRM rights for the user', async () => {
		const clerk = sandbox.portal.addUser({ NAME: 'Без', LAST_NAME: 'Доступа', CRM_ACCESS: false });
		const clerkHook = sandbox.createWebhook({ userId: Number(clerk.ID) });
		expect((await rawCall(clerkHook.url, 'crm.deal.get', { id: 1 })).json).toEqual({ error: '', error_description: 'Access denied.' });
		expect((await rawCall(clerkHook.url, 'crm.item.get', { entityTypeId: 2, id: 1 })).json).toEqual({ error: 'ACCESS_DENIED', error_description: 'Access denied.' });
		expect((await rawCall(clerkHook.url, 'profile')).json.result.ID).toBe(clerk.ID);
		sandbox.restAvailable = false;
		try {
			const denied = await rawCall(base, 'profile');
			expect(denied.status).toBe(403);
			expect(denied.json).toEqual({ error: 'ACCESS_DENIED', error_description: 'REST is available only on commercial plans.' });
		} finally {
			sandbox.restAvailable = true;
		}
	});

	it('accepts form-encoded and query-string parameters too', async () => {
		const form = await rawRequest(`${base}crm.deal.get`, { body: 'id=7', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
		expect(form.json.result.ID).toBe('7');
		const query = await rawRequest(`${base}crm.deal.list.json?filter[ID]=8&select[]=ID`, { method: 'GET' });
		expect(query.json.result).toEqual([{ ID: '8' }]);
	});
});

describe('batch', () => {
	let sandbox: Bitrix24Sandbox;
	let base: string;
	beforeAll(async () => {
		sandbox = await startBitrix24Sandbox({ seed: { deals: 60 } });
		base = sandbox.createWebhook().url;
	});
	afterAll(() => sandbox.stop());

	it('sends empty maps as [] and numbered results as a list', async () => {
		const response = await rawCall(base, 'batch', { halt: 0, cmd: ['crm.deal.get?id=1', 'crm.deal.get?id=2'] });
		expect(response.text).toContain('"result_error":[]');
		expect(response.text).toContain('"result_next":[]');
		expect(Array.isArray(response.json.result.result)).toBe(true);
		expect(Object.keys(response.json.result)).toEqual(['result', 'result_error', 'result_total', 'result_next', 'result_time']);
		expect(response.json.result.result_time[0].operating).toEqual(expect.any(Number));
	});

	it('fails commands past 50 one by one and still answers 200', async () => {
		const cmd = Object.fromEntries(Array.from({ length: 53 }, (_, i) => [`c${i}`, 'profile']));
		const response = await rawCall(base, 'batch', { cmd });
		expect(response.status).toBe(200);
		expect(Object.keys(response.json.result.result)).toHaveLength(50);
		expect(response.json.result.result_error).toEqual({
			c50: { error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' },
			c51: { error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' },
			c52: { error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' },
		});
	});

	it('stops at the first failure with halt, where a form-encoded "false" counts as true', async () => {
		const body = 'halt=false&cmd[a]=crm.deal.get%3Fid%3D999999&cmd[b]=profile';
		const response = await rawRequest(`${base}batch`, { body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
		expect(response.json.result.result).toEqual([]);
		expect(Object.keys(response.json.result.result_error)).toEqual(['a']);
	});

	it('refuses a nested batch per command', async () => {
		const response = await rawCall(base, 'batch', { cmd: { inner: 'batch?cmd[x]=profile' } });
		expect(response.json.result.result_error.inner.error).toBe('ERROR_BATCH_METHOD_NOT_ALLOWED');
	});

	it('resolves references like Bitrix24: the walk stops quietly at a missing key', async () => {
		const response = await rawCall(base, 'batch', {
			cmd: {
				deal: 'crm.deal.get?id=5',
				contact: 'crm.contact.get?id=$result[deal][CONTACT_ID]',
				// [NOPE] is missing: the value becomes the whole deal, which intval() reads as 1.
				quirk: 'crm.deal.get?id=$result[deal][NOPE]',
				// Inside a longer string, a non-string value leaves the reference text as it is.
				text: 'crm.deal.list?filter[TITLE]=x $result[deal][UF_CRM_1700000000002]&select[]=ID',
			},
		});
		const { result } = response.json.result;
		expect(result.contact.ID).toBe(result.deal.CONTACT_ID);
		expect(result.quirk.ID).toBe('1');
		expect(result.text).toEqual([]);
	});

	it('counts once against the rate bucket; its commands count against the operating limit', async () => {
		sandbox.resetLimits();
		await rawCall(base, 'batch', { cmd: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`d${i}`, `crm.deal.get?id=${i + 1}`])) });
		expect(sandbox.bucket.currentLevel()).toBeLessThan(1.01);
	});
});

describe('limits', () => {
	it('refuses the 51st request of a burst with 503 QUERY_LIMIT_EXCEEDED', async () => {
		const sandbox = await startBitrix24Sandbox({ seed: { deals: 3 } });
		try {
			const base = sandbox.createWebhook().url;
			const responses = await Promise.all(Array.from({ length: 51 }, () => rawCall(base, 'profile')));
			const refused = responses.filter((r) => r.status === 503);
			expect(refused).toHaveLength(1);
			expect(refused[0].json).toEqual({ error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' });
		} finally {
			await sandbox.stop();
		}
	});

	it('blocks a method over its operating budget with 429 and no time; other methods still work', async () => {
		const sandbox = await startBitrix24Sandbox({ seed: { deals: 3 }, operatingLimit: { limitSeconds: 0.25, windowSeconds: 60 }, operatingCost: () => 0.1 });
		try {
			const base = sandbox.createWebhook().url;
			for (let i = 0; i < 3; i++) expect((await rawCall(base, 'crm.deal.get', { id: 1 })).status).toBe(200);
			const blocked = await rawCall(base, 'crm.deal.get', { id: 1 });
			expect(blocked.status).toBe(429);
			expect(blocked.json).toEqual({ error: 'OPERATION_TIME_LIMIT', error_description: 'Method is blocked due to operation time limit.' });
			expect((await rawCall(base, 'crm.contact.get', { id: 1 })).status).toBe(200);
			const batch = await rawCall(base, 'batch', { cmd: { a: 'crm.deal.get?id=1', b: 'crm.contact.get?id=1' } });
			expect(batch.json.result.result_error.a.error).toBe('OPERATION_TIME_LIMIT');
			expect(batch.json.result.result.b.ID).toBe('1');
		} finally {
			await sandbox.stop();
		}
	});
});

describe('CRM rules', () => {
	let sandbox: Bitrix24Sandbox;
	let base: string;
	beforeAll(async () => {
		sandbox = await startBitrix24Sandbox({ seed: { deals: 40 } });
		base = sandbox.createWebhook().url;
	});
	afterAll(() => sandbox.stop());

	it('cuts stage codes at 21 characters', async () => {
		const stages = await rawCall(base, 'crm.status.list', { filter: { ENTITY_ID: 'DEAL_STAGE_1' } });
		expect(stages.json.result.map((s: { STATUS_ID: string }) => s.STATUS_ID)).toContain('C1:CLOSE_WORK_ORDER_Q');
		expect(sandbox.seeded.stages.serviceCloseWorkOrder).toBe('C1:CLOSE_WORK_ORDER_Q');
	});

	it('names pipeline stage entities like the portal (DEAL_STAGE has no _0; CATEGORY_ID "1" is a string)', async () => {
		const types = (await rawCall(base, 'crm.status.entity.types')).json.result;
		expect(types.find((t: { ID: string }) => t.ID === 'DEAL_STAGE')).toMatchObject({ CATEGORY_ID: 0, SEMANTIC_INFO: { FINAL_SUCCESS_FIELD: 'WON' } });
		expect(types.find((t: { ID: string }) => t.ID === 'DEAL_STAGE_1')).toMatchObject({ CATEGORY_ID: '1', PREFIX: 'C1', SEMANTIC_INFO: { FINAL_SUCCESS_FIELD: 'C1:WON' } });
		expect((await rawCall(base, 'crm.status.list', { filter: { ENTITY_ID: 'DEAL_STAGE_0' } })).json.result).toEqual([]);
	});

	it('ignores a stage of another pipeline in crm.deal.update, and closes a deal on a success stage', async () => {
		const id = (await rawCall(base, 'crm.deal.add', { fields: { TITLE: 'x', CATEGORY_ID: 0 } })).json.result;
		await rawCall(base, 'crm.deal.update', { id, fields: { STAGE_ID: 'C1:WON' } });
		expect(sandbox.portal.getDeal(id).STAGE_ID).toBe('NEW');
		await rawCall(base, 'crm.deal.update', { id, fields: { STAGE_ID: 'WON' } });
		expect(sandbox.portal.getDeal(id)).toMatchObject({ STAGE_ID: 'WON', STAGE_SEMANTIC_ID: 'S', CLOSED: 'Y' });
		const history = await rawCall(base, 'crm.stagehistory.list', { entityTypeId: 2, filter: { OWNER_ID: id }, order: { ID: 'ASC' } });
		expect(history.json.result.items.map((h: { TYPE_ID: number; STAGE_ID: string }) => [h.TYPE_ID, h.STAGE_ID])).toEqual([
			[1, 'NEW'],
			[3, 'WON'],
		]);
	});

	it('keeps the branch as a list item ID and explains it through crm.deal.userfield.list', async () => {
		const deal = (await rawCall(base, 'crm.deal.get', { id: 1 })).json.result;
		const fields = (await rawCall(base, 'crm.deal.userfield.list', { filter: { FIELD_NAME: 'UF_CRM_1700000000001', LANG: 'ru' } })).json.result;
		expect(fields).toHaveLength(1);
		expect(fields[0].EDIT_FORM_LABEL).toBe('Филиал');
		const item = fields[0].LIST.find((entry: { ID: string }) => entry.ID === deal.UF_CRM_1700000000001);
		expect(sandbox.seeded.branches.map((b) => b.name)).toContain(item.VALUE);
	});

	it('speaks camelCase in crm.item.* and keeps UF names on request', async () => {
		const item = (await rawCall(base, 'crm.item.get', { entityTypeId: 2, id: 1 })).json.result.item;
		expect(item).toMatchObject({ id: 1, entityTypeId: 2, ufCrm_1700000000001: expect.any(String) });
		expect(typeof item.assignedById).toBe('number');
		const original = (await rawCall(base, 'crm.item.get', { entityTypeId: 2, id: 1, useOriginalUfNames: 'Y' })).json.result.item;
		expect(original.UF_CRM_1700000000001).toBe(item.ufCrm_1700000000001);
		const missing = await rawCall(base, 'crm.item.get', { entityTypeId: 2, id: 99_999 });
		expect(missing.json).toEqual({ error: 'NOT_FOUND', error_description: 'Element not found' });
	});

	it('finds contacts by phone written another way, and answers [] when none match', async () => {
		const contact = [...sandbox.portal.contacts.values()].find((c) => ((c.PHONE as Array<{ VALUE: string }>)[0]?.VALUE ?? '').startsWith('8 ('));
		expect(contact).toBeDefined();
		const digits = (contact?.PHONE as Array<{ VALUE: string }>)[0].VALUE.replace(/\D/g, '');
		const found = await rawCall(base, 'crm.duplicate.findbycomm', { type: 'PHONE', values: [`+7${digits.slice(1)}`], entity_type: 'CONTACT' });
		expect(found.json.result.CONTACT).toContain(Number(contact?.ID));
		expect((await rawCall(base, 'crm.duplicate.findbycomm', { type: 'PHONE', values: ['+10000000000'] })).text).toContain('"result":[]');
	});

	it('makes the same portal from the same seed', () => {
		const again = new Bitrix24Sandbox({ seed: { deals: 40 } });
		expect([...again.portal.deals.values()].map((d) => [d.TITLE, d.STAGE_ID, d.UF_CRM_1700000000001])).toEqual(
			[...sandbox.portal.deals.values()].slice(0, 40).map((d) => [d.TITLE, d.STAGE_ID, d.UF_CRM_1700000000001]),
		);
	});
});

describe('outgoing events and robots', () => {
	let sandbox: Bitrix24Sandbox;
	let base: string;
	let receiver: Awaited<ReturnType<typeof startReceiver>>;
	beforeEach(async () => {
		sandbox = await startBitrix24Sandbox({ seed: { deals: 10 } });
		base = sandbox.createWebhook().url;
		receiver = await startReceiver();
	});
	afterEach(async () => {
		await sandbox.stop();
		await receiver.stop();
	});

	it('POSTs ONCRMDEALUPDATE form-encoded with PHP bracket keys, also for the integration\'s own writes', async () => {
		const fresh = sandbox.portal.addDeal({ TITLE: 'fresh', CATEGORY_ID: 0 }, { userId: 1, via: 'ui' });
		const hook = sandbox.addOutgoingWebhook(`${receiver.url}/hook`, ['ONCRMDEALUPDATE', 'ONCRMDEALADD'], 'apptoken123');
		sandbox.moveDealInUi(fresh, 'WON');
		await rawCall(base, 'crm.deal.update', { id: 4, fields: { COMMENTS: 'written by n8n' } });
		await sandbox.eventsDelivered();
		expect(receiver.received).toHaveLength(2);
		const [first] = receiver.received;
		expect(first.method).toBe('POST');
		expect(first.headers['content-type']).toBe('application/x-www-form-urlencoded');
		expect(first.body).toContain(`data%5BFIELDS%5D%5BID%5D=${fresh}`);
		expect(parsePhpQuery(first.body)).toMatchObject({
			event: 'ONCRMDEALUPDATE',
			event_handler_id: String(hook.id),
			data: { FIELDS: { ID: String(fresh) } },
			auth: { domain: sandbox.portal.domain, member_id: sandbox.portal.memberId, application_token: 'apptoken123', client_endpoint: `${sandbox.url}/rest/` },
		});
		expect(parsePhpQuery(first.body).auth).not.toHaveProperty('access_token');
		expect(parsePhpQuery(receiver.received[1].body)).toMatchObject({ data: { FIELDS: { ID: '4' } } });
	});

	it('never retries a failed delivery', async () => {
		receiver.setStatus(500);
		const fresh = sandbox.portal.addDeal({ TITLE: 'fresh', CATEGORY_ID: 0 }, { userId: 1, via: 'ui' });
		sandbox.addOutgoingWebhook(`${receiver.url}/hook`, ['ONCRMDEALUPDATE']);
		sandbox.moveDealInUi(fresh, 'LOSE');
		await sandbox.eventsDelivered();
		await new Promise((r) => setTimeout(r, 100));
		expect(receiver.received).toHaveLength(1);
		expect(sandbox.events.deliveries).toMatchObject([{ status: 500, event: 'ONCRMDEALUPDATE', dealId: fresh }]);
	});

	it('runs the Webhook robot when a deal enters its stage, posting only document_id', async () => {
		sandbox.addWebhookRobot('WON', `${receiver.url}/robot/secret-path?deal={{ID}}`);
		const id = (await rawCall(base, 'crm.deal.add', { fields: { TITLE: 'robot', CATEGORY_ID: 0 } })).json.result;
		await rawCall(base, 'crm.deal.update', { id, fields: { STAGE_ID: 'WON' } });
		await rawCall(base, 'crm.deal.update', { id, fields: { COMMENTS: 'no stage change: no robot' } });
		await sandbox.eventsDelivered();
		expect(receiver.received).toHaveLength(1);
		expect(receiver.received[0].url).toBe(`/robot/secret-path?deal=${id}`);
		expect(parsePhpQuery(receiver.received[0].body)).toEqual({ document_id: ['crm', 'CCrmDocumentDeal', `DEAL_${id}`] });
	});

	it('lets only apps bind events; app handlers get a token, and pipeline moves skip ONCRMDEALUPDATE', async () => {
		const refused = await rawCall(base, 'event.bind', { event: 'ONCRMDEALUPDATE', handler: `${receiver.url}/x` });
		expect(refused.json.error).toBe('WRONG_AUTH_TYPE');
		const app = sandbox.createApp();
		const { access_token } = sandbox.issueTokens(app.clientId);
		const oauth = `${sandbox.url}/rest/`;
		const auth = { Authorization: `Bearer ${access_token}` };
		expect((await rawCall(oauth, 'event.bind', { event: 'ONCRMDEALUPDATE', handler: `${receiver.url}/app` }, auth)).json.result).toBe(true);
		expect((await rawCall(oauth, 'event.bind', { event: 'ONCRMDEALMOVETOCATEGORY', handler: `${receiver.url}/app` }, auth)).json.result).toBe(true);
		expect((await rawCall(oauth, 'event.get', {}, auth)).json.result).toHaveLength(2);
		sandbox.moveDealInUi(1, sandbox.portal.getDeal(1).CATEGORY_ID === '0' ? 'PREPARATION' : 'C1:IN_WORK');
		await rawCall(oauth, 'crm.item.update', { entityTypeId: 2, id: 5, fields: { categoryId: 2, stageId: 'C2:NEW' } }, auth);
		await sandbox.eventsDelivered();
		const events = receiver.received.map((r) => parsePhpQuery(r.body) as { event: string; auth: Record<string, string> });
		expect(events.map((e) => e.event)).toEqual(['ONCRMDEALUPDATE', 'ONCRMDEALMOVETOCATEGORY']);
		expect(events[0].auth).toMatchObject({ application_token: app.applicationToken, access_token: expect.any(String) });
		expect((await rawCall(oauth, 'event.unbind', { event: 'ONCRMDEALUPDATE', handler: `${receiver.url}/app` }, auth)).json.result).toEqual({ count: 1 });
	});
});

describe('OAuth server', () => {
	it('authorizes, exchanges a one-time code, and rotates refresh tokens', async () => {
		const sandbox = await startBitrix24Sandbox({ seed: false });
		try {
			const app = sandbox.createApp();
			const authorize = await rawRequest(`${sandbox.url}/oauth/authorize/?client_id=${app.clientId}&state=s1&redirect_uri=${encodeURIComponent('http://127.0.0.1:9/cb')}`, { method: 'GET' });
			expect(authorize.status).toBe(302);
			const location = new URL(String(authorize.headers.location));
			expect(location.searchParams.get('state')).toBe('s1');
			expect(location.searchParams.get('server_domain')).toBe('oauth.bitrix.info');
			const code = location.searchParams.get('code');
			const form = (fields: Record<string, string>) => ({ body: new URLSearchParams(fields).toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
			const tokens = await rawRequest(`${sandbox.url}/oauth/token/`, form({ grant_type: 'authorization_code', client_id: app.clientId, client_secret: app.clientSecret, code: String(code) }));
			expect(tokens.json).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String), expires_in: 3600, domain: 'oauth.bitrix.info', client_endpoint: `${sandbox.url}/rest/`, member_id: sandbox.portal.memberId });
			const again = await rawRequest(`${sandbox.url}/oauth/token/`, form({ grant_type: 'authorization_code', client_id: app.clientId, client_secret: app.clientSecret, code: String(code) }));
			expect(again.json.error).toBe('invalid_grant');
			const refreshed = await rawRequest(`${sandbox.url}/oauth/token/?grant_type=refresh_token&client_id=${app.clientId}&client_secret=${encodeURIComponent(app.clientSecret)}&refresh_token=${tokens.json.refresh_token}`, { method: 'GET' });
			expect(refreshed.json).toMatchObject({ expires: expect.any(Number), user_id: 1 });
			expect(refreshed.json.refresh_token).not.toBe(tokens.json.refresh_token);
			const wrongSecret = await rawRequest(`${sandbox.url}/oauth/token/`, form({ grant_type: 'refresh_token', client_id: app.clientId, client_secret: 'nope', refresh_token: refreshed.json.refresh_token }));
			expect(wrongSecret.status).toBe(401);
			expect(wrongSecret.json.error).toBe('invalid_client');
			sandbox.expireAccessTokens();
			const expired = await rawCall(`${sandbox.url}/rest/`, 'profile', {}, { Authorization: `Bearer ${refreshed.json.access_token}` });
			expect(expired.status).toBe(401);
			expect(expired.json).toEqual({ error: 'expired_token', error_description: 'The access token provided has expired' });
		} finally {
			await sandbox.stop();
		}
	});

	it('also takes the token as an auth or access_token parameter, over plain http', async () => {
		const sandbox = await startBitrix24Sandbox({ seed: false });
		try {
			const app = sandbox.createApp();
			const { access_token } = sandbox.issueTokens(app.clientId);
			expect((await rawCall(`${sandbox.httpUrl}/rest/`, 'profile', { auth: access_token })).json.result.ID).toBe('1');
			expect((await rawRequest(`${sandbox.httpUrl}/rest/profile.json?access_token=${access_token}`, { method: 'GET' })).json.result.ID).toBe('1');
		} finally {
			await sandbox.stop();
		}
	});
});
