import { NodeOperationError, type INode, type IWebhookFunctions } from 'n8n-workflow';

import { Bitrix24Client } from '../../../nodes/shared/bitrix24/client';
import { bitrix24ClientFor, readBitrix24Credentials, WEBHOOK_CREDENTIAL } from '../../../nodes/shared/n8n/bitrix24Client';
import { toNodeError } from '../../../nodes/shared/n8n/errors';

const node: INode = { id: 'n1', name: 'Deal won', type: 'n8n-nodes-bitrix24-nps.bitrix24Trigger', typeVersion: 1, position: [0, 0], parameters: {} };

function contextWith(getCredentials: () => Promise<unknown>): IWebhookFunctions {
	return {
		getNode: () => node,
		getNodeParameter: (_name: string, _index: number, fallback: unknown) => fallback,
		getCredentials,
	} as unknown as IWebhookFunctions;
}

describe('reading the Bitrix24 credential', () => {
	it("says when n8n's own database failed, not Bitrix24 (pg-pool's timeout in a storm)", async () => {
		const ctx = contextWith(async () => {
			throw new Error('timeout exceeded when trying to connect');
		});
		const failure = await bitrix24ClientFor(ctx, 'webhook').catch((error: unknown) => error);
		expect(failure).toBeInstanceOf(NodeOperationError);
		expect((failure as Error).message).toBe(
			'n8n could not read the Bitrix24 credential from its database (timeout exceeded when trying to connect); nothing was sent to Bitrix24',
		);
		expect((failure as NodeOperationError).description).toContain('DB_POSTGRESDB_POOL_SIZE');
		// What the trigger's "could not read" output and the error workflow then show.
		expect(toNodeError(node, failure, { itemIndex: 0, dealId: 42 }).message).toBe(
			'Deal 42: n8n could not read the Bitrix24 credential from its database (timeout exceeded when trying to connect); nothing was sent to Bitrix24',
		);
	});

	it("passes n8n's own credential errors through unchanged", async () => {
		const own = new NodeOperationError(node, 'Node "Deal won" does not have any credentials set for "bitrix24WebhookApi"');
		const ctx = contextWith(async () => {
			throw own;
		});
		await expect(readBitrix24Credentials(ctx, WEBHOOK_CREDENTIAL)).rejects.toBe(own);
	});

	it('builds the client when the credential is read', async () => {
		const ctx = contextWith(async () => ({ webhookUrl: 'https://portal.bitrix24.ru/rest/1/abcdef0123456789/', ratePlan: 'standard' }));
		await expect(bitrix24ClientFor(ctx, 'webhook')).resolves.toBeInstanceOf(Bitrix24Client);
	});
});
