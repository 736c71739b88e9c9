/**
 * Every wire code berth answers, in one table: the kinds of failure it is raised for (the kind decides the HTTP
 * status, in src/http/errors.ts) and what it means. The error helpers in ./errors.ts accept only a code listed
 * here for their kind, so a new code is a compile error until it is written down; the OpenAPI document lists a
 * route's codes from this table (errorResponses in src/http/errors.ts).
 *
 * Namespaced codes (`DOCKER::`, `SANDBOX::`, `VOLUME::`) are upstream OpenSandbox's lifecycle codes where one exists;
 * the bare codes are upstream execd's, which the SDK's command and file calls see (src/DESIGN.md, execd).
 */
export type ErrorKind =
  | 'invalid' // 400
  | 'unauthenticated' // 401
  | 'not_found' // 404
  | 'request_timeout' // 408: the request did not arrive in time (Node's own HTTP layer)
  | 'conflict' // 409
  | 'too_large' // 413
  | 'unsupported_media' // 415
  | 'unsatisfiable_range' // 416
  | 'headers_too_large' // 431 (Node's own HTTP layer)
  | 'runtime' // 500: Docker, a mount tool or another dependency failed
  | 'not_implemented' // 501
  | 'upstream' // 502: a sandbox's own service (behind the server proxy) could not be reached
  | 'unavailable'; // 503: the database or the engine is unreachable

type Entry = { readonly kinds: readonly ErrorKind[]; readonly meaning: string };

export const ERROR_CODES = {
  // Requests in general
  'GENERAL::NOT_FOUND': { kinds: ['not_found'], meaning: 'No route answers this method and path.' },
  'GENERAL::PAYLOAD_TOO_LARGE': { kinds: ['too_large'], meaning: 'The request body is larger than this route accepts.' },
  'GENERAL::UNSUPPORTED_MEDIA_TYPE': { kinds: ['unsupported_media'], meaning: 'The body has a content type this route does not read.' },
  'GENERAL::UNKNOWN_ERROR': { kinds: ['runtime'], meaning: 'An unexpected failure; the log has the details under the request id.' },
  'GENERAL::MALFORMED_REQUEST': { kinds: ['invalid'], meaning: 'The request is not valid HTTP/1.1 (answered by the HTTP layer itself).' },
  'GENERAL::HEADERS_TOO_LARGE': { kinds: ['headers_too_large'], meaning: "The request's headers exceed the server's limit." },
  'GENERAL::REQUEST_TIMEOUT': { kinds: ['request_timeout'], meaning: 'The request did not arrive whole within the server timeout.' },
  MISSING_API_KEY: { kinds: ['unauthenticated'], meaning: 'No OPEN-SANDBOX-API-KEY header was sent.' },
  INVALID_API_KEY: { kinds: ['unauthenticated'], meaning: 'The OPEN-SANDBOX-API-KEY header does not match.' },

  // Sandboxes
  'SANDBOX::INVALID_PARAMETER': { kinds: ['invalid'], meaning: 'A parameter or body field is missing, of the wrong type or out of range.' },
  'SANDBOX::INVALID_METADATA_LABEL': { kinds: ['invalid'], meaning: 'A metadata key or value breaks the label rules.' },
  INVALID_METADATA_LABEL: { kinds: ['invalid'], meaning: 'A PATCH sets a key with the reserved prefix (upstream names it without SANDBOX::).' },
  INVALID_METADATA_FORMAT: { kinds: ['invalid'], meaning: 'The ?metadata= filter is not a list of key=value segments.' },
  'SANDBOX::API_NOT_SUPPORTED': { kinds: ['invalid'], meaning: 'The request asks for something this runtime does not offer.' },
  'SANDBOX::PROXY_OTHER_HOST': { kinds: ['conflict'], meaning: 'The sandbox runs on another host; ask the server there.' },
  'SANDBOX::PROXY_UPSTREAM_UNAVAILABLE': { kinds: ['upstream'], meaning: 'The sandbox port did not accept the proxied connection.' },
  'DOCKER::SANDBOX_NOT_FOUND': { kinds: ['not_found'], meaning: 'No sandbox with this id (or it has been deleted).' },
  'DOCKER::SANDBOX_NOT_RUNNING': { kinds: ['conflict'], meaning: 'The operation needs a Running sandbox.' },
  'DOCKER::SANDBOX_NOT_PAUSED': { kinds: ['conflict'], meaning: 'Resume needs a Paused sandbox.' },
  'DOCKER::INVALID_ENTRYPOINT': { kinds: ['invalid'], meaning: 'The entrypoint is empty or not a list of strings.' },
  'DOCKER::INVALID_EXPIRATION': {
    kinds: ['invalid', 'conflict'],
    meaning: 'The new expiry is not in the future (400), or the sandbox has no expiry or is being deleted (409).',
  },
  'DOCKER::INVALID_PORT': { kinds: ['invalid'], meaning: 'The port is not an integer from 1 to 65535.' },
  'DOCKER::INITIALIZATION_ERROR': { kinds: ['unavailable'], meaning: 'The Docker engine is not reachable.' },
  'DOCKER::ENGINE_UNREACHABLE': { kinds: ['unavailable'], meaning: 'The Docker engine stopped answering (its socket refuses or is gone); try again.' },
  'DATABASE::UNAVAILABLE': { kinds: ['unavailable'], meaning: 'The database connection was lost or refused; try again shortly.' },
  'DOCKER::NETWORK_MODE_ENDPOINT_UNAVAILABLE': { kinds: ['runtime'], meaning: 'The container has no address for this endpoint in its network mode.' },
  'DOCKER::SANDBOX_IMAGE_PULL_FAILED': { kinds: ['runtime'], meaning: 'The image could not be pulled: the registry is unreachable or failed.' },
  'DOCKER::IMAGE_NOT_FOUND': { kinds: ['invalid'], meaning: 'The registry answered that it has no such image (repository or tag).' },
  'DOCKER::IMAGE_PULL_UNAUTHORIZED': {
    kinds: ['invalid'],
    meaning: 'The registry refused the pull: image.auth is missing or wrong, or may not read the image.',
  },
  'DOCKER::SANDBOX_START_FAILED': { kinds: ['runtime'], meaning: 'The container could not be created or started.' },
  'DOCKER::SANDBOX_DELETE_FAILED': { kinds: ['runtime'], meaning: 'The container could not be removed.' },
  'DOCKER::SANDBOX_PAUSE_FAILED': { kinds: ['runtime'], meaning: 'The engine refused to pause the container.' },
  'DOCKER::SANDBOX_RESUME_FAILED': { kinds: ['runtime'], meaning: 'The engine refused to unpause the container.' },
  'DOCKER::SANDBOX_QUERY_FAILED': { kinds: ['runtime'], meaning: 'The engine could not be asked about the container.' },
  'DOCKER::SANDBOX_SNAPSHOT_FAILED': { kinds: ['runtime'], meaning: 'docker commit of the container failed.' },
  'DOCKER::SNAPSHOT_IMAGE_REMOVE_FAILED': { kinds: ['runtime'], meaning: "A snapshot's image could not be removed." },

  // Snapshots
  'SNAPSHOT::NOT_FOUND': { kinds: ['not_found'], meaning: 'No snapshot with this id.' },
  'SNAPSHOT::NOT_READY': { kinds: ['conflict'], meaning: 'A restore needs a Ready snapshot.' },
  'SNAPSHOT::INVALID_STATE': { kinds: ['conflict'], meaning: 'The snapshot is in a state that does not allow this.' },
  'SNAPSHOT::INVALID_SOURCE_STATE': { kinds: ['conflict'], meaning: 'Only a Running or Paused sandbox can be snapshotted.' },
  'SNAPSHOT::DELETE_CONFLICT': { kinds: ['conflict'], meaning: 'The snapshot is still being made, or a sandbox restored from it lives.' },

  // Volumes and the mount ledger
  'VOLUME::INVALID_NAME': { kinds: ['invalid'], meaning: 'A volume name is missing or not a DNS label.' },
  'VOLUME::DUPLICATE_NAME': { kinds: ['invalid'], meaning: 'Two volumes of one sandbox share a name.' },
  'VOLUME::INVALID_BACKEND': { kinds: ['invalid'], meaning: 'A volume names no backend, or more than one.' },
  'VOLUME::UNSUPPORTED_BACKEND': { kinds: ['invalid'], meaning: 'The backend is not one this server mounts.' },
  'VOLUME::INVALID_MOUNT_PATH': {
    kinds: ['invalid'],
    meaning:
      'mountPath is not absolute, is /, lies under /proc, /sys or /dev, or does not fit the image (a file where the volume is a directory, or the reverse).',
  },
  'VOLUME::INVALID_SUB_PATH': { kinds: ['invalid'], meaning: 'subPath is absolute or climbs out with ..' },
  'VOLUME::INVALID_HOST_PATH': {
    kinds: ['invalid'],
    meaning: 'A host path is relative, not normalized, beyond NAME_MAX/PATH_MAX, or goes through a regular file.',
  },
  'VOLUME::HOST_PATH_NOT_ALLOWED': { kinds: ['invalid'], meaning: 'The host path lies outside the allowed prefixes.' },
  'VOLUME::HOST_PATH_CREATE_FAILED': { kinds: ['runtime'], meaning: 'The host directory could not be created.' },
  'VOLUME::INVALID_PVC_NAME': { kinds: ['invalid'], meaning: 'A Docker volume name breaks Docker’s naming rules.' },
  'VOLUME::PVC_NOT_FOUND': { kinds: ['invalid'], meaning: 'The named Docker volume does not exist and may not be created.' },
  'VOLUME::PVC_SUBPATH_UNSUPPORTED_DRIVER': { kinds: ['invalid'], meaning: 'subPath needs a Docker volume of the local driver.' },
  'VOLUME::PVC_INSPECT_FAILED': { kinds: ['runtime'], meaning: 'The engine could not be asked about the Docker volume.' },
  'VOLUME::INVALID_OSSFS_BUCKET': { kinds: ['invalid'], meaning: 'The bucket name breaks OSS naming rules.' },
  'VOLUME::INVALID_OSSFS_ENDPOINT': { kinds: ['invalid'], meaning: 'The endpoint is not an http(s) host.' },
  'VOLUME::INVALID_OSSFS_CREDENTIALS': { kinds: ['invalid'], meaning: 'The access key id or secret is missing or malformed.' },
  'VOLUME::INVALID_OSSFS_OPTION': { kinds: ['invalid'], meaning: 'A mount option is not on the allowed list.' },
  'VOLUME::INVALID_OSSFS_VERSION': { kinds: ['invalid'], meaning: 'The ossfs version is not 1.0 or 2.0.' },
  'VOLUME::INVALID_OSSFS_MOUNT_ROOT': { kinds: ['runtime'], meaning: "The server's ossfs mount root is not usable." },
  'VOLUME::OSSFS_MOUNT_FAILED': { kinds: ['runtime'], meaning: 'The FUSE mount of the bucket failed.' },
  'MOUNT::NOT_FOUND': { kinds: ['not_found'], meaning: 'No mount with this id in the ledger.' },

  // Warm pools
  'POOL::NOT_FOUND': { kinds: ['not_found'], meaning: 'No pool with this name or id.' },
  'POOL::ALREADY_EXISTS': { kinds: ['conflict'], meaning: 'A pool with this name exists already.' },

  // Webhooks and events
  'WEBHOOK::NOT_FOUND': { kinds: ['not_found'], meaning: 'No webhook endpoint with this id.' },
  'WEBHOOK::DELIVERY_NOT_FOUND': { kinds: ['not_found'], meaning: 'No delivery with this id for this endpoint.' },
  'WEBHOOK::INVALID_URL': { kinds: ['invalid'], meaning: 'The URL is not an absolute http(s) URL.' },
  'WEBHOOK::URL_NOT_ALLOWED': { kinds: ['invalid'], meaning: 'The URL points at a private, loopback or otherwise blocked address.' },
  'WEBHOOK::ENDPOINT_DISABLED': { kinds: ['conflict'], meaning: 'The endpoint is disabled; enable it first.' },
  'WEBHOOK::DELIVERY_IN_PROGRESS': { kinds: ['conflict'], meaning: 'The delivery has not finished yet.' },
  'EVENTS::INVALID_LAST_EVENT_ID': { kinds: ['invalid'], meaning: 'Last-Event-ID or ?after= is not an event sequence number.' },

  // execd (commands, sessions, files, PTY), as upstream execd names them
  INVALID_REQUEST_BODY: {
    kinds: ['invalid', 'not_found'],
    meaning: 'The body or a parameter is invalid (400); an unknown command id is also answered with it, as upstream (404).',
  },
  MISSING_QUERY: { kinds: ['invalid'], meaning: 'A required query parameter is missing.' },
  PAYLOAD_TOO_LARGE: { kinds: ['too_large'], meaning: 'The body, or a file in it, exceeds the configured execd limit.' },
  WALK_TOO_LARGE: {
    kinds: ['too_large'],
    meaning: 'A list or search would walk more entries (or, without find in the image, stream more bytes) than the configured execd limit.',
  },
  NOT_FOUND: { kinds: ['not_found'], meaning: 'No execd route answers this method and path.' },
  SANDBOX_NOT_RUNNING: { kinds: ['conflict'], meaning: 'Commands and files need a Running sandbox.' },
  SANDBOX_PAUSED: { kinds: ['conflict'], meaning: 'The sandbox is Paused; resume it first.' },
  NOT_SUPPORTED: {
    kinds: ['invalid', 'not_implemented', 'unavailable'],
    meaning:
      'The image lacks what the call needs (no shell, no rm/mv/... nor /bin/busybox: 400; the code interpreter: 501), or this server runs no engine (503).',
  },
  RUNTIME_ERROR: {
    kinds: ['runtime', 'conflict'],
    meaning: 'The engine failed (500); a tool in the sandbox refused the operation, or an interrupt found the command finished (409).',
  },
  CONTEXT_NOT_FOUND: { kinds: ['not_found'], meaning: 'No bash or PTY session with this id in this sandbox.' },
  FILE_NOT_FOUND: { kinds: ['not_found'], meaning: 'No such file or directory in the sandbox.' },
  FILE_EXISTS: { kinds: ['conflict'], meaning: 'The move destination already exists.' },
  PERMISSION_DENIED: { kinds: ['conflict'], meaning: "The sandbox's file system refuses the write (read-only)." },
  INVALID_FILE: { kinds: ['invalid'], meaning: 'The upload has no body or unmatched metadata and file parts.' },
  INVALID_FILE_METADATA: { kinds: ['invalid'], meaning: "An upload's metadata part is missing, cut off, too large or not JSON." },
  INVALID_FILE_CONTENT: { kinds: ['invalid'], meaning: 'The upload has no file part.' },
  UNKNOWN: { kinds: ['unsatisfiable_range'], meaning: 'The Range lies beyond the end of the file (416, as upstream names it).' },
  PTY_SESSION_LIMIT: { kinds: ['conflict'], meaning: 'This server holds its maximum of PTY sessions.' },
  ALREADY_CONNECTED: { kinds: ['conflict'], meaning: 'Another client is attached to this PTY session.' },
} as const satisfies Record<string, Entry>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes that may be raised with kind K. */
export type CodeOf<K extends ErrorKind> = {
  [C in ErrorCode]: K extends (typeof ERROR_CODES)[C]['kinds'][number] ? C : never;
}[ErrorCode];

export function isErrorCode(s: string): s is ErrorCode {
  return Object.hasOwn(ERROR_CODES, s);
}
