import { afterEach, describe, expect, it, vi } from "vitest";
import { accessToken, authHeaders, setAccessToken, socketProtocols, tokenRefused } from "./token";

describe("the access token", () => {
  afterEach(() => setAccessToken(null, () => {}));

  it("adds nothing while sign-in is off", () => {
    expect(authHeaders()).toEqual({});
    expect(socketProtocols()).toEqual([]);
  });

  it("goes as a bearer header on REST and as the second subprotocol on the live socket", () => {
    setAccessToken("a.b.c", () => {});
    expect(authHeaders()).toEqual({ Authorization: "Bearer a.b.c" });
    expect(socketProtocols()).toEqual(["topsongs.bearer", "a.b.c"]);
  });

  it("asks the sign-in feature to sign in again when the API refuses it", () => {
    const signInAgain = vi.fn();
    setAccessToken("a.b.c", signInAgain);
    tokenRefused();
    expect(signInAgain).toHaveBeenCalledOnce();
  });

  it("does not sign in again when the refused token was renewed since the call was made", () => {
    const signInAgain = vi.fn();
    setAccessToken("old.token.x", signInAgain);
    const sent = accessToken();
    setAccessToken("new.token.y", signInAgain);
    tokenRefused(sent);
    expect(signInAgain).not.toHaveBeenCalled();
    tokenRefused(accessToken());
    expect(signInAgain).toHaveBeenCalledOnce();
  });
});
