/* eslint-disable no-console, @n8n/community-nodes/no-restricted-globals -- a command-line demo: prints what happens, reads flags, waits for Ctrl+C */
/**
 * `npm run demo`: the package at work in a real n8n, against the built-in Bitrix24 sandbox.
 *
 * 1. Starts the sandbox portal (a chain of shops in several cities, deals, contacts).
 * 2. Installs the pinned n8n once, installs this package into it as a community package, and
 *    starts it on 127.0.0.1 with an owner account.
 * 3. Creates a Bitrix24 credential for the sandbox and publishes a workflow:
 *    Bitrix24 Trigger (the portal's outgoing webhook: a deal reached a won stage; the deal, its
 *    contact, employee and branch in one request; a deal whose survey status field already holds
 *    this stage entry's key is skipped, so once per stage entry even across restarts) → Bitrix24
 *    "Apply Several Actions" (survey status field with that key, timeline comment, NPS result row:
 *    one request).
 *    → NPS Survey Send (WhatsApp through the sandbox Wazzup, SMS through the sandbox SMSC as the
 *    fallback, the branch's words, a signed link). A second workflow serves the survey page:
 *    NPS Response Trigger → Score Branch.
 * 4. A manager moves deals to "won" in the portal; the portal posts its events to n8n (the
 *    workflow's own writes make the portal post again: those start nothing); the demo prints
 *    what n8n read, wrote and sent for each deal, then customers answer on the survey page
 *    (a 10, a 3 with a comment, an 8) and the demo prints how Score Branch split them, and a
 *    fresh survey link to try by hand in a browser.
 *
 * `--once` stops everything afterwards; otherwise n8n stays up for a look around until Ctrl+C.
 */

import { startBitrix24Sandbox, type Bitrix24Sandbox } from '../test/sandbox/bitrix24';
import { startSmscSandbox, type SmscSandbox } from '../test/sandbox/channels/smsc';
import { startWazzupSandbox, type WazzupSandbox } from '../test/sandbox/channels/wazzup';
import { rawRequest } from '../test/support/rawHttp';
import { startN8n, type RunningN8n, OWNER } from '../test/support/n8n';
import { signingKeysFrom, signToken, tokenFromUrl, verifyToken } from '../nodes/shared/survey/token';

export interface DemoDeal {
	dealId: number;
	title: string;
	customer: string;
	phone: string;
	responsible: string;
	branch: string;
	/** What the write-back did: the comment and the result row. */
	commentId: number;
	rowId: number;
}

export interface DemoResult {
	sandbox: Bitrix24Sandbox;
	n8n: RunningN8n;
	/** What the workflow read and wrote, per deal moved to "won". */
	deals: DemoDeal[];
	/** Executions the workflow ran (one per deal, however many events the portal posted). */
	executions: number;
	/** The surveys that reached the channel sandboxes, one per deal. */
	surveys: Array<{ dealId: number; channel: string; to: string; text: string; link: string }>;
	/** The answers given on the survey page and where Score Branch sent them. */
	answers: Array<{ dealId: number; score: number; category: string }>;
	/** A fresh survey link (for the first deal's branch) to open by hand. */
	liveSurveyLink: string;
	wazzup: WazzupSandbox;
	smsc: SmscSandbox;
	stop(): Promise<void>;
}

const WEBHOOK_ID = 'demo-bitrix24-trigger';
const TRIGGER = 'Deal won';
const WRITE_BACK = 'Survey queued: field, comment, result row';
const SEND = 'Send the NPS survey';
const ANSWERS_WEBHOOK_ID = 'demo-nps-answers';
const SCORE = 'Score Branch';
const SIGNING = { keyId: 'k1', secret: ['demo', 'survey', 'link', 'signing', 'secret'].join('-'), previousKeys: '', linkLifetimeDays: 30 };

/** The demo workflow, as it would be imported: node types of an installed community package. */
function demoWorkflow(credentialId: string, send: { credentials: Record<string, { id: string; name: string }>; surveyUrl: string; wazzupChannelId: string }) {
	const credentials = { bitrix24WebhookApi: { id: credentialId, name: 'Bitrix24 sandbox' } };
	return {
		name: 'Demo: Bitrix24 deal won → survey queued (read in one request, written in one request)',
		nodes: [
			{
				id: 'demo-trigger',
				name: TRIGGER,
				type: 'n8n-nodes-bitrix24-nps.bitrix24Trigger',
				typeVersion: 1,
				position: [0, 0],
				webhookId: WEBHOOK_ID,
				parameters: { source: 'outgoingWebhook', stageMode: 'anyWon', branchField: 'UF_CRM_1700000000001', options: { markerField: 'UF_CRM_1700000000002' } },
				credentials,
			},
			{
				id: 'demo-write',
				name: WRITE_BACK,
				type: 'n8n-nodes-bitrix24-nps.bitrix24',
				typeVersion: 1,
				position: [320, 0],
				parameters: {
					resource: 'deal',
					operation: 'applyActions',
					dealId: { __rl: true, mode: 'id', value: '={{ $json.deal.id }}' },
					actions: {
						update: { fields: '={{ JSON.stringify({ UF_CRM_1700000000002: "survey queued " + $json.eventKey }) }}' },
						comment: { text: '=NPS survey queued for {{ $json.contact.fullName }}, branch {{ $json.branch.name }}' },
						row: {
							smartProcess: '1032',
							linkField: 'parentId2',
							fields: '={{ JSON.stringify({ title: "NPS: " + $json.deal.title, UF_CRM_7_BRANCH: $json.branch.name, UF_CRM_7_CHANNEL: "pending" }) }}',
						},
					},
				},
				credentials,
			},
			{
				id: 'demo-send',
				name: SEND,
				type: 'n8n-nodes-bitrix24-nps.npsSurveySend',
				typeVersion: 1,
				position: [480, 0],
				parameters: {
					operation: 'send',
					// The deal as the trigger read it (the write-back's own output is about the write).
					dealId: `={{ $('${TRIGGER}').item.json.deal.id }}`,
					contactId: `={{ $('${TRIGGER}').item.json.contact.id }}`,
					phone: `={{ $('${TRIGGER}').item.json.contact.phones[0] }}`,
					firstName: `={{ $('${TRIGGER}').item.json.contact.name }}`,
					lastName: `={{ $('${TRIGGER}').item.json.contact.lastName }}`,
					branchId: `={{ $('${TRIGGER}').item.json.branch.value }}`,
					branchName: `={{ $('${TRIGGER}').item.json.branch.name }}`,
					employeeName: `={{ $('${TRIGGER}').item.json.responsible.fullName }}`,
					surveyUrl: send.surveyUrl,
					channels: ['wazzup', 'smsc'],
					wazzupChannelId: send.wazzupChannelId,
					language: 'ru',
					messageTemplate: 'Здравствуйте, {firstName}! Спасибо за покупку в магазине «{branch}». Оцените нас от 0 до 10: {link}',
					// Quiet hours off for the demo, so it shows something at any hour.
					quietStart: '00:00',
					quietEnd: '00:00',
				},
				credentials: send.credentials,
			},
			{
				id: 'demo-fail',
				name: 'Deal could not be read',
				type: 'n8n-nodes-base.stopAndError',
				typeVersion: 1,
				position: [320, 200],
				parameters: { errorType: 'errorMessage', errorMessage: '={{ $json.error }}' },
			},
		],
		connections: {
			[TRIGGER]: { main: [[{ node: WRITE_BACK, type: 'main', index: 0 }], [{ node: 'Deal could not be read', type: 'main', index: 0 }]] },
			[WRITE_BACK]: { main: [[{ node: SEND, type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
	};
}

/** The answers workflow: the survey page, then the four-way split. */
function answersWorkflow(signingCredentialId: string, branches: Array<{ id: string; name: string }>) {
	return {
		name: 'Demo: NPS answers (survey page → Score Branch)',
		nodes: [
			{
				id: 'demo-answers',
				name: 'Survey page',
				type: 'n8n-nodes-bitrix24-nps.npsResponseTrigger',
				typeVersion: 1,
				position: [0, 0],
				webhookId: ANSWERS_WEBHOOK_ID,
				parameters: {
					source: 'page',
					reviewPolicy: 'promoters',
					branches: {
						branch: branches.map((b, i) => ({
							id: b.id,
							name: b.name,
							yandex: `https://yandex.ru/maps/org/battery_shop/${1000000 + i}/reviews/?add-review=true`,
							twoGis: `https://2gis.ru/kazan/firm/7000000000${i}/tab/reviews/addreview`,
						})),
					},
				},
				credentials: { npsLinkSigningApi: { id: signingCredentialId, name: 'NPS links' } },
			},
			{
				id: 'demo-score',
				name: SCORE,
				type: 'n8n-nodes-bitrix24-nps.scoreBranch',
				typeVersion: 1,
				position: [240, 0],
				parameters: {},
			},
		],
		connections: { 'Survey page': { main: [[{ node: SCORE, type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1' },
	};
}

type RunData = Record<string, Array<{ data?: { main: Array<Array<{ json: Record<string, any> }>> } }>>; // eslint-disable-line @typescript-eslint/no-explicit-any

export async function runDemo(options: { deals?: number; log?: (line: string) => void } = {}): Promise<DemoResult> {
	const log = options.log ?? ((line: string) => console.log(line));
	log('Starting the Bitrix24 sandbox portal and the WhatsApp (Wazzup) and SMS (SMSC) sandboxes…');
	const sandbox = await startBitrix24Sandbox({ seed: { deals: 60 } });
	const wazzup = await startWazzupSandbox();
	const smsc = await startSmscSandbox();
	let n8n: RunningN8n | undefined;
	let failure: unknown;
	try {
		const hook = sandbox.createWebhook();
		log(`  portal: ${sandbox.url} (inbound webhook ${hook.url})`);
		log('Starting n8n with this package installed (the first run installs n8n, a few minutes)…');
		n8n = await startN8n();
		log(`  n8n: ${n8n.baseUrl} (owner ${OWNER.email} / ${OWNER.password})`);

		// In the portal: Developer resources → Outgoing webhook gives the application token.
		const eventUrl = `${n8n.baseUrl}/webhook/${WEBHOOK_ID}/events`;
		const outgoing = sandbox.addOutgoingWebhook(eventUrl, ['ONCRMDEALUPDATE']);
		const credential = await n8n.api<{ id: string }>('POST', '/credentials', {
			name: 'Bitrix24 sandbox',
			type: 'bitrix24WebhookApi',
			data: { webhookUrl: hook.url, ratePlan: 'standard', ignoreSslIssues: true, applicationToken: outgoing.applicationToken },
		});
		if (credential.status !== 200) throw new Error(`Could not create the credential: ${JSON.stringify(credential.body)}`);
		const create = async (name: string, type: string, data: Record<string, unknown>) => {
			const created = await n8n!.api<{ id: string }>('POST', '/credentials', { name, type, data });
			if (created.status !== 200) throw new Error(`Could not create the ${type} credential: ${JSON.stringify(created.body)}`);
			return { id: created.body.id, name };
		};
		const signing = await create('NPS links', 'npsLinkSigningApi', SIGNING);
		const wazzupCredential = await create('Wazzup sandbox', 'wazzupApi', { apiKey: wazzup.apiKey, baseUrl: wazzup.url });
		const smscCredential = await create('SMSC sandbox', 'smscApi', { login: smsc.login, password: smsc.password, baseUrl: smsc.url });
		const answersId = await n8n.publish(answersWorkflow(signing.id, sandbox.seeded.branches), [`${ANSWERS_WEBHOOK_ID}/s`]);
		const surveyUrl = `${n8n.baseUrl}/webhook/${ANSWERS_WEBHOOK_ID}/s`;
		log(`  survey page (NPS Response Trigger → Score Branch): ${surveyUrl}`);
		const workflowId = await n8n.publish(
			demoWorkflow(credential.body.id, {
				credentials: { npsLinkSigningApi: signing, wazzupApi: wazzupCredential, smscApi: smscCredential },
				surveyUrl,
				wazzupChannelId: wazzup.channelId,
			}),
			[`${WEBHOOK_ID}/events`],
		);
		log(`  workflow published: ${n8n.baseUrl}/workflow/${workflowId}`);
		log(`  the portal's outgoing webhook posts ONCRMDEALUPDATE to ${eventUrl}`);

		const open = [...sandbox.portal.deals.values()].filter((d) => d.STAGE_SEMANTIC_ID === 'P' && d.CATEGORY_ID === '0').slice(0, options.deals ?? 3);
		log(`A manager closes ${open.length} deals as won; the portal posts ONCRMDEALUPDATE to n8n…`);
		const requestsBefore = sandbox.log.length;
		for (const deal of open) sandbox.moveDealInUi(Number(deal.ID), 'WON', Number(deal.ASSIGNED_BY_ID));

		// Wait until the portal has posted everything (the workflow's own writes post again) and n8n is done.
		let executions: Array<{ id: string; status: string }> = [];
		let stableSince = Date.now();
		let previous = -1;
		for (const deadline = Date.now() + 60_000; ; ) {
			await sandbox.eventsDelivered();
			executions = (await n8n.api<{ data: Array<{ id: string; status: string }> }>('GET', `/executions?workflowId=${workflowId}&limit=50`)).body.data;
			const busy = executions.some((e) => e.status === 'running' || e.status === 'new');
			if (executions.length !== previous || busy) {
				previous = executions.length;
				stableSince = Date.now();
			} else if (executions.length >= open.length && Date.now() - stableSince > 1500) {
				break;
			}
			if (Date.now() > deadline) throw new Error(`The workflow ran ${executions.length} time(s) for ${open.length} deal(s) in a minute`);
			await new Promise((r) => setTimeout(r, 200));
		}

		const deals: DemoDeal[] = [];
		for (const execution of executions) {
			const details = await n8n.api<{ status: string; data: { resultData: { runData: RunData } } }>('GET', `/executions/${execution.id}?includeData=true`);
			const read = details.body.data.resultData.runData[TRIGGER]?.[0]?.data?.main[0]?.[0]?.json;
			const written = details.body.data.resultData.runData[WRITE_BACK]?.[0]?.data?.main[0]?.[0]?.json;
			if (details.body.status !== 'success' || !read || !written) throw new Error(`Execution ${execution.id} ended ${details.body.status}`);
			deals.push({
				dealId: read.deal.id,
				title: read.deal.title,
				customer: read.contact?.fullName ?? '',
				phone: read.contact?.phones?.[0] ?? '',
				responsible: read.responsible?.fullName ?? '',
				branch: read.branch?.name ?? '',
				commentId: written.commentId,
				rowId: written.row?.id,
			});
		}
		deals.sort((a, b) => a.dealId - b.dealId);
		log('What n8n read (one request per deal) and wrote (a result-row look-up, then one request per deal):');
		for (const d of deals) log(`  deal ${d.dealId} "${d.title}" — ${d.customer} ${d.phone} — ${d.responsible} — branch ${d.branch} → comment #${d.commentId}, result row #${d.rowId}`);
		const events = sandbox.events.deliveries.length;
		const requests = sandbox.log.length - requestsBefore;
		log(`The portal posted ${events} event(s); n8n ran ${executions.length} execution(s) and made ${requests} request(s) to the portal.`);

		// The surveys, as the customers got them.
		const surveys = [
			...wazzup.deliveries.map((d) => ({ channel: 'WhatsApp (Wazzup)', to: `+${d.to}`, text: d.text })),
			...smsc.deliveries.map((d) => ({ channel: 'SMS (SMSC)', to: d.to, text: d.text })),
		].map((m) => {
			const link = m.text.match(/https?:\/\/\S+/)?.[0] ?? '';
			const check = verifyToken(tokenFromUrl(link) ?? '', signingKeysFrom(SIGNING), { now: Math.floor(Date.now() / 1000) });
			return { ...m, link, dealId: check.ok ? check.claims.dealId : 0 };
		});
		log('What the customers got:');
		for (const m of surveys) log(`  deal ${m.dealId}, ${m.channel} to ${m.to}: ${m.text}`);

		// Customers answer on the page: a 10, a 3 with a comment, an 8 (the same form a browser posts).
		const scores = [10, 3, 8];
		const answered: Array<{ link: string; score: number }> = [];
		for (const [i, m] of surveys.entries()) {
			const score = scores[i % scores.length];
			const token = tokenFromUrl(m.link) ?? '';
			const body = new URLSearchParams({ t: token, step: 'score', score: String(score) }).toString();
			const page = await rawRequest(m.link, { method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
			if (page.status !== 200) throw new Error(`The survey page answered ${page.status} to a score of ${score}`);
			if (score <= 6) {
				const comment = new URLSearchParams({ t: token, step: 'comment', score: String(score), comment: 'Долго ждали на кассе' }).toString();
				await rawRequest(m.link, { method: 'POST', body: comment, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
			}
			answered.push({ link: m.link, score });
		}
		const expectedAnswers = answered.length + answered.filter((a) => a.score <= 6).length;
		let answerExecutions: Array<{ id: string; status: string }> = [];
		for (const deadline = Date.now() + 60_000; ; ) {
			answerExecutions = (await n8n.api<{ data: Array<{ id: string; status: string }> }>('GET', `/executions?workflowId=${answersId}&limit=50`)).body.data;
			if (answerExecutions.length >= expectedAnswers && answerExecutions.every((e) => e.status === 'success')) break;
			if (Date.now() > deadline) throw new Error(`The answers workflow ran ${answerExecutions.length} of ${expectedAnswers} time(s)`);
			await new Promise((r) => setTimeout(r, 200));
		}
		const outputs = ['promoter', 'passive', 'detractor', 'invalid'];
		const answers: DemoResult['answers'] = [];
		for (const execution of answerExecutions) {
			const details = await n8n.api<{ data: { resultData: { runData: RunData } } }>('GET', `/executions/${execution.id}?includeData=true`);
			const main = details.body.data.resultData.runData[SCORE]?.[0]?.data?.main ?? [];
			main.forEach((items, output) => {
				for (const item of items ?? []) {
					if (item.json.step === 'score') answers.push({ dealId: item.json.dealId, score: item.json.score, category: outputs[output] });
				}
			});
		}
		answers.sort((a, b) => a.dealId - b.dealId);
		log('The answers, as Score Branch split them:');
		for (const a of answers) log(`  deal ${a.dealId}: ${a.score} → ${a.category}`);

		const now = Math.floor(Date.now() / 1000);
		const first = deals[0];
		const liveSurveyLink = `${surveyUrl}?t=${signToken(
			{ kind: 's', dealId: first.dealId, branch: sandbox.portal.getDeal(first.dealId).UF_CRM_1700000000001 as string, channel: 'wazzup', extra: { l: 'ru' }, issuedAt: now, expiresAt: now + 86_400 },
			signingKeysFrom(SIGNING).current,
		)}`;
		log(`A survey link to open in your browser (deal ${first.dealId}): ${liveSurveyLink}`);

		const running = n8n;
		return {
			sandbox,
			n8n: running,
			deals,
			executions: executions.length,
			surveys,
			answers,
			liveSurveyLink,
			wazzup,
			smsc,
			stop: async () => {
				await running.stop();
				await sandbox.stop();
				await wazzup.stop();
				await smsc.stop();
			},
		};
	} catch (error) {
		failure = error;
	}
	await n8n?.stop();
	await sandbox.stop();
	await wazzup.stop();
	await smsc.stop();
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
