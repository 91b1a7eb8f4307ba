/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals -- test tooling: runs in Node test processes, never inside n8n */
/**
 * The NPS dashboard in real Chromium: built by NPS Aggregate (in n8n's engine) from 5,000 generated
 * answers, its headline numbers match the Table output, the console stays clean, a branch named
 * `<script>` is shown as text, nothing is fetched from anywhere, and a screenshot is saved.
 */

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { IConnections, IDataObject, INode } from 'n8n-workflow';
import { chromium, type Browser } from 'playwright-core';

import { PACKAGE, runWorkflow } from '../support/engine';

jest.setTimeout(5 * 60_000);

const ARTIFACTS = join(__dirname, '..', 'artifacts');
const HOSTILE = '<script>alert(1)</script>';
const START = 'Answers';

function answers(count: number): IDataObject[] {
	let seed = 7;
	const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
	const branches = ['Казань, Победы', 'Самара, Ленина', 'Владивосток', 'Калининград', HOSTILE];
	const start = Date.UTC(2026, 0, 1);
	return Array.from({ length: count }, (_, i) => {
		const branch = branches[i % branches.length];
		const score = Math.min(10, Math.max(0, Math.round(6 + random() * 6 - (branch === 'Владивосток' ? 3 : 0))));
		return {
			dealId: 5000 + i,
			branch: { name: branch },
			employee: `${branch.slice(0, 6)} · ${1 + Math.floor(random() * 6)}`,
			score,
			comment: score <= 6 && i % 7 === 0 ? `Долго ждали (${i}) "><img src=x onerror=alert(2)>` : '',
			answeredAt: new Date(start + Math.floor(random() * 300 * 86_400_000)).toISOString(),
		};
	});
}

describe('NPS dashboard in Chromium', () => {
	let browser: Browser;
	beforeAll(async () => {
		mkdirSync(ARTIFACTS, { recursive: true });
		browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
	});
	afterAll(async () => {
		await browser?.close();
	});

	function aggregateNode(parameters: Record<string, unknown>): INode {
		return { id: 'agg', name: 'NPS Aggregate', type: `${PACKAGE}.npsAggregate`, typeVersion: 1, position: [200, 0], parameters: { timeZone: 'Europe/Moscow', ...parameters } };
	}
	const start: INode = { id: 'start', name: START, type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [0, 0], parameters: {} };
	const connections: IConnections = { [START]: { main: [[{ node: 'NPS Aggregate', type: 'main', index: 0 }]] } };

	it('renders 5,000 answers: headline numbers as in the table, no console errors, hostile names as text', async () => {
		const input = answers(5000);
		const table = await runWorkflow({ nodes: [start, aggregateNode({ output: 'table', groupBy: 'branch.name', period: 'none' })], connections }, { input, startNode: START });
		const total = table.output('NPS Aggregate')[0];
		const dashboard = await runWorkflow(
			{ nodes: [start, aggregateNode({ output: 'dashboard', language: 'en', company: 'Battery Shops', portalUrl: 'https://company.bitrix24.ru', branchField: 'branch.name', employeeField: 'employee' })], connections },
			{ input, startNode: START },
		);
		const [item] = dashboard.output('NPS Aggregate');
		const html = String(item.html);
		expect(Buffer.byteLength(html)).toBeLessThan(200_000);

		const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
		const page = await context.newPage();
		const problems: string[] = [];
		const external: string[] = [];
		page.on('console', (message) => {
			if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
		});
		page.on('pageerror', (error) => problems.push(error.message));
		page.on('dialog', async (dialog) => {
			problems.push(`dialog: ${dialog.message()}`);
			await dialog.dismiss();
		});
		page.on('request', (request) => {
			if (!request.url().startsWith('data:') && request.url() !== 'about:blank') external.push(request.url());
		});
		await page.setContent(html, { waitUntil: 'load' });
		const text = await page.locator('body').innerText();
		// The headline: NPS and margin with one decimal, and the number of answers, as the table says.
		expect(text).toContain(Number(total.nps).toFixed(1));
		expect(text).toContain(Number(total.margin95).toFixed(1));
		expect(text.replace(/[\s,]/g, '')).toContain(String(total.n));
		expect(total.n).toBe(5000);
		// Hostile data is text.
		expect(text).toContain(HOSTILE);
		expect(await page.locator('script').count()).toBe(0);
		expect(await page.locator('img').count()).toBe(0);
		// Detractor comments link to their deal cards.
		const dealLinks = await page.locator('a[href^="https://company.bitrix24.ru/crm/deal/details/"]').count();
		expect(dealLinks).toBeGreaterThan(0);
		expect(problems).toEqual([]);
		expect(external).toEqual([]);
		await page.screenshot({ path: join(ARTIFACTS, 'dashboard-en.png'), fullPage: true });
		await context.close();
	});
});
