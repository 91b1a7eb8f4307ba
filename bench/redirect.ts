/* eslint-disable no-console, @n8n/community-nodes/no-restricted-globals -- a command-line benchmark: prints its figures, measures time */
/**
 * `npm run bench -- redirect`: in one real n8n, the latency of our review-link redirect (Review Link
 * Tracker Trigger: verify the token, look up the branch page, 302 at once, then the workflow) beside
 * the bare n8n way (Webhook → Respond to Webhook with a redirect), same load, same run: bounded
 * (600 requests each, 4 at a time, interleaved), on loopback.
 */

import { startN8n } from '../test/support/n8n';
import { rawRequest } from '../test/support/rawHttp';
import { signingKeysFrom } from '../nodes/shared/survey/token';
import { signReviewToken } from '../nodes/shared/survey/reviewLinks';

const REQUESTS = 600;
const CONCURRENCY = 4;
const WARMUP = 40;
const SIGNING = { keyId: 'k1', secret: ['bench', 'redirect', 'signing', 'secret', 'long'].join('-'), previousKeys: '', linkLifetimeDays: 30 };
const YANDEX = 'https://yandex.ru/maps/org/shop/1234567/reviews/?add-review=true';
const USER_AGENT = 'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Mobile Safari/537.36';

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

export async function main(): Promise<void> {
	console.log('redirect: starting n8n 2.40.7 with this package…');
	const n8n = await startN8n();
	try {
		const signing = await n8n.api<{ id: string }>('POST', '/credentials', { name: 'Links', type: 'npsLinkSigningApi', data: SIGNING });
		await n8n.publish(
			{
				name: 'Bench: tracked review link',
				nodes: [
					{
						id: 'ours',
						name: 'Review link clicked',
						type: 'n8n-nodes-bitrix24-nps.reviewLinkTrackerTrigger',
						typeVersion: 1,
						position: [0, 0],
						webhookId: 'bench-ours',
						parameters: { branches: { branch: [{ id: '3153', name: 'Казань', yandex: YANDEX }] } },
						credentials: { npsLinkSigningApi: { id: signing.body.id, name: 'Links' } },
					},
					{ id: 'noop', name: 'Click', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [200, 0], parameters: {} },
				],
				connections: { 'Review link clicked': { main: [[{ node: 'Click', type: 'main', index: 0 }]] } },
				settings: { executionOrder: 'v1', saveDataSuccessExecution: 'none' },
			},
			['bench-ours/r'],
		);
		await n8n.publish(
			{
				name: 'Bench: bare n8n redirect',
				nodes: [
					{
						id: 'hook',
						name: 'Webhook',
						type: 'n8n-nodes-base.webhook',
						typeVersion: 2,
						position: [0, 0],
						webhookId: 'bench-bare',
						parameters: { httpMethod: 'GET', path: 'bench-bare', responseMode: 'responseNode', options: {} },
					},
					{
						id: 'respond',
						name: 'Respond to Webhook',
						type: 'n8n-nodes-base.respondToWebhook',
						typeVersion: 1.1,
						position: [200, 0],
						parameters: { respondWith: 'redirect', redirectURL: YANDEX, options: {} },
					},
				],
				connections: { Webhook: { main: [[{ node: 'Respond to Webhook', type: 'main', index: 0 }]] } },
				settings: { executionOrder: 'v1', saveDataSuccessExecution: 'none' },
			},
			['bench-bare'],
		);
		const key = signingKeysFrom(SIGNING).current;
		const now = Math.floor(Date.now() / 1000);
		const ourUrl = (i: number) => `${n8n.baseUrl}/webhook/bench-ours/r/${signReviewToken({ dealId: 100_000 + i, branch: '3153', platform: 'yandex', issuedAt: now, expiresAt: now + 3600 }, key)}`;
		const bareUrl = () => `${n8n.baseUrl}/webhook/bench-bare`;

		const timings = { ours: [] as number[], bare: [] as number[] };
		const wrong = { ours: 0, bare: 0 };
		const once = async (which: 'ours' | 'bare', i: number, record: boolean) => {
			const started = process.hrtime.bigint();
			const answer = await rawRequest(which === 'ours' ? ourUrl(i) : bareUrl(), { method: 'GET', headers: { 'User-Agent': USER_AGENT } });
			const ms = Number(process.hrtime.bigint() - started) / 1e6;
			if (answer.status !== 302 && answer.status !== 307) wrong[which]++;
			if (answer.headers.location !== YANDEX) wrong[which]++;
			if (record) timings[which].push(ms);
		};
		// Warm both up, then interleave so both see the same machine state.
		for (let i = 0; i < WARMUP; i++) {
			await once('ours', i, false);
			await once('bare', i, false);
		}
		let next = 0;
		const worker = async () => {
			while (next < REQUESTS * 2) {
				const n = next++;
				await once(n % 2 === 0 ? 'ours' : 'bare', n, true);
			}
		};
		await Promise.all(Array.from({ length: CONCURRENCY }, worker));

		const figures = (which: 'ours' | 'bare') => {
			const sorted = [...timings[which]].sort((a, b) => a - b);
			return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), n: sorted.length };
		};
		const ours = figures('ours');
		const bare = figures('bare');
		console.log(`  ${REQUESTS} requests each, ${CONCURRENCY} at a time, interleaved, loopback`);
		console.log(`  ours: Review Link Tracker Trigger (302 at once)        p50 ${ours.p50.toFixed(2)} ms  p99 ${ours.p99.toFixed(2)} ms  wrong answers ${wrong.ours}`);
		console.log(`  bare: Webhook → Respond to Webhook (redirect)        p50 ${bare.p50.toFixed(2)} ms  p99 ${bare.p99.toFixed(2)} ms  wrong answers ${wrong.bare}`);
		if (wrong.ours > 0) process.exitCode = 1;
		console.log(`redirect_p99_ratio_to_bare_n8n=${(ours.p99 / bare.p99).toFixed(3)}`);
	} finally {
		await n8n.stop();
	}
}
