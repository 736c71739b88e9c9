import { describe, expect, it } from 'vitest';
import { originIsOwn } from '../../src/http/dashboard/session.js';

// The Origin check on dashboard forms and on the terminal's WebSocket upgrade.
describe('originIsOwn', () => {
  it("accepts the request's own host, whatever the scheme (a TLS proxy in front)", () => {
    expect(originIsOwn('http://127.0.0.1:8080', undefined, '127.0.0.1:8080')).toBe(true);
    expect(originIsOwn('https://berth.example.com', undefined, 'berth.example.com')).toBe(true);
  });

  it('refuses another host, another port, a missing, opaque or malformed Origin', () => {
    expect(originIsOwn('http://evil.example', undefined, '127.0.0.1:8080')).toBe(false);
    expect(originIsOwn('http://127.0.0.1:9999', undefined, '127.0.0.1:8080')).toBe(false);
    expect(originIsOwn(undefined, undefined, '127.0.0.1:8080')).toBe(false);
    expect(originIsOwn('null', undefined, '127.0.0.1:8080')).toBe(false);
    expect(originIsOwn('not a url', undefined, '127.0.0.1:8080')).toBe(false);
    expect(originIsOwn('http://127.0.0.1:8080', undefined, undefined)).toBe(false);
  });

  it('follows BERTH_PUBLIC_URL when set, with or without a scheme', () => {
    expect(originIsOwn('https://berth.example.com', 'https://berth.example.com/base', 'internal:8080')).toBe(true);
    expect(originIsOwn('https://berth.example.com', 'berth.example.com', 'internal:8080')).toBe(true);
    expect(originIsOwn('http://internal:8080', 'https://berth.example.com', 'internal:8080')).toBe(false);
  });
});
