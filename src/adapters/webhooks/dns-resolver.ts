import { lookup } from 'node:dns/promises';
import type { Resolver } from '../../domain/webhooks/transport.js';

/** Every address the system resolver gives for a host (A and AAAA), as fetch would see them. */
export const dnsResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
