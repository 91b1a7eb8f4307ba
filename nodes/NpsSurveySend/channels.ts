/**
 * The channel adapters for one item, from the node's parameters and the channels' credentials.
 * Adapters are built once per channel and configuration, so all items share one rate gate per
 * provider account.
 */

import { type IExecuteFunctions, NodeOperationError, sleep } from 'n8n-workflow';

import { createChat2DeskAdapter } from '../shared/channels/chat2desk';
import { gateFor, type RateGate } from '../shared/channels/rateGate';
import { createSmscAdapter } from '../shared/channels/smsc';
import { createTelegramAdapter } from '../shared/channels/telegram';
import { createTwilioAdapter } from '../shared/channels/twilio';
import type { ChannelAdapter, ChannelName } from '../shared/channels/types';
import { createWazzupAdapter, type WazzupChatType } from '../shared/channels/wazzup';
import { createWhatsAppCloudAdapter } from '../shared/channels/whatsappCloud';
import { n8nChannelHttp } from '../shared/n8n/channelHttp';
import { text } from '../shared/n8n/surveyParameters';

export const CHANNEL_CREDENTIALS: Record<ChannelName, string> = {
	wazzup: 'wazzupApi',
	chat2desk: 'chat2DeskApi',
	whatsappCloud: 'whatsAppCloudApi',
	smsc: 'smscApi',
	twilio: 'npsTwilioApi',
	telegram: 'npsTelegramBotApi',
};

/** SMS carries the shorter text. */
export function isSmsChannel(channel: ChannelName): boolean {
	return channel === 'smsc' || channel === 'twilio';
}

function baseUrl(credentials: Record<string, unknown>): string | undefined {
	return text(credentials.baseUrl) || undefined;
}

export class ChannelSet {
	private readonly built = new Map<string, ChannelAdapter>();
	private readonly credentials = new Map<string, Record<string, unknown>>();
	private readonly gates = new Map<ChannelAdapter, RateGate>();

	constructor(private readonly ctx: IExecuteFunctions) {}

	/** The adapters the item's Channels parameter names, in its order. */
	async adaptersFor(itemIndex: number): Promise<ChannelAdapter[]> {
		const raw = this.ctx.getNodeParameter('channels', itemIndex, []) as unknown;
		const names = (Array.isArray(raw) ? raw : String(raw).split(/[\s,;]+/)).map(text).filter(Boolean);
		if (names.length === 0) throw new NodeOperationError(this.ctx.getNode(), 'Choose at least one channel', { itemIndex });
		const adapters: ChannelAdapter[] = [];
		for (const name of names) {
			if (!(name in CHANNEL_CREDENTIALS)) {
				throw new NodeOperationError(this.ctx.getNode(), `Unknown channel "${name}"`, {
					itemIndex,
					description: `Channels: ${Object.keys(CHANNEL_CREDENTIALS).join(', ')}`,
				});
			}
			adapters.push(await this.adapter(name as ChannelName, itemIndex));
		}
		return adapters;
	}

	gateOf = (adapter: ChannelAdapter): RateGate | undefined => this.gates.get(adapter);

	private async credentialsOf(channel: ChannelName): Promise<Record<string, unknown>> {
		const type = CHANNEL_CREDENTIALS[channel];
		let credentials = this.credentials.get(type);
		if (!credentials) {
			if (!this.ctx.getNode().credentials?.[type]) {
				throw new NodeOperationError(this.ctx.getNode(), `The channel "${channel}" is chosen but has no credential: select a ${type} credential in this node, or take the channel out of Channels`);
			}
			credentials = (await this.ctx.getCredentials(type)) as Record<string, unknown>;
			this.credentials.set(type, credentials);
		}
		return credentials;
	}

	private async adapter(channel: ChannelName, itemIndex: number): Promise<ChannelAdapter> {
		const param = (name: string, fallback: unknown = '') => text(this.ctx.getNodeParameter(name, itemIndex, fallback));
		const credentials = await this.credentialsOf(channel);
		const http = n8nChannelHttp(this.ctx, CHANNEL_CREDENTIALS[channel]);
		const { timeoutSeconds } = this.ctx.getNodeParameter('options', itemIndex, {}) as { timeoutSeconds?: number };
		const timeoutMs = Math.max(1, Number(timeoutSeconds ?? 30)) * 1000;
		const missing = (what: string) =>
			new NodeOperationError(this.ctx.getNode(), `${what} is empty`, { itemIndex, description: `Needed to send through ${channel}` });
		let settings: Record<string, unknown>;
		let make: () => ChannelAdapter;
		switch (channel) {
			case 'wazzup': {
				const channelId = param('wazzupChannelId');
				if (!channelId) throw missing('Wazzup Channel ID');
				settings = { channelId, chatType: param('wazzupChatType', 'whatsapp') };
				make = () => createWazzupAdapter(http, { timeoutMs, baseUrl: baseUrl(credentials), channelId, chatType: settings.chatType as WazzupChatType, sleep });
				break;
			}
			case 'chat2desk':
				settings = { transport: param('chat2deskTransport', 'whatsapp'), channelId: param('chat2deskChannelId') };
				make = () =>
					createChat2DeskAdapter(http, { timeoutMs,
						baseUrl: baseUrl(credentials),
						transport: settings.transport as string,
						channelId: (settings.channelId as string) || undefined,
					});
				break;
			case 'whatsappCloud': {
				const mode = param('whatsappMode', 'template') === 'text' ? 'text' : 'template';
				settings =
					mode === 'text'
						? { mode }
						: {
								mode,
								templateName: param('whatsappTemplate', 'nps_survey'),
								templateLanguage: param('whatsappTemplateLanguage', 'ru'),
								bodyVariables: param('whatsappBodyVariables', '')
									.split(',')
									.map((name) => name.trim().replace(/^\{|\}$/g, ''))
									.filter(Boolean),
								urlButtonVariable: param('whatsappUrlButton', 'token') || undefined,
							};
				const phoneNumberId = text(credentials.phoneNumberId);
				if (!phoneNumberId) throw missing('The credential\'s Phone Number ID');
				make = () =>
					createWhatsAppCloudAdapter(http, { timeoutMs,
						baseUrl: baseUrl(credentials),
						phoneNumberId,
						...(settings as { mode: 'template' | 'text' }),
					});
				break;
			}
			case 'smsc':
				settings = { sender: param('smscSender') };
				make = () => createSmscAdapter(http, { timeoutMs, baseUrl: baseUrl(credentials), sender: (settings.sender as string) || undefined });
				break;
			case 'twilio': {
				const from = param('twilioFrom');
				if (!from) throw missing('Twilio From');
				settings = { from };
				make = () =>
					createTwilioAdapter(http, { timeoutMs,
						baseUrl: baseUrl(credentials),
						accountSid: text(credentials.accountSid),
						...(from.startsWith('MG') ? { messagingServiceSid: from } : { from }),
					});
				break;
			}
			case 'telegram':
				settings = { keyboard: this.ctx.getNodeParameter('telegramKeyboard', itemIndex, true) === true };
				make = () =>
					createTelegramAdapter(http, { timeoutMs, baseUrl: baseUrl(credentials), botToken: text(credentials.botToken), keyboard: settings.keyboard as boolean });
				break;
		}
		const key = `${channel}:${timeoutMs}:${JSON.stringify(settings)}`;
		let adapter = this.built.get(key);
		if (!adapter) {
			adapter = make();
			this.built.set(key, adapter);
			if (adapter.rateLimit) {
				// One gate per provider account in this process: the credential's id, never its secret.
				const credentialId = this.ctx.getNode().credentials?.[CHANNEL_CREDENTIALS[channel]]?.id ?? 'default';
				this.gates.set(adapter, gateFor(`${channel}:${credentialId}`, adapter.rateLimit, sleep));
			}
		}
		return adapter;
	}
}
