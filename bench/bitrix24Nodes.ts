/* eslint-disable no-console, @n8n/community-nodes/no-restricted-globals -- a command-line benchmark: prints its figures, reads its arguments, sets its exit code */
/**
 * HTTP calls per deal that our nodes make to Bitrix24, run in n8n's engine against the sandbox
 * portal, beside a naive peer that makes one call per operation:
 *
 * - trigger enrichment: the Bitrix24 Trigger gets the portal's own ONCRMDEALUPDATE form bodies
 *   and emits each deal with its contact, responsible, department, stage, pipeline and branch;
 * - write-back of one answer: move the deal to another pipeline, add a timeline comment, create
 *   a task for the deal's responsible and save the answer as a smart-process row (one per deal),
 *   with the answers arriving together (one run) and one by one (a run each).
 *
 * Last line: `bitrix24_calls_per_deal=<trigger + write-back one by one>` (target ≤ 3).
 */

import type { ICredentialDataDecryptedObject, IConnections, IDataObject, INode } from 'n8n-workflow';

import { Bitrix24Client } from '../nodes/shared/bitrix24/client';
import { startBitrix24Sandbox, type Bitrix24Sandbox } from '../test/sandbox/bitrix24';
import { callWebhook, PACKAGE, runWorkflow } from '../test/support/engine';
import { httpTransport, realClock } from '../test/support/httpTransport';
import { startReceiver } from '../test/support/rawHttp';

const DEALS = 40;
const APP_TOKEN = ['bench', 'events', 'token'].join('-');
const UI = { userId: 1, via: 'ui' as const };

function callsSince(sandbox: Bitrix24Sandbox, mark: number): number {
	return sandbox.log.length - mark;
}

function perDeal(calls: number, deals: number): string {
	return (calls / deals).toFixed(2);
}

export async function main(): Promise<void> {
	// Call counts are what is measured: the portal's limits run 100x faster so pacing takes no time.
	const sandbox = await startBitrix24Sandbox({ seed: { deals: 20 }, timeScale: 100 });
	const receiver = await startReceiver();
	try {
		const seeded = sandbox.seeded;
		const hookUrl = sandbox.createWebhook().url;
		const credentials: Record<string, ICredentialDataDecryptedObject> = {
			bitrix24WebhookApi: { webhookUrl: hookUrl, ratePlan: 'enterprise', ignoreSslIssues: true, applicationToken: APP_TOKEN },
		};
		sandbox.addOutgoingWebhook(`${receiver.url}/events`, ['ONCRMDEALUPDATE'], APP_TOKEN);

		// Deals of the service pipeline, each handled by one of the branches' employees.
		const dealIds = Array.from({ length: DEALS }, (_, i) => {
			const branch = seeded.branches[i % seeded.branches.length];
			return sandbox.portal.addDeal(
				{ TITLE: `Bench ${i}`, CATEGORY_ID: 1, STAGE_ID: 'C1:NEW', CONTACT_ID: seeded.contactIds[i % seeded.contactIds.length], ASSIGNED_BY_ID: branch.employeeIds[1], UF_CRM_1700000000001: branch.id },
				UI,
			);
		});
		await sandbox.eventsDelivered();

		// --- trigger enrichment ------------------------------------------------------------------
		const eventsBefore = receiver.received.length;
		for (const id of dealIds) sandbox.moveDealInUi(id, seeded.stages.serviceQualityCheck);
		await sandbox.eventsDelivered();
		const bodies = receiver.received.slice(eventsBefore).map((r) => r.body);
		if (bodies.length !== DEALS) throw new Error(`the portal posted ${bodies.length} events for ${DEALS} moves`);
		const trigger: INode = {
			id: 'trigger',
			name: 'Bitrix24 Trigger',
			type: `${PACKAGE}.bitrix24Trigger`,
			typeVersion: 1,
			position: [0, 0],
			webhookId: 'bench',
			parameters: { source: 'outgoingWebhook', authentication: 'webhook', stageMode: 'stages', pipeline: 1, stages: [seeded.stages.serviceQualityCheck], branchField: seeded.branchField },
			credentials: { bitrix24WebhookApi: { id: '1', name: 'Sandbox' } },
		};
		let mark = sandbox.log.length;
		const emitted: IDataObject[] = [];
		for (const body of bodies) {
			const outcome = await callWebhook(trigger, { rawBody: body }, { credentials });
			emitted.push(...(outcome.result.workflowData?.[0] ?? []).map((item) => item.json));
		}
		const triggerCalls = callsSince(sandbox, mark);
		if (emitted.length !== DEALS || emitted.some((item) => !(item.branch as IDataObject | null)?.name || !(item.contact as IDataObject | null)?.phones)) {
			throw new Error(`the trigger emitted ${emitted.length} enriched deals for ${DEALS} events`);
		}
		// Peer: deal, contact, user, department, stage name, pipeline name, branch list, one call each.
		const naiveClient = new Bitrix24Client({ transport: httpTransport({ baseUrl: hookUrl, insecure: true }), clock: realClock, rateLimit: { drainPerSecond: 200, burst: 50 } });
		// Each side starts with the portal's counter empty, as its own client assumes.
		sandbox.resetLimits();
		mark = sandbox.log.length;
		for (const id of dealIds) {
			const { result: deal } = await naiveClient.call<Record<string, string>>('crm.deal.get', { id });
			await naiveClient.call('crm.contact.get', { id: deal.CONTACT_ID });
			const { result: users } = await naiveClient.call<Array<{ UF_DEPARTMENT: number[] }>>('user.get', { ID: deal.ASSIGNED_BY_ID });
			await naiveClient.call('department.get', { ID: users[0].UF_DEPARTMENT[0] });
			await naiveClient.call('crm.status.list', { filter: { STATUS_ID: deal.STAGE_ID } });
			await naiveClient.call('crm.category.list', { entityTypeId: 2 });
			await naiveClient.call('crm.deal.userfield.list', { filter: { FIELD_NAME: seeded.branchField } });
		}
		const naiveTriggerCalls = callsSince(sandbox, mark);

		// --- write-back of one answer ------------------------------------------------------------
		const start: INode = { id: 'start', name: 'Answers', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [0, 0], parameters: {} };
		const writeBack: INode = {
			id: 'b24',
			name: 'Bitrix24',
			type: `${PACKAGE}.bitrix24`,
			typeVersion: 1,
			position: [200, 0],
			parameters: {
				authentication: 'webhook',
				resource: 'deal',
				operation: 'applyActions',
				dealId: { __rl: true, mode: 'id', value: '={{ $json.dealId }}' },
				actions: {
					move: { stage: seeded.stages.unhappyNew },
					comment: { text: '=NPS {{ $json.score }}: {{ $json.comment }}' },
					task: { title: '=Разобрать ответ NPS {{ $json.score }}', responsible: '', deadline: '2026-12-01T12:00:00' },
					row: { smartProcess: String(seeded.npsSmartProcess.entityTypeId), linkField: 'parentId2', fields: '={{ JSON.stringify({ UF_CRM_7_NPS_SCORE: $json.score, UF_CRM_7_COMMENT: $json.comment }) }}' },
				},
			},
			credentials: { bitrix24WebhookApi: { id: '1', name: 'Sandbox' } },
		};
		const connections: IConnections = { Answers: { main: [[{ node: 'Bitrix24', type: 'main', index: 0 }]] } };
		const answers = dealIds.map((dealId, i) => ({ dealId, score: i % 7, comment: 'Долго ждали мастера' }));
		const writeOnce = async (input: IDataObject[]) => {
			const { run, output } = await runWorkflow({ nodes: [start, writeBack], connections }, { credentials, input, startNode: 'Answers' });
			if (run.status !== 'success' || output('Bitrix24').length !== input.length) throw new Error(`the write-back run ended ${run.status}`);
		};

		sandbox.resetLimits();
		const together = answers.slice(0, DEALS / 2);
		const oneByOne = answers.slice(DEALS / 2);
		mark = sandbox.log.length;
		await writeOnce(together);
		const togetherCalls = callsSince(sandbox, mark);
		mark = sandbox.log.length;
		for (const answer of oneByOne) await writeOnce([answer]);
		const oneByOneCalls = callsSince(sandbox, mark);
		const rows = [...sandbox.portal.itemStore(seeded.npsSmartProcess.entityTypeId).values()];
		if (dealIds.some((id) => rows.filter((row) => row.parentId2 === id).length !== 1)) throw new Error('a deal does not have exactly one result row');

		// Peer: one call per operation, the row looked up before it is written.
		const peerDeals = dealIds.slice(0, 10);
		sandbox.resetLimits();
		mark = sandbox.log.length;
		for (const id of peerDeals) {
			await naiveClient.call('crm.item.update', { entityTypeId: 2, id, fields: { categoryId: 2, stageId: seeded.stages.unhappyInvestigation } });
			await naiveClient.call('crm.timeline.comment.add', { fields: { ENTITY_ID: id, ENTITY_TYPE: 'deal', COMMENT: 'NPS 3' } });
			const { result: deal } = await naiveClient.call<Record<string, string>>('crm.deal.get', { id });
			await naiveClient.call('tasks.task.add', { fields: { TITLE: 'Разобрать ответ NPS 3', RESPONSIBLE_ID: deal.ASSIGNED_BY_ID, UF_CRM_TASK: [`D_${id}`] } });
			const { result: found } = await naiveClient.call<{ items: Array<{ id: number }> }>('crm.item.list', { entityTypeId: seeded.npsSmartProcess.entityTypeId, filter: { parentId2: id } });
			await naiveClient.call('crm.item.update', { entityTypeId: seeded.npsSmartProcess.entityTypeId, id: found.items[0].id, fields: { UF_CRM_7_NPS_SCORE: 3 } });
		}
		const peerWriteCalls = callsSince(sandbox, mark);

		const triggerPerDeal = triggerCalls / DEALS;
		const oneByOnePerDeal = oneByOneCalls / oneByOne.length;
		const row = (name: string, ours: string, peer: string, target: string) => console.log(`${name.padEnd(62)} ${ours.padStart(8)} ${peer.padStart(8)} ${target.padStart(8)}`);
		console.log(`HTTP calls per deal, ${DEALS} deals, n8n engine against the sandbox portal (peer: one call per operation)`);
		row('', 'ours', 'peer', 'target');
		row('trigger: event → enriched deal', perDeal(triggerCalls, DEALS), perDeal(naiveTriggerCalls, DEALS), '1');
		row(`write-back, ${together.length} answers together (move+comment+task+row)`, perDeal(togetherCalls, together.length), perDeal(peerWriteCalls, peerDeals.length), '≤ 1');
		row(`write-back, ${oneByOne.length} answers one by one`, perDeal(oneByOneCalls, oneByOne.length), perDeal(peerWriteCalls, peerDeals.length), '≤ 2');
		row('trigger + write-back one by one', (triggerPerDeal + oneByOnePerDeal).toFixed(2), ((naiveTriggerCalls + (peerWriteCalls * DEALS) / peerDeals.length) / DEALS).toFixed(2), '≤ 3');
		console.log(`bitrix24_calls_per_deal=${Number((triggerPerDeal + oneByOnePerDeal).toFixed(2))}`);
	} finally {
		await receiver.stop();
		await sandbox.stop();
	}
}

if (require.main === module) {
	main().catch((error: unknown) => {
		console.error(error);
		process.exit(1);
	});
}
