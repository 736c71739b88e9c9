import type { WebhookTransport } from '../../domain/webhooks/transport.js';
import { dnsResolver } from './dns-resolver.js';
import { fetchSender } from './sender.js';

/** The production webhook transport: global fetch (no redirects) and the system resolver. */
export const networkTransport: WebhookTransport = { send: fetchSender, resolve: dnsResolver };
