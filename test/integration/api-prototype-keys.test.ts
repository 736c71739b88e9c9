import { describe, expect, it } from 'vitest';
import { createBody, DB_KINDS } from '../helpers/app.js';
import { appWithSandbox, expect400 } from '../helpers/app-with-sandbox.js';

// Metadata keys that name prototype machinery. JSON.parse keeps `"__proto__"` as an own key, but the
// schema's parse used to drop it silently (assigned, it sets the prototype): now the label rule refuses
// it, as `constructor` and `prototype`, on create and PATCH, leaving nothing half-made, and in the list filter.
// Bodies are written as JSON text: a JS object literal `{ __proto__: ... }` would set a prototype instead.

const LABEL = 'SANDBOX::INVALID_METADATA_LABEL';

describe.each(DB_KINDS)('prototype keys in metadata on %s', (kind) => {
  const s = appWithSandbox(kind, createBody({ metadata: { keep: 'me' } }));

  const withMetadata = (metadataJson: string) => JSON.stringify(createBody({ metadata: 'PLACEHOLDER' })).replace('"PLACEHOLDER"', metadataJson);

  it.each([
    ['__proto__ with an object', '{"__proto__": {"team": "ml"}}', '__proto__'],
    ['__proto__ with a string', '{"ok": "v", "__proto__": "x"}', '__proto__'],
    ['constructor', '{"constructor": "x"}', 'constructor'],
    ['prototype', '{"prototype": "x"}', 'prototype'],
  ])('create: %s', async (_label, metadata, key) => {
    const rows = await s.t.countRows();
    await expect400(await s.t.call('POST', '/v1/sandboxes', withMetadata(metadata)), LABEL, `'${key}'`);
    expect(await s.t.countRows()).toBe(rows);
    expect(s.t.runtime.count).toBe(1);
  });

  it.each([
    ['__proto__', '{"__proto__": {"team": "ml"}}'],
    ['__proto__ null', '{"a": "b", "__proto__": null}'],
    ['constructor', '{"constructor": "x"}'],
    ['prototype', '{"prototype": null}'],
  ])('patch: %s, all-or-nothing', async (key, body) => {
    await expect400(await s.t.call('PATCH', `/v1/sandboxes/${s.sandboxId}/metadata`, body), LABEL, `'${key.split(' ')[0]}'`);
    expect((await (await s.t.call('GET', `/v1/sandboxes/${s.sandboxId}`)).json()).metadata).toEqual({ keep: 'me' });
  });

  // The list filter is one parameter holding `k=v&k2=v2`: a dropped `__proto__` pair would widen the filter
  // to every sandbox (here the one labelled keep=me), so it is refused like the label rules refuse it.
  it.each([
    ['__proto__', '__proto__%3Dx'],
    ['__proto__', 'keep%3Dme%26__proto__%3Dx'],
    ['__proto__', '__proto__%3D'],
    ['__proto__', '__pro%2574o__%3Dx'], // the key is percent-decoded once more: __pro%74o__ -> __proto__
    ['constructor', 'constructor%3Dx'],
    ['prototype', 'prototype%3Dx'],
  ])('list filter: %s (?metadata=%s)', async (key, filter) => {
    await expect400(await s.t.call('GET', `/v1/sandboxes?metadata=${filter}`), LABEL, `'${key}'`);
  });

  it('list filter: an ordinary key still filters', async () => {
    const res = await s.t.call('GET', '/v1/sandboxes?metadata=keep%3Dme');
    expect(res.status).toBe(200);
    expect((await res.json()).items.map((item: { id: string }) => item.id)).toEqual([s.sandboxId]);
  });
});
