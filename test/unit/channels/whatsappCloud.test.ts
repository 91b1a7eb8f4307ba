/**
 * The WhatsApp Cloud API adapter against the Meta sandbox over HTTP: templates with body and
 * URL-button variables, free text inside and outside the 24-hour window, and error mapping.
 */

import type { HttpRequest, SurveyMessage } from '../../../nodes/shared/channels/types';
import {
	createWhatsAppCloudAdapter,
	WHATSAPP_CLOUD_LABEL,
	whatsappCloudOutcome,
	type WhatsAppCloudSettings,
} from '../../../nodes/shared/channels/whatsappCloud';
import { startMetaSandbox, type MetaSandbox } from '../../sandbox/channels/meta';
import { plainHttp } from '../../support/channelHttp';

jest.setTimeout(15_000);

const bearer = (token: string) => (request: HttpRequest): HttpRequest => ({
	...request,
	headers: { ...request.headers, Authorization: `Bearer ${token}` },
});

let counter = 0;
function survey(overrides: Partial<SurveyMessage> = {}): SurveyMessage {
	counter++;
	return {
		text: `Anna, how likely are you to recommend us? https://survey.example/s/tok${counter}`,
		link: `https://survey.example/s/tok${counter}`,
		token: `tok${counter}`,
		variables: { firstName: 'Anna', branch: 'Center' },
		idempotencyKey: `deal-${counter}-survey-whatsappCloud`,
		numericId: counter,
		...overrides,
	};
}

const TEMPLATE: Partial<WhatsAppCloudSettings> = {
	mode: 'template',
	templateName: 'nps_survey',
	templateLanguage: 'ru',
	bodyVariables: ['firstName', 'branch'],
	urlButtonVariable: 'token',
};

function adapterFor(sandbox: MetaSandbox, settings: Partial<WhatsAppCloudSettings> = TEMPLATE, token = sandbox.token) {
	return createWhatsAppCloudAdapter(plainHttp(bearer(token)), {
		baseUrl: sandbox.url,
		phoneNumberId: sandbox.phoneNumberId,
		mode: 'template',
		timeoutMs: 300,
		...settings,
	});
}

describe('WhatsApp Cloud adapter', () => {
	let sandbox: MetaSandbox;
	beforeAll(async () => {
		sandbox = await startMetaSandbox({ notOnWhatsApp: ['+79990000000'], openWindows: ['+79125550000'] });
	});
	afterAll(() => sandbox.stop());
	afterEach(() => sandbox.server.clearFaults());

	it('sends the template with body variables in order and the token as the URL-button suffix', async () => {
		const adapter = adapterFor(sandbox);
		expect(adapter.label).toBe(WHATSAPP_CLOUD_LABEL);
		expect(adapter.channel).toBe('whatsappCloud');
		expect(adapter.rateLimit).toEqual({ requests: 80, windowMs: 1000 });
		const message = survey();
		const outcome = await adapter.send({ phone: '+79121234567' }, message);
		const delivery = sandbox.deliveries.at(-1)!;
		expect(outcome).toEqual({ status: 'sent', messageId: delivery.messageId });
		expect(delivery.messageId).toMatch(/^wamid\./);
		expect(delivery).toMatchObject({
			to: '79121234567',
			template: { name: 'nps_survey', language: 'ru', variables: ['Anna', 'Center'], buttonSuffix: message.token },
		});
		expect(delivery.text).toContain('Anna');
	});

	it('refuses free text outside the 24-hour window, saying a template is required', async () => {
		const delivered = sandbox.deliveries.length;
		const outcome = await adapterFor(sandbox, { mode: 'text' }).send({ phone: '+79121234567' }, survey());
		expect(outcome).toMatchObject({ status: 'refused', code: '131047', reason: expect.stringContaining('template is required') });
		expect(sandbox.deliveries.length).toBe(delivered);
	});

	it('sends free text to a customer who wrote within 24 hours', async () => {
		const message = survey();
		const outcome = await adapterFor(sandbox, { mode: 'text' }).send({ phone: '+79125550000' }, message);
		expect(outcome.status).toBe('sent');
		expect(sandbox.deliveries.at(-1)).toMatchObject({ to: '79125550000', text: message.text });
		expect(sandbox.deliveries.at(-1)!.template).toBeUndefined();
	});

	it('says why before any request when there is no phone or a template value is missing', async () => {
		const adapter = adapterFor(sandbox);
		expect(adapter.cannotReach({})).toBe('no phone number');
		const from = sandbox.server.log.length;
		expect(await adapter.send({}, survey())).toMatchObject({ status: 'unreachable', code: 'NO_PHONE' });
		expect(await adapter.send({ phone: '+79121234567' }, survey({ variables: { firstName: 'Anna' } }))).toMatchObject({
			status: 'refused',
			code: 'MISSING_VARIABLE',
			reason: expect.stringContaining('branch'),
		});
		expect(sandbox.server.log.length).toBe(from);
	});

	it('refuses an unknown template and a wrong parameter count', async () => {
		expect(await adapterFor(sandbox, { ...TEMPLATE, templateName: 'no_such' }).send({ phone: '+79121234567' }, survey())).toMatchObject({
			status: 'refused',
			code: '132001',
		});
		expect(await adapterFor(sandbox, { ...TEMPLATE, bodyVariables: ['firstName'] }).send({ phone: '+79121234567' }, survey())).toMatchObject({
			status: 'refused',
			code: '132000',
		});
		expect(await adapterFor(sandbox, { ...TEMPLATE, urlButtonVariable: undefined }).send({ phone: '+79121234567' }, survey())).toMatchObject({
			status: 'refused',
			code: '132000',
		});
	});

	it('reports a number not on WhatsApp as unreachable', async () => {
		const delivered = sandbox.deliveries.length;
		expect(await adapterFor(sandbox).send({ phone: '+79990000000' }, survey())).toMatchObject({ status: 'unreachable', code: '131026' });
		expect(sandbox.deliveries.length).toBe(delivered);
	});

	it('refuses a wrong token without repeating it', async () => {
		const wrong = 'EAAGwrongsecret0123456789';
		const outcome = await adapterFor(sandbox, TEMPLATE, wrong).send({ phone: '+79121234567' }, survey());
		expect(outcome).toMatchObject({ status: 'refused', code: '190' });
		expect(JSON.stringify(outcome)).not.toContain(wrong);
	});

	it('refuses a phone number id the token cannot use', async () => {
		expect(await adapterFor(sandbox, { ...TEMPLATE, phoneNumberId: '999' }).send({ phone: '+79121234567' }, survey())).toMatchObject({
			status: 'refused',
			code: '100',
		});
	});

	it('reports a timeout after Meta accepted the message as unknown', async () => {
		sandbox.server.addFault({ kind: 'timeout', when: 'after', path: '/messages' });
		const delivered = sandbox.deliveries.length;
		expect(await adapterFor(sandbox).send({ phone: '+79121234567' }, survey())).toMatchObject({ status: 'unknown', code: 'TIMEOUT' });
		expect(sandbox.deliveries.length).toBe(delivered + 1);
	});

	it('reports a reset after accepting as unknown', async () => {
		sandbox.server.addFault({ kind: 'reset', when: 'after', path: '/messages' });
		const delivered = sandbox.deliveries.length;
		expect(await adapterFor(sandbox).send({ phone: '+79121234567' }, survey())).toMatchObject({ status: 'unknown', code: 'RESET' });
		expect(sandbox.deliveries.length).toBe(delivered + 1);
	});

	it('reports a reset before accepting as unknown too: the client cannot tell', async () => {
		sandbox.server.addFault({ kind: 'reset', when: 'before', path: '/messages' });
		const delivered = sandbox.deliveries.length;
		expect(await adapterFor(sandbox).send({ phone: '+79121234567' }, survey())).toMatchObject({ status: 'unknown' });
		expect(sandbox.deliveries.length).toBe(delivered);
	});

	it('answers the credential test route', async () => {
		const response = await plainHttp(bearer(sandbox.token))({ method: 'GET', url: `${sandbox.url}/v21.0/${sandbox.phoneNumberId}` });
		expect(response.status).toBe(200);
		expect(response.body).toMatchObject({ id: sandbox.phoneNumberId, verified_name: expect.any(String) });
		expect((await plainHttp(bearer('nope'))({ method: 'GET', url: `${sandbox.url}/v21.0/${sandbox.phoneNumberId}` })).status).toBe(401);
	});
});

describe('WhatsApp Cloud limits', () => {
	it('refuses messages over 80 per window with 130429, reported as throttled', async () => {
		// timeScale < 1 stretches the 1-s window so the burst fits in one on a slow machine.
		const sandbox = await startMetaSandbox({ timeScale: 0.1 });
		try {
			const adapter = adapterFor(sandbox, { ...TEMPLATE, timeoutMs: 5000 });
			const outcomes = await Promise.all(Array.from({ length: 85 }, (_, i) => adapter.send({ phone: `+7914${String(i).padStart(7, '0')}` }, survey())));
			const throttled = outcomes.filter((o) => o.status === 'throttled');
			expect(outcomes.filter((o) => o.status === 'sent')).toHaveLength(80);
			expect(throttled).toHaveLength(5);
			expect(sandbox.deliveries).toHaveLength(80);
			expect(sandbox.server.log.filter((l) => l.status === 429)).toHaveLength(5);
			expect(throttled[0]).toMatchObject({ code: '130429', retryAfterMs: 1000 });
		} finally {
			await sandbox.stop();
		}
	});

	it('reports the pair rate limit (131056) as throttled', async () => {
		const sandbox = await startMetaSandbox({ pairRateMs: 6000 });
		try {
			const adapter = adapterFor(sandbox);
			expect((await adapter.send({ phone: '+79121234567' }, survey())).status).toBe('sent');
			expect(await adapter.send({ phone: '+79121234567' }, survey())).toMatchObject({ status: 'throttled', code: '131056', retryAfterMs: 6000 });
			expect(sandbox.deliveries).toHaveLength(1);
		} finally {
			await sandbox.stop();
		}
	});

	it('reports a refused connection as refused', async () => {
		const sandbox = await startMetaSandbox();
		const adapter = adapterFor(sandbox);
		await sandbox.stop();
		expect(await adapter.send({ phone: '+79121234567' }, survey())).toMatchObject({ status: 'refused', code: 'CONNECTION_REFUSED' });
	});
});

describe('whatsappCloudOutcome', () => {
	const answer = (status: number, body: unknown = '') => whatsappCloudOutcome({ status, headers: {}, body });

	it('maps 5xx to unknown and keeps secrets out', () => {
		expect(answer(500, { error: { code: 131000, message: 'Something went wrong' } })).toMatchObject({ status: 'unknown', code: '131000' });
		expect(answer(502, '<html>')).toMatchObject({ status: 'unknown', code: 'HTTP_502' });
		expect(answer(401, { error: { code: 190, message: 'Error validating access token: Session has expired' } })).toEqual({
			status: 'refused',
			code: '190',
			reason: 'Meta refused the access token: it is wrong, expired or revoked',
		});
		expect(answer(400, { error: { code: 131049, message: 'x' } })).toMatchObject({ status: 'refused', code: '131049' });
		expect(answer(400, { error: { code: 999999, message: 'New', error_data: { details: 'Some detail' } } })).toMatchObject({
			status: 'refused',
			reason: expect.stringContaining('Some detail'),
		});
	});

	it('refuses to build an adapter without a phone number id or template name', () => {
		const http = plainHttp();
		expect(() => createWhatsAppCloudAdapter(http, { phoneNumberId: '', mode: 'text' })).toThrow(/phone number ID/);
		expect(() => createWhatsAppCloudAdapter(http, { phoneNumberId: '1', mode: 'template' })).toThrow(/template name/);
	});
});
