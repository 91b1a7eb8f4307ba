import type { ICredentialTestRequest, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

/**
 * A Telegram bot for surveys. The token goes into the request path (`/bot<token>/…`), which is how
 * the Bot API authenticates, so there is no header or query to add.
 */
export class TelegramBotApi implements ICredentialType {
	name = 'npsTelegramBotApi';

	displayName = 'Telegram Bot (NPS) API';

	icon: Icon = { light: 'file:../icons/telegram.svg', dark: 'file:../icons/telegram.dark.svg' };

	documentationUrl = 'https://core.telegram.org/bots/api';

	properties: INodeProperties[] = [
		{
			displayName:
				'Create a bot with @BotFather in Telegram and paste its token here. The bot can write only to customers who have started it.',
			name: 'notice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'Bot Token',
			name: 'botToken',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
			placeholder: '123456789:AAE…',
			description: 'The token @BotFather gave for the bot',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'https://api.telegram.org',
			description: 'Change only for a test server or a local Bot API server',
		},
	];

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl}}',
			url: '=/bot{{$credentials.botToken}}/getMe',
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message: 'Telegram refused the bot token: it is wrong or was revoked in @BotFather',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message: 'Telegram does not recognise this as a bot token: check that it was pasted whole',
				},
			},
		],
	};
}
