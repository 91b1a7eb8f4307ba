/**
 * The Bitrix24 Trigger and Poll Trigger in n8n's own contexts (WebhookContext, PollContext,
 * HookContext), against the sandbox portal, with the form bodies its queue server really posts.
 */

import type { ICredentialDataDecryptedObject, IDataObject, INode } from 'n8n-workflow';

import { processGuards } from '../../../nodes/shared/bitrix24/dealEvents';
import { Bitrix24Client } from '../../../nodes/shared/bitrix24/client';
import { dealEventKey } from '../../../nodes/shared/bitrix24/deals';
import { Bitrix24Sandbox, startBitrix24Sandbox } from '../../sandbox/bitrix24';
import { callHook, callPoll, callWebhook, PACKAGE } from '../../support/engine';
import { rawCall, startReceiver } from '../../support/rawHttp';

jest.setTimeout(60_000);

const APP_TOKEN = ['events', 'token', 'for', 'tests'].join('-');
const ROBOT_PATH_SECRET = ['robot', 'path', '0123456789'].join('-');

function triggerNode(parameters: Record<string, unknown>, credential = 'bitrix24WebhookApi'): INode {
	return {
		id: 'trigger',
		name: 'Bitrix24 Trigger',
		type: `${PACKAGE}.bitrix24Trigger`,
		typeVersion: 1,
		position: [0, 0],
		webhookId: 'trigger-webhook-id',
		parameters: { source: 'outgoingWebhook', authentication: credential === 'bitrix24WebhookApi' ? 'webhook' : 'oAuth2', stageMode: 'anyWon', branchField: 'UF_CRM_1700000000001', ...parameters },
		credentials: { [credential]: { id: '1', name: 'Portal' } },
	};
}

describe('Bitrix24 Trigger', () => {
	let sandbox: Bitrix24Sandbox;
	let receiver: Awaited<ReturnType<typeof startReceiver>>;
	let credentials: Record<string, ICredentialDataDecryptedObject>;
	let hookUrl: string;

	beforeAll(async () => {
		sandbox = await startBitrix24Sandbox({ seed: { deals: 30 } });
		receiver = await startReceiver();
		hookUrl = sandbox.createWebhook().url;
		credentials = { bitrix24WebhookApi: { webhookUrl: hookUrl, ratePlan: 'standard', ignoreSslIssues: true, applicationToken: APP_TOKEN } };
		sandbox.addOutgoingWebhook(`${receiver.url}/events`, ['ONCRMDEALUPDATE', 'ONCRMDEALADD'], APP_TOKEN);
	});
	afterAll(async () => {
		await sandbox.stop();
		await receiver.stop();
	});

	/** Moves a fresh deal to a stage and returns the form body the portal posted about it. */
	async function eventBodyFor(stageId: string): Promise<{ dealId: number; body: string }> {
		const dealId = sandbox.portal.addDeal({ TITLE: `Event ${stageId}`, CATEGORY_ID: stageId.startsWith('C1:') ? 1 : 0, CONTACT_ID: 3, ASSIGNED_BY_ID: 2, UF_CRM_1700000000001: sandbox.seeded.branches[1].id }, { userId: 1, via: 'ui' });
		await sandbox.eventsDelivered();
		const before = receiver.received.length;
		sandbox.moveDealInUi(dealId, stageId);
		await sandbox.eventsDelivered();
		const posted = receiver.received.slice(before).find((r) => r.body.includes(`%5BID%5D=${dealId}&`));
		if (!posted) throw new Error('the portal posted no event');
		return { dealId, body: posted.body };
	}

	it('turns the portal\'s ONCRMDEALUPDATE (the exact form body) into one enriched item', async () => {
		const { dealId, body } = await eventBodyFor('WON');
		expect(body).toMatch(/^event=ONCRMDEALUPDATE&event_handler_id=\d+&data%5BFIELDS%5D%5BID%5D=\d+&ts=\d+&auth%5Bdomain%5D=/);
		const outcome = await callWebhook(triggerNode({}), { rawBody: body }, { credentials });
		expect(outcome.status).toBe(200);
		const items = outcome.result.workflowData?.[0] ?? [];
		expect(items).toHaveLength(1);
		const deal = sandbox.portal.getDeal(dealId);
		expect(items[0].json).toMatchObject({
			source: 'outgoingWebhook',
			event: 'ONCRMDEALUPDATE',
			eventKey: `${dealId}|WON|${deal.MOVED_TIME}`,
			deal: { id: dealId, stageId: 'WON', stageSemantic: 'S' },
			contact: { id: 3 },
			responsible: { id: 2 },
			branch: { field: 'UF_CRM_1700000000001', name: sandbox.seeded.branches[1].name },
			stage: { id: 'WON', name: 'Сделка успешна', categoryName: 'Продажи' },
		});
		expect(outcome.result.noWebhookResponse).toBe(true);
	});

	it('refuses a forged or missing token with 401 and starts nothing', async () => {
		const { body } = await eventBodyFor('WON');
		const before = sandbox.log.length;
		const forged = await callWebhook(triggerNode({}), { rawBody: body.replace(/application_token%5D=[^&]+/, 'application_token%5D=forged') }, { credentials });
		expect(forged.status).toBe(401);
		expect(forged.result.workflowData).toBeUndefined();
		const missing = await callWebhook(triggerNode({}), { rawBody: body.replace(/&auth%5Bapplication_token%5D=[^&]+/, '') }, { credentials });
		expect(missing.status).toBe(401);
		expect(missing.result.workflowData).toBeUndefined();
		expect(sandbox.log.length).toBe(before);
		expect(forged.logs.some((l) => l.level === 'warn' && l.message.includes('does not match'))).toBe(true);
		expect(JSON.stringify(forged.body)).not.toContain(APP_TOKEN);
	});

	it('emits one item for five copies of the same event arriving together', async () => {
		const { body } = await eventBodyFor('WON');
		const outcomes = await Promise.all(Array.from({ length: 5 }, () => callWebhook(triggerNode({}), { rawBody: body }, { credentials })));
		expect(outcomes.map((o) => o.status)).toEqual([200, 200, 200, 200, 200]);
		expect(outcomes.filter((o) => o.result.workflowData).length).toBe(1);
	});

	it('emits nothing for the event our own write causes', async () => {
		const { dealId, body } = await eventBodyFor('WON');
		expect((await callWebhook(triggerNode({}), { rawBody: body }, { credentials })).result.workflowData?.[0]).toHaveLength(1);
		const before = receiver.received.length;
		await rawCall(hookUrl, 'crm.deal.update', { id: dealId, fields: { COMMENTS: 'NPS survey scheduled' } });
		await sandbox.eventsDelivered();
		const echo = receiver.received.slice(before).find((r) => r.body.includes(`%5BID%5D=${dealId}&`));
		expect(echo).toBeDefined();
		const outcome = await callWebhook(triggerNode({}), { rawBody: echo?.body ?? '' }, { credentials });
		expect(outcome.status).toBe(200);
		expect(outcome.result.workflowData).toBeUndefined();
	});

	it('answers 200 and starts nothing for another stage, another event or a deal that is gone', async () => {
		const other = await eventBodyFor('PREPARATION');
		expect((await callWebhook(triggerNode({}), { rawBody: other.body }, { credentials })).result.workflowData).toBeUndefined();
		const contact = other.body.replace('ONCRMDEALUPDATE', 'ONCRMCONTACTUPDATE');
		const ignored = await callWebhook(triggerNode({}), { rawBody: contact }, { credentials });
		expect([ignored.status, ignored.result.workflowData]).toEqual([200, undefined]);
		const gone = await callWebhook(triggerNode({}), { rawBody: other.body.replace(/%5BID%5D=\d+/, '%5BID%5D=987654') }, { credentials });
		expect([gone.status, gone.result.workflowData]).toEqual([200, undefined]);
		expect(gone.logs).toContainEqual({ level: 'warn', message: expect.stringContaining('deal 987654 no longer exists; nothing started') });
	});

	it('follows chosen stages, and skips deals whose marker field holds the event key', async () => {
		const { dealId, body } = await eventBodyFor('C1:QUALITY_CHECK');
		const chosen = triggerNode({ stageMode: 'stages', pipeline: 1, stages: ['C1:QUALITY_CHECK'] });
		const deal = sandbox.portal.getDeal(dealId);
		sandbox.portal.updateDeal(dealId, { UF_CRM_1700000000002: `${dealId}|C1:QUALITY_CHECK|${deal.MOVED_TIME}` }, { userId: 1, via: 'ui' });
		const marked = triggerNode({ stageMode: 'stages', pipeline: 1, stages: ['C1:QUALITY_CHECK'], options: { markerField: 'UF_CRM_1700000000002' } });
		expect((await callWebhook(marked, { rawBody: body }, { credentials })).result.workflowData).toBeUndefined();
		expect((await callWebhook(chosen, { rawBody: body }, { credentials })).result.workflowData?.[0]).toHaveLength(1);
	});

	it('lets a test run in the editor see the same event again', async () => {
		const { body } = await eventBodyFor('WON');
		for (let i = 0; i < 2; i++) expect((await callWebhook(triggerNode({}), { rawBody: body }, { credentials, mode: 'manual' })).result.workflowData?.[0]).toHaveLength(1);
	});

	it('puts a deal it could not read after answering on the "Could Not Read" output, naming it, so it is not lost', async () => {
		const { dealId, body } = await eventBodyFor('WON');
		sandbox.addFault({ kind: 'reset', method: 'batch', times: 10 });
		try {
			const outcome = await callWebhook(triggerNode({}), { rawBody: body }, { credentials });
			expect(outcome.status).toBe(200);
			expect(outcome.result.workflowData?.[0]).toEqual([]);
			expect(outcome.result.workflowData?.[1][0].json).toMatchObject({ dealId, event: 'ONCRMDEALUPDATE', source: 'outgoingWebhook', error: expect.stringContaining(`Deal ${dealId}`) });
			expect(outcome.logs).toContainEqual({ level: 'error', message: expect.stringContaining(`Deal ${dealId}`) });
		} finally {
			sandbox.clearFaults();
		}
		// Not remembered as handled: a later copy of the event (or a retry) is emitted.
		expect((await callWebhook(triggerNode({}), { rawBody: body }, { credentials })).result.workflowData?.[0]).toHaveLength(1);
	});

	it('reads the Webhook robot\'s call (document_id only) behind a URL secret', async () => {
		const dealId = sandbox.portal.addDeal({ TITLE: 'Robot', CATEGORY_ID: 0, CONTACT_ID: 4 }, { userId: 1, via: 'ui' });
		sandbox.moveDealInUi(dealId, 'WON');
		const robot = triggerNode({ source: 'robot', urlSecret: ROBOT_PATH_SECRET });
		const outcome = await callWebhook(robot, { rawBody: `document_id%5B0%5D=crm&document_id%5B1%5D=CCrmDocumentDeal&document_id%5B2%5D=DEAL_${dealId}` }, { credentials });
		expect(outcome.result.workflowData?.[0][0].json).toMatchObject({ source: 'robot', event: 'ROBOT', deal: { id: dealId } });
		await expect(callWebhook(triggerNode({ source: 'robot', urlSecret: 'short' }), { rawBody: 'document_id[2]=DEAL_1' }, { credentials })).rejects.toThrow('URL Secret must be 16 to 128');
		await expect(callHook(triggerNode({ source: 'robot', urlSecret: 'short' }), 'checkExists', { credentials })).rejects.toThrow('URL Secret');
	});

	it('binds, checks and unbinds app events with the OAuth2 credential, and takes the events they bring', async () => {
		const app = sandbox.createApp();
		const tokens = sandbox.issueTokens(app.clientId);
		const oauth = {
			bitrix24OAuth2Api: { portalUrl: sandbox.url, oauthServer: sandbox.httpUrl, clientId: app.clientId, clientSecret: app.clientSecret, ratePlan: 'standard', ignoreSslIssues: true, applicationToken: app.applicationToken, oauthTokenData: { ...tokens, token_type: 'bearer' }, grantType: 'authorizationCode', accessTokenUrl: `${sandbox.httpUrl}/oauth/token/`, authentication: 'body' },
		};
		const node = triggerNode({ source: 'appEvents', events: ['ONCRMDEALUPDATE'] }, 'bitrix24OAuth2Api');
		const base = `${receiver.url}/app`;
		expect(await callHook(node, 'checkExists', { credentials: oauth, webhookBaseUrl: base })).toBe(false);
		expect(await callHook(node, 'create', { credentials: oauth, webhookBaseUrl: base })).toBe(true);
		expect(await callHook(node, 'checkExists', { credentials: oauth, webhookBaseUrl: base })).toBe(true);
		const binding = sandbox.events.bindings.find((b) => b.clientId === app.clientId);
		expect(binding).toMatchObject({ event: 'ONCRMDEALUPDATE', handler: `${base}/trigger-webhook-id/events` });

		const dealId = sandbox.portal.addDeal({ TITLE: 'App event', CATEGORY_ID: 0, CONTACT_ID: 5 }, { userId: 1, via: 'ui' });
		const before = receiver.received.length;
		sandbox.moveDealInUi(dealId, 'WON');
		await sandbox.eventsDelivered();
		const posted = receiver.received.slice(before).find((r) => r.url === '/app/trigger-webhook-id/events');
		expect(posted?.body).toContain('auth%5Baccess_token%5D=');
		const outcome = await callWebhook(node, { rawBody: posted?.body ?? '' }, { credentials: oauth });
		expect(outcome.result.workflowData?.[0][0].json).toMatchObject({ source: 'appEvents', deal: { id: dealId } });

		expect(await callHook(node, 'delete', { credentials: oauth, webhookBaseUrl: base })).toBe(true);
		expect(sandbox.events.bindings.filter((b) => b.clientId === app.clientId)).toHaveLength(0);
	});
});

describe('Bitrix24 Poll Trigger', () => {
	it('starts from now, then emits each deal that reached a won stage, once', async () => {
		const sandbox = await startBitrix24Sandbox({ seed: { deals: 20 } });
		try {
			const credentials = { bitrix24WebhookApi: { webhookUrl: sandbox.createWebhook().url, ratePlan: 'standard', ignoreSslIssues: true } };
			const node: INode = { id: 'poll', name: 'Poll', type: `${PACKAGE}.bitrix24PollTrigger`, typeVersion: 1, position: [0, 0], parameters: { authentication: 'webhook', stageMode: 'anyWon', branchField: 'UF_CRM_1700000000001' }, credentials: { bitrix24WebhookApi: { id: '1', name: 'Portal' } } };
			const staticData: IDataObject = {};
			expect(await callPoll(node, { credentials, staticData })).toBeNull();
			const cursor = (staticData['node:Poll'] as { lastHistoryId: number }).lastHistoryId;
			expect(cursor).toBe(sandbox.portal.stageHistory.length);

			const fresh = [1, 2, 3].map((n) => sandbox.portal.addDeal({ TITLE: `Poll ${n}`, CATEGORY_ID: 0, CONTACT_ID: n }, { userId: 1, via: 'ui' }));
			sandbox.moveDealInUi(fresh[0], 'WON');
			sandbox.moveDealInUi(fresh[1], 'LOSE');
			sandbox.moveDealInUi(fresh[2], 'WON');
			const first = await callPoll(node, { credentials, staticData });
			expect(first?.[0].map((i) => (i.json.deal as { id: number }).id)).toEqual([fresh[0], fresh[2]]);
			expect(first?.[0][0].json).toMatchObject({ source: 'polling', event: 'STAGE_HISTORY', stage: { id: 'WON', semantic: 'S' } });
			expect(await callPoll(node, { credentials, staticData })).toBeNull();

			// "Fetch test event" shows the newest matching entry and leaves the cursor alone.
			const manual = await callPoll(node, { credentials, staticData: {}, mode: 'manual' });
			expect((manual?.[0][0].json.deal as { id: number }).id).toBe(fresh[2]);
			expect(processGuards.recent.has(String(first?.[0][0].json.eventKey))).toBe(true);
		} finally {
			await sandbox.stop();
		}
	});

	it('as a catch-up behind the webhook trigger: waits out the settle time, skips deals the workflow marked, keys entries as the webhook does', async () => {
		const sandbox = await startBitrix24Sandbox({ seed: { deals: 26 } });
		try {
			const credentials = { bitrix24WebhookApi: { webhookUrl: sandbox.createWebhook().url, ratePlan: 'standard', ignoreSslIssues: true } };
			const marker = 'UF_CRM_1700000000002';
			const node: INode = {
				id: 'catchUp',
				name: 'Catch up',
				type: `${PACKAGE}.bitrix24PollTrigger`,
				typeVersion: 1,
				position: [0, 0],
				parameters: { authentication: 'webhook', stageMode: 'anyWon', options: { markerField: marker, settleMinutes: 5 } },
				credentials: { bitrix24WebhookApi: { id: '1', name: 'Portal' } },
			};
			const staticData: IDataObject = {};
			expect(await callPoll(node, { credentials, staticData })).toBeNull();
			const [handled, missed] = [1, 2].map((n) => sandbox.portal.addDeal({ TITLE: `Catch up ${n}`, CATEGORY_ID: 0, CONTACT_ID: n }, { userId: 1, via: 'ui' }));
			sandbox.moveDealInUi(handled, 'WON');
			sandbox.moveDealInUi(missed, 'WON');
			// Fresh entries wait for the settle time: the webhook trigger has its turn first.
			expect(await callPoll(node, { credentials, staticData })).toBeNull();

			// Ten minutes later; the stage history's moment differs from MOVED_TIME by a second, as it may in Bitrix24.
			for (const id of [handled, missed]) sandbox.backdateStageEntries(id, 10 * 60_000, 1000);
			// The workflow marked the deal its webhook event started, with the webhook's key (MOVED_TIME).
			const webhookKey = (id: number) => dealEventKey(id, 'WON', String(sandbox.portal.getDeal(id).MOVED_TIME));
			sandbox.portal.updateDeal(handled, { [marker]: `survey queued ${webhookKey(handled)}` }, { userId: 1, via: 'webhook' });

			const caught = await callPoll(node, { credentials, staticData });
			expect(caught?.[0].map((i) => (i.json.deal as { id: number }).id)).toEqual([missed]);
			expect(caught?.[0][0].json.eventKey).toBe(webhookKey(missed));
			expect(await callPoll(node, { credentials, staticData })).toBeNull();
		} finally {
			await sandbox.stop();
		}
	});

	it('resumes deals whose mark still reads "queued" (their run died), past its own memory; leaves finished ones alone', async () => {
		const sandbox = await startBitrix24Sandbox({ seed: { deals: 39 } });
		try {
			const credentials = { bitrix24WebhookApi: { webhookUrl: sandbox.createWebhook().url, ratePlan: 'standard', ignoreSslIssues: true } };
			const marker = 'UF_CRM_1700000000002';
			const pollNode = (name: string, options: IDataObject): INode => ({
				id: name,
				name,
				type: `${PACKAGE}.bitrix24PollTrigger`,
				typeVersion: 1,
				position: [0, 0],
				parameters: { authentication: 'webhook', stageMode: 'anyWon', options: { markerField: marker, ...options } },
				credentials: { bitrix24WebhookApi: { id: '1', name: 'Portal' } },
			});
			const catchUp = { node: pollNode('Catch up', { settleMinutes: 5 }), staticData: {} as IDataObject };
			const resume = { node: pollNode('Resume', { settleMinutes: 60, unfinishedMark: 'survey queued' }), staticData: {} as IDataObject };
			const poll = async (which: typeof catchUp) => ((await callPoll(which.node, { credentials, staticData: which.staticData }))?.[0] ?? []).map((i) => i.json);
			expect(await poll(catchUp)).toEqual([]);
			expect(await poll(resume)).toEqual([]);
			const [died, finished, neverStarted] = [1, 2, 3].map((n) => sandbox.portal.addDeal({ TITLE: `Resume ${n}`, CATEGORY_ID: 0, CONTACT_ID: n }, { userId: 1, via: 'ui' }));
			for (const id of [died, finished, neverStarted]) sandbox.moveDealInUi(id, 'WON');
			// Two hours later.
			for (const id of [died, finished, neverStarted]) sandbox.backdateStageEntries(id, 2 * 3600_000);
			const keyOf = (id: number) => dealEventKey(id, 'WON', String(sandbox.portal.getDeal(id).MOVED_TIME));
			sandbox.portal.updateDeal(died, { [marker]: `survey queued ${keyOf(died)}` }, { userId: 1, via: 'webhook' });
			sandbox.portal.updateDeal(finished, { [marker]: `survey sent ${keyOf(finished)}` }, { userId: 1, via: 'webhook' });

			// The catch-up takes only the deal nothing marked (and this process remembers its entry).
			expect((await poll(catchUp)).map((item) => (item.deal as { id: number }).id)).toEqual([neverStarted]);
			expect(processGuards.recent.has(keyOf(neverStarted))).toBe(true);
			// The resume poll takes the one still queued, and the unmarked one again: what was emitted may have died.
			const resumed = await poll(resume);
			expect(resumed.map((item) => (item.deal as { id: number }).id)).toEqual([died, neverStarted]);
			// The item names the field, so the workflow marks the same one.
			expect(resumed[0]).toMatchObject({ eventKey: keyOf(died), markerField: marker });
			expect(await poll(resume)).toEqual([]);
		} finally {
			await sandbox.stop();
		}
	});

	it('keeps its place when a deal cannot be read for a passing reason, and emits it on the next poll', async () => {
		const sandbox = await startBitrix24Sandbox({ seed: { deals: 33 } });
		// Deal IDs differ from the other tests': the process remembers handled stage entries by deal, stage and second.
		try {
			const credentials = { bitrix24WebhookApi: { webhookUrl: sandbox.createWebhook().url, ratePlan: 'standard', ignoreSslIssues: true } };
			const node: INode = { id: 'poll3', name: 'Poll', type: `${PACKAGE}.bitrix24PollTrigger`, typeVersion: 1, position: [0, 0], parameters: { authentication: 'webhook', stageMode: 'anyWon' }, credentials: { bitrix24WebhookApi: { id: '1', name: 'Portal' } } };
			const staticData: IDataObject = {};
			expect(await callPoll(node, { credentials, staticData })).toBeNull();
			const cursor = (staticData['node:Poll'] as { lastHistoryId: number }).lastHistoryId;
			const deal = sandbox.portal.addDeal({ TITLE: 'Unlucky', CATEGORY_ID: 0, CONTACT_ID: 3 }, { userId: 1, via: 'ui' });
			sandbox.moveDealInUi(deal, 'WON');
			// Bitrix24 answers 500 longer than the client retries (its backoff shortened for the test).
			const backoff = jest.spyOn(Bitrix24Client.prototype as unknown as { backoffMs: () => number }, 'backoffMs').mockReturnValue(1);
			sandbox.addFault({ kind: 'serverError', method: 'batch', times: 20 });
			await expect(callPoll(node, { credentials, staticData })).rejects.toThrow(/server error/);
			expect((staticData['node:Poll'] as { lastHistoryId: number }).lastHistoryId).toBe(cursor);
			sandbox.clearFaults();
			backoff.mockRestore();
			const items = await callPoll(node, { credentials, staticData });
			expect(items?.[0].map((i) => (i.json.deal as { id: number }).id)).toEqual([deal]);
		} finally {
			await sandbox.stop();
		}
	});

	it('catches up from a date on the first poll', async () => {
		const sandbox = await startBitrix24Sandbox({ seed: { deals: 40 } });
		try {
			const credentials = { bitrix24WebhookApi: { webhookUrl: sandbox.createWebhook().url, ratePlan: 'standard', ignoreSslIssues: true } };
			const since = new Date(Date.now() - 30 * 86400_000).toISOString();
			const node: INode = { id: 'poll2', name: 'Poll', type: `${PACKAGE}.bitrix24PollTrigger`, typeVersion: 1, position: [0, 0], parameters: { authentication: 'webhook', stageMode: 'anyWon', backfillFrom: since }, credentials: { bitrix24WebhookApi: { id: '1', name: 'Portal' } } };
			const expected = sandbox.portal.stageHistory.filter((h) => h.STAGE_SEMANTIC_ID === 'S' && Date.parse(h.CREATED_TIME) >= Date.parse(since)).map((h) => h.OWNER_ID);
			const items = await callPoll(node, { credentials, staticData: {} });
			expect(expected.length).toBeGreaterThan(0);
			expect(items?.[0].map((i) => (i.json.deal as { id: number }).id)).toEqual(expected);
		} finally {
			await sandbox.stop();
		}
	});
});
