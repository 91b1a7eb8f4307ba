import { randomBytes } from 'crypto';

import {
	type ICredentialsDecrypted,
	type ICredentialTestFunctions,
	type IDataObject,
	type INodeCredentialTestResult,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	NodeConnectionTypes,
	NodeOperationError,
	sleep,
} from 'n8n-workflow';

import type { ChannelAdapter, SurveyMessage } from '../shared/channels/types';
import { dataTableApi, type DataTableRowFilter } from '../shared/n8n/dataTableApi';
import { errorItemJson, toNodeError } from '../shared/n8n/errors';
import { signingCredential } from '../shared/n8n/signing';
import { normalizePhone, type PhoneCountry } from '../shared/phone';
import { CLAIM_TABLE_NAME, SurveyLedger, TicketLedgerStore, type ClaimTable, type LedgerStore } from '../shared/survey/ledger';
import { computeSendAt, timeZoneFor, type SendPlan } from '../shared/survey/schedule';
import { sendSurveys, type SurveyJob, type SurveyOutcome } from '../shared/survey/send';
import {
	defaultTemplates,
	languageOf,
	PLACEHOLDERS,
	renderEmailHtml,
	renderTemplate,
	templateError,
	type Language,
	type TemplateValues,
} from '../shared/survey/template';
import { numericId, signingCredentialTest, signToken, surveyIdempotencyKey, withToken, type SigningKey } from '../shared/survey/token';
import { ChannelSet, isSmsChannel } from './channels';
import { surveySendProperties } from './description';
import { text } from '../shared/n8n/surveyParameters';

const SIGNING_CREDENTIAL = 'npsLinkSigningApi';

/** What one item asks for, read and checked before anything is sent. */
interface Prepared {
	index: number;
	dealId: number;
	contactId?: number;
	contactKey?: string;
	language: Language;
	templates: { message: string; sms: string };
	values: TemplateValues;
	branchId: string;
	phone?: string;
	phoneProblem?: string;
	telegramChatId?: string;
	email?: string;
	optedOut?: string;
	quiet?: { sendAt: string; reason: string };
	sendAt: string;
}

/** n8n's database-backed de-duplication, as the ledger's store (this node's own entries). */
function n8nLedgerStore(ctx: IExecuteFunctions, maxEntries: number): LedgerStore {
	const options = { mode: 'entries' as const, maxEntries };
	return {
		async checkAndRecord(keys) {
			// n8n trims to maxEntries before our clean-up of the window keys we do not keep: leave room
			// for them, or they would push real (old) claims out.
			const result = await ctx.helpers.checkProcessedAndRecord(keys, 'node', { ...options, maxEntries: maxEntries + keys.length });
			return { seen: new Set(result.processed.map(String)) };
		},
		async forget(keys) {
			await ctx.helpers.removeProcessed(keys, 'node', options);
		},
	};
}

/**
 * The claims data table as the ledger's store (queue mode): n8n's de-duplication helpers read and
 * write their list whole, so two workers may both take one survey; tickets in a table cannot.
 */
async function claimTableStore(ctx: IExecuteFunctions, tableName: string): Promise<LedgerStore> {
	const api = await dataTableApi(ctx, tableName, 'dataTable:list, dataTableRow:read, dataTableRow:create and dataTableRow:delete');
	const { id } = await api.findTable(tableName);
	const anyOf = (keys: string[]): DataTableRowFilter => ({ type: 'or', filters: keys.map((key) => ({ columnName: 'claimKey', condition: 'eq' as const, value: key })) });
	const table: ClaimTable = {
		async insert(keys, holder) {
			await api.insert(id, keys.map((claimKey) => ({ claimKey, holder })));
		},
		async rowsOf(keys) {
			const rows = await api.rows(id, { filter: anyOf(keys), sortBy: 'id:asc' });
			return rows.map((row) => ({ id: Number(row.id), claimKey: String(row.claimKey ?? ''), holder: String(row.holder ?? '') }));
		},
		async remove(keys, holder) {
			// One request per key: n8n's filter is all-and or all-or, and this needs key AND holder.
			for (const key of keys) {
				await api.delete(id, { type: 'and', filters: [{ columnName: 'claimKey', condition: 'eq', value: key }, { columnName: 'holder', condition: 'eq', value: holder }] });
			}
		},
	};
	return new TicketLedgerStore(table, `${ctx.getExecutionId() ?? 'run'}:${randomBytes(6).toString('hex')}`);
}

export class NpsSurveySend implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'NPS Survey Send',
		name: 'npsSurveySend',
		icon: { light: 'file:../../icons/nps.svg', dark: 'file:../../icons/nps.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{ $parameter["operation"] === "send" ? "send via " + [].concat($parameter["channels"] || []).join(" → ") : $parameter["operation"] }}',
		description: 'Send an NPS survey link by WhatsApp, SMS or Telegram, once per deal, outside quiet hours, in the branch\'s words',
		defaults: { name: 'NPS Survey Send' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: SIGNING_CREDENTIAL, required: true, testedBy: 'npsLinkSigningTest', displayOptions: { show: { operation: ['send', 'render'] } } },
			// A channel's credential shows once the channel is chosen. Not `required`: Channels may be an
			// expression (the branch table's channel order), and n8n would then demand every channel's
			// credential before publishing. A chosen channel without its credential fails with a clear error.
			{ name: 'wazzupApi', required: false, displayOptions: { show: { operation: ['send'], channels: ['wazzup'] } } },
			{ name: 'chat2DeskApi', required: false, displayOptions: { show: { operation: ['send'], channels: ['chat2desk'] } } },
			{ name: 'whatsAppCloudApi', required: false, displayOptions: { show: { operation: ['send'], channels: ['whatsappCloud'] } } },
			{ name: 'smscApi', required: false, displayOptions: { show: { operation: ['send'], channels: ['smsc'] } } },
			{ name: 'npsTwilioApi', required: false, displayOptions: { show: { operation: ['send'], channels: ['twilio'] } } },
			{ name: 'npsTelegramBotApi', required: false, displayOptions: { show: { operation: ['send'], channels: ['telegram'] } } },
			// Queue mode: the claims data table, read and written through n8n's API.
			{ name: 'npsBranchTableApi', required: true, displayOptions: { show: { operation: ['send', 'render'], remember: [true], ledgerStore: ['dataTable'] } } },
		],
		properties: surveySendProperties,
	};

	methods = {
		credentialTest: {
			// No service to call: the test checks the keys themselves (length, distinct ids) and signs a link.
			async npsLinkSigningTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
				return signingCredentialTest(credential.data ?? {});
			},
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const operation = this.getNodeParameter('operation', 0) as string;
		const now = Date.now();
		const out: INodeExecutionData[] = [];
		const fail = (index: number, error: unknown, dealId?: number) => {
			const nodeError = toNodeError(this.getNode(), error, { itemIndex: index, dealId });
			if (!this.continueOnFail()) throw nodeError;
			out.push({ json: { ...items[index].json, ...errorItemJson(nodeError) }, pairedItem: { item: index } });
		};

		const quietPlan = (index: number): SendPlan => ({
			timeZone: timeZoneFor(this.getNodeParameter('timeZone', index, 'Europe/Moscow'), 'Europe/Moscow'),
			quietHours: { start: text(this.getNodeParameter('quietStart', index, '21:00')), end: text(this.getNodeParameter('quietEnd', index, '09:00')) },
		});

		if (operation === 'schedule') {
			for (let index = 0; index < items.length; index++) {
				try {
					const plan: SendPlan = {
						...quietPlan(index),
						delay: {
							amount: Number(this.getNodeParameter('delayAmount', index, 1)),
							unit: this.getNodeParameter('delayUnit', index, 'days') as 'minutes' | 'hours' | 'days',
						},
					};
					const from = text(this.getNodeParameter('from', index, '')) || new Date(now).toISOString();
					const time = computeSendAt(from, plan);
					out.push({ json: { ...items[index].json, survey: { status: 'scheduled', ...time, timeZone: plan.timeZone } as unknown as IDataObject }, pairedItem: { item: index } });
				} catch (error) {
					fail(index, error);
				}
			}
			return [out];
		}

		const { keys, credentials: signing } = await signingCredential(this);
		const signingKey: SigningKey = keys.current;
		const lifetimeSeconds = Math.max(1, Number(signing.linkLifetimeDays ?? 30)) * 86_400;

		// 1. Read and check every item before anything is sent: a bad template stops the batch here.
		const prepared: Array<Prepared | undefined> = [];
		const channelSet = new ChannelSet(this);
		const adaptersOf = new Map<number, ChannelAdapter[]>();
		for (let index = 0; index < items.length; index++) {
			let dealId: number | undefined;
			try {
				dealId = Number(this.getNodeParameter('dealId', index));
				if (!Number.isInteger(dealId) || dealId <= 0) {
					throw new NodeOperationError(this.getNode(), `Deal ID must be a positive whole number, got "${text(this.getNodeParameter('dealId', index))}"`, { itemIndex: index });
				}
				prepared[index] = prepareItem(this, index, dealId, now, quietPlan(index));
				if (operation === 'send') adaptersOf.set(index, await channelSet.adaptersFor(index));
			} catch (error) {
				prepared[index] = undefined;
				fail(index, error, dealId);
			}
		}

		const surveyUrl = text(this.getNodeParameter('surveyUrl', 0, ''));
		if (!/^https?:\/\//i.test(surveyUrl)) {
			throw new NodeOperationError(this.getNode(), 'Survey Page URL must be the http(s) URL of the NPS Response Trigger\'s survey page');
		}
		const survey = text(this.getNodeParameter('survey', 0, 'nps')) || 'nps';
		const remember = this.getNodeParameter('remember', 0, true) === true;
		const options = this.getNodeParameter('options', 0, {}) as { ledgerSize?: number; respectQuietHours?: boolean };
		const ledger = remember
			? new SurveyLedger(
					this.getNodeParameter('ledgerStore', 0, 'n8n') === 'dataTable'
						? await claimTableStore(this, text(this.getNodeParameter('claimTableName', 0, CLAIM_TABLE_NAME)) || CLAIM_TABLE_NAME)
						: n8nLedgerStore(this, Math.max(1000, Number(options.ledgerSize ?? 100_000))),
					{ survey, contactWindowDays: Number(this.getNodeParameter('contactWindowDays', 0, 30)) },
					`${this.getWorkflow().id ?? ''}:${this.getNode().id}`,
				)
			: undefined;

		const linkFor = (p: Prepared, channel: string) => {
			const token = signToken(
				{
					kind: 's',
					dealId: p.dealId,
					contactId: p.contactId,
					branch: p.branchId || undefined,
					channel,
					// The survey page speaks the customer's language.
					extra: { l: p.language },
					issuedAt: Math.floor(now / 1000),
					expiresAt: Math.floor(now / 1000) + lifetimeSeconds,
				},
				signingKey,
			);
			return { token, link: withToken(surveyUrl, token) };
		};
		const messageFor = (p: Prepared, channel: string, template: string): SurveyMessage => {
			const { token, link } = linkFor(p, channel);
			const values = { ...p.values, link };
			const idempotencyKey = surveyIdempotencyKey(p.dealId, `${survey}-${channel}`);
			return {
				text: renderTemplate(template, values),
				link,
				token,
				variables: Object.fromEntries(Object.entries({ ...values, token }).map(([k, v]) => [k, text(v)])),
				idempotencyKey,
				numericId: numericId(idempotencyKey),
				scale: { min: 0, max: 10 },
			};
		};

		const ready = prepared.filter((p): p is Prepared => p !== undefined);
		const results = new Map<number, SurveyOutcome & { link?: string; text?: string; subject?: string; html?: string }>();
		const respectQuiet = operation === 'send' && options.respectQuietHours !== false;
		const quiet = respectQuiet ? ready.filter((p) => p.quiet) : [];
		for (const p of quiet) results.set(p.index, { status: 'skipped', code: 'quietHours', reason: p.quiet!.reason, attempts: [] });
		const due = ready.filter((p) => !results.has(p.index));

		if (operation === 'render') {
			const decisions = ledger
				? await ledger.claim(
						due.filter((p) => !p.optedOut).map((p) => ({ dealId: p.dealId, contactKey: p.contactKey })),
						now,
					)
				: [];
			let next = 0;
			for (const p of due) {
				if (p.optedOut) {
					results.set(p.index, { status: 'skipped', code: 'optedOut', reason: p.optedOut, attempts: [] });
					continue;
				}
				const decision = ledger ? decisions[next++] : { ok: true as const, keys: [] };
				if (!decision.ok) {
					results.set(p.index, { status: 'skipped', code: decision.reason, reason: decision.message, attempts: [] });
					continue;
				}
				const defaults = defaultTemplates(p.language);
				const message = messageFor(p, 'email', p.templates.message || defaults.emailText);
				const html = text(this.getNodeParameter('emailHtml', p.index, '')) || defaults.emailHtml;
				results.set(p.index, {
					status: 'rendered' as SurveyOutcome['status'],
					reason: 'rendered for another node to send',
					attempts: [],
					link: message.link,
					text: message.text,
					subject: renderTemplate(text(this.getNodeParameter('emailSubject', p.index, '')) || defaults.emailSubject, { ...p.values, link: message.link }),
					html: renderEmailHtml(html, { ...p.values, link: message.link }),
				});
			}
		} else {
			const jobs: SurveyJob[] = due.map((p) => ({
				dealId: p.dealId,
				contactKey: p.contactKey,
				recipient: { phone: p.phone, telegramChatId: p.telegramChatId, email: p.email, name: text(p.values.fullName) },
				optedOut: p.optedOut,
				messageFor: (adapter: ChannelAdapter) => messageFor(p, adapter.channel, isSmsChannel(adapter.channel) ? p.templates.sms : p.templates.message),
				cannotUse: (adapter: ChannelAdapter) => (adapter.channel !== 'telegram' && p.phoneProblem ? p.phoneProblem : undefined),
			}));
			// Channels and their settings (sender, template…) may differ per item through expressions:
			// items go out in groups that share the very same adapters.
			const adapterIds = new Map<ChannelAdapter, number>();
			const idOf = (adapter: ChannelAdapter) => {
				if (!adapterIds.has(adapter)) adapterIds.set(adapter, adapterIds.size);
				return adapterIds.get(adapter)!;
			};
			const groups = new Map<string, number[]>();
			due.forEach((p, i) => {
				const key = adaptersOf.get(p.index)!.map(idOf).join('>');
				const group = groups.get(key) ?? [];
				group.push(i);
				groups.set(key, group);
			});
			for (const positions of groups.values()) {
				const adapters = adaptersOf.get(due[positions[0]].index)!;
				let outcomes: SurveyOutcome[];
				try {
					outcomes = await sendSurveys(
						positions.map((i) => jobs[i]),
						{ adapters, gateOf: channelSet.gateOf, ledger, sleep },
					);
				} catch (error) {
					// The ledger could not be read or written: nothing of this group was sent; the other groups keep their results.
					const reason = `not sent: the survey ledger failed (${error instanceof Error ? error.message : String(error)})`;
					outcomes = positions.map(() => ({ status: 'failed', code: 'LEDGER', reason, attempts: [] }));
				}
				positions.forEach((i, k) => {
					const p = due[i];
					const sentOn = outcomes[k].channel;
					results.set(p.index, { ...outcomes[k], link: sentOn ? linkFor(p, sentOn).link : undefined });
				});
			}
		}

		for (const p of ready) {
			const result = results.get(p.index)!;
			const surveyJson: IDataObject = {
				status: result.status,
				reason: result.reason,
				dealId: p.dealId,
				survey,
				sendAt: p.quiet?.sendAt ?? p.sendAt,
				language: p.language,
			};
			for (const key of ['code', 'channel', 'channelLabel', 'messageId', 'link', 'subject', 'text', 'html'] as const) {
				const value = (result as unknown as Record<string, unknown>)[key];
				if (value !== undefined && value !== '') surveyJson[key] = value as string;
			}
			if (operation === 'render' && p.email) surveyJson.email = p.email;
			if (result.attempts.length > 0) surveyJson.attempts = result.attempts as unknown as IDataObject[];
			out.push({ json: { ...items[p.index].json, survey: surveyJson }, pairedItem: { item: p.index } });
		}
		// Output in input order (errors under continue-on-fail were pushed as they came).
		out.sort((a, b) => (a.pairedItem as { item: number }).item - (b.pairedItem as { item: number }).item);
		return [out];
	}
}

/** Reads one item's parameters and checks its templates; throws (naming the item) before any send. */
function prepareItem(ctx: IExecuteFunctions, index: number, dealId: number, now: number, plan: SendPlan): Prepared {
	const param = (name: string, fallback: unknown = '') => text(ctx.getNodeParameter(name, index, fallback));
	const language = languageOf(ctx.getNodeParameter('language', index, 'ru'), 'ru');
	const defaults = defaultTemplates(language);
	const templates = { message: param('messageTemplate') || defaults.message, sms: param('smsTemplate') || defaults.sms };
	for (const [which, template, html] of [
		['Message Template', templates.message, false],
		['SMS Template', templates.sms, false],
		['Email Subject', param('emailSubject'), false],
		['Email HTML', param('emailHtml'), true],
	] as const) {
		const problem = templateError(template, { html });
		if (problem) {
			const known = Object.keys(PLACEHOLDERS).map((name) => `{${name}}`).join(', ');
			throw new NodeOperationError(ctx.getNode(), `${which}: ${problem.message.split('. Known placeholders')[0]}`, {
				itemIndex: index,
				description: `Nothing was sent. Known placeholders: ${known}.`,
			});
		}
	}
	const firstName = param('firstName');
	const lastName = param('lastName');
	const values: TemplateValues = {
		firstName,
		lastName,
		fullName: [firstName, lastName].filter(Boolean).join(' '),
		branch: param('branchName'),
		branchAddress: param('branchAddress'),
		city: param('city'),
		employee: param('employeeName'),
		company: param('companyName'),
		dealId,
	};
	const options = ctx.getNodeParameter('options', index, {}) as { defaultCountry?: PhoneCountry };
	const rawPhone = param('phone');
	const phone = rawPhone ? normalizePhone(rawPhone, options.defaultCountry ?? 'RU') : undefined;
	const contactIdText = param('contactId');
	const contactId = /^\d+$/.test(contactIdText) ? Number(contactIdText) : undefined;
	const email = param('email') || undefined;
	const telegramChatId = param('telegramChatId') || undefined;
	const e164 = phone?.ok ? phone.e164 : undefined;
	const optedOut = ctx.getNodeParameter('optedOut', index, false) === true ? 'the customer opted out of messages' : undefined;
	// When quiet hours hold right now, the survey waits for their end (send) or is due then (render).
	const nowPlan = computeSendAt(now, { timeZone: plan.timeZone, quietHours: plan.quietHours });
	return {
		index,
		dealId,
		contactId,
		contactKey: contactIdText ? `contact:${contactIdText}` : e164 ? `phone:${e164}` : email ? `email:${email.toLowerCase()}` : telegramChatId ? `tg:${telegramChatId}` : undefined,
		language,
		templates,
		values,
		branchId: param('branchId'),
		phone: e164,
		phoneProblem: rawPhone ? (phone && !phone.ok ? phone.reason : undefined) : 'no phone number',
		telegramChatId,
		email,
		optedOut,
		quiet: nowPlan.shifted ? { sendAt: nowPlan.sendAt, reason: nowPlan.reason ?? `quiet hours in ${plan.timeZone}: due at ${nowPlan.localTime}` } : undefined,
		sendAt: nowPlan.sendAt,
	};
}
