/* eslint-disable no-console, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/require-node-api-error -- a command-line demo: prints what happens, serves a local inbox page, waits for Ctrl+C */
/**
 * `npm run demo`: the whole product in a real n8n, on the built-in sandboxes.
 *
 * 1. Starts the Bitrix24 sandbox portal (a chain of shops in several cities), the WhatsApp (Wazzup),
 *    SMS (SMSC) and Telegram sandboxes, and the pinned n8n with this package installed.
 * 2. Sets n8n up as an integrator would: the "NPS branches" data table (one row per branch: texts,
 *    channels, time zone, language, review links, manager), the credentials, and the six templates
 *    from `workflows/` imported and published.
 * 3. Plays a day: deals close in Moscow, Kazan and Kyiv → each customer gets the survey in their
 *    branch's words → customers answer on the survey page (promoters, passives, detractors with a
 *    comment), one answers in WhatsApp with words → promoters tap a review button → the portal
 *    shows the stage moves, tasks, comments and answer rows → the dashboard has the figures.
 * 4. Leaves everything running and prints where to look: the n8n editor and its login, the
 *    dashboard and its login, a live survey link, the inbox of sent messages. Ctrl+C stops it all.
 *
 * `--once` stops everything after the day (what the demo test does).
 */

import { createServer, type Server } from 'node:http';

import { escapeHtml } from '../nodes/shared/survey/template';
import { tokenFromUrl } from '../nodes/shared/survey/token';
import { OWNER } from '../test/support/n8n';
import { DASHBOARD_LOGIN, startNpsStack, type NpsStack } from '../test/support/npsStack';
import { rawRequest } from '../test/support/rawHttp';

const CITIES = ['Москва', 'Казань', 'Київ'];
/** The day's answers, in the order the deals closed (the last two stay for WhatsApp and for you). */
const SCORES = [10, 9, 7, 3, 10, 8, 0, 9, 10, 6];
const CATEGORY = (score: number) => (score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor');

export interface DemoDeal {
	dealId: number;
	title: string;
	city: string;
	branch: string;
	customer: string;
	/** What the customer got. */
	channel: string;
	message: string;
	link: string;
	/** What they answered ('' when they have not yet). */
	score?: number;
	answeredIn?: 'page' | 'whatsapp';
	clicked?: string;
}

export interface DemoResult {
	stack: NpsStack;
	deals: DemoDeal[];
	/** The live survey link left for a person to open. */
	liveSurveyLink: string;
	dashboardUrl: string;
	inboxUrl: string;
	/** NPS of the page answers, computed by the demo itself. */
	nps: number;
	stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const form = { 'Content-Type': 'application/x-www-form-urlencoded' };

/** A small local page listing what the channel sandboxes delivered. */
async function startInbox(stack: NpsStack): Promise<{ url: string; server: Server }> {
	const server = createServer((_request, response) => {
		const rows = [
			...stack.wazzup.deliveries.map((d) => ({ at: d.at, channel: 'WhatsApp (Wazzup)', to: `+${d.to}`, text: d.text })),
			...stack.smsc.deliveries.map((d) => ({ at: d.at, channel: 'SMS (SMSC)', to: d.to, text: d.text })),
			...stack.telegram.deliveries.map((d) => ({ at: d.at, channel: 'Telegram (owner/operator)', to: d.to, text: d.text })),
		].sort((a, b) => Number(b.at) - Number(a.at));
		const linkify = (text: string) => escapeHtml(text).replace(/https?:\/\/[^\s<]+/g, (url) => `<a href="${url}">${url}</a>`);
		response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
		response.end(
			`<!doctype html><meta charset="utf-8"><title>Sandbox inbox</title><style>body{font:15px system-ui;margin:2em;max-width:60em}td{padding:.4em;border-bottom:1px solid #ddd;vertical-align:top}pre{white-space:pre-wrap;margin:0;font:inherit}</style>` +
				`<h1>Messages the sandboxes delivered (${rows.length})</h1><table>${rows
					.map((r) => `<tr><td>${new Date(Number(r.at)).toLocaleTimeString('ru-RU')}</td><td>${escapeHtml(r.channel)}</td><td>${escapeHtml(r.to)}</td><td><pre>${linkify(r.text)}</pre></td></tr>`)
					.join('')}</table>`,
		);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const address = server.address();
	return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`, server };
}

export async function runDemo(options: { deals?: number; log?: (line: string) => void } = {}): Promise<DemoResult> {
	const log = options.log ?? ((line: string) => console.log(line));
	const count = options.deals ?? 12;
	log('Starting the sandboxes and n8n with this package (the first run installs n8n: a few minutes)…');
	const stack = await startNpsStack({ deals: 300, log: (line) => log(`  ${line}`) });
	let inbox: { url: string; server: Server } | undefined;
	try {
		inbox = await startInbox(stack);
		const { portal, seeded } = stack.sandbox;
		const branchById = new Map(seeded.branches.map((b) => [b.id, b]));

		// Open deals in three cities, one per customer, taken in turn from each city.
		const byCity = new Map<string, Array<{ id: number; title: string; branch: string; city: string; customer: string }>>();
		const contacts = new Set<string>();
		for (const deal of portal.deals.values()) {
			const branch = branchById.get(String(deal.UF_CRM_1700000000001 ?? ''));
			const contact = portal.contacts.get(Number(deal.CONTACT_ID));
			const phone = (contact?.PHONE as Array<{ VALUE: string }> | undefined)?.[0]?.VALUE;
			if (deal.CATEGORY_ID !== '0' || deal.STAGE_SEMANTIC_ID !== 'P' || !branch || !CITIES.includes(branch.city) || !phone || contacts.has(String(deal.CONTACT_ID))) continue;
			contacts.add(String(deal.CONTACT_ID));
			const list = byCity.get(branch.city) ?? [];
			list.push({ id: Number(deal.ID), title: String(deal.TITLE), branch: branch.name, city: branch.city, customer: `${contact?.NAME ?? ''} ${contact?.LAST_NAME ?? ''}`.trim() });
			byCity.set(branch.city, list);
		}
		const chosen: Array<{ id: number; title: string; branch: string; city: string; customer: string }> = [];
		for (let i = 0; chosen.length < count && i < 1000; i++) {
			const list = byCity.get(CITIES[i % CITIES.length]) ?? [];
			const next = list[Math.floor(i / CITIES.length)];
			if (next) chosen.push(next);
		}

		log('');
		log(`A day in the shops: ${chosen.length} deals close as won in ${CITIES.join(', ')}.`);
		for (const deal of chosen) {
			stack.sandbox.moveDealInUi(deal.id, 'WON');
			log(`  deal ${deal.id} «${deal.title}», ${deal.branch} — ${deal.customer}: won`);
			await sleep(150);
		}
		await stack.settle('01-deal-closed-survey.json', chosen.length, 180_000);
		const surveys = stack.surveys();
		const deals: DemoDeal[] = chosen.map((deal) => {
			const survey = surveys.find((s) => s.dealId === deal.id);
			return { dealId: deal.id, title: deal.title, city: deal.city, branch: deal.branch, customer: deal.customer, channel: survey?.channel ?? '', message: survey?.text ?? '', link: survey?.link ?? '' };
		});
		log('');
		log(`Surveys sent (${surveys.length}), each in its branch's words:`);
		for (const deal of deals) log(`  deal ${deal.dealId} → ${deal.channel === 'smsc' ? 'SMS' : 'WhatsApp'}: ${deal.message || '(none)'}`);

		// Customers answer: on the survey page (the same form posts a browser makes) and one in WhatsApp.
		log('');
		log('Customers answer:');
		const answering = deals.slice(0, Math.max(0, deals.length - 2));
		let comments = 0;
		let clicks = 0;
		for (const [i, deal] of answering.entries()) {
			const score = SCORES[i % SCORES.length];
			const token = tokenFromUrl(deal.link) ?? '';
			const page = await rawRequest(deal.link, { body: new URLSearchParams({ t: token, step: 'score', score: String(score) }).toString(), headers: form });
			deal.score = score;
			deal.answeredIn = 'page';
			let note = CATEGORY(score);
			if (score <= 6) {
				await rawRequest(deal.link, { body: new URLSearchParams({ t: token, step: 'comment', score: String(score), comment: 'Долго ждали выдачи заказа, никто не предупредил о задержке' }).toString(), headers: form });
				comments++;
				note += ', left a comment';
			}
			const review = page.text.match(/href="([^"]*\/webhook\/nps-review-clicks\/r\/[^"]+)"/)?.[1]?.replace(/&amp;/g, '&');
			if (review) {
				const click = await rawRequest(review, { method: 'GET', headers: { 'User-Agent': 'Mozilla/5.0 (demo customer)' } });
				deal.clicked = String(click.headers.location ?? '');
				clicks++;
				note += `, tapped "leave a review" → ${deal.clicked}`;
			}
			log(`  deal ${deal.dealId} (${deal.branch}): ${score} — ${note}`);
			await sleep(100);
		}
		const chat = deals[deals.length - 2];
		const contactPhone = String(((portal.contacts.get(Number(portal.getDeal(chat.dealId).CONTACT_ID))?.PHONE as Array<{ VALUE: string }>) ?? [])[0]?.VALUE ?? '');
		const chatId = contactPhone.replace(/\D/g, '').replace(/^8(?=\d{10}$)/, '7');
		await rawRequest(`${stack.url('wazzupReplies')}?token=${stack.wazzupSecret}`, {
			body: JSON.stringify({ messages: [{ messageId: `demo-${chat.dealId}`, channelId: stack.wazzup.channelId, chatType: 'whatsapp', chatId, type: 'text', status: 'inbound', isEcho: false, text: 'Спасибо, всё понравилось!', dateTime: new Date().toISOString() }] }),
			headers: { 'Content-Type': 'application/json' },
		});
		chat.answeredIn = 'whatsapp';
		log(`  deal ${chat.dealId} (${chat.branch}): answered in WhatsApp "Спасибо, всё понравилось!" — no score: a task to look at it`);

		await stack.settle('02-answers.json', answering.length + comments + 1, 180_000);
		await stack.settle('03-review-clicks.json', clicks, 120_000);

		// What the portal shows now.
		log('');
		log('In Bitrix24 now:');
		const rows = [...portal.itemStore(seeded.npsSmartProcess.entityTypeId).values()];
		for (const deal of deals.slice(0, deals.length - 1)) {
			const current = portal.getDeal(deal.dealId);
			const tasks = [...portal.tasks.values()].filter((t) => (t.ufCrmTask as string[]).includes(`D_${deal.dealId}`)).map((t) => `task "${String(t.title)}"`);
			const row = rows.find((r) => Number(r.parentId2) === deal.dealId);
			log(`  deal ${deal.dealId}: stage ${String(current.STAGE_ID)}; answer row ${row ? `#${String(row.id)} (${String(row.UF_CRM_7_NPS_CATEGORY)})` : 'none'}${tasks.length ? `; ${tasks.join(', ')}` : ''}`);
		}
		const given = deals.filter((d) => d.answeredIn === 'page').map((d) => d.score as number);
		const nps = given.length ? ((given.filter((s) => s >= 9).length - given.filter((s) => s <= 6).length) / given.length) * 100 : 0;

		const live = deals[deals.length - 1];
		const result: DemoResult = {
			stack,
			deals,
			liveSurveyLink: live.link,
			dashboardUrl: stack.url('dashboard'),
			inboxUrl: inbox.url,
			nps,
			stop: async () => {
				await new Promise<void>((resolve) => inbox?.server.close(() => resolve()));
				await stack.stop();
			},
		};
		log('');
		log(`NPS of the day: ${nps.toFixed(1)} (${given.length} answers on the page).`);
		log('');
		log('Everything is running:');
		log(`  n8n editor:         ${stack.n8n.baseUrl}  (log in as ${OWNER.email} / ${OWNER.password}; Overview → Data tables → "NPS branches" to change texts and links per city)`);
		log(`  NPS dashboard:      ${result.dashboardUrl}  (user ${DASHBOARD_LOGIN.user}, password ${DASHBOARD_LOGIN.password})`);
		log(`  a live survey link: ${result.liveSurveyLink}  (deal ${live.dealId}, ${live.branch}: answer it yourself)`);
		log(`  sent messages:      ${result.inboxUrl}`);
		log(`  Bitrix24 sandbox:   ${stack.sandbox.url}`);
		return result;
	} catch (error) {
		inbox?.server.close();
		await stack.stop();
		throw error;
	}
}

if (require.main === module) {
	const once = process.argv.includes('--once');
	runDemo()
		.then(async (demo) => {
			if (once) {
				await demo.stop();
				return;
			}
			console.log('\nPress Ctrl+C to stop everything.');
			let stopping = false;
			const shutdown = () => {
				if (stopping) return;
				stopping = true;
				console.log('\nStopping n8n and the sandboxes…');
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
