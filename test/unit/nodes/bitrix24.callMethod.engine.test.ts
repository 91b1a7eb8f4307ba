/**
 * The Bitrix24 node's "Call Method" in n8n's real workflow engine, against the sandbox portal:
 * items go out as batches of 50, expressions feed parameters, errors name the item, and no
 * secret reaches the output or the error.
 */

import type { ICredentialDataDecryptedObject, IConnections, INode } from 'n8n-workflow';

import { Bitrix24Sandbox, startBitrix24Sandbox } from '../../sandbox/bitrix24';
import { PACKAGE, runWorkflow } from '../../support/engine';

jest.setTimeout(60_000);

const trigger: INode = { id: 't', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} };

function bitrix24Node(name: string, parameters: Record<string, unknown>, extra: Partial<INode> = {}): INode {
	return {
		id: name,
		name,
		type: `${PACKAGE}.bitrix24`,
		typeVersion: 1,
		position: [200, 0],
		parameters: { authentication: 'webhook', resource: 'restApi', operation: 'callMethod', ...parameters },
		credentials: { bitrix24WebhookApi: { id: '1', name: 'Sandbox portal' } },
		...extra,
	};
}

function chain(...names: string[]): IConnections {
	const connections: IConnections = {};
	for (let i = 0; i < names.length - 1; i++) connections[names[i]] = { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] };
	return connections;
}

describe('Bitrix24 → Call Method in the n8n engine', () => {
	let sandbox: Bitrix24Sandbox;
	let credentials: Record<string, ICredentialDataDecryptedObject>;
	let code: string;

	beforeAll(async () => {
		sandbox = await startBitrix24Sandbox({ seed: { deals: 120 } });
		const hook = sandbox.createWebhook();
		code = hook.code;
		credentials = { bitrix24WebhookApi: { webhookUrl: hook.url, ratePlan: 'standard', ignoreSslIssues: true } };
	});
	afterAll(() => sandbox.stop());

	it('lists every deal, then reads 120 deals in 3 batch requests, one output item per input item', async () => {
		const before = sandbox.log.length;
		const nodes = [
			trigger,
			bitrix24Node('List deals', { method: 'crm.deal.list', parameters: '{"select": ["ID"]}', options: { fetchAll: true, limit: 500 } }),
			bitrix24Node('Get deal', { method: 'crm.deal.get', parameters: '={{ JSON.stringify({ id: $json.ID }) }}' }),
		];
		const { output, run } = await runWorkflow({ nodes, connections: chain('Start', 'List deals', 'Get deal') }, { credentials });
		expect(run.status).toBe('success');
		expect(output('List deals')).toHaveLength(120);
		const deals = output('Get deal');
		expect(deals).toHaveLength(120);
		expect(deals.map((d) => (d.result as { ID: string }).ID)).toEqual(Array.from({ length: 120 }, (_, i) => String(i + 1)));
		const paired = run.data.resultData.runData['Get deal'][0].data?.main[0]?.map((item) => item.pairedItem);
		expect(paired?.[7]).toEqual({ item: 7 });
		const calls = sandbox.log.slice(before);
		// The listing: a counted first page, then exactly the 2 pages left; then 120 reads in 3 requests.
		expect(calls.map((c) => [c.method, c.commands?.length])).toEqual([
			['crm.deal.list', undefined],
			['batch', 2],
			['batch', 50],
			['batch', 50],
			['batch', 20],
		]);
	});

	it('keeps going with per-item errors under "continue on fail", naming the failure', async () => {
		const nodes = [
			trigger,
			bitrix24Node('List deals', { method: 'crm.deal.list', parameters: '{"select": ["ID"], "filter": {"<=ID": 3}}', options: { fetchAll: true } }),
			bitrix24Node('Get deal', { method: 'crm.deal.get', parameters: '={{ JSON.stringify({ id: $json.ID == 2 ? 999999 : $json.ID }) }}' }, { onError: 'continueRegularOutput' }),
		];
		const { output } = await runWorkflow({ nodes, connections: chain('Start', 'List deals', 'Get deal') }, { credentials });
		const items = output('Get deal');
		expect(items).toHaveLength(3);
		expect((items[0].result as { ID: string }).ID).toBe('1');
		expect(items[1].error).toMatch(/Bitrix24 crm\.deal\.get \(batch command "i1"\) failed: the record was not found in Bitrix24: Not found/);
		expect(items[1].description).toContain('2 other item(s)');
		expect((items[2].result as { ID: string }).ID).toBe('3');
	});

	it('stops with an error that names the item when not continuing', async () => {
		const nodes = [trigger, bitrix24Node('Get deal', { method: 'crm.deal.get', parameters: '{"id": 424242}' })];
		const { run, error } = await runWorkflow({ nodes, connections: chain('Start', 'Get deal') }, { credentials });
		expect(run.status).toBe('error');
		const failure = error('Get deal');
		expect(failure?.message).toContain('not found');
		expect(failure?.context?.itemIndex).toBe(0);
		expect(JSON.stringify(run.data)).not.toContain(code);
	});

	it('refuses bad JSON parameters and bad method names before calling Bitrix24', async () => {
		const before = sandbox.log.length;
		const badJson = await runWorkflow({ nodes: [trigger, bitrix24Node('Call', { method: 'crm.deal.get', parameters: '{id: 1' })], connections: chain('Start', 'Call') }, { credentials });
		expect(badJson.error('Call')?.message).toContain('Parameters (JSON) is not valid JSON');
		const badMethod = await runWorkflow({ nodes: [trigger, bitrix24Node('Call', { method: 'crm.deal.get/../x', parameters: '{}' })], connections: chain('Start', 'Call') }, { credentials });
		expect(badMethod.error('Call')?.message).toContain('is not a Bitrix24 method name');
		expect(sandbox.log.length).toBe(before);
	});

	it('explains a malformed webhook URL without repeating the secret', async () => {
		const broken = { bitrix24WebhookApi: { webhookUrl: `http://portal.example/rest/1/${code}/`, ratePlan: 'standard' } };
		const { error, run } = await runWorkflow({ nodes: [trigger, bitrix24Node('Call', { method: 'profile', parameters: '{}' })], connections: chain('Start', 'Call') }, { credentials: broken });
		expect(error('Call')?.message).toContain('starts with http://: Bitrix24 accepts inbound webhooks over https:// only');
		expect(JSON.stringify(run.data)).not.toContain(code);
	});

	it('reports an unreachable portal as a network error without the URL', async () => {
		const unreachable = { bitrix24WebhookApi: { webhookUrl: `https://127.0.0.1:1/rest/1/${code}/`, ratePlan: 'standard' } };
		const { error, run } = await runWorkflow({ nodes: [trigger, bitrix24Node('Call', { method: 'profile', parameters: '{}' })], connections: chain('Start', 'Call') }, { credentials: unreachable });
		expect(error('Call')?.message).toMatch(/could not reach Bitrix24|No answer/);
		expect(JSON.stringify(run.data)).not.toContain(code);
	});
});
