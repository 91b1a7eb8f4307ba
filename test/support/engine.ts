/**
 * Runs workflows in n8n's own engine (n8n-core's WorkflowExecute), inside jest: our nodes from
 * source, n8n's built-in nodes from n8n-nodes-base, credentials given per test. The HTTP calls
 * are real (to the sandboxes), through n8n's own request helpers.
 */

import {
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
	type IRun,
	type IRunExecutionData,
	type IVersionedNodeType,
	type IWorkflowBase,
	type IWorkflowExecuteAdditionalData,
	type WorkflowExecuteMode,
} from 'n8n-workflow';
import { ExecutionLifecycleHooks, WorkflowExecute } from 'n8n-core';

import { Bitrix24OAuth2Api } from '../../credentials/Bitrix24OAuth2Api.credentials';
import { Bitrix24WebhookApi } from '../../credentials/Bitrix24WebhookApi.credentials';
import { Bitrix24 } from '../../nodes/Bitrix24/Bitrix24.node';

export const PACKAGE = 'n8n-nodes-bitrix24-nps';

// n8n logs node errors; the tests read them from the run data instead.
const quiet = () => undefined;
LoggerProxy.init({ error: quiet, warn: quiet, info: quiet, debug: quiet, verbose: quiet } as unknown as Parameters<typeof LoggerProxy.init>[0]);

/** Our nodes by type name, as n8n names them for an installed community package. */
const OUR_NODES: Record<string, () => INodeType | IVersionedNodeType> = {
	[`${PACKAGE}.bitrix24`]: () => new Bitrix24(),
};

/** Built-in nodes the templates and tests use, loaded from n8n-nodes-base's build. */
const BASE_NODES: Record<string, string> = {
	'n8n-nodes-base.manualTrigger': 'ManualTrigger/ManualTrigger.node.js',
	'n8n-nodes-base.noOp': 'NoOp/NoOp.node.js',
	'n8n-nodes-base.code': 'Code/Code.node.js',
	'n8n-nodes-base.set': 'Set/Set.node.js',
	'n8n-nodes-base.if': 'If/If.node.js',
};

const CREDENTIAL_TYPES: Record<string, ICredentialType> = {
	bitrix24WebhookApi: new Bitrix24WebhookApi(),
	bitrix24OAuth2Api: new Bitrix24OAuth2Api(),
};

class TestNodeTypes implements INodeTypes {
	private readonly cache = new Map<string, INodeType | IVersionedNodeType>();

	private load(type: string): INodeType | IVersionedNodeType {
		const cached = this.cache.get(type);
		if (cached) return cached;
		let nodeType: INodeType | IVersionedNodeType;
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
	/** The error a node ended with, if any. */
	error(nodeName: string): (Error & { description?: string; context?: Record<string, unknown> }) | undefined;
}

/** Runs a workflow from its first trigger-less start node (a Manual Trigger). */
export async function runWorkflow(
	workflow: Pick<IWorkflowBase, 'nodes' | 'connections'> & { settings?: IWorkflowBase['settings'] },
	options: { credentials?: Record<string, ICredentialDataDecryptedObject>; mode?: WorkflowExecuteMode } = {},
): Promise<EngineRun> {
	const nodeTypes = new TestNodeTypes();
	const instance = new Workflow({ id: 'test', nodes: workflow.nodes as INode[], connections: workflow.connections, nodeTypes, active: false, settings: workflow.settings });
	const hooks = new ExecutionLifecycleHooks('manual', 'test-execution', { id: 'test', name: 'test' } as IWorkflowBase);
	let resolveRun: (run: IRun) => void = () => undefined;
	const finished = new Promise<IRun>((resolve) => (resolveRun = resolve));
	hooks.addHandler('workflowExecuteAfter', (run) => resolveRun(run));
	const additionalData = {
		hooks,
		credentialsHelper: new TestCredentialsHelper({ ...(options.credentials ?? {}) }),
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
	} as unknown as IWorkflowExecuteAdditionalData;

	const start = instance.getStartNode();
	if (!start) throw new Error('The workflow has no start node');
	const runExecutionData: IRunExecutionData = {
		resultData: { runData: {} },
		executionData: {
			contextData: {},
			metadata: {},
			nodeExecutionStack: [{ node: start, data: { main: [[{ json: {} }]] }, source: null }],
			waitingExecution: {},
			waitingExecutionSource: {},
		},
	} as unknown as IRunExecutionData;
	await new WorkflowExecute(additionalData, options.mode ?? 'manual', runExecutionData).processRunExecutionData(instance);
	const run = await finished;
	return {
		run,
		output: (nodeName, outputIndex = 0) => (run.data.resultData.runData[nodeName]?.[0]?.data?.main?.[outputIndex] ?? []).map((item) => item.json),
		error: (nodeName) => run.data.resultData.runData[nodeName]?.[0]?.error as EngineRun['error'] extends (n: string) => infer R ? R : never,
	};
}
