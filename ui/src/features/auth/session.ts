import { type User, UserManager, WebStorageStateStore } from "oidc-client-ts";
import { ApiError, type AuthConfig, getAuthConfig, setAccessToken } from "../../api";

/** Who is signed in; `null` name while this deployment has sign-in off. */
export interface Session {
  name: string | null;
  signOut: () => Promise<void>;
}

let started: Promise<Session> | null = null;

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
  setAccessToken(user.access_token, signIn);
  // dashboard-api ends the live socket when the token expires; sign in again then, not on a 401 later.
  if (user.expires_in !== undefined) setTimeout(signIn, Math.max(user.expires_in, 0) * 1000);
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
    automaticSilentRenew: false,
  });
}

/** Leaves for the provider's sign-in page; resolves never (the page is replaced). */
async function redirectToSignIn(manager: UserManager, location: Location): Promise<never> {
  setAccessToken(null, () => {});
  await manager.removeUser();
  await manager.signinRedirect({ state: location.hash });
  return new Promise<never>(() => {});
}
