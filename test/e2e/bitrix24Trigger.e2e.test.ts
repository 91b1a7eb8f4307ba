/**
 * The Bitrix24 Trigger in a real n8n: a published workflow gets the sandbox portal's own
 * ONCRMDEALUPDATE posts, starts one execution per deal that reaches the stage (however many
 * events arrive, including those its own write-back causes), and starts nothing for a forged post,
 * an event of another stage, or a deal that is gone.
 */

import { sleep } from 'n8n-workflow';

import { Bitrix24Sandbox, startBitrix24Sandbox } from '../sandbox/bitrix24';
import { rawRequest } from '../support/rawHttp';
import { freePort, RunningN8n, startN8n, waitForWebhooks } from '../support/n8n';
import { randomBytes } from 'node:crypto';

jest.setTimeout(15 * 60_000);

const APP_TOKEN = ['e2e', 'application', 'token', '42'].join('-');
const WEBHOOK_ID = 'e2e-bitrix24-trigger';
const UI = { userId: 1, via: 'ui' as const };

interface Execution {
	id: string;
	status: string;
}

describe('Bitrix24 Trigger in a real n8n', () => {
	let n8n: RunningN8n;
	let sandbox: Bitrix24Sandbox;
	let workflowId: string;
	let eventUrl: string;
	/** Deals handled by the first test: in the stage, one comment and one row each. */
	let handled: number[] = [];
	// Kept across a restart of n8n: the same port, user folder and encryption key.
	const restartable = { port: 0, env: { N8N_ENCRYPTION_KEY: randomBytes(24).toString('hex') } };

	beforeAll(async () => {
		sandbox = await startBitrix24Sandbox({ seed: { deals: 30 } });
		restartable.port = await freePort();
		n8n = await startN8n(restartable);
		const credential = await n8n.api<{ id: string }>('POST', '/credentials', {
			name: 'Bitrix24 sandbox',
			type: 'bitrix24WebhookApi',
			data: { webhookUrl: sandbox.createWebhook().url, ratePlan: 'standard', ignoreSslIssues: true, applicationToken: APP_TOKEN },
		});
		if (credential.status !== 200) throw new Error(`credential: HTTP ${credential.status} ${JSON.stringify(credential.body)}`);
		const credentials = { bitrix24WebhookApi: { id: credential.body.id, name: 'Bitrix24 sandbox' } };
		workflowId = await n8n.publish(
			{
				name: 'E2E: quality check reached → comment, survey status, result row',
				nodes: [
					{
						id: 'trigger',
						name: 'Deal reached quality check',
						type: 'n8n-nodes-bitrix24-nps.bitrix24Trigger',
						typeVersion: 1,
						position: [0, 0],
						webhookId: WEBHOOK_ID,
						parameters: {
							source: 'outgoingWebhook',
							stageMode: 'stages',
							pipeline: 1,
							stages: ['C1:QUALITY_CHECK'],
							branchField: 'UF_CRM_1700000000001',
							// Durable "handled" mark, kept in the deal itself: survives restarts of n8n.
							options: { markerField: 'UF_CRM_1700000000002' },
						},
						credentials,
					},
					{
						id: 'write',
						name: 'Write back',
						type: 'n8n-nodes-bitrix24-nps.bitrix24',
						typeVersion: 1,
						position: [300, 0],
						parameters: {
							resource: 'deal',
							operation: 'applyActions',
							dealId: { __rl: true, mode: 'id', value: '={{ $json.deal.id }}' },
							actions: {
								// Our own write: the portal posts ONCRMDEALUPDATE for it again.
								// and the mark the trigger checks: the event key of the stage entry handled.
								update: { fields: '={{ JSON.stringify({ UF_CRM_1700000000002: "survey queued " + $json.eventKey }) }}' },
								comment: { text: '=NPS survey queued for {{ $json.contact.fullName }} ({{ $json.branch.name }})' },
								row: { smartProcess: '1032', linkField: 'parentId2', fields: '={{ JSON.stringify({ UF_CRM_7_BRANCH: $json.branch.name }) }}' },
							},
						},
						credentials,
					},
					{
						id: 'fail',
						name: 'Deal could not be read',
						type: 'n8n-nodes-base.stopAndError',
						typeVersion: 1,
						position: [300, 200],
						parameters: { errorType: 'errorMessage', errorMessage: '={{ $json.error }}' },
					},
				],
				connections: {
					'Deal reached quality check': {
						main: [[{ node: 'Write back', type: 'main', index: 0 }], [{ node: 'Deal could not be read', type: 'main', index: 0 }]],
					},
				},
				settings: { executionOrder: 'v1' },
			},
			[`${WEBHOOK_ID}/events`],
		);
		eventUrl = `${n8n.baseUrl}/webhook/${WEBHOOK_ID}/events`;
		sandbox.addOutgoingWebhook(eventUrl, ['ONCRMDEALUPDATE'], APP_TOKEN);
	});

	afterAll(async () => {
		await n8n?.stop();
		await sandbox?.stop();
	});

	async function executions(): Promise<Execution[]> {
		return (await n8n.api<{ data: Execution[] }>('GET', `/executions?workflowId=${workflowId}&limit=250`)).body.data;
	}

	/** Waits until the portal has delivered everything and n8n has started and finished all it will. */
	async function settled(): Promise<Execution[]> {
		let previous = -1;
		let stableSince = Date.now();
		for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
			await sandbox.eventsDelivered();
			const list = await executions();
			const busy = list.some((e) => e.status === 'running' || e.status === 'new');
			if (list.length !== previous || busy) {
				previous = list.length;
				stableSince = Date.now();
			} else if (Date.now() - stableSince > 1500) {
				return list;
			}
			await sleep(200);
		}
		throw new Error('executions did not settle');
	}

	function newDeal(title: string): number {
		const branch = sandbox.seeded.branches[2];
		return sandbox.portal.addDeal({ TITLE: title, CATEGORY_ID: 1, STAGE_ID: 'C1:IN_WORK', CONTACT_ID: sandbox.seeded.contactIds[3], ASSIGNED_BY_ID: branch.employeeIds[1], UF_CRM_1700000000001: branch.id }, UI);
	}

	it('runs once per deal reaching the stage, despite repeated events and the events its own writes cause', async () => {
		const deals = [newDeal('E2E one'), newDeal('E2E two'), newDeal('E2E three')];
		handled = deals;
		const before = (await settled()).length;
		const deliveriesBefore = sandbox.events.deliveries.length;
		for (const id of deals) sandbox.moveDealInUi(id, 'C1:QUALITY_CHECK');
		// A manager keeps editing the first deal: four more ONCRMDEALUPDATE for the same stage entry.
		for (let i = 0; i < 4; i++) sandbox.portal.updateDeal(deals[0], { COMMENTS: `edit ${i}` }, UI);
		let list = await settled();
		// On a busy machine the three may take longer than a quiet moment; then settle again to catch extras.
		for (const deadline = Date.now() + 60_000; list.length < before + 3 && Date.now() < deadline; ) {
			await sleep(500);
			list = await settled();
		}
		expect(list.length - before).toBe(3);
		expect(list.slice(0, 3).every((e) => e.status === 'success')).toBe(true);

		const deliveries = sandbox.events.deliveries.slice(deliveriesBefore);
		// 3 moves + 4 edits + 3 own writes (survey status field), all answered 200.
		expect(deliveries.filter((d) => d.event === 'ONCRMDEALUPDATE').length).toBeGreaterThanOrEqual(10);
		expect(deliveries.every((d) => d.status === 200)).toBe(true);
		for (const id of deals) {
			expect(sandbox.portal.getDeal(id).UF_CRM_1700000000002).toMatch(new RegExp(`^survey queued ${id}\\|C1:QUALITY_CHECK\\|`));
			expect(sandbox.portal.timelineComments.filter((c) => c.ENTITY_ID === id)).toHaveLength(1);
			expect([...sandbox.portal.itemStore(1032).values()].filter((row) => row.parentId2 === id)).toHaveLength(1);
		}

		const details = await n8n.api<{ data: { resultData: { runData: Record<string, Array<{ data: { main: Array<Array<{ json: Record<string, unknown> }>> } }>> } } }>(
			'GET',
			`/executions/${list[0].id}?includeData=true`,
		);
		const emitted = details.body.data.resultData.runData['Deal reached quality check'][0].data.main[0][0].json;
		expect(emitted).toMatchObject({ source: 'outgoingWebhook', event: 'ONCRMDEALUPDATE', stage: { id: 'C1:QUALITY_CHECK' }, branch: { name: sandbox.seeded.branches[2].name } });
	});

	it('answers a forged post 401 and an event of another stage 200, starting nothing', async () => {
		const before = (await settled()).length;
		const id = newDeal('E2E elsewhere');
		const forged = `event=ONCRMDEALUPDATE&data%5BFIELDS%5D%5BID%5D=${id}&ts=1&auth%5Bdomain%5D=evil.example&auth%5Bapplication_token%5D=not-the-token`;
		const answer = await rawRequest(eventUrl, { body: forged, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
		expect(answer.status).toBe(401);
		const missing = await rawRequest(eventUrl, { body: `event=ONCRMDEALUPDATE&data%5BFIELDS%5D%5BID%5D=${id}`, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
		expect(missing.status).toBe(401);
		sandbox.moveDealInUi(id, sandbox.seeded.stages.serviceCloseWorkOrder);
		const list = await settled();
		expect(list.length).toBe(before);
		expect(sandbox.events.deliveries.at(-1)).toMatchObject({ dealId: id, status: 200 });
	});

	it('starts nothing for a deal that is gone, and says so in the log', async () => {
		const before = (await settled()).length;
		const genuine = `event=ONCRMDEALUPDATE&data%5BFIELDS%5D%5BID%5D=987654&ts=1&auth%5Bdomain%5D=sandbox&auth%5Bapplication_token%5D=${APP_TOKEN}`;
		const answer = await rawRequest(eventUrl, { body: genuine, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
		expect(answer.status).toBe(200);
		expect((await settled()).length).toBe(before);
		expect(n8n.logs()).toMatch(/Bitrix24 Trigger: ONCRMDEALUPDATE: .*987654.*nothing started/);
	});

	it('when the portal fails after the event was answered, the deal comes out of "Could Not Read" and the execution fails naming it', async () => {
		const before = (await settled()).length;
		const id = newDeal('E2E portal down');
		sandbox.addFault({ kind: 'reset', method: 'batch', times: 10 });
		sandbox.moveDealInUi(id, 'C1:QUALITY_CHECK');
		// The execution starts only once the trigger's retries are spent (seconds on a busy machine):
		// wait for it rather than for a quiet moment.
		let list = await settled();
		for (const deadline = Date.now() + 90_000; list.length < before + 1 && Date.now() < deadline; ) {
			await sleep(500);
			list = await settled();
		}
		sandbox.clearFaults();
		expect(sandbox.events.deliveries.at(-1)).toMatchObject({ dealId: id, status: 200 });
		expect(list.length).toBe(before + 1);
		expect(list[0].status).toBe('error');
		const details = await n8n.api<{ data: { resultData: { error?: { message?: string } } } }>('GET', `/executions/${list[0].id}?includeData=true`);
		expect(details.body.data.resultData.error?.message).toContain(`Deal ${id}`);
	});

	it('after n8n restarts (its memory gone), a repeated event starts nothing: the mark in the deal says it was handled', async () => {
		expect(handled).toHaveLength(3);
		const userFolder = n8n.userFolder;
		await n8n.stop(true);
		n8n = await startN8n({ ...restartable, userFolder });
		await waitForWebhooks(n8n.baseUrl, [`${WEBHOOK_ID}/events`]);
		const before = (await settled()).length;
		for (const id of handled) {
			// A manager edits each handled deal after the restart: Bitrix24 posts ONCRMDEALUPDATE again.
			sandbox.portal.updateDeal(id, { COMMENTS: 'edited after the restart' }, UI);
		}
		const list = await settled();
		expect(sandbox.events.deliveries.slice(-3).every((d) => d.status === 200)).toBe(true);
		expect(list.length).toBe(before);
		for (const id of handled) {
			expect(sandbox.portal.timelineComments.filter((c) => c.ENTITY_ID === id)).toHaveLength(1);
			expect([...sandbox.portal.itemStore(1032).values()].filter((row) => row.parentId2 === id)).toHaveLength(1);
		}
		// A deal that reaches the stage after the restart still starts its execution.
		const fresh = newDeal('E2E after restart');
		sandbox.moveDealInUi(fresh, 'C1:QUALITY_CHECK');
		let after = await settled();
		for (const deadline = Date.now() + 60_000; after.length < before + 1 && Date.now() < deadline; ) {
			await sleep(500);
			after = await settled();
		}
		expect(after.length).toBe(before + 1);
		expect(after[0].status).toBe('success');
		expect(sandbox.portal.timelineComments.filter((c) => c.ENTITY_ID === fresh)).toHaveLength(1);
	});
});
