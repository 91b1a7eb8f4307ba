/**
 * Customers' chat answers as each provider posts them: authenticity (valid / invalid / missing),
 * probes and handshakes, parsing into ChatReply, echoes and status callbacks ignored, Twilio's
 * published signature vectors, and 2,000 random or malformed bodies per source that never throw.
 */

import { createHash, createHmac } from 'crypto';

import {
	handleReply,
	metaSignature,
	twilioSignature,
	type ChatReply,
	type InboundRequest,
	type InboundResult,
	type ReplySettings,
} from '../../../nodes/shared/channels/replies';
import { answerCallbackRequest, parseTelegramCallbackData, telegramCallbackData } from '../../../nodes/shared/channels/telegram';

// Secrets are built at run time so nothing here looks like a committed credential.
const WAZZUP_SECRET = ['wz', 'url', 'secret', '7f3a'].join('-');
const WAZZUP_CRM_KEY = ['crm', 'key', '91bd'].join('-');
const CHAT2DESK_SECRET = ['c2d', 'url', 'secret', '44e1'].join('-');
const APP_SECRET = ['meta', 'app', 'secret', '0c9d'].join('-');
const VERIFY_TOKEN = ['meta', 'verify', '5a2e'].join('-');
const TWILIO_TOKEN = ['twilio', 'auth', 'token', '8b61'].join('-');
const TELEGRAM_SECRET = ['tg', 'secret', 'token', 'e2f0'].join('_');

const SETTINGS: ReplySettings = {
	wazzup: { secret: WAZZUP_SECRET },
	chat2desk: { secret: CHAT2DESK_SECRET },
	whatsappCloud: { appSecret: APP_SECRET, verifyToken: VERIFY_TOKEN },
	twilio: { authToken: TWILIO_TOKEN },
	telegram: { secretToken: TELEGRAM_SECRET },
};
const ALL_SECRETS = [WAZZUP_SECRET, WAZZUP_CRM_KEY, CHAT2DESK_SECRET, APP_SECRET, VERIFY_TOKEN, TWILIO_TOKEN, TELEGRAM_SECRET];

const NOW = new Date('2026-03-01T10:00:00.000Z');
const HOOK_URL = 'https://n8n.example.com/webhook/nps-replies';

function request(overrides: Partial<InboundRequest> = {}): InboundRequest {
	return { method: 'POST', headers: {}, query: {}, rawBody: '', body: undefined, url: HOOK_URL, ...overrides };
}

/** A JSON POST as n8n hands it over: the raw text and the parsed object. */
function jsonPost(body: unknown, overrides: Partial<InboundRequest> = {}): InboundRequest {
	const rawBody = JSON.stringify(body);
	return request({ rawBody, body: JSON.parse(rawBody) as unknown, headers: { 'content-type': 'application/json' }, ...overrides });
}

function expectRejected(result: InboundResult, status = 401): void {
	expect(result.kind).toBe('rejected');
	expect(result.answer.status).toBe(status);
	if (result.kind === 'rejected') for (const secret of ALL_SECRETS) expect(result.reason).not.toContain(secret);
}

function expectIgnored(result: InboundResult): void {
	expect(result.kind).toBe('ignored');
	expect(result.answer.status).toBe(200);
}

function repliesOf(result: InboundResult): ChatReply[] {
	expect(result.kind).toBe('replies');
	expect(result.answer.status).toBe(200);
	return result.kind === 'replies' ? result.replies : [];
}

// ---------------------------------------------------------------------------------------------
// Wazzup
// ---------------------------------------------------------------------------------------------

describe('Wazzup', () => {
	const inbound = {
		messageId: '2b8f1a9e-1d3c-4a5e-9f00-000000000001',
		channelId: '0c5f3e0e-0000-4000-8000-000000000001',
		chatType: 'whatsapp',
		chatId: '79121234567',
		dateTime: '2026-02-28T18:30:05.123',
		type: 'text',
		isEcho: false,
		status: 'inbound',
		text: '9, спасибо!',
		contact: { name: 'Анна', avatarUri: 'https://example.com/a.png' },
	};
	const wazzup = (body: unknown, query: InboundRequest['query'] = { token: WAZZUP_SECRET }, extra: Partial<InboundRequest> = {}) =>
		handleReply('wazzup', jsonPost(body, { query, url: `${HOOK_URL}?token=${encodeURIComponent(String(query.token ?? ''))}`, ...extra }), SETTINGS, NOW);

	it('reads an inbound text with the right ?token=', () => {
		expect(repliesOf(wazzup({ messages: [inbound] }))).toEqual([
			{
				channel: 'wazzup',
				messageId: inbound.messageId,
				from: { phone: '+79121234567', chatId: '79121234567', name: 'Анна' },
				text: '9, спасибо!',
				at: '2026-02-28T18:30:05.123Z',
			},
		]);
	});

	it('reads the token from the URL when n8n gave no parsed query', () => {
		const result = handleReply('wazzup', jsonPost({ messages: [inbound] }, { query: {}, url: `${HOOK_URL}?token=${WAZZUP_SECRET}` }), SETTINGS, NOW);
		expect(repliesOf(result)).toHaveLength(1);
	});

	it('reads a button answer (interactive) with its payload', () => {
		const tap = { ...inbound, type: 'interactive', text: undefined, interactive: { text: '10', payload: 'nps:10' } };
		expect(repliesOf(wazzup({ messages: [tap] }))[0]).toMatchObject({ text: '10', payload: 'nps:10' });
	});

	it('takes the phone from contact.phone for chats whose id is not a number', () => {
		const telegram = { ...inbound, chatType: 'telegram', chatId: 'a1b2c3', contact: { name: 'Ivan', phone: '8 (912) 765-43-21' } };
		expect(repliesOf(wazzup({ messages: [telegram] }))[0].from).toEqual({ phone: '+79127654321', chatId: 'a1b2c3', name: 'Ivan' });
	});

	it('rejects a wrong or missing token (401), and everything when no secret is configured', () => {
		expectRejected(wazzup({ messages: [inbound] }, { token: `${WAZZUP_SECRET}x` }));
		expectRejected(wazzup({ messages: [inbound] }, { token: 'short' }));
		expectRejected(handleReply('wazzup', jsonPost({ messages: [inbound] }), SETTINGS, NOW));
		expectRejected(handleReply('wazzup', jsonPost({ messages: [inbound] }, { query: { token: WAZZUP_SECRET } }), {}, NOW));
	});

	it('accepts Authorization: Bearer <crmKey> when a crmKey is set', () => {
		const settings: ReplySettings = { wazzup: { secret: WAZZUP_SECRET, crmKey: WAZZUP_CRM_KEY } };
		const withBearer = (value: string) =>
			handleReply('wazzup', jsonPost({ messages: [inbound] }, { headers: { authorization: value } }), settings, NOW);
		expect(repliesOf(withBearer(`Bearer ${WAZZUP_CRM_KEY}`))).toHaveLength(1);
		expectRejected(withBearer(`Bearer ${WAZZUP_CRM_KEY}0`));
		// Without a crmKey configured, a bearer proves nothing.
		expectRejected(handleReply('wazzup', jsonPost({ messages: [inbound] }, { headers: { authorization: `Bearer ${WAZZUP_CRM_KEY}` } }), SETTINGS, NOW));
	});

	it('answers the {"test": true} probe 200 with the secret, 401 without', () => {
		const probe = wazzup({ test: true });
		expectIgnored(probe);
		expect(probe).toMatchObject({ reason: expect.stringContaining('test') });
		expectRejected(wazzup({ test: true }, {}));
		expectRejected(wazzup({ test: true }, { token: 'nope' }));
	});

	it('ignores echoes of our own messages, outgoing statuses and statuses[]', () => {
		expectIgnored(wazzup({ messages: [{ ...inbound, isEcho: true, status: 'sent' }] }));
		expectIgnored(wazzup({ messages: [{ ...inbound, isEcho: true }] }));
		expectIgnored(wazzup({ messages: [{ ...inbound, status: 'delivered' }] }));
		expectIgnored(wazzup({ statuses: [{ messageId: inbound.messageId, timestamp: '2026-02-28T18:30:06', status: 'read' }] }));
		// Neither isEcho nor status says "inbound": direction unknown, not read.
		expectIgnored(wazzup({ messages: [{ ...inbound, isEcho: undefined, status: undefined }] }));
	});

	it('keeps only the inbound text messages of a mixed body', () => {
		const body = {
			messages: [
				{ ...inbound, messageId: 'echo', isEcho: true, status: 'sent', text: 'Оцените нас от 0 до 10' },
				inbound,
				{ ...inbound, messageId: 'img', type: 'image', text: undefined, contentUri: 'https://example.com/x.jpg' },
				{ ...inbound, messageId: 'del', isDeleted: true },
				{ ...inbound, messageId: 'edit', isEdited: true, text: '10' },
				{ ...inbound, messageId: 'blank', text: '   ' },
			],
			statuses: [{ messageId: 'echo', status: 'delivered' }],
		};
		expect(repliesOf(wazzup(body)).map((r) => r.messageId)).toEqual([inbound.messageId]);
	});

	it('ignores empty, unknown and non-message bodies', () => {
		expectIgnored(wazzup({}));
		expectIgnored(wazzup({ createContact: { responsibleUserId: '1' } }));
		expectIgnored(handleReply('wazzup', request({ query: { token: WAZZUP_SECRET }, rawBody: 'not json', body: 'not json' }), SETTINGS, NOW));
		expectIgnored(handleReply('wazzup', request({ method: 'GET', query: { token: WAZZUP_SECRET } }), SETTINGS, NOW));
	});
});

// ---------------------------------------------------------------------------------------------
// Chat2Desk
// ---------------------------------------------------------------------------------------------

describe('Chat2Desk', () => {
	const inbox = {
		message_id: 1_234_567_890,
		type: 'from_client',
		text: '10',
		transport: 'whatsapp',
		client_id: 555_001,
		operator_id: 12,
		dialog_id: 77,
		channel_id: 3,
		client: { id: 555_001, phone: '79161234567', client_phone: '+7 916 123-45-67', name: 'Пётр', assigned_name: 'Пётр И.' },
		hook_type: 'inbox',
		request_id: 991,
		is_new_request: false,
		is_new_client: false,
		event_time: '2026-02-28T15:00:00.000Z',
	};
	/** `null`: no token at all. */
	const c2d = (body: unknown, token: string | null = CHAT2DESK_SECRET) =>
		handleReply('chat2desk', jsonPost(body, { query: token === null ? {} : { token } }), SETTINGS, NOW);

	it('reads a client message with the right ?token=', () => {
		expect(repliesOf(c2d(inbox))).toEqual([
			{
				channel: 'chat2desk',
				messageId: '1234567890',
				from: { phone: '+79161234567', chatId: '555001', name: 'Пётр' },
				text: '10',
				at: '2026-02-28T15:00:00.000Z',
			},
		]);
	});

	it('normalizes a national phone to E.164', () => {
		expect(repliesOf(c2d({ ...inbox, client: { ...inbox.client, phone: '8 (916) 765-43-21' } }))[0].from.phone).toBe('+79167654321');
	});

	it('rejects a wrong or missing token', () => {
		expectRejected(c2d(inbox, `${CHAT2DESK_SECRET}-x`));
		expectRejected(c2d(inbox, null));
		expectRejected(handleReply('chat2desk', jsonPost(inbox, { query: { token: CHAT2DESK_SECRET } }), {}, NOW));
	});

	it('ignores outgoing messages, other hooks and messages without text', () => {
		expectIgnored(c2d({ ...inbox, type: 'to_client', hook_type: 'outbox' }));
		expectIgnored(c2d({ ...inbox, type: 'autoreply' }));
		expectIgnored(c2d({ ...inbox, hook_type: 'outbox_status' }));
		expectIgnored(c2d({ ...inbox, text: '', photo: 'https://example.com/p.jpg' }));
		expectIgnored(c2d({}));
	});
});

// ---------------------------------------------------------------------------------------------
// WhatsApp Cloud API (Meta)
// ---------------------------------------------------------------------------------------------

describe('WhatsApp Cloud API', () => {
	const envelope = (value: Record<string, unknown>, field = 'messages') => ({
		object: 'whatsapp_business_account',
		entry: [{ id: '102290129340398', changes: [{ value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' }, ...value }, field }] }],
	});
	const contacts = [{ profile: { name: 'Sheena Nelson' }, wa_id: '79031112233' }];
	const base = { from: '79031112233', timestamp: '1772280000' };
	/** Meta sends the raw bytes; spacing here differs from JSON.stringify on purpose. */
	const signedPost = (body: unknown, signature?: string, raw = JSON.stringify(body, null, 1)) =>
		handleReply(
			'whatsappCloud',
			request({ rawBody: raw, body: JSON.parse(raw) as unknown, headers: signature === undefined ? {} : { 'x-hub-signature-256': signature } }),
			SETTINGS,
			NOW,
		);
	const post = (body: unknown) => {
		const raw = JSON.stringify(body, null, 1);
		return signedPost(body, metaSignature(raw, APP_SECRET), raw);
	};

	it('metaSignature is sha256=<hex HMAC-SHA256 of the raw bytes>', () => {
		const raw = '{"object":"whatsapp_business_account","entry":[{"text":"Привет"}]}';
		expect(metaSignature(raw, APP_SECRET)).toBe(`sha256=${createHmac('sha256', APP_SECRET).update(Buffer.from(raw, 'utf8')).digest('hex')}`);
		expect(metaSignature(raw, APP_SECRET)).toMatch(/^sha256=[0-9a-f]{64}$/);
	});

	it('answers the verification GET with the challenge when the token matches', () => {
		const query = { 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1158201444' };
		const result = handleReply('whatsappCloud', request({ method: 'GET', query }), SETTINGS, NOW);
		expect(result).toEqual({ kind: 'handshake', answer: { status: 200, body: '1158201444', headers: { 'content-type': 'text/plain; charset=utf-8' } } });
		// qs with allowDots nests the names; a bare query string in the URL works too.
		const nested = handleReply('whatsappCloud', request({ method: 'GET', query: { hub: { mode: 'subscribe', verify_token: VERIFY_TOKEN, challenge: '42' } } as never }), SETTINGS, NOW);
		expect(nested).toMatchObject({ kind: 'handshake', answer: { body: '42' } });
		const fromUrl = handleReply('whatsappCloud', request({ method: 'GET', url: `${HOOK_URL}?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=77` }), SETTINGS, NOW);
		expect(fromUrl).toMatchObject({ kind: 'handshake', answer: { body: '77' } });
	});

	it('refuses the verification GET with a wrong or missing token (403)', () => {
		const get = (query: InboundRequest['query'], settings = SETTINGS) => handleReply('whatsappCloud', request({ method: 'GET', query }), settings, NOW);
		expectRejected(get({ 'hub.mode': 'subscribe', 'hub.verify_token': `${VERIFY_TOKEN}x`, 'hub.challenge': '1' }), 403);
		expectRejected(get({ 'hub.mode': 'subscribe', 'hub.challenge': '1' }), 403);
		expectRejected(get({ 'hub.mode': 'unsubscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1' }), 403);
		expectRejected(get({ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1' }, {}), 403);
	});

	it('reads text, reply-button, list and template quick-reply answers with a valid signature', () => {
		const body = envelope({
			contacts,
			messages: [
				{ ...base, id: 'wamid.text', type: 'text', text: { body: '8' } },
				{ ...base, id: 'wamid.button', type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'nps_9', title: '9' } } },
				{ ...base, id: 'wamid.list', type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: 'nps_10', title: '10', description: 'Отлично' } } },
				{ ...base, id: 'wamid.template', type: 'button', button: { payload: 'nps:7', text: '7' }, context: { from: '15550783881', id: 'wamid.survey' } },
			],
		});
		const replies = repliesOf(post(body));
		const from = { phone: '+79031112233', chatId: '79031112233', name: 'Sheena Nelson' };
		const at = '2026-02-28T12:00:00.000Z';
		expect(replies).toEqual([
			{ channel: 'whatsappCloud', messageId: 'wamid.text', from, text: '8', at },
			{ channel: 'whatsappCloud', messageId: 'wamid.button', from, text: '9', payload: 'nps_9', at },
			{ channel: 'whatsappCloud', messageId: 'wamid.list', from, text: '10', payload: 'nps_10', at },
			{ channel: 'whatsappCloud', messageId: 'wamid.template', from, text: '7', payload: 'nps:7', at },
		]);
	});

	it('rejects a missing or wrong signature, a body changed after signing, and a lost raw body (401)', () => {
		const body = envelope({ contacts, messages: [{ ...base, id: 'wamid.x', type: 'text', text: { body: '10' } }] });
		const raw = JSON.stringify(body);
		expectRejected(signedPost(body, undefined, raw));
		expectRejected(signedPost(body, metaSignature(raw, `${APP_SECRET}x`), raw));
		expectRejected(signedPost(body, 'sha256=', raw));
		expectRejected(signedPost(body, metaSignature(raw, APP_SECRET), raw.replace('"10"', '"0"')));
		// n8n's parsed body alone cannot be verified.
		expectRejected(handleReply('whatsappCloud', request({ rawBody: '', body, headers: { 'x-hub-signature-256': metaSignature(raw, APP_SECRET) } }), SETTINGS, NOW));
		expectRejected(handleReply('whatsappCloud', request({ rawBody: raw, body, headers: { 'x-hub-signature-256': metaSignature(raw, APP_SECRET) } }), {}, NOW));
		// Upper-case hex is the same signature.
		expect(signedPost(body, metaSignature(raw, APP_SECRET).toUpperCase(), raw).kind).toBe('replies');
	});

	it('ignores status updates, echoes from the Business app and media', () => {
		expectIgnored(post(envelope({ statuses: [{ id: 'wamid.survey', status: 'delivered', timestamp: '1772280001', recipient_id: '79031112233' }] })));
		expectIgnored(post(envelope({ message_echoes: [{ from: '15550783881', to: '79031112233', id: 'wamid.e', type: 'text', text: { body: 'hi' } }] }, 'smb_message_echoes')));
		expectIgnored(post(envelope({ contacts, messages: [{ ...base, id: 'wamid.img', type: 'image', image: { id: '1', mime_type: 'image/jpeg' } }] })));
		expectIgnored(post({ object: 'page', entry: [] }));
		expectIgnored(post(envelope({ contacts, errors: [{ code: 131051, title: 'Unsupported message type' }] })));
	});
});

// ---------------------------------------------------------------------------------------------
// Twilio
// ---------------------------------------------------------------------------------------------

describe('Twilio', () => {
	// Twilio's published example (docs snippet TwilioDevEd/api-snippets
	// security/signature_validation/signature_validation.2.x.js, and the twilio-php / twilio-csharp
	// validator tests): auth token 12345, this URL and these POST parameters.
	const DOC_URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
	const DOC_TOKEN = ['123', '45'].join('');
	const DOC_PARAMS = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' };

	it("reproduces Twilio's published signature vectors", () => {
		expect(twilioSignature(DOC_URL, DOC_PARAMS, DOC_TOKEN)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
		// twilio-php RequestValidatorTest: a repeated parameter contributes each distinct value, sorted.
		expect(twilioSignature(DOC_URL, { Sid: 'CA123', SidAccount: 'AC123', Digits: ['5678', '1234', '1234'] }, DOC_TOKEN)).toBe('IK+Dwps556ElfBT0I3Rgjkr1wJU=');
		// twilio-php: the same URL with the standard port, which Twilio's back end sometimes signs.
		expect(twilioSignature('https://mycompany.com:443/myapp.php?foo=1&bar=2', DOC_PARAMS, DOC_TOKEN)).toBe('kvajT1Ptam85bY51eRf/AJRuM3w=');
	});

	it('matches an independent computation of the documented algorithm', () => {
		const params = { To: '+15005550006', From: '+79121234567', Body: 'Оценка: 9 & спасибо', MessageSid: 'SM' + 'a'.repeat(32), AccountSid: 'AC' + 'b'.repeat(32) };
		const data = HOOK_URL + ['AccountSid', 'Body', 'From', 'MessageSid', 'To'].map((name) => name + params[name as keyof typeof params]).join('');
		expect(twilioSignature(HOOK_URL, params, TWILIO_TOKEN)).toBe(createHmac('sha1', TWILIO_TOKEN).update(data, 'utf8').digest('base64'));
	});

	const sms = {
		ToCountry: 'US',
		SmsMessageSid: 'SM0123456789abcdef0123456789abcdef',
		NumMedia: '0',
		SmsSid: 'SM0123456789abcdef0123456789abcdef',
		SmsStatus: 'received',
		Body: '10 — всё отлично',
		To: '+15005550006',
		NumSegments: '1',
		MessageSid: 'SM0123456789abcdef0123456789abcdef',
		AccountSid: 'AC0123456789abcdef0123456789abcdef',
		From: '+79121234567',
		ApiVersion: '2010-04-01',
	};
	const formPost = (params: Record<string, string>, signature: string | undefined, overrides: Partial<InboundRequest> = {}) =>
		handleReply(
			'twilio',
			request({
				rawBody: new URLSearchParams(params).toString(),
				body: { ...params },
				headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature === undefined ? {} : { 'x-twilio-signature': signature }) },
				...overrides,
			}),
			SETTINGS,
			NOW,
		);

	it('reads an inbound SMS with a valid signature and answers empty TwiML', () => {
		const result = formPost(sms, twilioSignature(HOOK_URL, sms, TWILIO_TOKEN));
		expect(repliesOf(result)).toEqual([
			{ channel: 'twilio', messageId: sms.MessageSid, from: { phone: '+79121234567' }, text: '10 — всё отлично', at: NOW.toISOString() },
		]);
		expect(result.answer).toEqual({ status: 200, body: '<?xml version="1.0" encoding="UTF-8"?><Response/>', headers: { 'content-type': 'text/xml; charset=utf-8' } });
	});

	it("verifies n8n's parsed fields when the raw body is missing", () => {
		const result = formPost(sms, twilioSignature(HOOK_URL, sms, TWILIO_TOKEN), { rawBody: '' });
		expect(repliesOf(result)).toHaveLength(1);
	});

	it('accepts a signature over the URL with the standard port, as Twilio sometimes signs', () => {
		const withPort = 'https://n8n.example.com:443/webhook/nps-replies';
		expect(repliesOf(formPost(sms, twilioSignature(withPort, sms, TWILIO_TOKEN)))).toHaveLength(1);
	});

	it('reads WhatsApp through Twilio (whatsapp:+… sender, profile name)', () => {
		const wa = { ...sms, From: 'whatsapp:+79121234567', To: 'whatsapp:+15005550006', ProfileName: 'Olga', Body: '9' };
		expect(repliesOf(formPost(wa, twilioSignature(HOOK_URL, wa, TWILIO_TOKEN)))[0].from).toEqual({ phone: '+79121234567', chatId: 'whatsapp:+79121234567', name: 'Olga' });
	});

	it('rejects a wrong or missing signature, a tampered body, another URL or another token (401)', () => {
		const good = twilioSignature(HOOK_URL, sms, TWILIO_TOKEN);
		expectRejected(formPost(sms, undefined));
		expectRejected(formPost(sms, ''));
		expectRejected(formPost(sms, twilioSignature(HOOK_URL, sms, `${TWILIO_TOKEN}x`)));
		expectRejected(formPost({ ...sms, Body: '0' }, good));
		expectRejected(formPost(sms, good, { url: `${HOOK_URL}?x=1` }));
		expectRejected(handleReply('twilio', request({ rawBody: new URLSearchParams(sms).toString(), headers: { 'x-twilio-signature': good } }), {}, NOW));
	});

	it('ignores status callbacks and messages without text, still answering TwiML', () => {
		const status = { MessageSid: 'SMfeed', MessageStatus: 'delivered', SmsStatus: 'delivered', AccountSid: sms.AccountSid, To: '+79121234567', From: '+15005550006' };
		const result = formPost(status, twilioSignature(HOOK_URL, status, TWILIO_TOKEN));
		expectIgnored(result);
		expect(result.answer.headers).toEqual({ 'content-type': 'text/xml; charset=utf-8' });
		const media = { ...sms, Body: '', NumMedia: '1', MediaUrl0: 'https://api.twilio.com/media/1' };
		expectIgnored(formPost(media, twilioSignature(HOOK_URL, media, TWILIO_TOKEN)));
	});

	it('checks a JSON webhook by its bodySHA256', () => {
		const raw = JSON.stringify({ MessageSid: 'SMjson', From: '+79121234567', Body: '6' });
		const url = `${HOOK_URL}?bodySHA256=${createHash('sha256').update(raw).digest('hex')}`;
		const json = (body: string, signature: string) =>
			handleReply('twilio', request({ url, rawBody: body, body: JSON.parse(body) as unknown, headers: { 'content-type': 'application/json', 'x-twilio-signature': signature } }), SETTINGS, NOW);
		expect(repliesOf(json(raw, twilioSignature(url, {}, TWILIO_TOKEN)))[0]).toMatchObject({ messageId: 'SMjson', text: '6' });
		expectRejected(json(raw.replace('"6"', '"10"'), twilioSignature(url, {}, TWILIO_TOKEN)));
	});
});

// ---------------------------------------------------------------------------------------------
// Telegram
// ---------------------------------------------------------------------------------------------

describe('Telegram', () => {
	const SURVEY_REF = 'deal-7405-survey-3-telegram';
	const tapData = telegramCallbackData(9, SURVEY_REF);
	const callbackUpdate = {
		update_id: 811_234_001,
		callback_query: {
			id: '4382bfdwdsb323b2d9',
			from: { id: 55_500_123, is_bot: false, first_name: 'Мария', language_code: 'ru' },
			message: {
				message_id: 71,
				from: { id: 6_000_000_001, is_bot: true, first_name: 'NPS bot' },
				chat: { id: 55_500_123, type: 'private', first_name: 'Мария' },
				date: 1_772_280_000,
				text: 'Оцените, пожалуйста, от 0 до 10',
				reply_markup: { inline_keyboard: [[{ text: '8', callback_data: telegramCallbackData(8, SURVEY_REF) }, { text: '9', callback_data: tapData }]] },
			},
			chat_instance: '-1234567890',
			data: tapData,
		},
	};
	const messageUpdate = {
		update_id: 811_234_002,
		message: { message_id: 72, from: { id: 55_500_123, is_bot: false, first_name: 'Мария' }, chat: { id: 55_500_123, type: 'private' }, date: 1_772_280_060, text: 'Очень довольна, 10' },
	};
	/** `null`: no header at all. */
	const tg = (body: unknown, secret: string | null = TELEGRAM_SECRET, settings = SETTINGS) =>
		handleReply('telegram', jsonPost(body, { headers: secret === null ? {} : { 'x-telegram-bot-api-secret-token': secret } }), settings, NOW);

	it('reads a score-button tap with the right secret header', () => {
		const parsed = parseTelegramCallbackData(tapData);
		expect(repliesOf(tg(callbackUpdate))).toEqual([
			{
				channel: 'telegram',
				messageId: '4382bfdwdsb323b2d9',
				from: { chatId: '55500123', name: 'Мария' },
				text: '9',
				callback: { id: '4382bfdwdsb323b2d9', data: tapData, score: 9, keyPrefix: parsed?.keyPrefix },
				at: NOW.toISOString(),
			},
		]);
		expect(SURVEY_REF.startsWith(parsed?.keyPrefix ?? '-')).toBe(true);
	});

	it('passes a tap whose data is not ours without a score', () => {
		const foreign = { ...callbackUpdate, callback_query: { ...callbackUpdate.callback_query, data: 'menu:open' } };
		expect(repliesOf(tg(foreign))[0].callback).toEqual({ id: '4382bfdwdsb323b2d9', data: 'menu:open' });
	});

	it('reads a typed message', () => {
		expect(repliesOf(tg(messageUpdate))).toEqual([
			{ channel: 'telegram', messageId: '55500123:72', from: { chatId: '55500123', name: 'Мария' }, text: 'Очень довольна, 10', at: '2026-02-28T12:01:00.000Z' },
		]);
	});

	it('rejects a wrong or missing secret header (401)', () => {
		expectRejected(tg(callbackUpdate, `${TELEGRAM_SECRET}x`));
		expectRejected(tg(callbackUpdate, null));
		expectRejected(tg(messageUpdate, TELEGRAM_SECRET, {}));
		// Header names are matched case-insensitively, values exactly.
		const upper = handleReply('telegram', jsonPost(messageUpdate, { headers: { 'X-Telegram-Bot-Api-Secret-Token': TELEGRAM_SECRET } }), SETTINGS, NOW);
		expect(upper.kind).toBe('replies');
		expectRejected(tg(messageUpdate, TELEGRAM_SECRET.toUpperCase()));
	});

	it('ignores edits, bots, groups, other updates and messages without text (200)', () => {
		expectIgnored(tg({ update_id: 1, edited_message: messageUpdate.message }));
		expectIgnored(tg({ update_id: 2, message: { ...messageUpdate.message, from: { id: 1, is_bot: true, first_name: 'Bot' } } }));
		expectIgnored(tg({ update_id: 3, message: { ...messageUpdate.message, chat: { id: -100, type: 'group' } } }));
		expectIgnored(tg({ update_id: 4, my_chat_member: { chat: { id: 1 } } }));
		expectIgnored(tg({ update_id: 5, message: { ...messageUpdate.message, text: undefined, sticker: { file_id: 'x' } } }));
		expectIgnored(tg({}));
	});

	it('answerCallbackRequest builds the answerCallbackQuery call', () => {
		const botToken = ['123456', 'AAbbCCddEEffGGhhIIjjKKllMMnnOOpp'].join(':');
		expect(answerCallbackRequest({ botToken }, 'cbq-1', 'Спасибо!')).toEqual({
			method: 'POST',
			url: `https://api.telegram.org/bot${botToken}/answerCallbackQuery`,
			json: { callback_query_id: 'cbq-1', text: 'Спасибо!' },
			timeoutMs: 10_000,
		});
		const call = answerCallbackRequest({ baseUrl: 'http://127.0.0.1:9999/', botToken }, 'cbq-2', 'я'.repeat(300));
		expect(call.url).toBe(`http://127.0.0.1:9999/bot${botToken}/answerCallbackQuery`);
		expect(Array.from((call.json as { text: string }).text)).toHaveLength(200);
		expect(answerCallbackRequest({ botToken }, 'cbq-3').json).toEqual({ callback_query_id: 'cbq-3' });
	});
});

// ---------------------------------------------------------------------------------------------
// Everything else
// ---------------------------------------------------------------------------------------------

describe('handleReply', () => {
	it('refuses a channel that takes no replies', () => {
		expectRejected(handleReply('smsc' as ChatReply['channel'], request(), SETTINGS, NOW), 404);
	});

	it('never throws on a request that is not one', () => {
		for (const channel of ['wazzup', 'chat2desk', 'whatsappCloud', 'twilio', 'telegram'] as const) {
			for (const broken of [null, undefined, 5, 'x', { headers: null, query: null, url: 3, rawBody: 7, method: 1 }, { headers: [], query: [], body: [] }]) {
				expect(() => handleReply(channel, broken as unknown as InboundRequest, SETTINGS, NOW)).not.toThrow();
				expect(() => handleReply(channel, request(), null as unknown as ReplySettings, new Date(Number.NaN))).not.toThrow();
			}
		}
	});
});

// ---------------------------------------------------------------------------------------------
// Property: random and malformed bodies never throw
// ---------------------------------------------------------------------------------------------

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const VOCABULARY = [
	'test', 'messages', 'statuses', 'messageId', 'chatId', 'chatType', 'type', 'text', 'isEcho', 'status', 'contact', 'phone', 'name',
	'dateTime', 'interactive', 'payload', 'isEdited', 'isDeleted', 'message_id', 'hook_type', 'client', 'client_id', 'client_phone',
	'event_time', 'object', 'entry', 'changes', 'value', 'field', 'contacts', 'wa_id', 'profile', 'from', 'id', 'timestamp', 'body',
	'button', 'button_reply', 'list_reply', 'nfm_reply', 'title', 'callback_query', 'message', 'chat', 'data', 'first_name', 'is_bot',
	'date', 'reply_markup', 'inline_keyboard', 'callback_data', 'edited_message', '__proto__', 'constructor', 'toString', 'length',
];
const WORDS = ['text', 'interactive', 'button', 'inbound', 'sent', 'whatsapp', 'telegram', 'from_client', 'inbox', 'messages', 'private', 'button_reply', 'list_reply', 'whatsapp_business_account', 'nps:9:deal-1', 'nps:x', '79121234567', '+7 912', '8', '', ' ', '\u0000', '💥', 'NaN', '2026-13-45T99:99'];

function randomValue(next: () => number, depth: number): unknown {
	const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
	const roll = next();
	if (depth > 4 || roll < 0.3) {
		return pick<unknown>([null, true, false, 0, -1, 1e308, Number.MAX_SAFE_INTEGER, 1.5, pick(WORDS), pick(WORDS), String(Math.floor(next() * 1e12)), 'x'.repeat(Math.floor(next() * 300))]);
	}
	if (roll < 0.55) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
	const out: Record<string, unknown> = {};
	for (let i = Math.floor(next() * 6); i > 0; i--) out[pick(VOCABULARY)] = randomValue(next, depth + 1);
	return out;
}

/** Shapes close to each provider's, with random holes and wrong types, to reach deep code paths. */
function providerShaped(channel: ChatReply['channel'], next: () => number): unknown {
	const r = () => randomValue(next, 2);
	switch (channel) {
		case 'wazzup':
			return { messages: [{ messageId: r(), chatType: r(), chatId: r(), type: next() < 0.5 ? 'text' : r(), isEcho: next() < 0.5 ? false : r(), status: next() < 0.5 ? 'inbound' : r(), text: r(), contact: r(), dateTime: r(), interactive: r() }], statuses: r() };
		case 'chat2desk':
			return { type: next() < 0.5 ? 'from_client' : r(), hook_type: next() < 0.5 ? 'inbox' : r(), text: r(), message_id: r(), client: r(), client_id: r(), event_time: r() };
		case 'whatsappCloud':
			return { object: 'whatsapp_business_account', entry: [{ changes: [{ field: next() < 0.5 ? 'messages' : r(), value: { contacts: r(), messages: [{ from: next() < 0.5 ? '79121234567' : r(), id: next() < 0.5 ? 'wamid.1' : r(), timestamp: r(), type: next() < 0.5 ? 'text' : r(), text: next() < 0.5 ? { body: r() } : r(), interactive: r(), button: r() }], statuses: r() } }] }] };
		case 'telegram':
			return next() < 0.5
				? { callback_query: { id: r(), data: next() < 0.5 ? 'nps:7:key' : r(), from: r(), message: { chat: r(), reply_markup: r() } } }
				: { message: { message_id: r(), text: r(), chat: r(), from: r(), date: r() } };
		default:
			return { Body: r(), From: r(), MessageSid: r(), MessageStatus: r(), SmsStatus: r() };
	}
}

function randomRaw(next: () => number, value: unknown): string {
	const roll = next();
	if (roll < 0.1) return '';
	if (roll < 0.2) return '{"messages": [';
	if (roll < 0.3) return Array.from({ length: Math.floor(next() * 40) }, () => String.fromCharCode(Math.floor(next() * 0xffff))).join('');
	try {
		return JSON.stringify(value) ?? '';
	} catch {
		return '';
	}
}

function formOf(value: unknown): string {
	const params = new URLSearchParams();
	if (value && typeof value === 'object' && !Array.isArray(value)) {
		for (const [name, field] of Object.entries(value)) params.append(name, typeof field === 'string' ? field : JSON.stringify(field) ?? '');
	}
	return params.toString();
}

/** A request with the right credentials (so the parsers run) or random ones. */
function randomRequest(channel: ChatReply['channel'], next: () => number): InboundRequest {
	const value = next() < 0.6 ? providerShaped(channel, next) : randomValue(next, 0);
	const authentic = next() < 0.8;
	let rawBody = channel === 'twilio' && next() < 0.7 ? formOf(value) : randomRaw(next, value);
	const body: unknown = next() < 0.7 ? value : randomValue(next, 3);
	const headers: InboundRequest['headers'] = { 'content-type': next() < 0.5 ? 'application/json' : 'application/x-www-form-urlencoded' };
	const query: InboundRequest['query'] = {};
	let url = HOOK_URL;
	const method = next() < 0.9 ? 'POST' : 'GET';
	switch (channel) {
		case 'wazzup':
			query.token = authentic ? WAZZUP_SECRET : next() < 0.5 ? [WAZZUP_SECRET.slice(1)] : undefined;
			break;
		case 'chat2desk':
			query.token = authentic ? CHAT2DESK_SECRET : String(next());
			break;
		case 'whatsappCloud':
			if (method === 'GET') {
				query['hub.mode'] = next() < 0.8 ? 'subscribe' : (randomValue(next, 4) as string);
				query['hub.verify_token'] = authentic ? VERIFY_TOKEN : undefined;
				query['hub.challenge'] = next() < 0.8 ? String(Math.floor(next() * 1e10)) : undefined;
			}
			headers['x-hub-signature-256'] = authentic ? metaSignature(rawBody, APP_SECRET) : next() < 0.5 ? 'sha256=00' : undefined;
			break;
		case 'twilio':
			if (next() < 0.2) {
				const fields = JSON.stringify(value) ?? '';
				rawBody = fields;
				url = `${HOOK_URL}?bodySHA256=${createHash('sha256').update(fields).digest('hex')}`;
				headers['x-twilio-signature'] = authentic ? twilioSignature(url, {}, TWILIO_TOKEN) : 'x';
			} else {
				const signed = Object.fromEntries(new URLSearchParams(rawBody));
				headers['x-twilio-signature'] = authentic ? twilioSignature(url, method === 'GET' ? {} : signed, TWILIO_TOKEN) : next() < 0.5 ? '' : 'AAAA';
			}
			break;
		case 'telegram':
			headers['x-telegram-bot-api-secret-token'] = authentic ? TELEGRAM_SECRET : next() < 0.5 ? [TELEGRAM_SECRET, 'x'] : 'x';
			break;
	}
	return { method, headers, query, rawBody: method === 'GET' ? '' : rawBody, body, url };
}

describe.each(['wazzup', 'chat2desk', 'whatsappCloud', 'twilio', 'telegram'] as const)('%s: 2,000 random or malformed bodies', (channel) => {
	it('never throw, and every result is well formed', () => {
		const next = rng(0x5eed + channel.length * 7919);
		const kinds = new Set<string>();
		for (let i = 0; i < 2000; i++) {
			const req = randomRequest(channel, next);
			let result: InboundResult | undefined;
			expect(() => {
				result = handleReply(channel, req, SETTINGS, NOW);
			}).not.toThrow();
			if (!result) throw new Error('no result');
			kinds.add(result.kind);
			expect(['replies', 'ignored', 'handshake', 'rejected']).toContain(result.kind);
			expect(Number.isInteger(result.answer.status)).toBe(true);
			if (result.kind === 'rejected') {
				expect([401, 403]).toContain(result.answer.status);
				for (const secret of ALL_SECRETS) expect(result.reason).not.toContain(secret);
			} else {
				expect(result.answer.status).toBe(200);
			}
			if (result.kind === 'ignored') for (const secret of ALL_SECRETS) expect(result.reason).not.toContain(secret);
			if (result.kind === 'replies') {
				expect(result.replies.length).toBeGreaterThan(0);
				for (const one of result.replies) {
					expect(one.channel).toBe(channel);
					expect(typeof one.messageId).toBe('string');
					expect(one.messageId.length).toBeGreaterThan(0);
					expect(Number.isFinite(Date.parse(one.at))).toBe(true);
					if (one.from.phone !== undefined) expect(one.from.phone).toMatch(/^\+\d{8,15}$/);
					if (one.callback?.score !== undefined) expect(Number.isInteger(one.callback.score)).toBe(true);
				}
			}
		}
		// The generator reached both sides of the check.
		expect(kinds.has('rejected')).toBe(true);
		expect(kinds.has('ignored')).toBe(true);
		expect(kinds.has('replies')).toBe(true);
	});
});
