// Which keys the Worker that uses a D1 seals and opens with, as its GET /healthz lists them (ids,
// never keys). npm run rotate-keys writes nothing the Worker could not read back.

export const ROTATION_ORDER =
  "Order of a rotation: 1) put the new key first in the Worker's SECRET_ENCRYPTION_KEYS, the old keys after it, and deploy; " +
  "2) run npm run rotate-keys with that same keyring; " +
  "3) once `npm run rotate-keys -- --verify` shows no secret under an old key, drop that key from the Worker.";

/** The Worker's key ids, the sealing one first, or why they are not known. */
type WorkerKeyIds = { ids: string[] } | { problem: string };

export async function workerKeyIds(workerUrl: string): Promise<WorkerKeyIds> {
  let res: Response | undefined;
  // A dropped connection mid-run should not stop a long rotation: three tries, a second apart.
  for (let attempt = 1; !res; attempt++) {
    try {
      res = await fetch(`${workerUrl}/healthz`, { signal: AbortSignal.timeout(15_000) });
    } catch (error) {
      if (attempt < 3) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      return {
        problem:
          `Cannot reach the Worker at ${workerUrl} (${failureName(error)}) to ask which keys it has. ` +
          "Start it with `npm run dev`, or pass --worker URL (with --remote: the deployed Worker).",
      };
    }
  }
  const body: unknown = await res.json().catch(() => undefined);
  const health = typeof body === "object" && body !== null ? (body as { keyring?: unknown; keyIds?: unknown }) : {};
  if (health.keyring === "invalid") {
    return {
      problem: `The Worker at ${workerUrl} cannot load its SECRET_ENCRYPTION_KEYS (its /healthz says "keyring": "invalid"; its log says why).`,
    };
  }
  const ids = health.keyIds;
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id): id is string => typeof id === "string")) {
    return {
      problem: `${workerUrl}/healthz (HTTP ${res.status}) does not list key ids: is --worker the Worker of this D1, at a version that publishes them?`,
    };
  }
  return { ids };
}

/** Why re-sealing under `currentId` would hurt, or null when the Worker seals with it too. */
export function sealingProblem(workerUrl: string, currentId: string, workerIds: readonly string[]): string | null {
  const theirs = workerIds.map((id) => `"${id}"`).join(", ");
  if (!workerIds.includes(currentId)) {
    return (
      `The Worker at ${workerUrl} has no key "${currentId}" (it has ${theirs}): secrets re-sealed under it would be unreadable ` +
      "to the Worker (every validate a 500, every QR code a 404)."
    );
  }
  if (workerIds[0] !== currentId) {
    return (
      `The Worker at ${workerUrl} seals new secrets under key "${workerIds[0]}", not "${currentId}" (its keys, sealing one first: ` +
      `${theirs}): users created during and after this rotation would still arrive under "${workerIds[0]}".`
    );
  }
  return null;
}

/** fetch's reason for a failed connection (ECONNREFUSED, ENOTFOUND…), or the error's name. */
function failureName(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string") return cause.code;
  return error.name;
}
