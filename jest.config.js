/** Jest projects: `unit` (core and sandbox, fast) and `e2e` (the real n8n, slow, one at a time). */
const base = {
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
		// @bitrix24/b24jssdk's CommonJS build requires qs-esm, which ships only as ES modules.
		'/node_modules/qs-esm/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, isolatedModules: true } }],
	},
	transformIgnorePatterns: ['/node_modules/(?!qs-esm/)'],
	testEnvironment: 'node',
	moduleFileExtensions: ['ts', 'js', 'json'],
	modulePathIgnorePatterns: ['<rootDir>/dist/'],
};

module.exports = {
	projects: [
		{ ...base, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
		{ ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
	],
};
