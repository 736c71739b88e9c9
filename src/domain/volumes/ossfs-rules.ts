import { invalid } from '../errors.js';
import type { OssfsSpec, OssfsVersion } from './mounter-port.js';

// ossfs fields, checked for what the tool itself would misread, not for shell metacharacters: berth never
// runs a shell (DESIGN.md invariant 8). What the tools misread:
//  - a leading '-' (an option would become a flag);
//  - a newline or other control character (ossfs2 reads one `--key=value` per line of its config file;
//    ossfs 1.0 reads `bucket:ak:sk` lines from its passwd file);
//  - a ',' in ossfs 1.0 options and in the url (FUSE splits `-o a,b` into two options);
//  - an option that sets what berth sets itself (url, passwd_file, oss_*): it would override the
//    endpoint or the credentials, e.g. point passwd_file at the host's own credentials.

const CONTROL = /[\u0000-\u001f\u007f]/;
const BUCKET = /^[a-z0-9]([a-z0-9-]{1,61}[a-z0-9])?$/;
const RESERVED_OPTIONS = new Set([
  'url',
  'passwd_file',
  'c',
  'conf',
  'oss_endpoint',
  'oss_bucket',
  'oss_access_key_id',
  'oss_access_key_secret',
  'oss_bucket_prefix',
  'credential_process',
]);

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** Upstream's shared ossfs checks (bucket, endpoint, options, credentials present), plus berth's option rules. */
export function checkOssfsShared(name: string, b: Record<string, unknown>) {
  const bucket = str(b.bucket).trim();
  if (!bucket) throw invalid('VOLUME::INVALID_OSSFS_BUCKET', 'OSSFS bucket cannot be empty.');
  const endpoint = str(b.endpoint).trim();
  if (!endpoint) throw invalid('VOLUME::INVALID_OSSFS_ENDPOINT', 'OSSFS endpoint cannot be empty.');
  if (b.options !== undefined && b.options !== null && !Array.isArray(b.options))
    throw invalid('VOLUME::INVALID_OSSFS_OPTION', 'OSSFS options must be a list of strings.');
  const options = ((b.options as unknown[] | null | undefined) ?? []).map((opt) => {
    if (typeof opt !== 'string' || !opt.trim()) throw invalid('VOLUME::INVALID_OSSFS_OPTION', 'OSSFS options must be non-empty strings.');
    const o = opt.trim();
    if (o.startsWith('-'))
      throw invalid('VOLUME::INVALID_OSSFS_OPTION', "OSSFS options must be raw option payloads without '-' prefix (e.g. 'allow_other', 'uid=1000').");
    if (CONTROL.test(o)) throw invalid('VOLUME::INVALID_OSSFS_OPTION', `Volume '${name}': OSSFS options must not contain newlines or control characters.`);
    for (const part of o.split(',')) {
      const key = part.split('=')[0]!.trim().replace(/^-+/, '');
      if (RESERVED_OPTIONS.has(key))
        throw invalid('VOLUME::INVALID_OSSFS_OPTION', `Volume '${name}': OSSFS option '${key}' is set by the server and cannot be given.`);
    }
    return o;
  });
  const accessKeyId = str(b.accessKeyId);
  const accessKeySecret = str(b.accessKeySecret);
  if (!accessKeyId || !accessKeySecret)
    throw invalid('VOLUME::INVALID_OSSFS_CREDENTIALS', 'OSSFS inline credentials are required: accessKeyId and accessKeySecret must be provided.');
  // Never echo a credential in the message: it reaches clients and logs.
  if ([accessKeyId, accessKeySecret].some((c) => CONTROL.test(c) || c.includes(':')))
    throw invalid('VOLUME::INVALID_OSSFS_CREDENTIALS', `Volume '${name}': OSSFS credentials must not contain ':' or control characters.`);
  return { bucket, endpoint, version: b.version, options, accessKeyId, accessKeySecret };
}

/** The mount-time checks (upstream ossfs_mixin.py), after the shared ones: version, bucket name, endpoint. */
export function resolveOssfsSpec(
  name: string,
  o: { bucket: string; endpoint: string; version: unknown; options: string[] },
  subPath: string | null,
): OssfsSpec {
  const version = o.version === undefined || o.version === null ? '2.0' : o.version;
  if (version !== '1.0' && version !== '2.0')
    throw invalid('VOLUME::INVALID_OSSFS_VERSION', `Volume '${name}': unsupported OSSFS version '${String(version)}' (supported: 1.0, 2.0).`);
  if (!BUCKET.test(o.bucket)) throw invalid('SANDBOX::INVALID_PARAMETER', `Volume '${name}': invalid OSS bucket name '${o.bucket}'.`);
  return {
    version: version as OssfsVersion,
    bucket: o.bucket,
    prefix: normalizePrefixPath(subPath),
    endpoint: normalizeEndpoint(name, o.endpoint),
    options: o.options,
  };
}

/** 'a//b/./c/' -> 'a/b/c'. subPath was already checked for '..' and a leading '/'. */
export function normalizePrefixPath(subPath: string | null): string {
  if (!subPath) return '';
  return subPath
    .split('/')
    .filter((p) => p !== '' && p !== '.')
    .join('/');
}

export function normalizeEndpoint(name: string, endpoint: string): string {
  const bad = () =>
    invalid(
      'SANDBOX::INVALID_PARAMETER',
      `Volume '${name}': invalid OSSFS endpoint; expected a host name or an http(s) URL without spaces, commas or credentials.`,
    );
  if (CONTROL.test(endpoint) || /[\s,]/.test(endpoint) || endpoint.startsWith('-')) throw bad();
  // A scheme other than http(s) (`file:///etc`) would otherwise pass as a host named "file"; `host:port` is no scheme.
  const scheme = /^([a-z][a-z0-9+.-]*):(?!\d+(?:\/|$))/i.exec(endpoint)?.[1];
  if (scheme !== undefined && !/^https?$/i.test(scheme)) throw bad();
  const withScheme = /^https?:\/\//i.test(endpoint) ? endpoint : `https://${endpoint}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw bad();
  }
  if (!url.hostname || url.username || url.password || url.search || url.hash) throw bad();
  return withScheme.replace(/\/+$/, '');
}
