import { createHmac } from 'crypto';
import {
	type IDataObject,
	type IHookFunctions,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
	NodeConnectionTypes,
	NodeOperationError,
} from 'n8n-workflow';

import { handleReply, type ChatReply, type InboundRequest, type ReplySettings, type WebhookAnswer } from '../shared/channels/replies';
import { answerCallbackRequest } from '../shared/channels/telegram';
import { afterScorePage, commentThanksPage, MAX_COMMENT_LENGTH, pageTexts, problemPage, scorePage, type ProblemKind, type ReviewButton } from '../shared/survey/page';
import { parseScore, type Scale } from '../shared/survey/score';
import { languageOf, type Language } from '../shared/survey/template';
import { verifyToken, type SigningKey, type TokenClaims } from '../shared/survey/token';
import { loadBranches, readAllowedHosts } from '../shared/n8n/branchTable';
import { signingCredential } from '../shared/n8n/signing';
import { PLATFORM_LABELS, platformLinks, signReviewToken, trackedUrl, type BranchLinks } from '../shared/survey/reviewLinks';
import { responseTriggerProperties, type ResponseSource } from './description';

const SIGNING_CREDENTIAL = 'npsLinkSigningApi';

type ExpressResponse = ReturnType<IWebhookFunctions['getResponseObject']>;

function send(response: ExpressResponse, answer: WebhookAnswer): void {
	response.status(answer.status);
	for (const [name, value] of Object.entries(answer.headers ?? {})) response.setHeader(name, value);
	if (answer.body === undefined) response.end();
	else if (typeof answer.body === 'string') response.send(answer.body);
	else response.json(answer.body);
}

function pageHeaders(response: ExpressResponse): void {
	response.setHeader('Content-Type', 'text/html; charset=utf-8');
	// The page holds a signed link: keep it out of shared caches and referrers.
	response.setHeader('Cache-Control', 'no-store');
	response.setHeader('Referrer-Policy', 'no-referrer');
	response.setHeader('X-Content-Type-Options', 'nosniff');
	response.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
}

/** A page that starts nothing: sent at once. */
function html(response: ExpressResponse, status: number, page: string): void {
	response.status(status);
	pageHeaders(response);
	response.send(page);
}

/**
 * A page that thanks for an answer, with the answer's item. n8n sends the page (200) only once it has
 * stored and queued the execution: were it sent first, an answer n8n then failed to store (its database
 * pool dry under load) would be lost while the customer saw "thank you". Now the customer gets n8n's
 * error instead and can send the answer again. n8n puts its own sandbox CSP on such a page.
 */
function answered(response: ExpressResponse, page: string, item: IDataObject): IWebhookResponseData {
	pageHeaders(response);
	return { webhookResponse: page, workflowData: [[{ json: item }]] };
}

function rawBodyOf(ctx: IWebhookFunctions): string {
	const raw = (ctx.getRequestObject() as { rawBody?: Buffer | string }).rawBody;
	if (raw === undefined) return '';
	return typeof raw === 'string' ? raw : raw.toString('utf8');
}

function field(body: unknown, name: string): string {
	const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
	const first = Array.isArray(value) ? value[0] : value;
	return first === undefined || first === null ? '' : String(first);
}

/** Telegram's secret for our webhook, derived (no storage needed): the same on every process. */
function telegramSecret(botToken: string, url: string): string {
	return createHmac('sha256', botToken).update(`nps-webhook:${url}`).digest('hex').slice(0, 48);
}

/** Answers seen in this process, to flag a repeated answer (the lasting record is the results row per deal). */
const recentAnswers = new Map<string, number>();
function seenBefore(key: string): boolean {
	const seen = recentAnswers.has(key);
	recentAnswers.set(key, Date.now());
	if (recentAnswers.size > 10_000) recentAnswers.delete(recentAnswers.keys().next().value as string);
	return seen;
}

/** The review buttons: the branch's configured pages, through the tracker when one is set. */
function reviewButtons(ctx: IWebhookFunctions, branch: BranchLinks | undefined, claims: TokenClaims, language: Language, key: SigningKey): ReviewButton[] {
	if (!branch) return [];
	const tracker = String(ctx.getNodeParameter('trackerUrl', '') ?? '').trim();
	const now = Math.floor(Date.now() / 1000);
	return platformLinks(branch, readAllowedHosts(ctx)).map((link) => ({
		platform: link.platform,
		label: (PLATFORM_LABELS[language] as Record<string, string>)[link.platform] ?? link.label,
		url: /^https?:\/\//i.test(tracker)
			? trackedUrl(tracker, signReviewToken({ dealId: claims.dealId, branch: branch.id, platform: link.platform, issuedAt: now, expiresAt: now + 90 * 86_400 }, key))
			: link.destination,
	}));
}

export class NpsResponseTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'NPS Response Trigger',
		name: 'npsResponseTrigger',
		icon: { light: 'file:../../icons/nps.svg', dark: 'file:../../icons/nps.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ $parameter["source"] === "page" ? "survey page" : $parameter["source"] + " replies" }}',
		description: 'Serves the NPS survey page and takes chat replies; one item per answer',
		defaults: { name: 'NPS Response Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: SIGNING_CREDENTIAL, required: true, displayOptions: { show: { source: ['page'] } } },
			{ name: 'npsBranchTableApi', required: true, displayOptions: { show: { source: ['page'], branchSource: ['dataTable'] } } },
			{ name: 'whatsAppCloudApi', required: true, displayOptions: { show: { source: ['whatsappCloud'] } } },
			{ name: 'npsTelegramBotApi', required: true, displayOptions: { show: { source: ['telegram'] } } },
			{ name: 'npsTwilioApi', required: true, displayOptions: { show: { source: ['twilio'] } } },
		],
		webhooks: [
			{
				name: 'setup',
				httpMethod: 'GET',
				responseMode: 'onReceived',
				path: '={{ $parameter["source"] === "page" ? "s" : $parameter["source"] }}',
			},
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				// Empty, not absent: absent means "firstEntryJson" to n8n, which would then send that word
				// instead of the page this node hands over (webhookResponse) with an answer's item.
				responseData: '',
				path: '={{ $parameter["source"] === "page" ? "s" : $parameter["source"] }}',
			},
		],
		properties: responseTriggerProperties,
	};

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				if (this.getNodeParameter('source') !== 'telegram') return true;
				const { botToken, baseUrl } = await telegramCredentials(this);
				const info = (await telegramCall(this, 'GET', `${baseUrl}/bot${botToken}/getWebhookInfo`)) as { result?: { url?: string } };
				return info.result?.url === this.getNodeWebhookUrl('default');
			},
			async create(this: IHookFunctions): Promise<boolean> {
				if (this.getNodeParameter('source') !== 'telegram') return true;
				const { botToken, baseUrl } = await telegramCredentials(this);
				const url = this.getNodeWebhookUrl('default') as string;
				await telegramCall(this, 'POST', `${baseUrl}/bot${botToken}/setWebhook`, { url, secret_token: telegramSecret(botToken, url), allowed_updates: ['message', 'callback_query'] });
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				if (this.getNodeParameter('source') !== 'telegram') return true;
				const { botToken, baseUrl } = await telegramCredentials(this);
				await telegramCall(this, 'POST', `${baseUrl}/bot${botToken}/deleteWebhook`, {});
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const source = this.getNodeParameter('source') as ResponseSource;
		return source === 'page' ? await surveyPage(this) : await chatReplies(this, source);
	}
}

function queryPart(url: string | undefined): string {
	const at = String(url ?? '').indexOf('?');
	return at >= 0 ? String(url).slice(at) : '';
}

/** A Telegram API call whose errors never carry the URL (it holds the bot token). */
async function telegramCall(ctx: IHookFunctions, method: 'GET' | 'POST', url: string, body?: IDataObject): Promise<unknown> {
	try {
		return await ctx.helpers.httpRequest({ method, url, ...(body ? { body } : {}), json: true, timeout: 15_000 });
	} catch (error) {
		const status = (error as { httpCode?: string; response?: { status?: number } }).response?.status ?? (error as { httpCode?: string }).httpCode;
		const what = url.slice(url.lastIndexOf('/') + 1);
		throw new NodeOperationError(ctx.getNode(), `Telegram refused ${what}${status ? ` (HTTP ${status})` : ''}: check the bot token in the credential`);
	}
}

async function telegramCredentials(ctx: IHookFunctions | IWebhookFunctions): Promise<{ botToken: string; baseUrl: string }> {
	const credentials = await ctx.getCredentials('npsTelegramBotApi');
	const botToken = String(credentials.botToken ?? '');
	if (!botToken) throw new NodeOperationError(ctx.getNode(), 'The Telegram credential has no bot token');
	return { botToken, baseUrl: String(credentials.baseUrl || 'https://api.telegram.org').replace(/\/+$/, '') };
}

async function surveyPage(ctx: IWebhookFunctions): Promise<IWebhookResponseData> {
	const request = ctx.getRequestObject();
	const response = ctx.getResponseObject();
	const body = ctx.getBodyData();
	const query = ctx.getQueryData() as Record<string, unknown>;
	const isPost = request.method === 'POST';
	const token = (isPost ? field(body, 't') : '') || field(query, 't');
	const fallbackLanguage = languageOf(ctx.getNodeParameter('language', 'ru'), 'ru');

	const { keys } = await signingCredential(ctx);
	const check = verifyToken(token, keys, { now: Math.floor(Date.now() / 1000), kind: 's' });
	if (!check.ok) {
		const kind: ProblemKind = check.reason === 'expired' ? 'expired' : 'invalid';
		ctx.logger.debug(`NPS Response Trigger: survey link refused (${check.reason})`);
		html(response, kind === 'expired' ? 410 : 404, problemPage({ language: fallbackLanguage, kind }));
		return { noWebhookResponse: true };
	}
	const claims: TokenClaims = check.claims;
	const language = languageOf(claims.extra?.l, fallbackLanguage);
	// Without the branch table the customer can still answer (no review buttons): the answer matters more.
	const branches = await loadBranches(ctx).catch((error: Error) => {
		ctx.logger.warn(`NPS Response Trigger: branches could not be read, the page shows no review buttons (${error.message})`);
		return [];
	});
	const branch = branches.find((row) => row.id === String(claims.branch ?? '').trim());
	const scale: Scale = { min: Number(ctx.getNodeParameter('scale', 0)) === 1 ? 1 : 0, max: 10 };
	const question = String(ctx.getNodeParameter('question', '') ?? '').trim() || undefined;
	const secondQuestion = String(ctx.getNodeParameter('secondQuestion', '') ?? '').trim() || undefined;
	// The form posts back to the very URL it came from (the token rides in a hidden field too).
	const action = '';
	const base = { language, branch: branch?.name || undefined };

	if (!isPost) {
		html(response, 200, scorePage({ ...base, action, token, scale, question, secondQuestion }));
		return { noWebhookResponse: true };
	}

	const step = field(body, 'step') === 'comment' ? 'comment' : 'score';
	const answeredAt = new Date().toISOString();
	const common: IDataObject = {
		source: 'page',
		channel: claims.channel ?? null,
		dealId: claims.dealId,
		contactId: claims.contactId ?? null,
		branch: { id: claims.branch ?? null, name: branch?.name ?? null },
		language,
		answeredAt,
		linkIssuedAt: new Date(claims.issuedAt * 1000).toISOString(),
		userAgent: String(request.headers['user-agent'] ?? ''),
	};

	if (step === 'comment') {
		const comment = field(body, 'comment').trim().slice(0, MAX_COMMENT_LENGTH);
		const parsed = parseScore(field(body, 'score'), scale);
		const thanks = commentThanksPage({ ...base, comment: field(body, 'comment').trim().slice(0, MAX_COMMENT_LENGTH) });
		if (!comment) {
			html(response, 200, thanks);
			return { noWebhookResponse: true };
		}
		return answered(response, thanks, { ...common, step, score: parsed.ok ? parsed.score : null, scores: parsed.ok ? [parsed.score] : [], comment, replaces: false });
	}

	const first = parseScore(field(body, 'score'), scale);
	const second = secondQuestion ? parseScore(field(body, 'score2'), scale) : undefined;
	if (!first.ok || (second && !second.ok)) {
		const problem = pageTexts(language).pickScore.replace('{min}', String(scale.min)).replace('{max}', String(scale.max));
		html(response, 422, scorePage({ ...base, action, token, scale, question, secondQuestion, problem }));
		return { noWebhookResponse: true };
	}
	const scores = [first.score, ...(second && second.ok ? [second.score] : [])];
	const promoterFrom = Number(ctx.getNodeParameter('promoterFrom', 9));
	const promoter = first.score >= promoterFrom;
	const policy = String(ctx.getNodeParameter('reviewPolicy', 'promoters'));
	const buttons = policy === 'everyone' || (policy === 'promoters' && promoter) ? reviewButtons(ctx, branch, claims, language, keys.current) : [];
	const replaces = seenBefore(`${claims.dealId}|${claims.issuedAt}`);
	const page = afterScorePage({ ...base, action, token, score: first.score, reviewButtons: buttons, askComment: true, promoter });
	return answered(response, page, { ...common, step, score: first.score, scores, comment: '', replaces, reviewButtons: buttons.map((b) => b.platform) });
}

async function replySettings(ctx: IWebhookFunctions, source: Exclude<ResponseSource, 'page'>): Promise<ReplySettings> {
	switch (source) {
		case 'wazzup':
		case 'chat2desk': {
			const secret = String(ctx.getNodeParameter('urlSecret', '') ?? '');
			return source === 'wazzup' ? { wazzup: { secret } } : { chat2desk: { secret } };
		}
		case 'whatsappCloud': {
			const credentials = await ctx.getCredentials('whatsAppCloudApi');
			return { whatsappCloud: { appSecret: String(credentials.appSecret ?? ''), verifyToken: String(credentials.verifyToken ?? '') } };
		}
		case 'telegram': {
			const { botToken } = await telegramCredentials(ctx);
			return { telegram: { secretToken: telegramSecret(botToken, String(ctx.getNodeWebhookUrl('default'))) } };
		}
		case 'twilio': {
			const credentials = await ctx.getCredentials('npsTwilioApi');
			return { twilio: { authToken: String(credentials.authToken ?? '') } };
		}
	}
}

function replyItem(reply: ChatReply, scale: Scale): IDataObject {
	const dealFromKey = reply.callback?.keyPrefix?.match(/^nps-(\d+)-/);
	const typed = reply.callback?.score ?? reply.text;
	const parsed = parseScore(typed, scale);
	return {
		source: 'chat',
		channel: reply.channel,
		dealId: dealFromKey ? Number(dealFromKey[1]) : null,
		phone: reply.from.phone ?? null,
		chatId: reply.from.chatId ?? null,
		name: reply.from.name ?? null,
		// A number when the reply reads as one; the text otherwise, for Score Branch to call invalid with the reason.
		score: parsed.ok ? parsed.score : (typed ?? ''),
		scores: parsed.ok ? [parsed.score] : [],
		text: reply.text ?? null,
		comment: parsed.ok ? '' : (reply.text ?? ''),
		messageId: reply.messageId,
		answeredAt: reply.at,
		replaces: seenBefore(`${reply.channel}|${reply.from.phone ?? reply.from.chatId}|${dealFromKey?.[1] ?? ''}`),
	};
}

async function chatReplies(ctx: IWebhookFunctions, source: Exclude<ResponseSource, 'page'>): Promise<IWebhookResponseData> {
	const request = ctx.getRequestObject();
	const response = ctx.getResponseObject();
	const inbound: InboundRequest = {
		method: request.method,
		headers: request.headers as InboundRequest['headers'],
		query: ctx.getQueryData() as InboundRequest['query'],
		rawBody: rawBodyOf(ctx),
		body: ctx.getBodyData(),
		// The URL the provider called, query included (Twilio signs all of it).
		url: String(ctx.getNodeWebhookUrl(request.method === 'GET' ? 'setup' : 'default') ?? '') + queryPart(request.originalUrl ?? request.url),
	};
	const result = handleReply(source, inbound, await replySettings(ctx, source));
	send(response, result.answer);
	if (result.kind === 'rejected') ctx.logger.warn(`NPS Response Trigger (${source}): refused a call: ${result.reason}`);
	if (result.kind !== 'replies' || result.replies.length === 0) return { noWebhookResponse: true };

	const scale: Scale = { min: 0, max: 10 };
	if (source === 'telegram') {
		// Stop the spinner on the tapped button; a failure here must not lose the answer.
		const { botToken, baseUrl } = await telegramCredentials(ctx);
		for (const reply of result.replies.filter((r) => r.callback)) {
			const call = answerCallbackRequest({ baseUrl, botToken }, reply.callback!.id, '✓');
			await ctx.helpers
				.httpRequest({ method: call.method, url: call.url, body: call.json as IDataObject, json: true, timeout: 5000 })
				.catch(() => ctx.logger.warn('NPS Response Trigger (telegram): could not answer the button tap'));
		}
	}
	return { noWebhookResponse: true, workflowData: [result.replies.map((reply) => ({ json: replyItem(reply, scale) }))] };
}
