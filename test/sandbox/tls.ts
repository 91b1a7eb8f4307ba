/* eslint-disable @n8n/community-nodes/no-restricted-imports, @n8n/community-nodes/no-dangerous-functions -- test tooling: makes a throwaway certificate with openssl, never inside n8n */
/**
 * A throwaway self-signed certificate for sandbox servers on 127.0.0.1, made with openssl once
 * per process. Bitrix24 refuses inbound webhooks over plain http, so the sandbox speaks https.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let cached: { key: string; cert: string } | undefined;

export function localCertificate(): { key: string; cert: string } {
	if (cached) return cached;
	const dir = mkdtempSync(join(tmpdir(), 'sandbox-tls-'));
	const key = join(dir, 'key.pem');
	const cert = join(dir, 'cert.pem');
	execFileSync(
		'openssl',
		['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '7', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
		{ stdio: 'ignore' },
	);
	cached = { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
	return cached;
}
