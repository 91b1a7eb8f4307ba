/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test tooling: runs in Node test processes, never inside n8n */
/**
 * The official Bitrix24 JS SDK (@bitrix24/b24jssdk) talks to the sandbox as it talks to a real
 * portal: a single call, a list with its fast pagination, and a batch. If the sandbox's shapes
 * drifted from Bitrix24's, the SDK (not our code) would notice.
 */

import * as https from 'node:https';

import { B24Hook } from '@bitrix24/b24jssdk';

import { Bitrix24Sandbox, startBitrix24Sandbox } from '../../sandbox/bitrix24';
import { localCertificate } from '../../sandbox/tls';

jest.setTimeout(30_000);

describe('@bitrix24/b24jssdk against the sandbox', () => {
	let sandbox: Bitrix24Sandbox;
	let b24: B24Hook;
	const originalCa = https.globalAgent.options.ca;

	beforeAll(async () => {
		sandbox = await startBitrix24Sandbox({ seed: { deals: 137 } });
		// The SDK builds its own axios client; trust the sandbox's self-signed certificate globally.
		https.globalAgent.options.ca = localCertificate().cert;
		b24 = B24Hook.fromWebhookUrl(sandbox.createWebhook().url);
		b24.offClientSideWarning();
	});

	afterAll(async () => {
		https.globalAgent.options.ca = originalCa;
		https.globalAgent.destroy();
		await sandbox.stop();
	});

	it('makes a call', async () => {
		const response = await b24.actions.v2.call.make<Record<string, string>>({ method: 'crm.deal.get', params: { id: 5 } });
		expect(response.isSuccess).toBe(true);
		expect(response.getData()?.result.ID).toBe('5');
		expect(response.getData()?.result.TITLE).toBe(sandbox.portal.getDeal(5).TITLE);
	});

	it('reads Bitrix24 errors: a coded one fully; a CRM one (empty code) only as HTTP 400, as on a real portal', async () => {
		await expect(b24.actions.v2.call.make({ method: 'crm.no.such', params: {} })).rejects.toMatchObject({ code: 'ERROR_METHOD_NOT_FOUND', status: 404, message: 'Method not found!' });
		// The SDK skips bodies whose `error` is "" (the CRM style), so it cannot see "Not found";
		// our client reads error_description for that reason.
		await expect(b24.actions.v2.call.make({ method: 'crm.deal.get', params: { id: 99_999 } })).rejects.toMatchObject({ status: 400 });
	});

	it('lists every record (fast pagination with start=-1 and the >ID cursor)', async () => {
		const before = sandbox.log.length;
		const response = await b24.actions.v2.callList.make<{ ID: string }>({ method: 'crm.deal.list', params: { select: ['ID', 'TITLE'] }, idKey: 'ID' });
		expect(response.isSuccess).toBe(true);
		const ids = (response.getData() ?? []).map((d) => Number(d.ID));
		expect(ids).toEqual(Array.from({ length: 137 }, (_, i) => i + 1));
		expect(sandbox.log.length - before).toBe(3);
	});

	it('runs a batch with named commands and a $result reference', async () => {
		const response = await b24.actions.v2.batch.make({
			calls: {
				deal: ['crm.deal.get', { id: 9 }],
				contact: ['crm.contact.get', { id: '$result[deal][CONTACT_ID]' }],
				stages: ['crm.status.list', { filter: { ENTITY_ID: 'DEAL_STAGE' } }],
			},
			options: { isHaltOnError: false, returnAjaxResult: true },
		});
		expect(response.isSuccess).toBe(true);
		const data = response.getData() as Record<string, { getData(): { result: unknown } }>;
		const deal = data.deal.getData().result as Record<string, string>;
		const contact = data.contact.getData().result as Record<string, string>;
		expect(contact.ID).toBe(deal.CONTACT_ID);
		expect((data.stages.getData().result as unknown[]).length).toBe(8);
		expect(sandbox.log[sandbox.log.length - 1]).toMatchObject({ method: 'batch', commands: ['crm.deal.get', 'crm.contact.get', 'crm.status.list'] });
	});
});
