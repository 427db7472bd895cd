import { afterEach, describe, expect, it, vi } from "vitest";
import { authHeaders, setAccessToken, socketProtocols, tokenRefused } from "./token";

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
});
