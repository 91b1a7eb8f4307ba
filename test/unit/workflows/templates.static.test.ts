/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals -- test code: reads the template files and the installed n8n-nodes-base in a Node test process, never inside n8n */
/**
 * The six templates of `workflows/` as files an integrator imports: valid JSON; node types that
 * exist (ours, as package.json lists them, or n8n's built-ins) in a version they have; credentials
 * by a fixed set of names of types that exist and that the node asks for; fixed, unique webhook IDs,
 * and links between templates that point at them; every node wired; a sticky note; no secrets; and
 * every `$('Name')` an upstream node of the same workflow (the branch table's columns where it is
 * "Branch settings").
 */

import { NodeHelpers, type ICredentialType, type INodeType, type INodeTypeDescription, type IVersionedNodeType } from 'n8n-workflow';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { PACKAGE } from '../../support/engine';
import { templateFiles, WORKFLOWS_DIR, type TemplateWorkflow } from '../../support/npsStack';
import { BRANCH_TABLE_COLUMNS, BRANCH_TABLE_NAME } from '../../../nodes/shared/survey/branchSettings';

// n8n's Wait and Telegram nodes load n8n's Form helpers, which load sanitize-html, whose htmlparser2
// ships only as ES modules (jest does not transform node_modules). Only descriptions are read here.
jest.mock('sanitize-html', () => (html: string) => html);

const ROOT = join(__dirname, '..', '..', '..');
const BASE_DIST = join(ROOT, 'node_modules', 'n8n-nodes-base', 'dist');

/** The credentials the templates may name, with their types (one name, one type, everywhere). */
const CREDENTIALS: Record<string, string> = {
	'Bitrix24 portal': 'bitrix24WebhookApi',
	'NPS link signing': 'npsLinkSigningApi',
	'NPS branch table (n8n API)': 'npsBranchTableApi',
	Wazzup: 'wazzupApi',
	'SMSC.ru': 'smscApi',
	'Telegram bot for reports': 'telegramApi',
	'NPS dashboard login': 'httpBasicAuth',
};
/** n8n's own credential types the templates use. */
const N8N_CREDENTIAL_TYPES = ['telegramApi', 'httpBasicAuth'];

interface TemplateNode {
	id?: string;
	name: string;
	type: string;
	typeVersion: number;
	parameters: Record<string, unknown>;
	webhookId?: string;
	credentials?: Record<string, { id: string; name: string }>;
	disabled?: boolean;
}
type Connections = Record<string, Record<string, Array<Array<{ node: string; type: string; index: number }> | null>>>;

const STICKY = 'n8n-nodes-base.stickyNote';

function instantiate(module: Record<string, unknown>): INodeType | IVersionedNodeType | undefined {
	for (const value of Object.values(module)) {
		if (typeof value !== 'function' || !/^class\s/.test(Function.prototype.toString.call(value))) continue;
		const instance = new (value as new () => INodeType | IVersionedNodeType)();
		if ((instance as INodeType).description?.name || (instance as IVersionedNodeType).nodeVersions) return instance;
	}
	return undefined;
}

/** Our node types, from package.json's n8n.nodes (the sources of the listed builds). */
function ourNodeTypes(): Map<string, INodeType | IVersionedNodeType> {
	const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { n8n: { nodes: string[] } };
	const types = new Map<string, INodeType | IVersionedNodeType>();
	for (const built of manifest.n8n.nodes) {
		const source = join(ROOT, built.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const instance = instantiate(require(source) as Record<string, unknown>);
		if (instance) types.set(`${PACKAGE}.${instance.description.name}`, instance);
	}
	return types;
}

/** n8n's built-in node types by name → their build file (from each node's codex file). */
function baseNodeFiles(): Map<string, string> {
	const files = new Map<string, string>();
	const walk = (dir: string) => {
		for (const entry of readdirSync(dir, { withFileTypes: true })) {
			const path = join(dir, entry.name);
			if (entry.isDirectory()) walk(path);
			else if (entry.name.endsWith('.node.json')) {
				const codex = JSON.parse(readFileSync(path, 'utf8')) as { node?: string };
				if (codex.node) files.set(codex.node, path.replace(/\.json$/, '.js'));
			}
		}
	};
	walk(join(BASE_DIST, 'nodes'));
	return files;
}

function versionsOf(nodeType: INodeType | IVersionedNodeType): number[] {
	if ((nodeType as IVersionedNodeType).nodeVersions) return Object.keys((nodeType as IVersionedNodeType).nodeVersions).map(Number);
	return [(nodeType as INodeType).description.version].flat();
}

const templates = templateFiles().map((file) => ({ file, text: readFileSync(join(WORKFLOWS_DIR, file), 'utf8') }));

/** Every string in a value, with its path. */
function strings(value: unknown, path = ''): Array<{ path: string; text: string }> {
	if (typeof value === 'string') return [{ path, text: value }];
	if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
	if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strings(v, path ? `${path}.${k}` : k));
	return [];
}

describe('Workflow templates (the files)', () => {
	let ours: Map<string, INodeType | IVersionedNodeType>;
	let baseFiles: Map<string, string>;
	const loaded = new Map<string, INodeType | IVersionedNodeType>();

	beforeAll(() => {
		ours = ourNodeTypes();
		baseFiles = baseNodeFiles();
	});

	function nodeType(type: string): INodeType | IVersionedNodeType {
		const known = ours.get(type) ?? loaded.get(type);
		if (known) return known;
		const file = baseFiles.get(type);
		if (!file) throw new Error(`unknown node type ${type}`);
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const instance = instantiate(require(file) as Record<string, unknown>);
		if (!instance) throw new Error(`${file} exports no node`);
		loaded.set(type, instance);
		return instance;
	}

	function description(node: TemplateNode): INodeTypeDescription {
		return NodeHelpers.getVersionedNodeType(nodeType(node.type), node.typeVersion).description;
	}

	it('are the six templates, each valid JSON with a name, nodes, connections and v1 execution order', () => {
		expect(templates.map((t) => t.file)).toEqual([
			'01-deal-closed-survey.json',
			'02-answers.json',
			'03-review-clicks.json',
			'04-dashboard.json',
			'05-weekly-report.json',
			'06-errors.json',
		]);
		for (const { file, text } of templates) {
			const workflow = JSON.parse(text) as TemplateWorkflow;
			expect([file, typeof workflow.name, Array.isArray(workflow.nodes), typeof workflow.connections]).toEqual([file, 'string', true, 'object']);
			expect([file, workflow.settings?.executionOrder]).toEqual([file, 'v1']);
		}
		const names = templates.map((t) => (JSON.parse(t.text) as TemplateWorkflow).name);
		expect(new Set(names).size).toBe(names.length);
	});

	describe.each(templates.map((t) => [t.file, t.text] as const))('%s', (file, text) => {
		const workflow = JSON.parse(text) as { name: string; nodes: TemplateNode[]; connections: Connections };
		const nodes = workflow.nodes;
		const byName = new Map(nodes.map((n) => [n.name, n]));
		const working = nodes.filter((n) => n.type !== STICKY);

		it('has unique node names and ids', () => {
			expect(byName.size).toBe(nodes.length);
			const ids = nodes.map((n) => n.id).filter(Boolean);
			expect(new Set(ids).size).toBe(nodes.length);
		});

		it('uses only our nodes (as package.json lists them) and n8n built-ins, in versions they have', () => {
			for (const node of nodes) {
				const ourType = node.type.startsWith(`${PACKAGE}.`);
				expect([node.name, ourType ? ours.has(node.type) : baseFiles.has(node.type)]).toEqual([node.name, true]);
				expect(ourType || node.type.startsWith('n8n-nodes-base.')).toBe(true);
				expect([node.name, versionsOf(nodeType(node.type))]).toEqual([node.name, expect.arrayContaining([node.typeVersion])]);
			}
		});

		it('names credentials from the fixed list, of types that exist and that the node asks for', () => {
			const ourCredentials = new Map(
				readdirSync(join(ROOT, 'credentials'))
					.filter((f) => f.endsWith('.credentials.ts'))
					.map((f) => {
						// eslint-disable-next-line @typescript-eslint/no-require-imports
						const module = require(join(ROOT, 'credentials', f)) as Record<string, new () => ICredentialType>;
						const credential = new (Object.values(module)[0])();
						return [credential.name, credential] as const;
					}),
			);
			const ourCredentialTypes = [...ourCredentials.keys()];
			for (const type of N8N_CREDENTIAL_TYPES) expect(readdirSync(join(BASE_DIST, 'credentials')).some((f) => f.toLowerCase() === `${type.toLowerCase()}.credentials.js`)).toBe(true);
			for (const node of working) {
				for (const [type, reference] of Object.entries(node.credentials ?? {})) {
					expect([node.name, type, Object.keys(reference).sort()]).toEqual([node.name, type, ['id', 'name']]);
					expect([node.name, reference.name, CREDENTIALS[reference.name]]).toEqual([node.name, reference.name, type]);
					expect([node.name, type, ourCredentialTypes.includes(type) || N8N_CREDENTIAL_TYPES.includes(type)]).toEqual([node.name, type, true]);
					// The HTTP Request node takes any credential type with an `authenticate` block ("predefined credential type").
					if (node.type === 'n8n-nodes-base.httpRequest' && node.parameters.authentication === 'predefinedCredentialType') {
						expect([node.name, node.parameters.nodeCredentialType]).toEqual([node.name, type]);
						expect([node.name, type, Boolean(ourCredentials.get(type)?.authenticate) || N8N_CREDENTIAL_TYPES.includes(type)]).toEqual([node.name, type, true]);
						continue;
					}
					const asked = (description(node).credentials ?? []).map((c) => c.name);
					expect([node.name, asked]).toEqual([node.name, expect.arrayContaining([type])]);
				}
			}
		});

		it('gives every webhook-driven node (triggers with webhooks, Wait) a fixed webhook ID', () => {
			for (const node of working) {
				const wanted = (description(node).webhooks ?? []).length > 0 && (description(node).group.includes('trigger') || node.type === 'n8n-nodes-base.wait');
				if (!wanted) continue;
				expect([node.name, node.webhookId]).toEqual([node.name, expect.stringMatching(/^[a-z0-9][a-z0-9-]{2,}$/)]);
			}
		});

		it('wires every node: triggers lead somewhere, every other node is led to, connections name real nodes', () => {
			const sources = new Set(Object.keys(workflow.connections));
			const targets = new Set<string>();
			for (const [source, outputs] of Object.entries(workflow.connections)) {
				expect([source, byName.has(source)]).toEqual([source, true]);
				for (const list of Object.values(outputs).flat()) {
					for (const connection of list ?? []) {
						expect([source, connection.node, byName.has(connection.node), connection.type]).toEqual([source, connection.node, true, 'main']);
						targets.add(connection.node);
					}
				}
			}
			for (const node of working) {
				const trigger = description(node).group.includes('trigger') || (description(node).inputs as unknown[]).length === 0;
				expect([node.name, trigger ? sources.has(node.name) : targets.has(node.name)]).toEqual([node.name, true]);
			}
		});

		it('explains itself in at least one sticky note', () => {
			const notes = nodes.filter((n) => n.type === STICKY);
			expect(notes.length).toBeGreaterThan(0);
			for (const note of notes) expect(String(note.parameters.content).length).toBeGreaterThan(80);
		});

		it('holds no secrets: credential references only, placeholders where a secret goes', () => {
			for (const node of nodes) {
				for (const { path, text } of strings(node.parameters)) {
					const where = `${node.name} → ${path}`;
					if (/(api_?key|secret|password|passwd|token)$/i.test(path.split('.').pop() ?? '') && text && !text.startsWith('=')) {
						expect([where, text]).toEqual([where, expect.stringMatching(/^(CHANGE-ME|YOUR-)/)]);
					}
					// Telegram bot tokens, Bitrix24 inbound-webhook URLs, JWTs, long random strings.
					expect([where, /\b\d{6,}:[A-Za-z0-9_-]{30,}\b/.test(text)]).toEqual([where, false]);
					expect([where, /\/rest\/\d+\/[a-z0-9]{8,}/i.test(text)]).toEqual([where, false]);
					expect([where, /eyJ[A-Za-z0-9_-]{10,}\./.test(text)]).toEqual([where, false]);
					const words = text.replace(/https?:\/\/\S+/g, '').match(/[A-Za-z0-9+/_-]{40,}/g) ?? [];
					expect([where, words]).toEqual([where, []]);
				}
			}
		});

		it('refers with $(\'Name\') only to nodes upstream of the referring node', () => {
			const parents = new Map<string, Set<string>>();
			for (const [source, outputs] of Object.entries(workflow.connections)) {
				for (const list of Object.values(outputs).flat()) for (const c of list ?? []) (parents.get(c.node) ?? parents.set(c.node, new Set()).get(c.node)!).add(source);
			}
			const upstream = (name: string, seen = new Set<string>()): Set<string> => {
				for (const parent of parents.get(name) ?? []) if (!seen.has(parent)) upstream(parent, seen.add(parent));
				return seen;
			};
			let references = 0;
			for (const node of working) {
				for (const { path, text } of strings(node.parameters)) {
					for (const match of text.matchAll(/\$\(\s*(['"])(.+?)\1\s*\)/g)) {
						references++;
						const name = match[2];
						expect([node.name, path, name, byName.has(name)]).toEqual([node.name, path, name, true]);
						expect([node.name, path, name, upstream(node.name).has(name)]).toEqual([node.name, path, name, true]);
					}
				}
			}
			if (['01-deal-closed-survey.json', '02-answers.json', '03-review-clicks.json'].includes(file)) expect(references).toBeGreaterThan(0);
		});

		it('reads the branch table by its name and its columns', () => {
			const columns = BRANCH_TABLE_COLUMNS.map((c) => c.name);
			for (const node of working) {
				if (node.type === 'n8n-nodes-base.dataTable') {
					expect([node.name, (node.parameters.dataTableId as { mode: string; value: string })]).toEqual([node.name, expect.objectContaining({ mode: 'name', value: BRANCH_TABLE_NAME })]);
					for (const condition of (node.parameters.filters as { conditions: Array<{ keyName: string }> }).conditions) expect(columns).toContain(condition.keyName);
				}
				if (node.parameters.branchSource === 'dataTable') expect([node.name, node.parameters.branchTableName]).toEqual([node.name, BRANCH_TABLE_NAME]);
				for (const { text } of strings(node.parameters)) {
					for (const match of text.matchAll(/\$\('Branch settings'\)\.item\.json\.(\w+)/g)) expect([node.name, match[1], columns.includes(match[1])]).toEqual([node.name, match[1], true]);
				}
			}
		});
	});

	it('gives each webhook node an ID of its own across the templates, and links between templates point at them', () => {
		const webhookIds = new Map<string, string>();
		const paths = new Set<string>();
		for (const { file, text } of templates) {
			for (const node of (JSON.parse(text) as { nodes: TemplateNode[] }).nodes) {
				if (!node.webhookId) continue;
				expect([node.webhookId, webhookIds.get(node.webhookId)]).toEqual([node.webhookId, undefined]);
				webhookIds.set(node.webhookId, `${file} → ${node.name}`);
				// The production URL: /webhook/<id>/<path> for our nodes and Wait; /webhook/<path> for n8n's Webhook node.
				if (node.type === 'n8n-nodes-base.webhook') paths.add(String(node.parameters.path));
				else if (node.type === `${PACKAGE}.npsResponseTrigger`) paths.add(`${node.webhookId}/${node.parameters.source === 'page' ? 's' : String(node.parameters.source)}`);
				else if (node.type === `${PACKAGE}.reviewLinkTrackerTrigger`) paths.add(`${node.webhookId}/r`);
				else if (node.type === `${PACKAGE}.bitrix24Trigger`) paths.add(`${node.webhookId}/events`);
			}
		}
		expect(webhookIds.size).toBeGreaterThanOrEqual(6);
		const links = templates.flatMap(({ file, text }) => [...text.matchAll(/http:\/\/localhost:5678\/webhook\/([A-Za-z0-9/_-]+)/g)].map((m) => [file, m[1]] as const));
		expect(links.length).toBeGreaterThan(0);
		for (const [file, path] of links) expect([file, path, paths.has(path)]).toEqual([file, path, true]);
	});
});
