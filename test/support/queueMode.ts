/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-restricted-globals, @n8n/community-nodes/no-dangerous-functions, @n8n/community-nodes/require-node-api-error -- test tooling: starts PostgreSQL, Redis and n8n processes, never inside n8n */
/**
 * n8n in queue mode on one machine, for the scale suite: PostgreSQL 15, Redis, one main process
 * (`n8n start`: editor, public and internal API, production webhooks off), N workers
 * (`n8n worker --concurrency=<c>`) and one webhook process (`n8n webhook`, which serves the
 * production webhooks and enqueues executions). Everything listens on 127.0.0.1 only, lives in
 * temporary folders under `os.tmpdir()`, and runs in its own process group; `stop()` ends the n8n
 * processes, then Redis, then PostgreSQL, and removes the folders.
 *
 * PostgreSQL refuses to run as root: when we are root, initdb and postgres run as the `postgres`
 * user (`setpriv`, which execs, so the process group's leader is postgres itself).
 */

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
	connectToN8n,
	freePort,
	installPackage,
	n8nEnv,
	n8nInstall,
	packPackage,
	spawnGroup,
	spawnN8n,
	waitForReady,
	type GroupProcess,
	type N8nInstall,
	type RunningN8n,
} from './n8n';

const POSTGRES_BIN = '/usr/local/bin';
const PSQL = '/usr/bin/psql';
const REDIS_SERVER = '/usr/bin/redis-server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every group started here and not yet stopped: killed if this process exits without `stop()`. */
const live = new Set<GroupProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;
function track(proc: GroupProcess): GroupProcess {
	live.add(proc);
	void proc.exited.then(() => live.delete(proc));
	if (!exitHookInstalled) {
		exitHookInstalled = true;
		process.once('exit', () => {
			for (const p of live) p.signal('SIGKILL');
			for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
		});
	}
	return proc;
}
function tempDir(prefix: string): string {
	const dir = mkdtempSync(join(tmpdir(), prefix));
	tempDirs.add(dir);
	return dir;
}
/** Removes a temporary folder (or, when kept, only forgets it so the exit hook leaves it too). */
function removeTempDir(dir: string, keep = false): void {
	if (!keep) rmSync(dir, { recursive: true, force: true });
	tempDirs.delete(dir);
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

export interface PostgresServer {
	host: string;
	port: number;
	database: string;
	user: string;
	password: string;
	/** The server's folder (data directory in `data/`, socket, log). */
	dir: string;
	logFile: string;
	process: GroupProcess;
	/** n8n's `DB_*` variables for this server. */
	n8nEnv: Record<string, string>;
	/** Runs SQL with psql over TCP; returns the unaligned, tuples-only output. */
	psql(sql: string, database?: string): string;
	/** Fast shutdown (SIGINT), then the folder goes unless kept. */
	stop(keepDir?: boolean): Promise<void>;
}

export interface PostgresOptions {
	/** Extra server settings (`-c name=value`), e.g. `{ fsync: 'off' }`. Default: PostgreSQL's own. */
	settings?: Record<string, string>;
	readyTimeoutMs?: number;
}

/** Runs a command as the `postgres` user when we are root (PostgreSQL refuses root). */
function asPostgres(command: string, args: string[]): [string, string[]] {
	if (process.getuid?.() !== 0) return [command, args];
	return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', command, ...args]];
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
	const dir = tempDir('n8n-pg-');
	const dataDir = join(dir, 'data');
	const logFile = join(dir, 'postgres.log');
	const user = 'n8n';
	const database = 'n8n';
	const password = randomBytes(12).toString('hex');
	writeFileSync(join(dir, 'pwfile'), `${password}\n`);
	writeFileSync(logFile, '');
	if (process.getuid?.() === 0) {
		const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
		const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
		for (const path of [dir, join(dir, 'pwfile'), logFile]) chownSync(path, uid, gid);
	}
	const env = { PATH: `${POSTGRES_BIN}:/usr/bin:/bin`, LANG: 'C', LC_ALL: 'C' };
	const [initCommand, initArgs] = asPostgres(join(POSTGRES_BIN, 'initdb'), [
		'-D', dataDir, '-U', user, `--pwfile=${join(dir, 'pwfile')}`, '--auth-local=trust', '--auth-host=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-instructions',
	]);
	execFileSync(initCommand, initArgs, { env, stdio: ['ignore', 'ignore', 'pipe'] });
	rmSync(join(dir, 'pwfile'));

	const port = await freePort();
	const settings: Record<string, string> = {
		listen_addresses: '127.0.0.1',
		port: String(port),
		unix_socket_directories: dir,
		max_connections: '200',
		...options.settings,
	};
	const [command, args] = asPostgres(join(POSTGRES_BIN, 'postgres'), ['-D', dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])]);
	const proc = track(spawnGroup(command, args, { name: 'postgres', env, logFile }));

	const psql = (sql: string, db = database) =>
		execFileSync(PSQL, ['-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', db, '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql], {
			encoding: 'utf8',
			env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '3' },
			stdio: ['ignore', 'pipe', 'pipe'],
		}).trim();
	let stopped = false;
	const stop = async (keepDir = false) => {
		if (stopped) return;
		stopped = true;
		await proc.stop('SIGINT', 20_000);
		removeTempDir(dir, keepDir);
	};
	try {
		await untilReady(proc, 'postgres', options.readyTimeoutMs ?? 60_000, 200, () => {
			psql('SELECT 1', 'postgres');
			return true;
		});
		psql(`CREATE DATABASE ${database}`, 'postgres');
	} catch (error) {
		await stop();
		throw error;
	}
	return {
		host: '127.0.0.1',
		port,
		database,
		user,
		password,
		dir,
		logFile,
		process: proc,
		n8nEnv: {
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(port),
			DB_POSTGRESDB_DATABASE: database,
			DB_POSTGRESDB_USER: user,
			DB_POSTGRESDB_PASSWORD: password,
		},
		psql,
		stop,
	};
}

// ---------------------------------------------------------------------------------------------
// Redis

export interface RedisServer {
	host: string;
	port: number;
	dir: string;
	logFile: string;
	process: GroupProcess;
	/** n8n's `QUEUE_BULL_REDIS_*` variables for this server. */
	n8nEnv: Record<string, string>;
	stop(keepDir?: boolean): Promise<void>;
}

/** Sends one inline command and returns the first reply line (or throws). */
function redisCommand(port: number, command: string): Promise<string> {
	return new Promise((resolveReply, reject) => {
		const socket = connect({ host: '127.0.0.1', port });
		let data = '';
		socket.setTimeout(2000, () => socket.destroy(new Error('timeout')));
		socket.on('error', reject);
		socket.on('connect', () => socket.write(`${command}\r\n`));
		socket.on('data', (chunk) => {
			data += chunk.toString('utf8');
			if (data.includes('\r\n')) {
				socket.end();
				resolveReply(data.split('\r\n')[0]);
			}
		});
	});
}

/**
 * Waits until `probe` says a server just started is ready (a probe that throws: not yet), failing
 * with its log when it exits or does not get ready in time.
 */
async function untilReady(proc: GroupProcess, name: string, timeoutMs: number, pauseMs: number, probe: () => boolean | Promise<boolean>): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (!proc.running()) throw new Error(`${name} exited with code ${proc.child.exitCode} while starting. Log:\n${proc.logs().slice(-3000)}`);
		let last = '';
		try {
			if (await probe()) return;
		} catch (error) {
			last = `: ${String(error)}`;
		}
		if (Date.now() > deadline) throw new Error(`${name} not ready after ${timeoutMs} ms${last}\n${proc.logs().slice(-3000)}`);
		await sleep(pauseMs);
	}
}

export async function startRedis(options: { readyTimeoutMs?: number } = {}): Promise<RedisServer> {
	const dir = tempDir('n8n-redis-');
	const logFile = join(dir, 'redis.log');
	const port = await freePort();
	// No persistence: a throwaway queue.
	const args = ['--bind', '127.0.0.1', '--port', String(port), '--protected-mode', 'yes', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'notice'];
	const proc = track(spawnGroup(REDIS_SERVER, args, { name: 'redis', env: { PATH: '/usr/bin:/bin' }, logFile }));
	let stopped = false;
	const stop = async (keepDir = false) => {
		if (stopped) return;
		stopped = true;
		await proc.stop('SIGTERM', 10_000);
		removeTempDir(dir, keepDir);
	};
	try {
		await untilReady(proc, 'redis', options.readyTimeoutMs ?? 20_000, 100, async () => (await redisCommand(port, 'PING')) === '+PONG');
	} catch (error) {
		await stop();
		throw error;
	}
	return { host: '127.0.0.1', port, dir, logFile, process: proc, n8nEnv: { QUEUE_BULL_REDIS_HOST: '127.0.0.1', QUEUE_BULL_REDIS_PORT: String(port) }, stop };
}

// ---------------------------------------------------------------------------------------------
// n8n in queue mode

export type QueueRole = 'main' | 'worker' | 'webhook';

export interface QueueModeProcess {
	/** `main`, `webhook`, `worker-1`, `worker-2`, … */
	name: string;
	role: QueueRole;
	/** HTTP port (main, webhook; a worker's is set but unused). */
	port: number;
	/** A worker's health server (`/healthz`, `/healthz/readiness`). */
	healthPort?: number;
	/** The URL polled for readiness. */
	readinessUrl: string;
	userFolder: string;
	logFile: string;
	/** `n8n <args>` and the full environment it runs with. */
	args: string[];
	env: Record<string, string>;
	/** The current OS process (replaced by `restartWorker`). */
	process: GroupProcess;
	/** Milliseconds from spawn to ready, per start (a restart adds one). */
	startupMs: number[];
}

export interface QueueModeProcesses {
	names(): string[];
	workers(): string[];
	get(name: string): QueueModeProcess;
	/** Signals the named process's group (default SIGKILL: a crash) and resolves once it has exited. */
	kill(name: string, signal?: NodeJS.Signals): Promise<void>;
	/** Stops the worker if it still runs (SIGTERM), starts it again with the same ports and env, waits until ready. */
	restartWorker(name: string): Promise<void>;
	/** Starts one more worker; resolves with its name once it is ready. */
	addWorker(): Promise<string>;
}

export interface QueueModeN8n extends RunningN8n {
	/** The webhook process's URL: production webhooks (`/webhook/...`) are served only there. */
	webhookBaseUrl: string;
	postgres: PostgresServer;
	redis: RedisServer;
	processes: QueueModeProcesses;
	/** Same as `processes.kill` (default SIGKILL). */
	killWorker(name: string, signal?: NodeJS.Signals): Promise<void>;
	restartWorker(name: string): Promise<void>;
	/** Which worker started each execution (from the workers' logs: "Worker started execution <id>"). */
	executionsByWorker(): Map<string, string[]>;
	workerOf(executionId: string): string | undefined;
	/** Milliseconds each part took to start, in order (postgres, redis, main, workers, webhook, total). */
	timings: Record<string, number>;
}

export interface QueueModeOptions {
	workers?: number;
	/** Jobs each worker runs at once (`n8n worker --concurrency`). n8n warns below 5. */
	concurrency?: number;
	/** Extra env for every n8n process (after the defaults). */
	env?: Record<string, string>;
	/** Extra env per role (after `env`). */
	roleEnv?: Partial<Record<QueueRole, Record<string, string>>>;
	/** Tarball to install as a community package (default: build and pack this repo). */
	tarball?: string;
	/** Keep the temporary folders after stop (logs, data). */
	keepTempDirs?: boolean;
	readyTimeoutMs?: number;
	/** PostgreSQL settings, e.g. `{ fsync: 'off' }` (default: PostgreSQL's own, durable). */
	postgresSettings?: Record<string, string>;
	/** How long `publish` waits for the webhook process to answer each path (default 60 s). */
	webhookTimeoutMs?: number;
}

/**
 * Settings every n8n process gets (before `options.env`, which may override them). Without them a
 * storm of Bitrix24 events is lost in the webhook process, not in this package (measured with
 * `npm run test:scale -- --deals=300 --only=storm`: 72–228 of 300 deals lost):
 * - n8n's PostgreSQL pool holds 2 connections by default. The webhook process needs one per
 *   request (workflow, credentials, the new execution) and every 2 s for its health ping; when the
 *   ping waits more than 5 s (`DB_PING_TIMEOUT_MS`) for a connection, n8n marks the database "not
 *   ready" and answers every webhook `503 Database is not ready!` until the next ping succeeds, and
 *   Bitrix24 never sends an event twice. Workers (10 executions at once) fail with pg-pool's
 *   "timeout exceeded when trying to connect" after 20 s (`DB_POSTGRESDB_CONNECTION_TIMEOUT`).
 * - n8n 2.x evaluates expressions in isolated-vm (`N8N_EXPRESSION_ENGINE=vm`) and by default takes
 *   a fresh isolate (a new V8 heap with lodash and luxon loaded) for every expression scope, even
 *   one with nothing to evaluate: each credential read and each webhook lookup. In the webhook
 *   process that was the largest CPU cost (a CPU profile: ~16 of ~68 busy seconds creating and
 *   disposing isolates, more on isolated-vm's own threads), which starved the ping above. Lazy
 *   acquisition creates an isolate only for an expression that needs one.
 */
export const QUEUE_MODE_TUNING: Record<string, string> = {
	DB_POSTGRESDB_POOL_SIZE: '10',
	N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true',
	// One database ping waiting 5 s (the default) for a connection of a busy pool marks the database
	// "not ready" and every webhook answers 503 until a later ping passes: survey answers refused.
	DB_PING_TIMEOUT_MS: '30000',
};

/** Starts PostgreSQL, Redis, the main process, the workers and the webhook process; resolves when all are ready. */
export async function startQueueModeN8n(options: QueueModeOptions = {}): Promise<QueueModeN8n> {
	const started = Date.now();
	const timings: Record<string, number> = {};
	const concurrency = options.concurrency ?? 10;
	const readyTimeoutMs = options.readyTimeoutMs ?? 240_000;
	const install: N8nInstall = n8nInstall();
	const root = tempDir('n8n-queue-');
	const tarball = options.tarball ?? packPackage(root);
	const sharedNodes = installPackage(join(root, 'shared'), tarball);
	timings.package = Date.now() - started;

	let postgres: PostgresServer | undefined;
	let redis: RedisServer | undefined;
	const processes = new Map<string, QueueModeProcess>();
	let stopped = false;

	const stopN8nProcesses = async () => {
		const all = [...processes.values()];
		// The webhook process first (no new executions), then the workers and the main together.
		await Promise.all(all.filter((p) => p.role === 'webhook').map((p) => p.process.stop('SIGTERM', 30_000)));
		await Promise.all(all.filter((p) => p.role !== 'webhook').map((p) => p.process.stop('SIGTERM', 30_000)));
	};
	const stop = async (keep = options.keepTempDirs) => {
		if (stopped) return;
		stopped = true;
		await stopN8nProcesses();
		await redis?.stop(keep);
		await postgres?.stop(keep);
		removeTempDir(root, keep);
	};

	try {
		let t = Date.now();
		// Both at once; both settled before going on, so a failure of one still stops the other.
		const [pgStarted, redisStarted] = await Promise.allSettled([
			startPostgres({ settings: options.postgresSettings }).then((server) => ((timings.postgres = Date.now() - t), (postgres = server))),
			startRedis().then((server) => ((timings.redis = Date.now() - t), (redis = server))),
		]);
		if (pgStarted.status === 'rejected') throw pgStarted.reason;
		if (redisStarted.status === 'rejected') throw redisStarted.reason;
		const pg = pgStarted.value;
		const rd = redisStarted.value;

		const encryptionKey = randomBytes(24).toString('hex');
		const mainPort = await freePort();
		const webhookPort = await freePort();
		const mainUrl = `http://127.0.0.1:${mainPort}`;
		const webhookBaseUrl = `http://127.0.0.1:${webhookPort}`;

		const envFor = (role: QueueRole, userFolder: string, port: number, brokerPort: number, healthPort?: number): Record<string, string> => ({
			...n8nEnv(install, { userFolder, port, brokerPort, encryptionKey, webhookUrl: `${webhookBaseUrl}/`, owner: role === 'main' }),
			N8N_EDITOR_BASE_URL: `${mainUrl}/`,
			...pg.n8nEnv,
			...rd.n8nEnv,
			EXECUTIONS_MODE: 'queue',
			...QUEUE_MODE_TUNING,
			...(role === 'main' ? { N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true' } : {}),
			...(role === 'worker' ? { QUEUE_HEALTH_CHECK_ACTIVE: 'true', QUEUE_HEALTH_CHECK_PORT: String(healthPort), N8N_WORKER_SERVER_ADDRESS: '127.0.0.1' } : {}),
			...options.env,
			...options.roleEnv?.[role],
		});

		/** A process's own user folder (the shared installed package linked in), ports, env and command. */
		const define = async (name: string, role: QueueRole, port?: number): Promise<Omit<QueueModeProcess, 'process'>> => {
			const userFolder = join(root, name);
			mkdirSync(join(userFolder, '.n8n'), { recursive: true });
			symlinkSync(sharedNodes, join(userFolder, '.n8n', 'nodes'));
			const httpPort = port ?? (await freePort());
			const healthPort = role === 'worker' ? await freePort() : undefined;
			const env = envFor(role, userFolder, httpPort, await freePort(), healthPort);
			const args = role === 'main' ? ['start'] : role === 'webhook' ? ['webhook'] : ['worker', `--concurrency=${concurrency}`];
			const logFile = join(root, `${name}.log`);
			writeFileSync(logFile, '');
			const readinessUrl = `http://127.0.0.1:${healthPort ?? httpPort}/healthz/readiness`;
			return { name, role, port: httpPort, healthPort, readinessUrl, userFolder, logFile, args, env, startupMs: [] };
		};
		/** Spawns (or respawns) a defined process and waits until it is ready. */
		const launch = async (definition: Omit<QueueModeProcess, 'process'>): Promise<QueueModeProcess> => {
			const t0 = Date.now();
			const record: QueueModeProcess = Object.assign(definition, {
				process: track(spawnN8n(install, definition.args, { name: definition.name, env: definition.env, logFile: definition.logFile })),
			});
			processes.set(record.name, record);
			await waitForReady(record.readinessUrl, record.process, readyTimeoutMs);
			record.startupMs.push(Date.now() - t0);
			return record;
		};

		// The main first: it runs the migrations the others rely on.
		t = Date.now();
		const main = await launch(await define('main', 'main', mainPort));
		timings.main = Date.now() - t;

		t = Date.now();
		const workerCount = options.workers ?? 2;
		const workers = await Promise.all(Array.from({ length: workerCount }, (_, i) => define(`worker-${i + 1}`, 'worker')));
		const webhook = await define('webhook', 'webhook', webhookPort);
		await Promise.all([
			...workers.map(async (w) => {
				await launch(w);
				timings[w.name] = Date.now() - t;
			}),
			launch(webhook).then(() => (timings.webhook = Date.now() - t)),
		]);
		timings.total = Date.now() - started;

		const session = await connectToN8n(mainUrl, { webhookBaseUrl, webhookTimeoutMs: options.webhookTimeoutMs ?? 60_000 });

		const get = (name: string) => {
			const record = processes.get(name);
			if (!record) throw new Error(`No n8n process named ${name} (have: ${[...processes.keys()].join(', ')})`);
			return record;
		};
		const kill = async (name: string, signal: NodeJS.Signals = 'SIGKILL') => {
			const record = get(name);
			record.process.signal(signal);
			await record.process.exited;
			// Children the leader left behind (its task runner) go too.
			record.process.signal('SIGKILL');
		};
		const restartWorker = async (name: string) => {
			const record = get(name);
			if (record.role !== 'worker') throw new Error(`${name} is not a worker`);
			if (record.process.running()) await record.process.stop('SIGTERM', 30_000);
			else record.process.signal('SIGKILL');
			appendFileSync(record.logFile, `\n===== ${name} restarted at ${new Date().toISOString()} =====\n`);
			await launch(record);
		};
		const addWorker = async () => {
			const name = `worker-${[...processes.values()].filter((p) => p.role === 'worker').length + 1}`;
			await launch(await define(name, 'worker'));
			return name;
		};
		const executionsByWorker = () => {
			const byWorker = new Map<string, string[]>();
			for (const record of processes.values()) {
				if (record.role !== 'worker') continue;
				const text = readFileSync(record.logFile, 'utf8');
				byWorker.set(record.name, [...text.matchAll(/Worker started execution (\S+) \(job/g)].map((m) => m[1]));
			}
			return byWorker;
		};
		const workerOf = (executionId: string) => {
			for (const [name, ids] of executionsByWorker()) if (ids.includes(String(executionId))) return name;
			return undefined;
		};
		const logs = () =>
			[...processes.values()]
				.map((p) => {
					let text = '';
					try {
						text = readFileSync(p.logFile, 'utf8');
					} catch {
						text = '(no log)';
					}
					return `===== ${p.name} (${p.role}) =====\n${text}`;
				})
				.join('\n');

		const processesApi: QueueModeProcesses = {
			names: () => [...processes.keys()],
			workers: () => [...processes.values()].filter((p) => p.role === 'worker').map((p) => p.name),
			get,
			kill,
			restartWorker,
			addWorker,
		};
		return {
			baseUrl: mainUrl,
			webhookBaseUrl,
			userFolder: main.userFolder,
			logFile: main.logFile,
			...session,
			logs,
			stop,
			postgres: pg,
			redis: rd,
			processes: processesApi,
			killWorker: kill,
			restartWorker,
			executionsByWorker,
			workerOf,
			timings,
		};
	} catch (error) {
		await stop(options.keepTempDirs);
		throw error;
	}
}
