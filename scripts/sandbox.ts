/* eslint-disable no-console, @n8n/community-nodes/no-restricted-globals -- a command-line tool: prints addresses, reads flags, waits for Ctrl+C */
/**
 * `npm run sandbox`: the Bitrix24 sandbox portal on its own, for trying the nodes by hand.
 *
 *   npm run sandbox -- [--deals 60] [--handler https://n8n.example/webhook/...] [--time-scale 1]
 *
 * Prints the inbound webhook URL (for the Bitrix24 Inbound Webhook credential) and a local app
 * (for the OAuth2 credential). With --handler, deal updates are posted there as Bitrix24's
 * outgoing webhook does. Deals move when you call crm.deal.update through the webhook.
 */

import { startBitrix24Sandbox } from '../test/sandbox/bitrix24';

function flag(name: string): string | undefined {
	const index = process.argv.indexOf(`--${name}`);
	return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
	const sandbox = await startBitrix24Sandbox({ seed: { deals: Number(flag('deals') ?? 60) }, timeScale: Number(flag('time-scale') ?? 1) });
	const hook = sandbox.createWebhook();
	const app = sandbox.createApp();
	console.log(`Bitrix24 sandbox portal at ${sandbox.url} (self-signed certificate: turn on "Ignore SSL Issues" in the credential)`);
	console.log(`  inbound webhook URL: ${hook.url}`);
	console.log(`  OAuth2 local app: portal ${sandbox.url}, authorization server ${sandbox.httpUrl}, client ID ${app.clientId}, client secret ${app.clientSecret}`);
	console.log(`  deals: ${sandbox.portal.deals.size}, contacts: ${sandbox.portal.contacts.size}, branches: ${sandbox.seeded.branches.map((b) => b.name).join('; ')}`);
	console.log(`  try: curl -sk -X POST ${hook.url}crm.deal.list.json -H 'Content-Type: application/json' -d '{"select":["ID","TITLE","STAGE_ID"]}'`);
	const handler = flag('handler');
	if (handler) {
		const outgoing = sandbox.addOutgoingWebhook(handler, ['ONCRMDEALUPDATE', 'ONCRMDEALADD']);
		console.log(`  outgoing webhook → ${handler} (application token ${outgoing.applicationToken})`);
	}
	console.log('Press Ctrl+C to stop.');
	const stop = () => {
		sandbox.stop().finally(() => process.exit(0));
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
