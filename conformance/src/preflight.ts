// Before any fixture runs: is the target there, and does it accept the key? A request that
// creates nothing (validate without a userid) tells both apart.
import { send, TargetUnreachable } from "./http-client.js";
import type { Target } from "./runner.js";

export async function preflight(target: Target): Promise<string | undefined> {
  try {
    const answer = await send(target.url, {
      method: "GET",
      path: "/validate",
      query: { api_key: target.apiKey, format: "1" },
      headers: {},
    });
    if (answer.status === 401 || answer.status === 403 || /invalid api key/i.test(answer.body)) {
      return `the API key was refused by ${target.url} (check --api-key${target.label === "B" ? " / --compare-api-key" : ""})`;
    }
    if (answer.status !== 200)
      return `${target.url} answered HTTP ${answer.status} to GET /validate: is it the base URL of a TOTPRadius-compatible API?`;
    return undefined;
  } catch (error) {
    if (error instanceof TargetUnreachable) return error.message;
    throw error;
  }
}
