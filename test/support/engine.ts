/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals -- test tooling: runs in Node test processes, never inside n8n */
/**
 * Runs workflows in n8n's own engine (n8n-core's WorkflowExecute), inside jest: our nodes from
 * source, n8n's built-in nodes from n8n-nodes-base, credentials given per test. The HTTP calls
 * are real (to the sandboxes), through n8n's own request helpers.
 */

import {
	type IAuthenticateGeneric,
	Node,
	ICredentialsHelper,
	LoggerProxy,
	NodeHelpers,
	Workflow,
	type ICredentialDataDecryptedObject,
	type ICredentialType,
	type IHttpRequestOptions,
	type INode,
	type INodeCredentialsDetails,
	type INodeType,
	type INodeTypes,
	type IDataObject,
	type INodeExecutionData,
	type INodeListSearchResult,
	type INodePropertyOptions,
	type IRun,
	type IWebhookResponseData,
	type IRunExecutionData,
	type IVersionedNodeType,
	type IWorkflowBase,
	type IWorkflowExecuteAdditionalData,
	type WorkflowExecuteMode,
} from 'n8n-workflow';
import { DataDeduplicationService, ExecutionLifecycleHooks, getHtmlSandboxCSP, HookContext, LoadOptionsContext, PollContext, WebhookContext, WorkflowExecute } from 'n8n-core';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parse as parseQueryString } from 'node:querystring';

import { dataTableProxyProvider, type DataTableStore } from './dataTables';


export const PACKAGE = 'n8n-nodes-bitrix24-nps';

// n8n logs node errors; the tests read them from the run data instead.
// Node contexts log through the DI container's Logger, the engine through LoggerProxy: both are
// quiet, and a webhook call's node logs are captured for its outcome.
const quiet = () => undefined;
let logSink: ((level: string, message: string) => void) | undefined;
const testLogger = Object.fromEntries(
	['error', 'warn', 'info', 'debug', 'verbose'].map((level) => [level, (message: string) => logSink?.(level, String(message))]),
) as Record<string, (message: string) => void>;
// n8n-core has its own copies of @n8n/di and @n8n/backend-common: use the ones it resolves.
const fromCore = createRequire(require.resolve('n8n-core'));
const { Container } = fromCore('@n8n/di') as { Container: { set(token: unknown, value: unknown): void } };
const { Logger } = fromCore('@n8n/backend-common') as { Logger: unknown };
Container.set(Logger, { ...testLogger, scoped: () => testLogger });
LoggerProxy.init({ error: quiet, warn: quiet, info: quiet, debug: quiet, verbose: quiet } as unknown as Parameters<typeof LoggerProxy.init>[0]);

/**
 * Our nodes by type name, as n8n names them for an installed community package: every
 * `nodes/<Name>/<Name>.node.ts`, found on first use (a new node needs no line here).
 */
const OUR_NODES: Record<string, () => INodeType | IVersionedNodeType> = {};
function discoverOurNodes(): void {
	if (Object.keys(OUR_NODES).length > 0) return;
	const nodesDir = join(__dirname, '..', '..', 'nodes');
	for (const name of readdirSync(nodesDir)) {
		const file = join(nodesDir, name, `${name}.node.ts`);
		if (!existsSync(file)) continue;
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const module = require(file) as Record<string, new () => INodeType | IVersionedNodeType>;
		for (const NodeClass of Object.values(module)) {
			// Only classes: a node file may also export helpers.
			if (typeof NodeClass !== 'function' || !/^class\s/.test(Function.prototype.toString.call(NodeClass))) continue;
			const instance = new NodeClass();
			const description = (instance as INodeType).description ?? (instance as IVersionedNodeType).description;
			if (description?.name) OUR_NODES[`${PACKAGE}.${description.name}`] = () => new NodeClass();
		}
	}
}

/** Built-in nodes the templates and tests use, loaded from n8n-nodes-base's build. */
const BASE_NODES: Record<string, string> = {
	'n8n-nodes-base.manualTrigger': 'ManualTrigger/ManualTrigger.node.js',
	'n8n-nodes-base.noOp': 'NoOp/NoOp.node.js',
	'n8n-nodes-base.code': 'Code/Code.node.js',
	'n8n-nodes-base.set': 'Set/Set.node.js',
	'n8n-nodes-base.if': 'If/If.node.js',
	'n8n-nodes-base.webhook': 'Webhook/Webhook.node.js',
	'n8n-nodes-base.summarize': 'Transform/Summarize/Summarize.node.js',
	'n8n-nodes-base.telegram': 'Telegram/Telegram.node.js',
	'n8n-nodes-base.dataTable': 'DataTable/DataTable.node.js',
	'n8n-nodes-base.wait': 'Wait/Wait.node.js',
	'n8n-nodes-base.respondToWebhook': 'RespondToWebhook/RespondToWebhook.node.js',
	'n8n-nodes-base.errorTrigger': 'ErrorTrigger/ErrorTrigger.node.js',
	'n8n-nodes-base.executeWorkflow': 'ExecuteWorkflow/ExecuteWorkflow/ExecuteWorkflow.node.js',
	'n8n-nodes-base.executeWorkflowTrigger': 'ExecuteWorkflow/ExecuteWorkflowTrigger/ExecuteWorkflowTrigger.node.js',
	'n8n-nodes-base.scheduleTrigger': 'Schedule/ScheduleTrigger.node.js',
	'n8n-nodes-base.stopAndError': 'StopAndError/StopAndError.node.js',
	'n8n-nodes-base.filter': 'Filter/Filter.node.js',
	'n8n-nodes-base.merge': 'Merge/Merge.node.js',
	'n8n-nodes-base.stickyNote': 'StickyNote/StickyNote.node.js',
	'n8n-nodes-base.httpRequest': 'HttpRequest/HttpRequest.node.js',
};

/** Every `credentials/*.credentials.ts`, by credential name. */
const CREDENTIAL_TYPES: Record<string, ICredentialType> = {};
{
	const credentialsDir = join(__dirname, '..', '..', 'credentials');
	for (const file of readdirSync(credentialsDir).filter((f) => f.endsWith('.credentials.ts'))) {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const module = require(join(credentialsDir, file)) as Record<string, new () => ICredentialType>;
		for (const CredentialClass of Object.values(module)) {
			if (typeof CredentialClass !== 'function') continue;
			const instance = new CredentialClass();
			if (instance.name) CREDENTIAL_TYPES[instance.name] = instance;
		}
	}
}

/**
 * n8n's de-duplication store, in memory (the real n8n keeps it in its database): what the
 * nodes' `checkProcessedAndRecord` / `removeProcessed` see. Keyed by workflow, scope context and value.
 */
export const testDeduplication = {
	entries: new Map<string, Set<string>>(),
	clear() {
		this.entries.clear();
	},
};
const contextKey = (scope: string, data: { node?: { id: string }; workflow: { id?: string } }) => `${data.workflow.id}|${scope === 'node' ? `n:${data.node?.id}` : ''}`;
const setOf = (key: string) => {
	let set = testDeduplication.entries.get(key);
	if (!set) testDeduplication.entries.set(key, (set = new Set()));
	return set;
};
void DataDeduplicationService.init({
	async checkProcessedAndRecord(items, scope, data, options) {
		const set = setOf(contextKey(scope, data));
		const result = { new: [] as typeof items, processed: [] as typeof items };
		for (const item of items) {
			if (set.has(String(item))) result.processed.push(item);
			else {
				set.add(String(item));
				result.new.push(item);
			}
		}
		// Like n8n: the oldest entries go once there are more than maxEntries.
		const maxEntries = (options as { maxEntries?: number } | undefined)?.maxEntries;
		if (maxEntries) for (const oldest of set) if (set.size > maxEntries) set.delete(oldest); else break;
		return result;
	},
	async removeProcessed(items, scope, data) {
		const set = setOf(contextKey(scope, data));
		for (const item of items) set.delete(String(item));
	},
	async clearAllProcessedItems(scope, data) {
		setOf(contextKey(scope, data)).clear();
	},
	async getProcessedDataCount(scope, data) {
		return setOf(contextKey(scope, data)).size;
	},
});

class TestNodeTypes implements INodeTypes {
	private readonly cache = new Map<string, INodeType | IVersionedNodeType>();

	private load(type: string): INodeType | IVersionedNodeType {
		const cached = this.cache.get(type);
		if (cached) return cached;
		let nodeType: INodeType | IVersionedNodeType;
		discoverOurNodes();
		if (OUR_NODES[type]) nodeType = OUR_NODES[type]();
		else if (BASE_NODES[type]) {
			// eslint-disable-next-line @typescript-eslint/no-require-imports
			const module = require(`n8n-nodes-base/dist/nodes/${BASE_NODES[type]}`) as Record<string, new () => INodeType | IVersionedNodeType>;
			nodeType = new (Object.values(module)[0])();
		} else throw new Error(`Node type ${type} is not available in the test engine`);
		this.cache.set(type, nodeType);
		return nodeType;
	}

	getByName(type: string) {
		return this.load(type);
	}

	getByNameAndVersion(type: string, version?: number): INodeType {
		return NodeHelpers.getVersionedNodeType(this.load(type), version);
	}

	getKnownTypes() {
		return {};
	}
}

class TestCredentialsHelper extends ICredentialsHelper {
	constructor(private readonly credentials: Record<string, ICredentialDataDecryptedObject>) {
		super();
	}

	getParentTypes(name: string): string[] {
		return CREDENTIAL_TYPES[name]?.extends ?? [];
	}

	async authenticate(credentials: ICredentialDataDecryptedObject, typeName: string, requestOptions: IHttpRequestOptions): Promise<IHttpRequestOptions> {
		const type = CREDENTIAL_TYPES[typeName];
		if (type && typeof type.authenticate === 'function') return await type.authenticate(credentials, requestOptions);
		const generic = type?.authenticate as IAuthenticateGeneric | undefined;
		if (generic && generic.type === 'generic') {
			// What n8n's CredentialsHelper does for a generic block: fill in {{$credentials.x}} and merge.
			const fill = (value: unknown): unknown =>
				typeof value === 'string'
					? value.replace(/^=/, '').replace(/\{\{\s*\$credentials\.(\w+)\s*\}\}/g, (_, name: string) => String(credentials[name] ?? ''))
					: value;
			const fillAll = (record?: Record<string, unknown>) => Object.fromEntries(Object.entries(record ?? {}).map(([k, v]) => [k, fill(v)]));
			const { headers, qs, auth, body } = generic.properties as unknown as Record<string, Record<string, unknown> | undefined>;
			const options = { ...requestOptions };
			if (headers) options.headers = { ...(options.headers ?? {}), ...fillAll(headers) } as IHttpRequestOptions['headers'];
			if (qs) options.qs = { ...(options.qs ?? {}), ...fillAll(qs) } as IHttpRequestOptions['qs'];
			if (auth) options.auth = fillAll(auth) as unknown as IHttpRequestOptions['auth'];
			if (body) options.body = { ...((options.body as object) ?? {}), ...fillAll(body) };
			return options;
		}
		return requestOptions;
	}

	async preAuthentication() {
		return undefined;
	}

	async runPreAuthentication() {
		return undefined;
	}

	getCredentialsProperties() {
		return [];
	}

	async getDecrypted(_additionalData: IWorkflowExecuteAdditionalData, _node: INodeCredentialsDetails, type: string): Promise<ICredentialDataDecryptedObject> {
		const data = this.credentials[type];
		if (!data) throw new Error(`No test credentials of type ${type}`);
		return data;
	}

	async getCredentials(): Promise<never> {
		throw new Error('not used in tests');
	}

	async updateCredentials(): Promise<void> {}

	async updateCredentialsOauthTokenData(_node: INodeCredentialsDetails, type: string, data: ICredentialDataDecryptedObject): Promise<void> {
		this.credentials[type] = { ...this.credentials[type], ...data };
	}

	getOAuth2Options() {
		return undefined;
	}

	isCredentialUsableByNode() {
		return true;
	}
}

export interface EngineRun {
	run: IRun;
	/** Output items (json only) of a node's first run, first output. */
	output(nodeName: string, outputIndex?: number): Array<Record<string, unknown>>;
	/** Runs this one started of the workflow itself (Execute Workflow, one per item), finished. */
	subRuns?: EngineRun[];
	/** The error a node ended with, if any. */
	error(nodeName: string): (Error & { description?: string; context?: Record<string, unknown> }) | undefined;
}

function makeAdditionalData(credentials: Record<string, ICredentialDataDecryptedObject>, extra: Record<string, unknown> = {}): IWorkflowExecuteAdditionalData {
	return {
		credentialsHelper: new TestCredentialsHelper({ ...credentials }),
		executeWorkflow: async () => {
			throw new Error('sub-workflows are not available in the test engine');
		},
		restApiUrl: 'http://127.0.0.1:5678/rest',
		instanceBaseUrl: 'http://127.0.0.1:5678/',
		formWaitingBaseUrl: 'http://127.0.0.1:5678/form-waiting',
		webhookBaseUrl: 'http://127.0.0.1:5678/webhook',
		webhookWaitingBaseUrl: 'http://127.0.0.1:5678/webhook-waiting',
		webhookTestBaseUrl: 'http://127.0.0.1:5678/webhook-test',
		currentNodeParameters: undefined,
		executionTimeoutTimestamp: undefined,
		userId: 'test-user',
		variables: {},
		logAiEvent: () => undefined,
		setExecutionStatus: () => undefined,
		sendDataToUI: () => undefined,
		...extra,
	} as unknown as IWorkflowExecuteAdditionalData;
}

/**
 * n8n's Data tables for the run: what n8n-core's data-table helpers read from additionalData (the
 * proxies over the test store, the project the tables live in). Nothing without a store.
 */
function dataTableAdditionalData(store?: DataTableStore): Record<string, unknown> {
	if (!store) return {};
	return { 'data-table': { dataTableProxyProvider: dataTableProxyProvider(store) }, dataTableProjectId: store.projectId };
}

function singleNodeWorkflow(node: INode, staticData?: IDataObject): Workflow {
	return new Workflow({ id: 'test-workflow', nodes: [node], connections: {}, nodeTypes: new TestNodeTypes(), active: true, staticData });
}

export interface WebhookCall {
	/** The request body exactly as sent (form-encoded or JSON). */
	rawBody: string;
	method?: 'GET' | 'POST';
	/** Which of the node's webhooks (default 'default'). */
	webhookName?: string;
	/** Route parameters (a webhook path such as `r/:token`). */
	params?: Record<string, string>;
	contentType?: string;
	query?: Record<string, string>;
	headers?: Record<string, string>;
}

export interface WebhookOutcome {
	status: number;
	body: unknown;
	headers: Record<string, string>;
	/** What webhook() returned (workflowData means an execution would start). */
	result: IWebhookResponseData;
	logs: Array<{ level: string; message: string }>;
}

/** Calls a trigger's webhook() the way n8n does (n8n's WebhookContext, its body parsing). */
export async function callWebhook(
	node: INode,
	call: WebhookCall,
	options: { credentials: Record<string, ICredentialDataDecryptedObject>; mode?: WorkflowExecuteMode; /** n8n's Data tables, for the Data Table node. */ dataTables?: DataTableStore },
): Promise<WebhookOutcome> {
	const contentType = call.contentType ?? 'application/x-www-form-urlencoded';
	const body = contentType.includes('json') ? JSON.parse(call.rawBody || '{}') : { ...parseQueryString(call.rawBody) };
	const request = {
		method: call.method ?? 'POST',
		body,
		rawBody: Buffer.from(call.rawBody),
		headers: { 'content-type': contentType, ...Object.fromEntries(Object.entries(call.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])) },
		query: call.query ?? {},
		params: call.params ?? {},
		// As express has it: the path and the query string as called.
		originalUrl: `/webhook/test${call.query && Object.keys(call.query).length ? `?${new URLSearchParams(call.query).toString()}` : ''}`,
	};
	const response = { statusCode: 200, sent: undefined as unknown, headers: {} as Record<string, string> };
	const fakeResponse = {
		status(code: number) {
			response.statusCode = code;
			return fakeResponse;
		},
		json(value: unknown) {
			response.sent = value;
			return fakeResponse;
		},
		send(value: unknown) {
			response.sent = value;
			return fakeResponse;
		},
		end() {
			return fakeResponse;
		},
		setHeader(name: string, value: string) {
			response.headers[name.toLowerCase()] = String(value);
			return fakeResponse;
		},
	};
	const logs: WebhookOutcome['logs'] = [];
	logSink = (level, message) => logs.push({ level, message });
	try {
		const workflow = singleNodeWorkflow(node);
		const nodeType = workflow.nodeTypes.getByNameAndVersion(node.type, node.typeVersion) as INodeType;
		const additionalData = makeAdditionalData(options.credentials, { httpRequest: request, httpResponse: fakeResponse, ...dataTableAdditionalData(options.dataTables) });
		const name = call.webhookName ?? 'default';
		const description = (nodeType.description.webhooks ?? []).find((w) => w.name === name) ?? { name, httpMethod: request.method, path: 'events' };
		const context = new WebhookContext(workflow, node, additionalData, options.mode ?? 'webhook', { webhookDescription: description } as never, [], null);
		// A node written as a class extending n8n's `Node` (n8n's own Webhook node) gets the context as
		// its argument; a plain INodeType gets it as `this`, as n8n does.
		const result =
			nodeType instanceof Node
				? await (nodeType as unknown as { webhook(context: unknown): Promise<IWebhookResponseData> }).webhook(context)
				: await (nodeType.webhook as (this: unknown) => Promise<IWebhookResponseData>).call(context);
		// A node that left the answer to n8n ("onReceived", nothing sent): n8n sends it once the execution
		// is stored, with the webhook's response code (200) and its HTML sandbox CSP. The body as n8n 2.40.7
		// picks it (extractWebhookOnReceivedResponse): the description's responseData, "firstEntryJson" when
		// absent, "noData" for none, the node's webhookResponse only when responseData is empty.
		const { responseMode = 'onReceived', responseData = 'firstEntryJson' } = description as { responseMode?: string; responseData?: unknown };
		if (!result.noWebhookResponse && result.workflowData !== undefined && response.sent === undefined && responseMode === 'onReceived') {
			response.sent = responseData === 'noData' ? undefined : responseData || (result.webhookResponse ?? { message: 'Workflow was started' });
			response.headers['content-security-policy'] = getHtmlSandboxCSP();
		}
		return { status: response.statusCode, body: response.sent, headers: response.headers, result, logs };
	} finally {
		logSink = undefined;
	}
}

/** Runs a poll trigger's poll() once, as n8n does on a tick (or as "Fetch test event" in manual mode). */
export async function callPoll(node: INode, options: { credentials: Record<string, ICredentialDataDecryptedObject>; staticData: IDataObject; mode?: 'trigger' | 'manual' }): Promise<INodeExecutionData[][] | null> {
	const workflow = singleNodeWorkflow(node, options.staticData);
	const nodeType = workflow.nodeTypes.getByNameAndVersion(node.type, node.typeVersion) as INodeType;
	const mode = options.mode ?? 'trigger';
	const context = new PollContext(workflow, node, makeAdditionalData(options.credentials), mode, mode === 'manual' ? 'manual' : 'activate');
	return await (nodeType.poll as (this: unknown) => Promise<INodeExecutionData[][] | null>).call(context);
}

/** The editor asking a node for a dropdown (loadOptions) with the node's current parameters. */
export async function callLoadOptions(node: INode, method: string, options: { credentials: Record<string, ICredentialDataDecryptedObject>; dataTables?: DataTableStore }): Promise<INodePropertyOptions[]> {
	const { nodeType, context } = loadOptionsContext(node, options.credentials, options.dataTables);
	const load = nodeType.methods?.loadOptions?.[method];
	if (!load) throw new Error(`${node.type} has no loadOptions method ${method}`);
	return await load.call(context as never);
}

/** The editor searching a resource locator's "From List" (listSearch) with the node's current parameters. */
export async function callListSearch(
	node: INode,
	method: string,
	options: { credentials: Record<string, ICredentialDataDecryptedObject>; filter?: string; paginationToken?: string; dataTables?: DataTableStore },
): Promise<INodeListSearchResult> {
	const { nodeType, context } = loadOptionsContext(node, options.credentials, options.dataTables);
	const search = nodeType.methods?.listSearch?.[method];
	if (!search) throw new Error(`${node.type} has no listSearch method ${method}`);
	return await search.call(context as never, options.filter, options.paginationToken);
}

function loadOptionsContext(node: INode, credentials: Record<string, ICredentialDataDecryptedObject>, dataTables?: DataTableStore) {
	const workflow = singleNodeWorkflow(node);
	const nodeType = workflow.nodeTypes.getByNameAndVersion(node.type, node.typeVersion) as INodeType;
	const additionalData = makeAdditionalData(credentials, { currentNodeParameters: node.parameters, ...dataTableAdditionalData(dataTables) });
	return { nodeType, context: new LoadOptionsContext(workflow, node, additionalData, 'parameters') };
}

/** Calls one of a trigger's webhookMethods (checkExists, create, delete). */
export async function callHook(node: INode, method: 'checkExists' | 'create' | 'delete', options: { credentials: Record<string, ICredentialDataDecryptedObject>; webhookBaseUrl?: string }): Promise<boolean> {
	const workflow = singleNodeWorkflow(node);
	const nodeType = workflow.nodeTypes.getByNameAndVersion(node.type, node.typeVersion) as INodeType;
	const additionalData = makeAdditionalData(options.credentials, options.webhookBaseUrl ? { webhookBaseUrl: options.webhookBaseUrl } : {});
	const context = new HookContext(workflow, node, additionalData, 'trigger', 'activate', { webhookDescription: (nodeType.description.webhooks ?? [])[0] } as never);
	const methods = nodeType.webhookMethods?.default as Record<string, (this: unknown) => Promise<boolean>>;
	return await methods[method].call(context);
}

/** Runs a workflow from its first trigger-less start node (a Manual Trigger). */
export async function runWorkflow(
	workflow: Pick<IWorkflowBase, 'nodes' | 'connections'> & { settings?: IWorkflowBase['settings'] },
	options: {
		credentials?: Record<string, ICredentialDataDecryptedObject>;
		mode?: WorkflowExecuteMode;
		/** Items the start node is given (a No Operation start node passes them on). */
		input?: IDataObject[];
		startNode?: string;
		/** n8n's Data tables: the Data Table node reads and writes this store. */
		dataTables?: DataTableStore;
	} = {},
): Promise<EngineRun> {
	const nodeTypes = new TestNodeTypes();
	const instance = new Workflow({ id: 'test', nodes: workflow.nodes as INode[], connections: workflow.connections, nodeTypes, active: false, settings: workflow.settings });
	const hooks = new ExecutionLifecycleHooks('manual', 'test-execution', { id: 'test', name: 'test' } as IWorkflowBase);
	let resolveRun: (run: IRun) => void = () => undefined;
	const finished = new Promise<IRun>((resolve) => (resolveRun = resolve));
	hooks.addHandler('workflowExecuteAfter', (run) => resolveRun(run));
	// A workflow may call itself (Execute Workflow → its own Execute Workflow Trigger, one run per item):
	// those runs are engine runs too, awaited before this one returns.
	const subRuns: Array<Promise<EngineRun>> = [];
	const executeWorkflow = async (info: { id?: string }, _data: unknown, call: { inputData?: INodeExecutionData[]; doNotWaitToFinish?: boolean }) => {
		const trigger = workflow.nodes.find((node) => node.type === 'n8n-nodes-base.executeWorkflowTrigger');
		if (info.id !== 'test' || !trigger) throw new Error('the test engine runs only the workflow itself as a sub-workflow');
		const sub = runWorkflow(workflow, { ...options, startNode: trigger.name, input: (call.inputData ?? []).map((item) => item.json) });
		subRuns.push(sub);
		if (call.doNotWaitToFinish) return { executionId: `sub-${subRuns.length}`, data: [null] };
		return { executionId: `sub-${subRuns.length}`, data: [((await sub).run.data.resultData.runData[(await sub).run.data.resultData.lastNodeExecuted ?? '']?.[0]?.data?.main?.[0] ?? [])] };
	};
	const additionalData = makeAdditionalData(options.credentials ?? {}, { hooks, executeWorkflow, ...dataTableAdditionalData(options.dataTables) });

	const start = options.startNode ? instance.getNode(options.startNode) : instance.getStartNode();
	if (!start) throw new Error('The workflow has no start node');
	const runExecutionData: IRunExecutionData = {
		resultData: { runData: {} },
		executionData: {
			contextData: {},
			metadata: {},
			nodeExecutionStack: [{ node: start, data: { main: [(options.input ?? [{}]).map((json) => ({ json }))] }, source: null }],
			waitingExecution: {},
			waitingExecutionSource: {},
		},
	} as unknown as IRunExecutionData;
	await new WorkflowExecute(additionalData, options.mode ?? 'manual', runExecutionData).processRunExecutionData(instance);
	const run = await finished;
	const subs = await Promise.all(subRuns);
	return {
		run,
		subRuns: subs,
		output: (nodeName, outputIndex = 0) => (run.data.resultData.runData[nodeName]?.[0]?.data?.main?.[outputIndex] ?? []).map((item) => item.json),
		error: (nodeName) => run.data.resultData.runData[nodeName]?.[0]?.error as EngineRun['error'] extends (n: string) => infer R ? R : never,
	};
}
