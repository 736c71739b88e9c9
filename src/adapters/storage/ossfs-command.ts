import type { OssfsCredentials, OssfsSpec } from '../../domain/volumes/mounter-port.js';

/**
 * Upstream's command lines (DESIGN.md upstream §8.5), built as argument arrays. The credentials go only to
 * the file content, never into the arguments, so they never show in /proc/<pid>/cmdline.
 *  1.0: ossfs <bucket>[:/<prefix>] <mountpoint> -o url=<endpoint> -o passwd_file=<file> [-o <option>]...
 *       file: "<bucket>:<accessKeyId>:<accessKeySecret>"
 *  2.0: ossfs2 mount <mountpoint> -c <conf>
 *       conf: --oss_endpoint=, --oss_bucket=, --oss_access_key_id=, --oss_access_key_secret=,
 *             [--oss_bucket_prefix=<prefix>/], then --<option> per option, one per line
 */
export type OssfsCommand = { bin: string; args: string[]; credentialFile: string };

export function ossfsCommand(
  bins: { ossfsBin: string; ossfs2Bin: string },
  mountPoint: string,
  spec: OssfsSpec,
  creds: OssfsCredentials,
  credentialPath: string,
): OssfsCommand {
  if (spec.version === '1.0') {
    const source = spec.prefix ? `${spec.bucket}:/${spec.prefix}` : spec.bucket;
    return {
      bin: bins.ossfsBin,
      args: [source, mountPoint, '-o', `url=${spec.endpoint}`, '-o', `passwd_file=${credentialPath}`, ...spec.options.flatMap((o) => ['-o', o])],
      credentialFile: `${spec.bucket}:${creds.accessKeyId}:${creds.accessKeySecret}\n`,
    };
  }
  const lines = [
    `--oss_endpoint=${spec.endpoint}`,
    `--oss_bucket=${spec.bucket}`,
    `--oss_access_key_id=${creds.accessKeyId}`,
    `--oss_access_key_secret=${creds.accessKeySecret}`,
    ...(spec.prefix ? [`--oss_bucket_prefix=${spec.prefix}/`] : []),
    ...spec.options.map((o) => `--${o}`),
  ];
  return { bin: bins.ossfs2Bin, args: ['mount', mountPoint, '-c', credentialPath], credentialFile: `${lines.join('\n')}\n` };
}

/** fusermount for libfuse2 tools (ossfs 1.0), fusermount3 for ossfs 2.0; plain umount as the fallback. */
export function unmountCommands(version: OssfsSpec['version'], mountPoint: string): { bin: string; args: string[] }[] {
  const first = version === '1.0' ? 'fusermount' : 'fusermount3';
  return [
    { bin: first, args: ['-u', mountPoint] },
    { bin: 'umount', args: [mountPoint] },
  ];
}
