/* eslint-disable no-console, @n8n/community-nodes/no-restricted-globals -- a command-line benchmark: prints its figures, sets its exit code */
/**
 * `npm run bench -- send`: 10,000 surveys through the sandbox Wazzup with its real limit (500
 * requests per 5 s, time-scaled), each rendered from a template with a signed link, claimed in the
 * ledger (2% arrive twice), and sent through the Wazzup adapter behind the rate gate.
 *
 * Peer, in the same run: what integrators build with n8n's HTTP Request node and its Batching
 * option: 500 items per batch, then the batch interval (5 s, scaled), no ledger.
 *
 * Minimum the limit allows: the provider counts fixed windows from the first request, so N
 * messages need ⌈N/500⌉ windows and cannot finish before (⌈N/500⌉ − 1) windows have passed.
 */

import { sleep } from 'n8n-workflow';

import { startWazzupSandbox } from '../test/sandbox/channels/wazzup';
import { plainHttp } from '../test/support/channelHttp';
import { RateGate } from '../nodes/shared/channels/rateGate';
import type { SurveyMessage } from '../nodes/shared/channels/types';
import { createWazzupAdapter, WAZZUP_RATE_LIMIT } from '../nodes/shared/channels/wazzup';
import { MemoryLedgerStore, SurveyLedger } from '../nodes/shared/survey/ledger';
import { sendSurveys, type SurveyJob } from '../nodes/shared/survey/send';
import { renderTemplate } from '../nodes/shared/survey/template';
import { numericId, signToken, surveyIdempotencyKey, withToken } from '../nodes/shared/survey/token';

const SURVEYS = 10_000;
const REPEATED_SHARE = 0.02;
const TIME_SCALE = 10;
const TEMPLATE = 'Здравствуйте, {firstName}! Спасибо за покупку в {branch}. Оцените нас от 0 до 10: {link}';
const SURVEY_URL = 'https://n8n.example.com/webhook/nps/survey';

interface Figures {
	wallMs: number;
	delivered: number;
	duplicates: number;
	lost: number;
	refusedByLimit: number;
}

function jobsFor(count: number): Array<{ dealId: number; phone: string; name: string; branch: string }> {
	const branches = ['Казань, Победы', 'Самара, Ленина', 'Владивосток, Светланская', 'Калининград, Мира'];
	return Array.from({ length: count }, (_, i) => ({
		dealId: 100_000 + i,
		phone: `+79${String(100_000_000 + i).slice(-9)}`,
		name: ['Елена', 'Олег', 'Ирина', 'Пётр'][i % 4],
		branch: branches[i % branches.length],
	}));
}

async function ours(): Promise<Figures> {
	const sandbox = await startWazzupSandbox({ timeScale: TIME_SCALE });
	try {
		const key = { id: 'k1', secret: ['bench', 'signing', 'key', 'of', 'enough', 'length'].join('-') };
		const http = plainHttp((request) => ({ ...request, headers: { ...(request.headers ?? {}), Authorization: `Bearer ${sandbox.apiKey}` } }));
		const adapter = createWazzupAdapter(http, { baseUrl: sandbox.url, channelId: sandbox.channelId });
		const gate = new RateGate({ requests: WAZZUP_RATE_LIMIT.requests, windowMs: WAZZUP_RATE_LIMIT.windowMs / TIME_SCALE }, sleep);
		const ledger = new SurveyLedger(new MemoryLedgerStore(), { survey: 'nps', contactWindowDays: 30 }, 'bench');
		const people = jobsFor(SURVEYS);
		// 2% of the deals arrive a second time (a repeated trigger): they must not be sent again.
		const arrivals = [...people, ...people.filter((_, i) => i % Math.round(1 / REPEATED_SHARE) === 0)];
		const now = Date.now();
		const jobs: SurveyJob[] = arrivals.map((person) => ({
			dealId: person.dealId,
			contactKey: `contact:${person.dealId}`,
			recipient: { phone: person.phone },
			messageFor: (): SurveyMessage => {
				const token = signToken({ kind: 's', dealId: person.dealId, channel: 'wazzup', issuedAt: Math.floor(now / 1000), expiresAt: Math.floor(now / 1000) + 30 * 86_400 }, key);
				const link = withToken(SURVEY_URL, token);
				const idempotencyKey = surveyIdempotencyKey(person.dealId, 'nps-wazzup');
				return {
					text: renderTemplate(TEMPLATE, { firstName: person.name, branch: person.branch, link }),
					link,
					token,
					variables: { link, token },
					idempotencyKey,
					numericId: numericId(idempotencyKey),
				};
			},
		}));
		const started = Date.now();
		const results = await sendSurveys(jobs, { adapters: [adapter], gateOf: () => gate, ledger, sleep, concurrency: 64 });
		const wallMs = sandbox.deliveries.length ? sandbox.deliveries[sandbox.deliveries.length - 1].at - sandbox.deliveries[0].at : Date.now() - started;
		const perPhone = new Map<string, number>();
		for (const d of sandbox.deliveries) perPhone.set(d.to, (perPhone.get(d.to) ?? 0) + 1);
		const duplicates = [...perPhone.values()].reduce((sum, n) => sum + n - 1, 0);
		const lost = people.filter((p) => !perPhone.has(p.phone.slice(1))).length;
		const skippedRepeats = results.filter((r) => r.status === 'skipped' && r.code === 'alreadySurveyed').length;
		console.log(`  ours: ${results.filter((r) => r.status === 'sent').length} sent, ${skippedRepeats} repeats skipped by the ledger`);
		return { wallMs, delivered: sandbox.deliveries.length, duplicates, lost, refusedByLimit: sandbox.server.log.filter((e) => e.status === 429).length };
	} finally {
		await sandbox.stop();
	}
}

/** n8n's HTTP Request node with Batching (500 per batch, 5 s interval): no ledger, no gate. */
async function peer(): Promise<Figures> {
	const sandbox = await startWazzupSandbox({ timeScale: TIME_SCALE });
	try {
		const http = plainHttp((request) => ({ ...request, headers: { ...(request.headers ?? {}), Authorization: `Bearer ${sandbox.apiKey}` } }));
		const people = jobsFor(SURVEYS);
		const arrivals = [...people, ...people.filter((_, i) => i % Math.round(1 / REPEATED_SHARE) === 0)];
		const batch = WAZZUP_RATE_LIMIT.requests;
		const interval = WAZZUP_RATE_LIMIT.windowMs / TIME_SCALE;
		for (let start = 0; start < arrivals.length; start += batch) {
			if (start > 0) await sleep(interval);
			await Promise.all(
				arrivals.slice(start, start + batch).map((person) =>
					http({
						method: 'POST',
						url: `${sandbox.url}/v3/message`,
						json: { channelId: sandbox.channelId, chatType: 'whatsapp', chatId: person.phone.slice(1), text: renderTemplate(TEMPLATE, { firstName: person.name, branch: person.branch, link: SURVEY_URL }) },
					}).catch(() => undefined),
				),
			);
		}
		const perPhone = new Map<string, number>();
		for (const d of sandbox.deliveries) perPhone.set(d.to, (perPhone.get(d.to) ?? 0) + 1);
		return {
			wallMs: sandbox.deliveries.length ? sandbox.deliveries[sandbox.deliveries.length - 1].at - sandbox.deliveries[0].at : 0,
			delivered: sandbox.deliveries.length,
			duplicates: [...perPhone.values()].reduce((sum, n) => sum + n - 1, 0),
			lost: people.filter((p) => !perPhone.has(p.phone.slice(1))).length,
			refusedByLimit: sandbox.server.log.filter((e) => e.status === 429).length,
		};
	} finally {
		await sandbox.stop();
	}
}

export async function main(): Promise<void> {
	const windowMs = WAZZUP_RATE_LIMIT.windowMs / TIME_SCALE;
	const minimumMs = (Math.ceil(SURVEYS / WAZZUP_RATE_LIMIT.requests) - 1) * windowMs;
	console.log(`send: ${SURVEYS} surveys (+${Math.round(SURVEYS * REPEATED_SHARE)} repeated arrivals) through the sandbox Wazzup, limit ${WAZZUP_RATE_LIMIT.requests} per ${WAZZUP_RATE_LIMIT.windowMs} ms time-scaled ×${TIME_SCALE} (${windowMs} ms)`);
	console.log(`  minimum the limit allows: ${minimumMs} ms (${(minimumMs * TIME_SCALE) / 1000} s unscaled)`);
	const peerFigures = await peer();
	const ourFigures = await ours();
	const row = (name: string, f: Figures) =>
		console.log(
			`  ${name.padEnd(34)} wall ${String(Math.round(f.wallMs)).padStart(6)} ms  ratio ${(f.wallMs / minimumMs).toFixed(3)}  delivered ${f.delivered}  duplicates ${f.duplicates}  lost ${f.lost}  refused by the limit (429) ${f.refusedByLimit}`,
		);
	row('peer: HTTP Request batching 500/5s', peerFigures);
	row('ours: NPS Survey Send core', ourFigures);
	const ratio = ourFigures.wallMs / minimumMs;
	if (ourFigures.duplicates > 0 || ourFigures.lost > 0) console.log(`  FAILED: ${ourFigures.duplicates} duplicates, ${ourFigures.lost} lost`);
	console.log(`send_ratio_to_minimum=${ratio.toFixed(3)}`);
	if (ourFigures.duplicates > 0 || ourFigures.lost > 0) process.exitCode = 1;
}
