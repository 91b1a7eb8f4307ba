/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/require-node-api-error -- test and demo tooling: drives a real n8n and sandboxes, never inside n8n */
/**
 * The whole product on one machine, as an integrator would set it up: the Bitrix24 sandbox portal,
 * the channel sandboxes (Wazzup, SMSC, a Telegram bot for the owner), a real n8n with this package,
 * the "NPS branches" data table filled in, the credentials created, and the six templates from
 * `workflows/` imported and published with only what an integrator changes per installation
 * replaced (the n8n address, the Wazzup channel, the owner's chat, the secrets).
 * Used by the whole-flow end-to-end test and by `npm run demo`.
 */

import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { startBitrix24Sandbox, type Bitrix24Sandbox } from '../sandbox/bitrix24';
import type { SeedBranch } from '../sandbox/bitrix24/seed';
import { startSmscSandbox, type SmscSandbox } from '../sandbox/channels/smsc';
import { startTelegramSandbox, type TelegramSandbox } from '../sandbox/channels/telegram';
import { startWazzupSandbox, type WazzupSandbox } from '../sandbox/channels/wazzup';
import { normalizePhone } from '../../nodes/shared/phone';
import { BRANCH_TABLE_COLUMNS, BRANCH_TABLE_NAME } from '../../nodes/shared/survey/branchSettings';
import { CLAIM_TABLE_COLUMNS, CLAIM_TABLE_NAME } from '../../nodes/shared/survey/ledger';
import { signingKeysFrom, tokenFromUrl, verifyToken, type SigningKeys } from '../../nodes/shared/survey/token';
import { REPO_ROOT, startN8n, type RunningN8n } from './n8n';

export const WORKFLOWS_DIR = join(REPO_ROOT, 'workflows');

export interface TemplateWorkflow {
	name: string;
	nodes: Array<{ name: string; type: string; parameters: Record<string, unknown>; webhookId?: string; credentials?: Record<string, { id: string; name: string }> }>;
	connections: Record<string, unknown>;
	settings?: Record<string, unknown>;
	[key: string]: unknown;
}

export function templateFiles(): string[] {
	return readdirSync(WORKFLOWS_DIR)
		.filter((file) => file.endsWith('.json'))
		.sort();
}

export function readTemplate(file: string): TemplateWorkflow {
	return JSON.parse(readFileSync(join(WORKFLOWS_DIR, file), 'utf8')) as TemplateWorkflow;
}

/** What an integrator changes in the templates for one installation: text to text. */
export type Replacements = Record<string, string>;

/**
 * A template as an integrator imports it: credentials pointed at the ones created here (by the
 * name the template gives), and the installation's own values in place of the template's.
 */
export function prepareTemplate(template: TemplateWorkflow, credentials: Record<string, { id: string; name: string }>, replacements: Replacements): TemplateWorkflow {
	let text = JSON.stringify(template);
	for (const [from, to] of Object.entries(replacements)) text = text.split(from).join(to);
	const workflow = JSON.parse(text) as TemplateWorkflow;
	for (const node of workflow.nodes) {
		for (const [type, reference] of Object.entries(node.credentials ?? {})) {
			const created = credentials[reference.name];
			if (!created) throw new Error(`Template "${template.name}", node "${node.name}": no credential named "${reference.name}" (${type})`);
			node.credentials![type] = created;
		}
	}
	return workflow;
}

/** Per-city words and review pages: what non-developers keep in the NPS branches table. */
const CITY_SETTINGS: Record<string, { message: string; sms: string; yandex?: (n: number) => string; twoGis?: (n: number) => string; google?: (n: number) => string }> = {
	Москва: {
		message: 'Здравствуйте, {firstName|клиент}! Спасибо, что были в «{branch}» ({branchAddress}). Оцените нас от 0 до 10: {link}',
		sms: '{firstName|Клиент}, оцените «{branch}» от 0 до 10: {link}',
		yandex: (n) => `https://yandex.ru/maps/org/akb_shop/${1_000_000 + n}/reviews/?add-review=true`,
		twoGis: (n) => `https://2gis.ru/moscow/firm/7000000000${n}/tab/reviews/addreview`,
	},
	Казань: {
		message: 'Добрый день, {firstName|клиент}! Как вам покупка в Казани, «{branch}»? Поставьте оценку от 0 до 10: {link}',
		sms: 'Казань, «{branch}»: оцените покупку 0–10: {link}',
		yandex: (n) => `https://yandex.ru/maps/org/akb_kazan/${2_000_000 + n}/reviews/?add-review=true`,
		twoGis: (n) => `https://2gis.ru/kazan/firm/7000000100${n}/tab/reviews/addreview`,
	},
	Екатеринбург: {
		message: '{firstName|Здравствуйте}, спасибо за покупку в «{branch}», Екатеринбург! Оценка от 0 до 10: {link}',
		sms: 'Екатеринбург, «{branch}»: оценка 0–10: {link}',
		yandex: (n) => `https://yandex.ru/maps/org/akb_ekb/${3_000_000 + n}/reviews/?add-review=true`,
	},
	Київ: {
		message: 'Вітаємо, {firstName|клієнте}! Дякуємо, що завітали до «{branch}». Оцініть нас від 0 до 10: {link}',
		sms: '{firstName|Клієнте}, оцініть «{branch}» від 0 до 10: {link}',
		google: (n) => `https://search.google.com/local/writereview?placeid=ChIJKyivKyiv${n}`,
	},
};

/** The columns of a row that say which branch it is, from the seeded branch. */
export function branchColumns(branch: SeedBranch): Record<string, unknown> {
	return { branchId: branch.id, city: branch.city, branchName: branch.name, address: branch.address, timeZone: branch.timeZone, language: branch.language, managerId: branch.managerId };
}

/** The table rows for the seeded branches; branches of cities not listed above get no row. */
export function branchRows(branches: SeedBranch[]): Array<Record<string, unknown>> {
	return branches
		.filter((branch) => CITY_SETTINGS[branch.city])
		.map((branch, n) => {
			const city = CITY_SETTINGS[branch.city];
			return {
				...branchColumns(branch),
				channels: 'wazzup, smsc',
				messageText: city.message,
				smsText: city.sms,
				yandexUrl: city.yandex?.(n) ?? '',
				googleUrl: city.google?.(n) ?? '',
				twoGisUrl: city.twoGis?.(n) ?? '',
				otherReviewUrl: '',
				otherReviewLabel: '',
				// At once and at any hour, so the demo and the tests see the survey now; a real
				// table says e.g. 24 and 21:00–09:00.
				delayHours: 0,
				quietStart: '',
				quietEnd: '',
			};
		});
}

export const SIGNING = { keyId: 'k1', secret: ['sandbox', 'survey', 'link', 'signing', 'secret', 'of', 'the', 'demo'].join('-'), previousKeys: '', linkLifetimeDays: 30 };
export const DASHBOARD_LOGIN = { user: 'owner', password: ['nps', 'dashboard', 'sandbox'].join('-') };
export const OWNER_CHAT_ID = '100500';

/** Webhook paths the published templates answer on (under /webhook/). */
export const PATHS = {
	events: 'nps-deal-closed/events',
	surveyPage: 'nps-answers/s',
	wazzupReplies: 'nps-wazzup-replies/wazzup',
	reviewClicks: 'nps-review-clicks/r',
	dashboard: 'nps-dashboard',
};

export interface NpsStack {
	sandbox: Bitrix24Sandbox;
	wazzup: WazzupSandbox;
	smsc: SmscSandbox;
	telegram: TelegramSandbox;
	n8n: RunningN8n;
	/** Workflow ids by template file. */
	workflows: Record<string, string>;
	rows: Array<Record<string, unknown>>;
	keys: SigningKeys;
	applicationToken: string;
	wazzupSecret: string;
	url(path: keyof typeof PATHS): string;
	/** All executions of a template's workflow (newest first). */
	executions(file: string): Promise<StackExecution[]>;
	/** Waits until the workflow has at least `count` executions, none running, for a quiet second. */
	settle(file: string, count: number, timeoutMs?: number): Promise<StackExecution[]>;
	/** The surveys as they reached the channel sandboxes, with the deal their link is for. */
	surveys(): Array<{ channel: 'wazzup' | 'smsc'; to: string; text: string; link: string; dealId: number; branch?: string }>;
	stop(): Promise<void>;
}

export interface StackExecution {
	id: string;
	status: string;
	finished: boolean;
	workflowId: string;
}

export interface StackOptions {
	/** Deals in the seeded portal (default 400). */
	deals?: number;
	log?: (line: string) => void;
	port?: number;
	/** Which templates to publish (default all). */
	templates?: string[];
	/**
	 * The portal's plan (default enterprise: 5 requests/s, burst 250). On standard (2/s, burst 50) the
	 * whole flow paces itself to the portal and a few hundred deals take minutes.
	 */
	ratePlan?: 'standard' | 'enterprise' | 'custom';
	/** With ratePlan 'custom': the portal's (and the credential's) requests per second and burst. */
	customRate?: { requestsPerSecond: number; burst: number };
	/** Contacts in the seeded portal (default: one per deal, at most 5,000). */
	contacts?: number;
	/** Changes a template before it is imported (e.g. the scale suite polls every minute instead of every 10). */
	adjustTemplate?: (file: string, workflow: TemplateWorkflow) => void;
	/** Another n8n than the default single process (queue mode: webhooks served by `webhookBaseUrl`). */
	startN8n?: () => Promise<RunningN8n & { webhookBaseUrl?: string }>;
	/** Changes the NPS branches table rows before they are inserted (default: `branchRows` as they are). */
	rows?: (rows: Array<Record<string, unknown>>, branches: SeedBranch[]) => Array<Record<string, unknown>>;
}

export async function startNpsStack(options: StackOptions = {}): Promise<NpsStack> {
	const log = options.log ?? (() => undefined);
	const ratePlan = options.ratePlan ?? 'enterprise';
	const rateLimit =
		ratePlan === 'enterprise' ? { drainPerSecond: 5, burst: 250 } : ratePlan === 'custom' && options.customRate ? { drainPerSecond: options.customRate.requestsPerSecond, burst: options.customRate.burst } : undefined;
	const sandbox = await startBitrix24Sandbox({ seed: { deals: options.deals ?? 400, contacts: options.contacts, seed: 7 }, rateLimit });
	// Work (landline) numbers are not on WhatsApp: those customers get the SMS fallback.
	const landlines = [...sandbox.portal.contacts.values()]
		.flatMap((contact) => (contact.PHONE as Array<{ VALUE: string; VALUE_TYPE: string }> | undefined) ?? [])
		.filter((phone) => phone.VALUE_TYPE === 'WORK')
		.map((phone) => normalizePhone(phone.VALUE))
		.flatMap((result) => (result.ok ? [result.e164] : []));
	const wazzup = await startWazzupSandbox({ notOnWhatsApp: landlines });
	const smsc = await startSmscSandbox();
	const telegram = await startTelegramSandbox({ perChatPerSecond: 50 });
	let n8n: RunningN8n | undefined;
	const stopAll = async () => {
		await n8n?.stop();
		await sandbox.stop();
		await wazzup.stop();
		await smsc.stop();
		await telegram.stop();
	};
	try {
		log(`Bitrix24 sandbox portal: ${sandbox.url}`);
		const started: RunningN8n & { webhookBaseUrl?: string } = options.startN8n ? await options.startN8n() : await startN8n({ port: options.port });
		n8n = started;
		const running = started;
		// Where customers and Bitrix24 reach n8n (in queue mode: the webhook process).
		const publicUrl = started.webhookBaseUrl ?? running.baseUrl;
		log(`n8n: ${running.baseUrl}${publicUrl !== running.baseUrl ? ` (webhooks: ${publicUrl})` : ''}`);

		// The data table, as a non-developer would fill it in (Overview → Data tables).
		const table = await running.api<{ id: string }>('POST', '/data-tables', { name: BRANCH_TABLE_NAME, columns: BRANCH_TABLE_COLUMNS.map(({ name, type }) => ({ name, type })) });
		if (table.status !== 200 && table.status !== 201) throw new Error(`Creating the data table: HTTP ${table.status} ${JSON.stringify(table.body)}`);
		const rows = options.rows ? options.rows(branchRows(sandbox.seeded.branches), sandbox.seeded.branches) : branchRows(sandbox.seeded.branches);
		const inserted = await running.api('POST', `/data-tables/${table.body.id}/rows`, { data: rows, returnType: 'count' });
		if (inserted.status !== 200 && inserted.status !== 201) throw new Error(`Filling the data table: HTTP ${inserted.status} ${JSON.stringify(inserted.body)}`);
		// Where NPS Survey Send claims each survey (queue mode safe): empty, two text columns.
		const claims = await running.api('POST', '/data-tables', { name: CLAIM_TABLE_NAME, columns: CLAIM_TABLE_COLUMNS.map(({ name, type }) => ({ name, type })) });
		if (claims.status !== 200 && claims.status !== 201) throw new Error(`Creating the claims table: HTTP ${claims.status} ${JSON.stringify(claims.body)}`);
		log(`Data table "${BRANCH_TABLE_NAME}": ${rows.length} branches (${[...new Set(rows.map((r) => r.city))].join(', ')})`);

		// Credentials, named as the templates name them.
		const hook = sandbox.createWebhook();
		const eventsUrl = `${publicUrl}/webhook/${PATHS.events}`;
		const outgoing = sandbox.addOutgoingWebhook(eventsUrl, ['ONCRMDEALUPDATE']);
		const credentials: Record<string, { id: string; name: string }> = {};
		const create = async (name: string, type: string, data: Record<string, unknown>) => {
			const created = await running.api<{ id: string }>('POST', '/credentials', { name, type, data });
			if (created.status !== 200) throw new Error(`Creating the ${type} credential: HTTP ${created.status} ${JSON.stringify(created.body)}`);
			credentials[name] = { id: created.body.id, name };
		};
		await create('Bitrix24 portal', 'bitrix24WebhookApi', { webhookUrl: hook.url, ratePlan, ...(options.customRate ?? {}), ignoreSslIssues: true, applicationToken: outgoing.applicationToken });
		await create('NPS link signing', 'npsLinkSigningApi', SIGNING);
		await create('NPS branch table (n8n API)', 'npsBranchTableApi', { apiKey: running.apiKey, baseUrl: running.baseUrl });
		await create('Wazzup', 'wazzupApi', { apiKey: wazzup.apiKey, baseUrl: wazzup.url });
		await create('SMSC.ru', 'smscApi', { login: smsc.login, password: smsc.password, baseUrl: smsc.url });
		await create('Telegram bot for reports', 'telegramApi', { accessToken: telegram.botToken, baseUrl: telegram.url });
		await create('NPS dashboard login', 'httpBasicAuth', DASHBOARD_LOGIN);

		const wazzupSecret = randomBytes(18).toString('base64url');
		const replacements: Replacements = {
			'http://localhost:5678': publicUrl,
			'YOUR-WAZZUP-CHANNEL-ID': wazzup.channelId,
			'https://api.wazzup24.com': wazzup.url,
			'YOUR-TELEGRAM-CHAT-ID': OWNER_CHAT_ID,
			'CHANGE-ME-to-a-long-random-secret': wazzupSecret,
			'https://your-company.bitrix24.ru': sandbox.url,
		};
		const wanted = options.templates ?? templateFiles();
		const workflows: Record<string, string> = {};
		const webhookPaths: Record<string, string[]> = {
			'01-deal-closed-survey.json': [PATHS.events],
			'02-answers.json': [PATHS.surveyPage, PATHS.wazzupReplies],
			'03-review-clicks.json': [PATHS.reviewClicks],
			'04-dashboard.json': [PATHS.dashboard],
		};
		// The error workflow first, so the others can name it; the deal trigger last, when all is ready.
		const order = [...wanted].sort((a, b) => rank(a) - rank(b));
		for (const file of order) {
			const template = prepareTemplate(readTemplate(file), credentials, replacements);
			options.adjustTemplate?.(file, template);
			const errorWorkflow = workflows['06-errors.json'];
			const body = {
				name: template.name,
				nodes: template.nodes,
				connections: template.connections,
				settings: { ...(template.settings ?? {}), ...(errorWorkflow && file !== '06-errors.json' ? { errorWorkflow } : {}) },
			};
			workflows[file] = await running.publish(body, webhookPaths[file] ?? []);
			log(`Published "${template.name}": ${running.baseUrl}/workflow/${workflows[file]}`);
		}
		const keys = signingKeysFrom(SIGNING);
		const executions = async (file: string): Promise<StackExecution[]> => {
			const all: StackExecution[] = [];
			let cursor = '';
			for (;;) {
				const page = await running.api<{ data: StackExecution[]; nextCursor?: string | null }>('GET', `/executions?workflowId=${workflows[file]}&limit=250${cursor ? `&cursor=${cursor}` : ''}`);
				all.push(...page.body.data);
				if (!page.body.nextCursor) return all;
				cursor = page.body.nextCursor;
			}
		};
		const settle = async (file: string, count: number, timeoutMs = 120_000): Promise<StackExecution[]> => {
			let quietSince = 0;
			let last = -1;
			for (const deadline = Date.now() + timeoutMs; ; ) {
				await sandbox.eventsDelivered();
				const list = await executions(file);
				const busy = list.some((e) => !e.finished && (e.status === 'running' || e.status === 'new'));
				if (list.length !== last || busy) {
					last = list.length;
					quietSince = Date.now();
				} else if (list.length >= count && Date.now() - quietSince > 1000) {
					return list;
				}
				if (Date.now() > deadline) throw new Error(`${file}: ${list.length} execution(s) of ${count} expected after ${timeoutMs / 1000} s (running: ${busy})`);
				await new Promise((resolve) => setTimeout(resolve, 250));
			}
		};
		const surveys = () =>
			[
				// (Review links sent back in WhatsApp are not surveys.)
				...wazzup.deliveries.filter((d) => !d.text.includes('/nps-review-clicks/')).map((d) => ({ channel: 'wazzup' as const, to: `+${d.to.replace(/^\+/, '')}`, text: d.text })),
				...smsc.deliveries.map((d) => ({ channel: 'smsc' as const, to: d.to, text: d.text })),
			].map((message) => {
				const link = message.text.match(/https?:\/\/\S+/)?.[0] ?? '';
				const check = verifyToken(tokenFromUrl(link) ?? '', keys, { now: Math.floor(Date.now() / 1000) });
				return { ...message, link, dealId: check.ok ? check.claims.dealId : 0, branch: check.ok ? check.claims.branch : undefined };
			});
		return {
			executions,
			settle,
			surveys,
			sandbox,
			wazzup,
			smsc,
			telegram,
			n8n: running,
			workflows,
			rows,
			keys,
			applicationToken: outgoing.applicationToken,
			wazzupSecret,
			url: (path) => `${publicUrl}/webhook/${PATHS[path]}`,
			stop: stopAll,
		};
	} catch (error) {
		await stopAll();
		throw error;
	}
}

function rank(file: string): number {
	if (file.startsWith('06-')) return 0;
	if (file.startsWith('01-')) return 2;
	return 1;
}
