/* eslint-disable no-console, @n8n/community-nodes/no-restricted-globals -- a command-line benchmark: prints its figures, reads its arguments, sets its exit code */
/**
 * `npm run bench -- <name>` runs one benchmark (`npm run bench` runs them all).
 * Each prints its figures and, last, a `<name>_...=<number>` line.
 */

const BENCHMARKS: Record<string, () => Promise<void>> = {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	bitrix24: async () => (require('./bitrix24') as { main: () => Promise<void> }).main(),
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	'bitrix24-nodes': async () => (require('./bitrix24Nodes') as { main: () => Promise<void> }).main(),
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	send: async () => (require('./send') as { main: () => Promise<void> }).main(),
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	page: async () => (require('./page') as { main: () => Promise<void> }).main(),
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	redirect: async () => (require('./redirect') as { main: () => Promise<void> }).main(),
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	aggregate: async () => (require('./aggregate') as { main: () => Promise<void> }).main(),
};

async function run(): Promise<void> {
	const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
	const names = wanted.length ? wanted : Object.keys(BENCHMARKS);
	for (const name of names) {
		const benchmark = BENCHMARKS[name];
		if (!benchmark) {
			console.error(`Unknown benchmark "${name}". Known: ${Object.keys(BENCHMARKS).join(', ')}`);
			process.exit(2);
		}
		await benchmark();
	}
}

run().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
