/**
 * Encryption at rest of a bash session's saved state (implemented by crypto/session-state.ts among the
 * adapters): what a session's runs exported, so whatever tokens an agent put in its environment. The
 * database holds only sealed blobs; the state is opened just before the next run starts.
 */
export interface SessionStateBox {
  seal(state: string): string;
  /**
   * The state again. A row saved before states were sealed holds it as text, which comes back as it is;
   * throws when the blob was sealed under another key or altered.
   */
  open(stored: string): string;
}
