// How the CLIs find the local server of a D1 (scripts/lib/server-record.ts); npm run admin's link
// to it is checked against a real server in cli-under-load.test.ts.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { recordServer, runningServerOrigin } from "../../scripts/lib/server-record";

let state = "";
afterEach(() => rmSync(state, { recursive: true, force: true }));
const freshState = () => (state = mkdtempSync(path.join(tmpdir(), "totp-edge-record-")));

describe("the running server's record", () => {
  it("names the server while it runs and is gone when it stops", () => {
    freshState();
    expect(runningServerOrigin(state)).toBeUndefined();
    const forget = recordServer(state, { origin: "http://localhost:9123", pid: process.pid });
    expect(runningServerOrigin(state)).toBe("http://localhost:9123");
    forget();
    expect(existsSync(path.join(state, "server.json"))).toBe(false);
    expect(runningServerOrigin(state)).toBeUndefined();
  });

  it("is ignored once its process is gone (a server killed outright)", () => {
    freshState();
    const gone = spawnSync(process.execPath, ["-e", ""]).pid;
    recordServer(state, { origin: "http://localhost:9123", pid: gone });
    expect(runningServerOrigin(state)).toBeUndefined();
  });

  it("of a second server on the same D1 stays when the first one stops", () => {
    freshState();
    const forgetFirst = recordServer(state, { origin: "http://localhost:9123", pid: process.pid });
    recordServer(state, { origin: "http://localhost:9124", pid: process.ppid });
    forgetFirst();
    expect(runningServerOrigin(state)).toBe("http://localhost:9124");
  });
});
