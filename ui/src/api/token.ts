/** The signed-in user's access token, which every REST call and the live WebSocket carry. */

// The subprotocol dashboard-api accepts; the token itself is offered as a second one, because the
// browser's WebSocket API sets no Authorization header (docs/security.md, "Dashboard sign-in").
const SOCKET_PROTOCOL = "topsongs.bearer";

let token: string | null = null;
let onRefused: () => void = () => {};

/** Set by the sign-in feature once a user has signed in (null while sign-in is off). */
export function setAccessToken(value: string | null, whenRefused: () => void): void {
  token = value;
  onRefused = whenRefused;
}

/** Headers of an API call: the bearer token when signed in. */
export function authHeaders(): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** The subprotocols /ws/live is opened with (none while sign-in is off). */
export function socketProtocols(): string[] {
  return token ? [SOCKET_PROTOCOL, token] : [];
}

/** The token calls carry now (null while sign-in is off). */
export function accessToken(): string | null {
  return token;
}

/** dashboard-api refused `used` (expired, or the user was removed): sign in again, unless a silent
 * renewal has replaced it since (the next call, or the live socket's reconnection, carries the new one). */
export function tokenRefused(used: string | null = token): void {
  if (used === token) onRefused();
}
