import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { isDisallowedAddress } from '../../domain/webhooks/address-policy.js';
import type { Resolver } from '../../domain/webhooks/transport.js';

/** Raised (through the socket) when a host resolves to an address the SSRF policy refuses. */
export class AddressNotAllowedError extends Error {
  readonly code = 'EADDRNOTALLOWED';
  constructor() {
    super('address not allowed'); // fixed text: the host and its addresses stay out of logs and attempt records
  }
}

/**
 * A `lookup` for net/http/https that resolves the host itself and judges the answer before the socket
 * connects. This is what closes the DNS-rebinding window: the up-front check in the domain and the
 * connection would otherwise each resolve the name, and a hostile DNS server could answer differently.
 * Every address is judged, not only the one net picks, the same rule checkWebhookUrl applies.
 *
 * Node never calls `lookup` for an IP-literal host; the sender checks those itself.
 */
export function guardedLookup(allowPrivate: boolean, resolve: Resolver): LookupFunction {
  return (host, options, callback) => {
    resolve(host).then(
      (found) => {
        // net asks for one family when the caller pinned it (`family: 4|6`); 0/undefined means either
        const family = options.family === 4 || options.family === 6 ? options.family : 0;
        const all = found.map((address) => ({ address, family: isIP(address) })).filter((a) => a.family !== 0 && (family === 0 || a.family === family));
        if (all.length === 0) return callback(Object.assign(new Error('no address'), { code: 'ENOTFOUND' }), '', 0);
        if (!allowPrivate && found.some(isDisallowedAddress)) return callback(new AddressNotAllowedError(), '', 0);
        // with autoSelectFamily (Node's default) net asks for all addresses and tries them in turn
        if (options.all) return callback(null, all);
        callback(null, all[0]!.address, all[0]!.family);
      },
      (err: unknown) => callback(err as NodeJS.ErrnoException, '', 0),
    );
  };
}
