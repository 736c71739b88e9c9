import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, createBody, DB_KINDS, type TestApp } from '../helpers/app.js';

// Metadata keys that name prototype machinery. JSON.parse keeps `"__proto__"` as an own key, but the
// schema's parse used to drop it silently (assigned, it sets the prototype): now the label rule refuses
// it, as `constructor` and `prototype`, on create and PATCH, leaving nothing half-made, and in the list filter.
// Bodies are written as JSON text: a JS object literal `{ __proto__: ... }` would set a prototype instead.

const LABEL = 'SANDBOX::INVALID_METADATA_LABEL';

describe.each(DB_KINDS)('prototype keys in metadata on %s', (kind) => {
  let t: TestApp;
  let sandboxId: string;
  beforeAll(async () => {
    t = await buildTestApp(kind);
    sandboxId = (await (await t.call('POST', '/v1/sandboxes', createBody({ metadata: { keep: 'me' } }))).json()).id;
  });
  afterAll(async () => {
    await t?.close();
  });

  const withMetadata = (metadataJson: string) => JSON.stringify(createBody({ metadata: 'PLACEHOLDER' })).replace('"PLACEHOLDER"', metadataJson);

  it.each([
    ['__proto__ with an object', '{"__proto__": {"team": "ml"}}', '__proto__'],
    ['__proto__ with a string', '{"ok": "v", "__proto__": "x"}', '__proto__'],
    ['constructor', '{"constructor": "x"}', 'constructor'],
    ['prototype', '{"prototype": "x"}', 'prototype'],
  ])('create: %s', async (_label, metadata, key) => {
    const rows = await t.countRows();
    const res = await t.call('POST', '/v1/sandboxes', withMetadata(metadata));
    const text = await res.text();
    expect(res.status, text).toBe(400);
    expect(JSON.parse(text)).toEqual({ code: LABEL, message: expect.stringContaining(`'${key}'`) });
    expect(await t.countRows()).toBe(rows);
    expect(t.runtime.count).toBe(1);
  });

  it.each([
    ['__proto__', '{"__proto__": {"team": "ml"}}'],
    ['__proto__ null', '{"a": "b", "__proto__": null}'],
    ['constructor', '{"constructor": "x"}'],
    ['prototype', '{"prototype": null}'],
  ])('patch: %s, all-or-nothing', async (key, body) => {
    const res = await t.call('PATCH', `/v1/sandboxes/${sandboxId}/metadata`, body);
    const text = await res.text();
    expect(res.status, text).toBe(400);
    expect(JSON.parse(text)).toEqual({ code: LABEL, message: expect.stringContaining(`'${key.split(' ')[0]}'`) });
    expect((await (await t.call('GET', `/v1/sandboxes/${sandboxId}`)).json()).metadata).toEqual({ keep: 'me' });
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
    const res = await t.call('GET', `/v1/sandboxes?metadata=${filter}`);
    const text = await res.text();
    expect(res.status, text).toBe(400);
    expect(JSON.parse(text)).toEqual({ code: LABEL, message: expect.stringContaining(`'${key}'`) });
  });

  it('list filter: an ordinary key still filters', async () => {
    const res = await t.call('GET', '/v1/sandboxes?metadata=keep%3Dme');
    expect(res.status).toBe(200);
    expect((await res.json()).items.map((s: { id: string }) => s.id)).toEqual([sandboxId]);
  });
});
