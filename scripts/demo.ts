/* eslint-disable no-console, @n8n/community-nodes/no-restricted-globals -- a command-line demo: prints what happens, reads flags, waits for Ctrl+C */
/**
 * `npm run demo`: the package at work in a real n8n, against the built-in Bitrix24 sandbox.
 *
 * 1. Starts the sandbox portal (a chain of shops in several cities, deals, contacts).
 * 2. Installs the pinned n8n once, installs this package into it as a community package, and
 *    starts it on 127.0.0.1 with an owner account.
 * 3. Creates a Bitrix24 credential for the sandbox and publishes a workflow: Webhook (the
 *    portal's outgoing webhook, ONCRMDEALUPDATE) → Bitrix24 (deal, contact and responsible
 *    employee in one batch request).
 * 4. A manager moves deals to "won" in the portal; the portal posts its events to n8n; the
 *    demo prints what n8n read for each deal.
 *
 * `--once` stops everything afterwards; otherwise n8n stays up for a look around until Ctrl+C.
 */

import { startBitrix24Sandbox, type Bitrix24Sandbox } from '../test/sandbox/bitrix24';
import { startN8n, type RunningN8n, OWNER } from '../test/support/n8n';

export interface DemoResult {
	sandbox: Bitrix24Sandbox;
	n8n: RunningN8n;
	/** What the workflow read, per deal moved to "won". */
	deals: Array<{ dealId: string; title: string; customer: string; phone: string; responsible: string; branch: string }>;
	stop(): Promise<void>;
}

const WEBHOOK_PATH = 'bitrix24-deal-events';

/** The demo workflow, as it would be imported: node types of an installed community package. */
function demoWorkflow(credentialId: string) {
	return {
		name: 'Demo: Bitrix24 deal event → deal, contact and employee in one request',
		nodes: [
			{
				id: 'demo-webhook',
				name: 'Bitrix24 outgoing webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: 'demo-bitrix24-deal-events',
				parameters: { path: WEBHOOK_PATH, httpMethod: 'POST', responseMode: 'onReceived', options: {} },
			},
			{
				id: 'demo-read',
				name: 'Read deal, contact and employee',
				type: 'n8n-nodes-bitrix24-nps.bitrix24',
				typeVersion: 1,
				position: [320, 0],
				parameters: {
					authentication: 'webhook',
					resource: 'restApi',
					operation: 'callMethod',
					method: 'batch',
					// One HTTP request: the contact and the employee come from the deal by $result references.
					parameters:
						'={{ JSON.stringify({ halt: 0, cmd: { deal: "crm.deal.get?id=" + $json.body["data[FIELDS][ID]"], contact: "crm.contact.get?id=$result[deal][CONTACT_ID]", employee: "user.get?ID=$result[deal][ASSIGNED_BY_ID]", fields: "crm.deal.userfield.list?filter[FIELD_NAME]=UF_CRM_1700000000001" } }) }}',
				},
				credentials: { bitrix24WebhookApi: { id: credentialId, name: 'Bitrix24 sandbox' } },
			},
		],
		connections: { 'Bitrix24 outgoing webhook': { main: [[{ node: 'Read deal, contact and employee', type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1' },
	};
}

interface BatchAnswer {
	result: {
		result: {
			deal: Record<string, string>;
			contact: { NAME: string; LAST_NAME: string; PHONE?: Array<{ VALUE: string }> };
			employee: Array<{ NAME: string; LAST_NAME: string }>;
			fields: Array<{ LIST: Array<{ ID: string; VALUE: string }> }>;
		};
	};
}

export async function runDemo(options: { deals?: number; log?: (line: string) => void } = {}): Promise<DemoResult> {
	const log = options.log ?? ((line: string) => console.log(line));
	log('Starting the Bitrix24 sandbox portal…');
	const sandbox = await startBitrix24Sandbox({ seed: { deals: 60 } });
	let n8n: RunningN8n | undefined;
	let failure: unknown;
	try {
		const hook = sandbox.createWebhook();
		log(`  portal: ${sandbox.url} (inbound webhook ${hook.url})`);
		log('Starting n8n with this package installed (the first run installs n8n, a few minutes)…');
		n8n = await startN8n();
		log(`  n8n: ${n8n.baseUrl} (owner ${OWNER.email} / ${OWNER.password})`);

		const credential = await n8n.api<{ id: string }>('POST', '/credentials', {
			name: 'Bitrix24 sandbox',
			type: 'bitrix24WebhookApi',
			data: { webhookUrl: hook.url, ratePlan: 'standard', ignoreSslIssues: true },
		});
		if (credential.status !== 200) throw new Error(`Could not create the credential: ${JSON.stringify(credential.body)}`);
		const workflowId = await n8n.publish(demoWorkflow(credential.body.id), [WEBHOOK_PATH]);
		log(`  workflow published: ${n8n.baseUrl}/workflow/${workflowId}`);

		// In the portal: Developer resources → Outgoing webhook → ONCRMDEALUPDATE → this URL.
		sandbox.addOutgoingWebhook(`${n8n.baseUrl}/webhook/${WEBHOOK_PATH}`, ['ONCRMDEALUPDATE']);
		const open = [...sandbox.portal.deals.values()].filter((d) => d.STAGE_SEMANTIC_ID === 'P' && d.CATEGORY_ID === '0').slice(0, options.deals ?? 3);
		log(`A manager closes ${open.length} deals as won; the portal posts ONCRMDEALUPDATE to n8n…`);
		for (const deal of open) sandbox.moveDealInUi(Number(deal.ID), 'WON', Number(deal.ASSIGNED_BY_ID));
		await sandbox.eventsDelivered();

		const deals: DemoResult['deals'] = [];
		const deadline = Date.now() + 60_000;
		let executions: Array<{ id: string; status: string }> = [];
		while (Date.now() < deadline) {
			executions = (await n8n.api<{ data: Array<{ id: string; status: string }> }>('GET', `/executions?workflowId=${workflowId}&limit=50`)).body.data;
			if (executions.length >= open.length && executions.every((e) => e.status !== 'running' && e.status !== 'new')) break;
			await new Promise((r) => setTimeout(r, 300));
		}
		for (const execution of executions) {
			const details = await n8n.api<{ status: string; data: { resultData: { runData: Record<string, Array<{ data?: { main: Array<Array<{ json: BatchAnswer }>> } }>> } } }>('GET', `/executions/${execution.id}?includeData=true`);
			const answer = details.body.data.resultData.runData['Read deal, contact and employee']?.[0]?.data?.main[0]?.[0]?.json;
			if (!answer) throw new Error(`Execution ${execution.id} ended ${details.body.status} without output`);
			const { deal, contact, employee, fields } = answer.result.result;
			const branch = fields[0]?.LIST.find((item) => item.ID === deal.UF_CRM_1700000000001)?.VALUE ?? '';
			deals.push({
				dealId: deal.ID,
				title: deal.TITLE,
				customer: `${contact.NAME} ${contact.LAST_NAME}`,
				phone: contact.PHONE?.[0]?.VALUE ?? '',
				responsible: `${employee[0].NAME} ${employee[0].LAST_NAME}`,
				branch,
			});
		}
		deals.sort((a, b) => Number(a.dealId) - Number(b.dealId));
		log('What n8n read, one Bitrix24 request per deal:');
		for (const d of deals) log(`  deal ${d.dealId} "${d.title}" — ${d.customer} ${d.phone} — ${d.responsible} — branch ${d.branch}`);
		const batches = sandbox.log.filter((entry) => entry.method === 'batch').length;
		log(`The portal saw ${batches} batch request(s) for ${deals.length} deal(s).`);
		const running = n8n;
		return {
			sandbox,
			n8n: running,
			deals,
			stop: async () => {
				await running.stop();
				await sandbox.stop();
			},
		};
	} catch (error) {
		failure = error;
	}
	await n8n?.stop();
	await sandbox.stop();
	throw failure;
}

if (require.main === module) {
	const once = process.argv.includes('--once');
	runDemo()
		.then(async (demo) => {
			if (once) {
				await demo.stop();
				return;
			}
			console.log(`\nn8n stays up at ${demo.n8n.baseUrl} (log in as ${OWNER.email} / ${OWNER.password}). Press Ctrl+C to stop.`);
			const shutdown = () => {
				demo.stop().finally(() => process.exit(0));
			};
			process.on('SIGINT', shutdown);
			process.on('SIGTERM', shutdown);
		})
		.catch((error: unknown) => {
			console.error(error);
			process.exit(1);
		});
}
