export { Bitrix24Sandbox, startBitrix24Sandbox } from './sandbox';
export type { Bitrix24SandboxOptions, FaultKind, FaultRule, RandomFaults, RequestLogEntry } from './sandbox';
export type { SeedBranch, SeedOptions, SeedSummary } from './seed';
export { Portal } from './portal';
