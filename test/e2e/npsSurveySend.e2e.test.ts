/**
 * NPS Survey Send in a real n8n: the package installed as a community package, the channel
 * credentials authenticating through n8n's own credential system, and the "once" ledger kept in
 * n8n's database. Many executions for the same deal at the same moment send one survey: the
 * failure mode of n8n's Remove Duplicates (a lock-free rewrite of one row) does not apply, because
 * the node serializes its ledger writes in the process.
 */

import { sleep } from 'n8n-workflow';

import { startSmscSandbox, type SmscSandbox } from '../sandbox/channels/smsc';
import { startWazzupSandbox, type WazzupSandbox } from '../sandbox/channels/wazzup';
import { rawRequest } from '../support/rawHttp';
import { RunningN8n, startN8n } from '../support/n8n';

jest.setTimeout(10 * 60_000);

const WEBHOOK_ID = 'e2e-nps-send';
const SEND = 'Send the survey';

describe('NPS Survey Send in a real n8n', () => {
	let n8n: RunningN8n;
	let wazzup: WazzupSandbox;
	let smsc: SmscSandbox;
	let workflowId: string;
	let url: string;

	beforeAll(async () => {
		wazzup = await startWazzupSandbox({ notOnWhatsApp: ['+79005550001'] });
		smsc = await startSmscSandbox();
		n8n = await startN8n();
		const credential = async (name: string, type: string, data: Record<string, unknown>) => {
			const created = await n8n.api<{ id: string }>('POST', '/credentials', { name, type, data });
			if (created.status !== 200) throw new Error(`credential ${type}: HTTP ${created.status} ${JSON.stringify(created.body)}`);
			return { id: created.body.id, name };
		};
		const credentials = {
			npsLinkSigningApi: await credential('Links', 'npsLinkSigningApi', {
				keyId: 'k1',
				secret: ['e2e', 'link', 'signing', 'secret', 'long', 'enough'].join('-'),
				previousKeys: '',
				linkLifetimeDays: 30,
			}),
			wazzupApi: await credential('Wazzup sandbox', 'wazzupApi', { apiKey: wazzup.apiKey, baseUrl: wazzup.url }),
			smscApi: await credential('SMSC sandbox', 'smscApi', { login: smsc.login, password: smsc.password, baseUrl: smsc.url }),
		};
		workflowId = await n8n.publish(
			{
				name: 'E2E: deal → NPS survey',
				nodes: [
					{
						id: 'hook',
						name: 'Deal closed',
						type: 'n8n-nodes-base.webhook',
						typeVersion: 2,
						position: [0, 0],
						webhookId: WEBHOOK_ID,
						parameters: { httpMethod: 'POST', path: WEBHOOK_ID, responseMode: 'onReceived', options: {} },
					},
					{
						id: 'send',
						name: SEND,
						type: 'n8n-nodes-bitrix24-nps.npsSurveySend',
						typeVersion: 1,
						position: [200, 0],
						parameters: {
							operation: 'send',
							dealId: '={{ $json.body.deal.id }}',
							contactId: '={{ $json.body.contact.id }}',
							phone: '={{ $json.body.contact.phone }}',
							firstName: '={{ $json.body.contact.name }}',
							branchName: '={{ $json.body.branch }}',
							branchId: '={{ $json.body.branchId }}',
							surveyUrl: 'https://n8n.example.com/webhook/nps/survey',
							channels: ['wazzup', 'smsc'],
							wazzupChannelId: wazzup.channelId,
							messageTemplate: 'Здравствуйте, {firstName}! Оцените {branch}: {link}',
							smsTemplate: '{firstName}, оцените {branch}: {link}',
							quietStart: '00:00',
							quietEnd: '00:00',
						},
						credentials,
					},
				],
				connections: { 'Deal closed': { main: [[{ node: SEND, type: 'main', index: 0 }]] } },
				settings: { executionOrder: 'v1' },
			},
			[WEBHOOK_ID],
		);
		url = `${n8n.baseUrl}/webhook/${WEBHOOK_ID}`;
	});

	afterAll(async () => {
		await n8n?.stop();
		await wazzup?.stop();
		await smsc?.stop();
	});

	async function finished(count: number): Promise<Array<{ id: string; status: string }>> {
		for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
			const list = (await n8n.api<{ data: Array<{ id: string; status: string }> }>('GET', `/executions?workflowId=${workflowId}&limit=250`)).body.data;
			if (list.length >= count && list.every((e) => e.status !== 'running' && e.status !== 'new')) return list;
			await sleep(250);
		}
		throw new Error('executions did not finish');
	}

	const post = (body: unknown) => rawRequest(url, { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
	const deal = (id: number, contact: number, phone: string, name = 'Елена') => ({ deal: { id }, contact: { id: contact, name, phone }, branch: 'Казань, Победы', branchId: '3153' });

	it('sends one survey per deal when the same deal arrives in many executions at once, and falls back to SMS', async () => {
		// Eight executions for deal 900 at the same moment, two other deals, one customer not on WhatsApp.
		const bodies = [
			...Array.from({ length: 8 }, () => deal(900, 90, '8 912 555-09-00')),
			deal(901, 91, '+7 912 555-09-01', 'Олег'),
			deal(902, 92, '+7 900 555-00-01', 'Ирина'),
		];
		const answers = await Promise.all(bodies.map(post));
		expect(answers.every((a) => a.status === 200)).toBe(true);
		const list = await finished(bodies.length);
		expect(list.filter((e) => e.status === 'success')).toHaveLength(bodies.length);

		expect(wazzup.deliveries.filter((d) => d.to === '79125550900')).toHaveLength(1);
		expect(wazzup.deliveries.filter((d) => d.to === '79125550901')).toHaveLength(1);
		expect(wazzup.deliveries.find((d) => d.to === '79125550900')?.text).toMatch(/^Здравствуйте, Елена! Оцените Казань, Победы: https:\/\/n8n\.example\.com\/webhook\/nps\/survey\?t=k1\./);
		expect(smsc.deliveries.map((d) => d.to.replace(/\D/g, ''))).toEqual(['79005550001']);
		expect(smsc.deliveries[0].text).toMatch(/^Ирина, оцените Казань, Победы: https:/);

		// What the operator sees: seven executions say why they sent nothing.
		const statuses: string[] = [];
		for (const execution of list) {
			const details = await n8n.api<{ data: { resultData: { runData: Record<string, Array<{ data: { main: Array<Array<{ json: { survey: { status: string; code?: string } } }>> } }>> } } }>(
				'GET',
				`/executions/${execution.id}?includeData=true`,
			);
			const survey = details.body.data.resultData.runData[SEND][0].data.main[0][0].json.survey;
			statuses.push(survey.code ? `${survey.status}:${survey.code}` : survey.status);
		}
		expect(statuses.filter((s) => s === 'sent')).toHaveLength(3);
		expect(statuses.filter((s) => s === 'skipped:alreadySurveyed')).toHaveLength(7);
	});

	it('remembers across executions in n8n\'s database: the deal again later, or the same customer\'s next deal, sends nothing', async () => {
		const before = wazzup.deliveries.length;
		const countBefore = (await finished(0)).length;
		await post(deal(900, 90, '8 912 555-09-00'));
		await post(deal(903, 90, '8 912 555-09-00'));
		await finished(countBefore + 2);
		expect(wazzup.deliveries.length).toBe(before);
	});
});
