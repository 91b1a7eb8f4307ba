/**
 * The package in a real n8n 2.40.7, installed as a community package from its npm tarball:
 * every node and credential loads, the credential tests work against the sandbox portal, and a
 * published workflow with the Bitrix24 node answers a webhook, with webhook and OAuth2
 * credentials (renewing an expired token and keeping the rotated refresh token).
 */

import { Bitrix24Sandbox, startBitrix24Sandbox } from '../sandbox/bitrix24';
import { packageTypeNames, RunningN8n, startN8n } from '../support/n8n';

jest.setTimeout(15 * 60_000);

function webhookWorkflow(name: string, path: string, bitrix24: Record<string, unknown>, credentials: Record<string, { id: string; name: string }>) {
	return {
		name,
		nodes: [
			{
				id: 'w1',
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: `smoke-${path}`,
				parameters: { path, httpMethod: 'GET', responseMode: 'lastNode', responseData: 'allEntries', options: {} },
			},
			{
				id: 'b1',
				name: 'Bitrix24',
				type: 'n8n-nodes-bitrix24-nps.bitrix24',
				typeVersion: 1,
				position: [300, 0],
				parameters: { resource: 'restApi', operation: 'callMethod', ...bitrix24 },
				credentials,
			},
		],
		connections: { Webhook: { main: [[{ node: 'Bitrix24', type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1' },
	};
}

describe('the package in a real n8n', () => {
	let n8n: RunningN8n;
	let sandbox: Bitrix24Sandbox;

	beforeAll(async () => {
		sandbox = await startBitrix24Sandbox({ seed: { deals: 75 } });
		n8n = await startN8n();
	});

	afterAll(async () => {
		await n8n?.stop();
		await sandbox?.stop();
	});

	async function createCredential(name: string, type: string, data: Record<string, unknown>): Promise<string> {
		const created = await n8n.api<{ id: string; message?: string }>('POST', '/credentials', { name, type, data });
		if (created.status !== 200) throw new Error(`Creating credential ${name}: HTTP ${created.status} ${JSON.stringify(created.body)}`);
		return created.body.id;
	}

	it('loads every node and credential of the package, with no load errors', async () => {
		const expected = packageTypeNames();
		const nodes = await n8n.rest<Array<{ name: string }>>('GET', '/types/nodes.json');
		const credentials = await n8n.rest<Array<{ name: string }>>('GET', '/types/credentials.json');
		expect(nodes.status).toBe(200);
		const nodeNames = new Set(nodes.body.map((n) => n.name));
		const credentialNames = new Set(credentials.body.map((c) => c.name));
		for (const name of expected.nodes) expect(nodeNames).toContain(name);
		for (const name of expected.credentials) expect(credentialNames).toContain(name);
		for (const name of expected.credentials) expect((await n8n.api('GET', `/credentials/schema/${name}`)).status).toBe(200);
		expect(n8n.logs()).not.toMatch(/Failed to load package|n8n-nodes-bitrix24-nps.*error/i);
	});

	it('tests the webhook credential: a good URL passes; a wrong code and a malformed URL fail, saying why', async () => {
		const hook = sandbox.createWebhook();
		const good = await createCredential('Sandbox webhook', 'bitrix24WebhookApi', { webhookUrl: hook.url, ratePlan: 'standard', ignoreSslIssues: true });
		expect((await n8n.api('POST', `/credentials/${good}/test`)).body).toEqual({ status: 'OK', message: 'Connection successful!' });

		const wrong = await createCredential('Wrong code', 'bitrix24WebhookApi', { webhookUrl: `${sandbox.url}/rest/1/wrongcode0000/`, ratePlan: 'standard', ignoreSslIssues: true });
		const wrongResult = await n8n.api<{ status: string; message: string }>('POST', `/credentials/${wrong}/test`);
		expect(wrongResult.body.status).toBe('Error');
		expect(wrongResult.body.message).toContain('Bitrix24 refused the webhook');

		const malformed = await createCredential('Malformed', 'bitrix24WebhookApi', { webhookUrl: `http://portal.example.com/rest/1/${hook.code}/`, ratePlan: 'standard', ignoreSslIssues: false });
		const malformedResult = await n8n.api<{ status: string; message: string }>('POST', `/credentials/${malformed}/test`);
		expect(malformedResult.body).toMatchObject({ status: 'Error' });
		expect(malformedResult.body.message).toContain('starts with http://: Bitrix24 accepts inbound webhooks over https:// only');
		expect(malformedResult.body.message).not.toContain(hook.code);
	});

	it('answers a webhook through a published workflow, reading deals in batched requests', async () => {
		const hook = sandbox.createWebhook();
		const credential = await createCredential('Portal', 'bitrix24WebhookApi', { webhookUrl: hook.url, ratePlan: 'standard', ignoreSslIssues: true });
		await n8n.publish(
			webhookWorkflow('Smoke: list deals', 'smoke-deals', { authentication: 'webhook', method: 'crm.deal.list', parameters: '{"select": ["ID", "TITLE"], "filter": {"STAGE_SEMANTIC_ID": "S"}}', options: { fetchAll: true, limit: 500 } }, { bitrix24WebhookApi: { id: credential, name: 'Portal' } }),
			['smoke-deals'],
		);
		const before = sandbox.log.length;
		const response = await fetch(`${n8n.baseUrl}/webhook/smoke-deals`);
		expect(response.status).toBe(200);
		const deals = (await response.json()) as Array<{ ID: string }>;
		const won = [...sandbox.portal.deals.values()].filter((d) => d.STAGE_SEMANTIC_ID === 'S').map((d) => d.ID);
		expect(deals.map((d) => d.ID)).toEqual(won);
		// The won deals of this seed fit in the first, counted page: one request in all.
		expect(won.length).toBeLessThan(50);
		expect(sandbox.log.slice(before).map((c) => c.method)).toEqual(['crm.deal.list']);
	});

	it('uses the OAuth2 credential: tests it, renews an expired token once per expiry, keeps the rotated refresh token', async () => {
		const app = sandbox.createApp();
		const tokens = sandbox.issueTokens(app.clientId);
		const credential = await createCredential('Local app', 'bitrix24OAuth2Api', {
			portalUrl: sandbox.url,
			// Like oauth.bitrix.info, the token server is a separate host (here: the sandbox over plain http).
			oauthServer: sandbox.httpUrl,
			clientId: app.clientId,
			clientSecret: app.clientSecret,
			ratePlan: 'standard',
			ignoreSslIssues: true,
			oauthTokenData: { ...tokens, token_type: 'bearer' },
		});
		expect((await n8n.api('POST', `/credentials/${credential}/test`)).body).toEqual({ status: 'OK', message: 'Connection successful!' });
		await n8n.publish(webhookWorkflow('Smoke: OAuth profile', 'smoke-oauth', { authentication: 'oAuth2', method: 'profile', parameters: '{}' }, { bitrix24OAuth2Api: { id: credential, name: 'Local app' } }), ['smoke-oauth']);

		const call = async () => {
			const response = await fetch(`${n8n.baseUrl}/webhook/smoke-oauth`);
			expect(response.status).toBe(200);
			return ((await response.json()) as Array<{ result: { ID: string } }>)[0].result;
		};
		expect((await call()).ID).toBe('1');
		expect(sandbox.tokenLog).toHaveLength(0);
		sandbox.expireAccessTokens();
		expect((await call()).ID).toBe('1');
		expect(sandbox.tokenLog.map((t) => [t.grantType, t.ok])).toEqual([['refresh_token', true]]);
		// The first refresh spent the original refresh token: a second one only works if n8n kept the new one.
		sandbox.expireAccessTokens();
		expect((await call()).ID).toBe('1');
		expect(sandbox.tokenLog.map((t) => [t.grantType, t.ok])).toEqual([
			['refresh_token', true],
			['refresh_token', true],
		]);
		expect(sandbox.log.filter((c) => c.error === 'expired_token')).toHaveLength(2);
	});
});
