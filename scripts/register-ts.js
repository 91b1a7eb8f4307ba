'use strict';
// Lets Node require .ts files (demo, benchmarks, sandbox) without a build step: a require hook
// that transpiles with the project's own TypeScript compiler.
const fs = require('node:fs');
const ts = require('typescript');

if (!require.extensions['.ts']) {
	require.extensions['.ts'] = (module, filename) => {
		const source = fs.readFileSync(filename, 'utf8');
		const { outputText } = ts.transpileModule(source, {
			fileName: filename,
			compilerOptions: {
				module: ts.ModuleKind.CommonJS,
				target: ts.ScriptTarget.ES2022,
				esModuleInterop: true,
				resolveJsonModule: true,
				inlineSourceMap: true,
			},
		});
		module._compile(outputText, filename);
	};
}

// `require('./X.node')` must find X.node.ts before the codex file X.node.json: Node tries the
// extensions in the order they were registered, so .ts goes first.
for (const extension of ['.js', '.json', '.node']) {
	const handler = require.extensions[extension];
	delete require.extensions[extension];
	require.extensions[extension] = handler;
}
