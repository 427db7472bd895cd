import { type User, UserManager, WebStorageStateStore } from "oidc-client-ts";
import { ApiError, type AuthConfig, getAuthConfig, setAccessToken } from "../../api";

/** Who is signed in; `null` name while this deployment has sign-in off. */
export interface Session {
  name: string | null;
  signOut: () => Promise<void>;
}

let started: Promise<Session> | null = null;

/** Seconds before its expiry the access token is renewed. */
const RENEW_BEFORE_S = 30;

/** Reads the sign-in settings and, when sign-in is on, finishes or starts the authorization code
 * flow with PKCE. Once per page (React's StrictMode mounts twice; a code is good for one use). */
export function startSession(location: Location = globalThis.location): Promise<Session> {
  started ??= begin(location);
  return started;
}

async function begin(location: Location): Promise<Session> {
  const config = await authConfig();
  if (!config.enabled) return { name: null, signOut: async () => {} };
  const manager = userManager(config, location);
  const query = new URLSearchParams(location.search);
  let user: User | null;
  if (query.has("code") && query.has("state")) {
    user = await manager.signinRedirectCallback();
    // Back to the view the user was on, without the one-time code in the address bar.
    const hash = typeof user.state === "string" ? user.state : "";
    globalThis.history.replaceState(null, "", `${location.pathname}${hash}`);
  } else {
    user = await manager.getUser();
  }
  if (!user || user.expired) return redirectToSignIn(manager, location);
  const signIn = () => void redirectToSignIn(manager, location);
  // The token is renewed before it expires with the refresh token (scope offline_access), without
  // leaving the page; where the provider gave none or the renewal fails, the user signs in again
  // when it expires (dashboard-api ends the live socket then), not on a 401 later.
  let expiry: ReturnType<typeof setTimeout> | undefined;
  const use = (current: User) => {
    setAccessToken(current.access_token, signIn);
    clearTimeout(expiry);
    if (current.expires_in !== undefined) expiry = setTimeout(signIn, Math.max(current.expires_in, 0) * 1000);
  };
  manager.events.addUserLoaded(use);
  use(user);
  return {
    name: String(user.profile.email ?? user.profile.preferred_username ?? user.profile.sub),
    signOut: async () => {
      await manager.removeUser();
      location.reload();
    },
  };
}

/** The sign-in settings; a restarting dashboard-api is given a few seconds (nothing renders before). */
async function authConfig(): Promise<AuthConfig> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await getAuthConfig();
    } catch (error) {
      const refused = error instanceof ApiError && error.status >= 400 && error.status < 500;
      if (refused || attempt >= 4) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
    }
  }
}

function userManager(config: AuthConfig, location: Location): UserManager {
  return new UserManager({
    authority: config.issuer,
    client_id: config.client_id,
    redirect_uri: `${location.origin}/`,
    response_type: "code",
    scope: config.scopes,
    // One tab's session: nothing is left behind in the browser's long-lived storage.
    userStore: new WebStorageStateStore({ store: globalThis.sessionStorage }),
    loadUserInfo: false,
    // Renewed this long before expiry, with the refresh token only (no hidden iframe: no
    // silent_redirect_uri); a provider that issues none leaves the expiry to sign in again.
    automaticSilentRenew: true,
    accessTokenExpiringNotificationTimeInSeconds: RENEW_BEFORE_S,
  });
}

/** Leaves for the provider's sign-in page; resolves never (the page is replaced). */
async function redirectToSignIn(manager: UserManager, location: Location): Promise<never> {
  setAccessToken(null, () => {});
  await manager.removeUser();
  await manager.signinRedirect({ state: location.hash });
  return new Promise<never>(() => {});
}
