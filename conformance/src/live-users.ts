// Production safety: tracks every user a run may have created on one target, refuses to have
// more than MAX_LIVE_USERS at a time (an unlicensed appliance allows 5), and deletes them through
// api.php deletelocaluser, even after failures or an interrupt.
import { send } from "./http-client.js";
import { parseBody } from "./parse/body.js";
import type { ParsedRecord } from "./parse/parsed-body.js";
import type { HttpAnswer } from "./match.js";

const MAX_LIVE_USERS = 3;

interface LiveUser {
  username: string;
  userid?: number;
}

export class SafetyLimitError extends Error {}

export class LiveUsers {
  private readonly users: LiveUser[] = [];

  constructor(
    private readonly target: string,
    private readonly apiKey: string,
    private readonly runPrefix: string,
  ) {}

  get count(): number {
    return this.users.length;
  }

  /** Called before a createuser request is sent: the user counts as live until proven otherwise. */
  reserve(params: Record<string, string>): LiveUser {
    if (this.users.length >= MAX_LIVE_USERS) {
      throw new SafetyLimitError(`not sent: ${MAX_LIVE_USERS} users of this run are still live (safety limit); earlier deletions failed`);
    }
    const user: LiveUser = { username: params.username ?? params.email ?? normalizePhone(params.phone ?? "") };
    this.users.push(user);
    return user;
  }

  /** Called with the createuser answer: a clear refusal frees the reservation. */
  settle(user: LiveUser, answer: HttpAnswer): void {
    const outcome = createOutcome(answer);
    if (outcome.created === false) this.users.splice(this.users.indexOf(user), 1);
    if (outcome.userid !== undefined) user.userid = outcome.userid;
  }

  /** Deletes every live user; returns one message per user that could not be deleted. */
  async deleteAll(): Promise<string[]> {
    if (this.users.length === 0) return [];
    const usernames = await this.usernamesById();
    const problems: string[] = [];
    for (const user of [...this.users]) {
      const username = (user.userid !== undefined && usernames.get(user.userid)) || user.username;
      const problem = await this.deleteUser(username);
      if (problem) problems.push(problem);
      else this.users.splice(this.users.indexOf(user), 1);
    }
    return problems;
  }

  /** Deletes any user whose name carries this run's prefix (e.g. created by an interrupted step). */
  async sweep(): Promise<string[]> {
    const listed = await this.listUsers();
    const problems: string[] = [];
    for (const username of listed?.values() ?? []) {
      if (!username.startsWith(this.runPrefix)) continue;
      const problem = await this.deleteUser(username);
      if (problem) problems.push(problem);
    }
    return problems;
  }

  private async deleteUser(username: string): Promise<string | undefined> {
    try {
      const answer = await send(this.target, {
        method: "GET",
        path: "/api.php",
        query: { action: "deletelocaluser", user: username, api_key: this.apiKey },
        headers: {},
      });
      const text = answer.body.trim();
      if (answer.status === 200 && (text === "Success: user deleted" || text === "Error: user does not exist")) return undefined;
      return `could not delete user ${username}: HTTP ${answer.status} ${JSON.stringify(text.slice(0, 80))}`;
    } catch (error) {
      return `could not delete user ${username}: ${(error as Error).message}`;
    }
  }

  private async usernamesById(): Promise<Map<number, string>> {
    return (await this.listUsers()) ?? new Map();
  }

  private async listUsers(): Promise<Map<number, string> | undefined> {
    try {
      const answer = await send(this.target, {
        method: "GET",
        path: "/api.php",
        query: { action: "listusers", api_key: this.apiKey },
        headers: {},
      });
      const items = JSON.parse(answer.body) as unknown;
      if (!Array.isArray(items)) return undefined;
      const byId = new Map<number, string>();
      for (const item of items as Array<{ userid?: unknown; username?: unknown }>) {
        if (typeof item?.username === "string") byId.set(Number(item.userid), item.username);
      }
      return byId;
    } catch {
      return undefined;
    }
  }
}

/** The contract's phone normalization: strip spaces, dashes, dots and parentheses; a leading `+`. */
function normalizePhone(phone: string): string {
  const digits = phone.replace(/[\s\-.()]/g, "");
  return digits.startsWith("+") ? digits : `+${digits}`;
}

/** `created`: true, false, or undefined when the answer cannot tell. */
function createOutcome(answer: HttpAnswer): { created?: boolean; userid?: number } {
  if (answer.status !== 200) return { created: false };
  const text = answer.body.trim();
  if (text === "true" || text === "false") return { created: text === "true" };
  for (const format of ["json", "php", "xml"] as const) {
    try {
      const fields = new Map((parseBody(format, text) as ParsedRecord).entries);
      const userid = Number(fields.get("userid"));
      return { created: String(fields.get("success")) === "true", userid: Number.isInteger(userid) && userid > 0 ? userid : undefined };
    } catch {
      // try the next format
    }
  }
  return {};
}
