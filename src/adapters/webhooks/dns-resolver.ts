import { lookup } from 'node:dns/promises';
import type { Resolver } from '../../domain/webhooks/transport.js';

/** Every address the system resolver gives for a host (A and AAAA): the up-front check and the sender's connect-time lookup both use it. */
export const dnsResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
