/**
 * NPS Survey Send in n8n's workflow engine, against the channel sandboxes: the branch's words,
 * fallback WhatsApp → SMS, once per deal and not again to a contact inside N days (kept in n8n's
 * de-duplication store), quiet hours in each branch's zone, a bad template stopping the batch before
 * anything is sent, and an ambiguous timeout never resent.
 */

import type { ICredentialDataDecryptedObject, IConnections, IDataObject, INode } from 'n8n-workflow';
import { DateTime } from 'luxon';

import { startSmscSandbox, type SmscSandbox } from '../../sandbox/channels/smsc';
import { startWazzupSandbox, type WazzupSandbox } from '../../sandbox/channels/wazzup';
import { clearDataTableLookups } from '../../../nodes/shared/n8n/dataTableApi';
import { DataTableStore, startDataTableApi } from '../../support/dataTables';
import { PACKAGE, runWorkflow, testDeduplication } from '../../support/engine';
import { signingKeysFrom, tokenFromUrl, verifyToken } from '../../../nodes/shared/survey/token';

jest.setTimeout(60_000);

const START = 'Deals';
const SEND = 'NPS Survey Send';
const start: INode = { id: 'start', name: START, type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [0, 0], parameters: {} };
const connections: IConnections = { [START]: { main: [[{ node: SEND, type: 'main', index: 0 }]] } };
const SIGNING = { keyId: 'k1', secret: 'a-test-signing-secret-of-32-chars!!', previousKeys: '', linkLifetimeDays: 30 };
const SURVEY_URL = 'https://n8n.example.com/webhook/nps/survey';

/** A Bitrix24 Trigger item, plus the branch settings row a lookup would merge in. */
function dealItem(dealId: number, contact: { id: number; name: string; phone: string }, branch = { value: '3153', name: 'Казань, Победы' }): IDataObject {
	return {
		deal: { id: dealId, title: `Deal ${dealId}` },
		contact: { id: contact.id, name: contact.name, lastName: 'Иванова', phones: [contact.phone], emails: [] },
		responsible: { fullName: 'Анна Морозова' },
		branch: { field: 'UF_CRM_1700000000001', ...branch },
		settings: { text: 'Здравствуйте, {firstName}! Спасибо, что выбрали {branch}. Оцените нас: {link}', timeZone: 'Europe/Moscow' },
	};
}

describe('NPS Survey Send in the n8n engine', () => {
	let wazzup: WazzupSandbox;
	let smsc: SmscSandbox;
	let credentials: Record<string, ICredentialDataDecryptedObject>;

	beforeAll(async () => {
		wazzup = await startWazzupSandbox({ notOnWhatsApp: ['+79005550001'] });
		smsc = await startSmscSandbox({ undeliverable: ['+79005550009'] });
		credentials = {
			npsLinkSigningApi: SIGNING,
			wazzupApi: { apiKey: wazzup.apiKey, baseUrl: wazzup.url },
			smscApi: { login: smsc.login, password: smsc.password, baseUrl: smsc.url },
		};
	});
	afterAll(async () => {
		await wazzup.stop();
		await smsc.stop();
	});
	beforeEach(() => {
		testDeduplication.clear();
		wazzup.server.clearFaults();
	});

	/** Quiet hours that do not hold now anywhere: the same start and end. */
	const noQuiet = { quietStart: '00:00', quietEnd: '00:00' };

	function sendNode(parameters: Record<string, unknown>): INode {
		return {
			id: 'send',
			name: SEND,
			type: `${PACKAGE}.npsSurveySend`,
			typeVersion: 1,
			position: [200, 0],
			parameters: {
				operation: 'send',
				surveyUrl: SURVEY_URL,
				channels: ['wazzup', 'smsc'],
				wazzupChannelId: wazzup.channelId,
				messageTemplate: '={{ $json.settings.text }}',
				...noQuiet,
				...parameters,
			},
			credentials: {
				npsLinkSigningApi: { id: 's', name: 'Signing' },
				wazzupApi: { id: 'w', name: 'Wazzup' },
				smscApi: { id: 'm', name: 'SMSC' },
			},
		};
	}

	async function run(parameters: Record<string, unknown>, input: IDataObject[], settings: IDataObject = {}) {
		const engine = await runWorkflow({ nodes: [start, { ...sendNode(parameters), ...settings } as INode], connections }, { credentials, input, startNode: START });
		const items = engine.run.data.resultData.runData[SEND]?.[0]?.data?.main[0] ?? [];
		return { output: engine.output(SEND), paired: items.map((i) => i.pairedItem), error: engine.error(SEND) };
	}

	it('sends each customer the branch text with a signed link, by WhatsApp', async () => {
		const before = wazzup.deliveries.length;
		const input = [dealItem(101, { id: 11, name: 'Елена', phone: '8 (912) 555-01-01' }), dealItem(102, { id: 12, name: 'Олег', phone: '+7 912 555-01-02' }, { value: '3154', name: 'Самара, Ленина' })];
		const { output, paired, error } = await run({}, input);
		expect(error).toBeUndefined();
		expect(paired).toEqual([{ item: 0 }, { item: 1 }]);
		expect(output.map((o) => (o.survey as IDataObject).status)).toEqual(['sent', 'sent']);
		const delivered = wazzup.deliveries.slice(before);
		expect(delivered.map((d) => d.to)).toEqual(['79125550101', '79125550102']);
		expect(delivered[0].text).toMatch(/^Здравствуйте, Елена! Спасибо, что выбрали Казань, Победы\. Оцените нас: https:\/\/n8n\.example\.com\/webhook\/nps\/survey\?t=/);
		expect(delivered[1].text).toContain('Самара, Ленина');
		const survey = output[0].survey as IDataObject;
		expect(survey).toMatchObject({ channel: 'wazzup', dealId: 101, messageId: delivered[0].messageId });
		const check = verifyToken(tokenFromUrl(String(survey.link))!, signingKeysFrom(SIGNING), { now: Math.floor(Date.now() / 1000), kind: 's' });
		expect(check).toMatchObject({ ok: true, claims: { dealId: 101, contactId: 11, branch: '3153', channel: 'wazzup' } });
		expect(delivered[0].text).toContain(String(survey.link));
	});

	it('falls back to SMS when the customer is not on WhatsApp, with the shorter SMS text', async () => {
		const beforeSms = smsc.deliveries.length;
		const { output } = await run({ smsTemplate: '{firstName}, оцените {branch}: {link}' }, [dealItem(201, { id: 21, name: 'Ирина', phone: '+7 900 555-00-01' })]);
		const survey = output[0].survey as IDataObject;
		expect(survey).toMatchObject({ status: 'sent', channel: 'smsc' });
		expect(survey.attempts).toEqual([
			expect.objectContaining({ channel: 'wazzup', status: 'unreachable', code: 'BAD_CONTACT' }),
			expect.objectContaining({ channel: 'smsc', status: 'sent' }),
		]);
		const sms = smsc.deliveries.slice(beforeSms);
		expect(sms).toHaveLength(1);
		expect(sms[0].text).toMatch(/^Ирина, оцените Казань, Победы: https:\/\/.*\?t=/);
		// The SMS link is signed for the SMS channel.
		expect(verifyToken(tokenFromUrl(String(survey.link))!, signingKeysFrom(SIGNING), { now: Math.floor(Date.now() / 1000) })).toMatchObject({ ok: true, claims: { channel: 'smsc' } });
	});

	it('surveys a deal once, however often it arrives, and not the same contact again inside 30 days', async () => {
		const before = wazzup.deliveries.length;
		const anna = { id: 31, name: 'Анна', phone: '+79125550301' };
		const first = await run({}, [dealItem(301, anna), dealItem(301, anna)]);
		expect(first.output.map((o) => (o.survey as IDataObject).status)).toEqual(['sent', 'skipped']);
		expect((first.output[1].survey as IDataObject).code).toBe('alreadySurveyed');
		const again = await run({}, [dealItem(301, anna)]);
		expect(again.output[0].survey).toMatchObject({ status: 'skipped', code: 'alreadySurveyed' });
		// Another deal of the same customer a day later: inside the window.
		const otherDeal = await run({}, [dealItem(302, anna)]);
		expect(otherDeal.output[0].survey).toMatchObject({ status: 'skipped', code: 'throttled' });
		expect((otherDeal.output[0].survey as IDataObject).reason).toMatch(/contact:31 was surveyed today; no new survey inside 30 days/);
		// With the window off, that deal goes out.
		const noWindow = await run({ contactWindowDays: 0 }, [dealItem(302, anna)]);
		expect(noWindow.output[0].survey).toMatchObject({ status: 'sent' });
		expect(wazzup.deliveries.slice(before).filter((d) => d.to === '79125550301')).toHaveLength(2);
	});

	describe('surveys kept in a data table (queue mode)', () => {
		const API_KEY = ['claims', 'api', 'key', 'for', 'tests'].join('-');
		let store: DataTableStore;
		let api: Awaited<ReturnType<typeof startDataTableApi>>;
		beforeAll(async () => {
			store = new DataTableStore();
			api = await startDataTableApi(store, { apiKey: API_KEY });
		});
		afterAll(async () => api.close());
		beforeEach(() => {
			store.clear();
			clearDataTableLookups();
		});

		const viaTable = { ledgerStore: 'dataTable' };
		const runWithTable = async (input: IDataObject[], parameters: Record<string, unknown> = {}) => {
			const node = sendNode({ ...viaTable, ...parameters });
			node.credentials = { ...node.credentials, npsBranchTableApi: { id: 'api', name: 'n8n API' } };
			const engine = await runWorkflow({ nodes: [start, node], connections }, { credentials: { ...credentials, npsBranchTableApi: { apiKey: API_KEY, baseUrl: api.url } }, input, startNode: START });
			return { output: engine.output(SEND), error: engine.error(SEND) };
		};

		it('claims each survey with a ticket row: once per deal, not again to the contact inside the window, nothing in n8n\'s own store', async () => {
			store.create('NPS survey claims', [{ name: 'claimKey', type: 'string' }, { name: 'holder', type: 'string' }]);
			const before = wazzup.deliveries.length;
			const vera = { id: 41, name: 'Вера', phone: '+79125550401' };
			const first = await runWithTable([dealItem(401, vera), dealItem(401, vera)]);
			expect(first.error).toBeUndefined();
			expect(first.output.map((o) => (o.survey as IDataObject).status)).toEqual(['sent', 'skipped']);
			const [again, otherDeal] = await Promise.all([runWithTable([dealItem(401, vera)]), runWithTable([dealItem(402, vera)])]);
			expect(again.output[0].survey).toMatchObject({ status: 'skipped', code: 'alreadySurveyed' });
			expect(otherDeal.output[0].survey).toMatchObject({ status: 'skipped', code: 'throttled' });
			expect(wazzup.deliveries.slice(before).map((d) => d.to)).toEqual(['79125550401']);
			// Two rows stay: the deal and the contact's day; the refused runs took their tickets back.
			const today = Math.floor(Date.now() / 86_400_000);
			expect(store.rows('NPS survey claims').map((row) => row.claimKey).sort()).toEqual([`c:contact:41:${today}`, 'd:nps:401'].sort());
			expect(testDeduplication.entries.size).toBe(0);
			// The table is looked up by name once for the four runs (not on every send).
			expect(api.log.filter((entry) => entry.method === 'GET' && /^\/api\/v1\/data-tables\?/.test(entry.path))).toHaveLength(1);
		});

		it('sends nothing and names the table when it does not exist', async () => {
			const before = wazzup.deliveries.length;
			const { output, error } = await runWithTable([dealItem(403, { id: 42, name: 'Глеб', phone: '+79125550402' })]);
			expect(wazzup.deliveries.length).toBe(before);
			expect(error?.message ?? String((output[0]?.survey as IDataObject | undefined)?.reason)).toMatch(/No data table named "NPS survey claims"/);
		});
	});

	it('stops on an unknown placeholder before anything is sent, listing the known ones', async () => {
		const before = wazzup.deliveries.length;
		const input = [dealItem(401, { id: 41, name: 'Пётр', phone: '+79125550401' }), { ...dealItem(402, { id: 42, name: 'Ян', phone: '+79125550402' }), settings: { text: 'Привет, {nmae}! {link}' } }];
		const { error, output } = await run({}, input);
		expect(output).toHaveLength(0);
		expect(error?.message).toMatch(/^Deal 402: Message Template: Unknown placeholder \{nmae\} in the message template/);
		expect(error?.description).toMatch(/Nothing was sent\. Known placeholders: .*\{firstName\}.*\{link\}/);
		expect(wazzup.deliveries.length).toBe(before);
	});

	it('holds back a survey inside quiet hours in the branch zone, and sends the other branch at the same instant', async () => {
		const before = wazzup.deliveries.length;
		// Quiet hours around "now" in Vladivostok; the same hours in Kaliningrad (8 hours behind) are far away.
		const local = DateTime.now().setZone('Asia/Vladivostok');
		const quietStart = local.minus({ hours: 1 }).toFormat('HH:mm');
		const quietEnd = local.plus({ hours: 1 }).toFormat('HH:mm');
		const input = [
			{ ...dealItem(501, { id: 51, name: 'Ольга', phone: '+79125550501' }), zone: 'Asia/Vladivostok' },
			{ ...dealItem(502, { id: 52, name: 'Игорь', phone: '+79125550502' }), zone: 'Europe/Kaliningrad' },
		];
		const { output } = await run({ timeZone: '={{ $json.zone }}', quietStart, quietEnd }, input);
		const [vladivostok, kaliningrad] = output.map((o) => o.survey as IDataObject);
		expect(vladivostok).toMatchObject({ status: 'skipped', code: 'quietHours' });
		expect(DateTime.fromISO(String(vladivostok.sendAt)).setZone('Asia/Vladivostok').toFormat('HH:mm')).toBe(quietEnd);
		expect(kaliningrad).toMatchObject({ status: 'sent' });
		expect(wazzup.deliveries.slice(before).map((d) => d.to)).toEqual(['79125550502']);
		// Skipped for quiet hours is not "surveyed": the deal can go out later.
		const later = await run({}, [input[0]]);
		expect(later.output[0].survey).toMatchObject({ status: 'sent' });
	});

	it('repeats a WhatsApp send whose answer was lost with the same crmMessageId: found sent, no SMS on top', async () => {
		const beforeW = wazzup.deliveries.length;
		const beforeS = smsc.deliveries.length;
		wazzup.server.addFault({ kind: 'timeout', when: 'after', path: '/v3/message' });
		// The sandbox holds the answer past the node's timeout; 2 s later the repeat is told "already sent".
		const { output } = await run({ options: { timeoutSeconds: 1 } }, [dealItem(601, { id: 61, name: 'Вера', phone: '+79125550601' })]);
		expect(output[0].survey).toMatchObject({ status: 'sent', channel: 'wazzup' });
		expect(wazzup.deliveries.length - beforeW).toBe(1);
		expect(smsc.deliveries.length).toBe(beforeS);
	}, 90_000);

	it('says "outcome unknown" when Wazzup stays down through the repeats, does not fall back or resend, and keeps the deal counted', async () => {
		const beforeW = wazzup.deliveries.length;
		const beforeS = smsc.deliveries.length;
		// Sent, then a 500; the two repeats meet 500s before Wazzup looks at them.
		wazzup.server.addFault({ kind: 'serverError', when: 'after', path: '/v3/message' });
		wazzup.server.addFault({ kind: 'serverError', when: 'before', path: '/v3/message', times: 2 });
		const item = dealItem(602, { id: 62, name: 'Вера', phone: '+79125550602' });
		const { output } = await run({}, [item]);
		expect(output[0].survey).toMatchObject({ status: 'unknown', channel: 'wazzup' });
		expect(String((output[0].survey as IDataObject).reason)).toMatch(/outcome unknown/);
		expect(wazzup.deliveries.length - beforeW).toBe(1);
		expect(smsc.deliveries.length).toBe(beforeS);
		const again = await run({}, [item]);
		expect(again.output[0].survey).toMatchObject({ status: 'skipped', code: 'alreadySurveyed' });
	}, 90_000);

	it('names the channel whose credential is missing (Channels from an expression may pick one the node has none for)', async () => {
		const before = wazzup.deliveries.length;
		const { error } = await run({ channels: '={{ $json.channels }}' }, [{ ...dealItem(801, { id: 81, name: 'Г', phone: '+79125550801' }), channels: 'telegram, smsc' }]);
		expect(error?.message).toContain('The channel "telegram" is chosen but has no credential');
		expect(error?.message).toContain('npsTelegramBotApi');
		expect(wazzup.deliveries.length).toBe(before);
	});

	it('skips with the reason: opted out, unreadable phone, nobody reachable; failed when every channel refuses', async () => {
		const input = [
			{ ...dealItem(701, { id: 71, name: 'А', phone: '+79125550701' }), optOut: true },
			dealItem(702, { id: 72, name: 'Б', phone: '12-34' }),
			dealItem(703, { id: 73, name: 'В', phone: '+79005550009' }),
		];
		const { output } = await run({ optedOut: '={{ $json.optOut === true }}', channels: ['smsc'] }, input);
		const [optedOut, badPhone, undeliverable] = output.map((o) => o.survey as IDataObject);
		expect(optedOut).toMatchObject({ status: 'skipped', code: 'optedOut' });
		expect(badPhone).toMatchObject({ status: 'skipped', code: 'noContactData' });
		expect(String(badPhone.reason)).toContain('"12-34" has too few digits');
		expect(undeliverable).toMatchObject({ status: 'failed' });
		// Nothing went out for them, so none is remembered as surveyed.
		const retry = await run({ channels: ['smsc'] }, [dealItem(702, { id: 72, name: 'Б', phone: '+79125550702' })]);
		expect(retry.output[0].survey).toMatchObject({ status: 'sent', channel: 'smsc' });
	});

	it('waits out a provider 429 (another process on the same key) and sends everything once', async () => {
		// A tiny limit our gate does not know about: 5 per 100 ms, with Retry-After.
		const busy = await startWazzupSandbox({ limit: 5, timeScale: 50, retryAfterHeader: true });
		try {
			const input = Array.from({ length: 8 }, (_, i) => dealItem(1000 + i, { id: 1000 + i, name: 'Клиент', phone: `+7912555${String(1000 + i)}` }));
			const engine = await runWorkflow(
				{ nodes: [start, { ...sendNode({ wazzupChannelId: busy.channelId, channels: ['wazzup'] }), credentials: { npsLinkSigningApi: { id: 's', name: 'Signing' }, wazzupApi: { id: 'busy', name: 'Busy Wazzup' } } }], connections },
				{ credentials: { ...credentials, wazzupApi: { apiKey: busy.apiKey, baseUrl: busy.url } }, input, startNode: START },
			);
			const output = engine.output(SEND);
			expect(output.map((o) => (o.survey as IDataObject).status)).toEqual(Array(8).fill('sent'));
			expect(busy.server.log.filter((entry) => entry.status === 429).length).toBeGreaterThan(0);
			expect(new Set(busy.deliveries.map((d) => d.to)).size).toBe(8);
			expect(busy.deliveries).toHaveLength(8);
		} finally {
			await busy.stop();
		}
	});

	it('keeps old claims when a batch asks about many window days (a small ledger is not flushed)', async () => {
		const first = dealItem(1100, { id: 1100, name: 'Первый', phone: '+79125551100' });
		expect((await run({ options: { ledgerSize: 1000 } }, [first])).output[0].survey).toMatchObject({ status: 'sent' });
		// 40 more customers: 40 × 31 keys are asked about, far over the 1,000 entries kept.
		const many = Array.from({ length: 40 }, (_, i) => dealItem(1101 + i, { id: 1101 + i, name: 'Клиент', phone: `+7912556${String(1101 + i)}` }));
		await run({ options: { ledgerSize: 1000 } }, many);
		expect((await run({ options: { ledgerSize: 1000 } }, [first])).output[0].survey).toMatchObject({ status: 'skipped', code: 'alreadySurveyed' });
	});

	it('sends each item through its own channel settings (an expression per branch)', async () => {
		const before = wazzup.deliveries.length;
		const input = [
			{ ...dealItem(1200, { id: 1200, name: 'А', phone: '+79125551200' }), wazzupChannel: wazzup.channelId },
			{ ...dealItem(1201, { id: 1201, name: 'Б', phone: '+79125551201' }), wazzupChannel: '00000000-0000-4000-8000-000000000000' },
		];
		const { output } = await run({ channels: ['wazzup'], wazzupChannelId: '={{ $json.wazzupChannel }}' }, input);
		expect(output[0].survey).toMatchObject({ status: 'sent' });
		// The second branch's channel is not this account's: Wazzup refuses it, nothing goes out through the first one's.
		expect(output[1].survey).toMatchObject({ status: 'failed', code: 'CHANNEL_NOT_FOUND' });
		expect(wazzup.deliveries.slice(before).map((d) => d.to)).toEqual(['79125551200']);
	});

	it('computes the send time per branch zone for a Wait node', async () => {
		const from = '2026-11-20T12:30:00Z';
		const input = [
			{ zone: 'Asia/Vladivostok', movedAt: from },
			{ zone: 'Europe/Kaliningrad', movedAt: from },
		];
		const { output } = await run({ operation: 'schedule', timeZone: '={{ $json.zone }}', quietStart: '21:00', quietEnd: '09:00', delayAmount: 0 }, input);
		const [vladivostok, kaliningrad] = output.map((o) => o.survey as IDataObject);
		expect(vladivostok).toMatchObject({ status: 'scheduled', shifted: true, sendAtUtc: '2026-11-20T23:00:00Z' });
		expect(kaliningrad).toMatchObject({ status: 'scheduled', shifted: false, sendAtUtc: '2026-11-20T12:30:00Z' });
	});

	it('renders subject, text and HTML for an e-mail node, once per deal too', async () => {
		const item = { ...dealItem(801, { id: 81, name: '<Марина>', phone: '' }), contact: { id: 81, name: '<Марина>', emails: ['m@example.com'] } };
		const { output } = await run({ operation: 'render', language: 'en', messageTemplate: '' }, [item, item]);
		const [first, second] = output.map((o) => o.survey as IDataObject);
		expect(first).toMatchObject({ status: 'rendered', email: 'm@example.com' });
		expect(String(first.html)).toContain('&lt;Марина&gt;');
		expect(String(first.html)).toContain(`href="${String(first.link)}`);
		expect(String(first.text)).toContain(String(first.link));
		expect(second).toMatchObject({ status: 'skipped', code: 'alreadySurveyed' });
	});
});
