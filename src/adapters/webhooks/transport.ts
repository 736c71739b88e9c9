import type { Resolver, WebhookTransport } from '../../domain/webhooks/transport.js';
import { dnsResolver } from './dns-resolver.js';
import { createHttpSender } from './sender.js';

export type NetworkTransportOptions = {
  /** config.webhookAllowPrivate: the connect-time check must apply the same policy as the domain's */
  allowPrivate: boolean;
  /** how the sender resolves host names when it connects; tests inject one to play a rebinding DNS server */
  lookup?: Resolver;
};

/** The production webhook transport: a node:http(s) sender that checks addresses at connect time, and the system resolver. */
export function createNetworkTransport(opts: NetworkTransportOptions): WebhookTransport {
  return { send: createHttpSender({ allowPrivate: opts.allowPrivate, lookup: opts.lookup ?? dnsResolver }), resolve: dnsResolver };
}
