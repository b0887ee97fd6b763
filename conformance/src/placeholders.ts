// Expands {{...}} in fixture strings. The vocabulary is documented in conformance/README.md.
import { totpAt, wrongTotp } from "./totp.js";
import type { Scalar } from "./fixture-types.js";

const PLACEHOLDER = /\{\{([^{}]+)\}\}/g;
const LONE_PLACEHOLDER = /^\{\{([^{}]+)\}\}$/;

export class PlaceholderError extends Error {}

/** Names every user this run creates: `tecf-<runId>-<n>`, so an operator can recognise (and delete) them. */
export class RunIdentity {
  private counter = 0;
  private readonly fictionalPhoneBase = 200 + Math.floor(Math.random() * 700);
  constructor(readonly runId: string) {}

  /** Whether a username, email or phone number is one this run creates (case aside, as servers may fold it). */
  owns(name: string): boolean {
    const digits = name.replace(/[\s\-.()+]/g, "");
    return name.toLowerCase().startsWith(`tecf-${this.runId}-`) || new RegExp(`^1${this.fictionalPhoneBase}55501\\d{2}$`).test(digits);
  }

  /** A listusers item of a user this run created. */
  ownsItem(item: unknown): boolean {
    return item !== null && typeof item === "object" && Object.values(item).some((value) => typeof value === "string" && this.owns(value));
  }

  nextUsername(): string {
    this.counter += 1;
    return `tecf-${this.runId}-${this.counter}`;
  }

  /** A fictional North American number (555-01xx is reserved for fiction), as 11 digits. */
  nextPhoneDigits(): string {
    this.counter += 1;
    return `1${this.fictionalPhoneBase}55501${String(this.counter % 100).padStart(2, "0")}`;
  }
}

/** Values known while one fixture runs against one target. */
export class Scope {
  readonly values = new Map<string, Scalar>();
  private readonly generated = new Map<string, string>();

  constructor(
    private readonly identity: RunIdentity,
    readonly now: () => number,
  ) {}

  set(name: string, value: Scalar): void {
    this.values.set(name, value);
  }

  /** Expands a string for a request (always a string). */
  expand(template: string): string {
    return template.replace(PLACEHOLDER, (_, expression: string) => String(this.resolve(expression.trim())));
  }

  /** Expands an expected value: a lone placeholder keeps its captured type (userid stays an integer). */
  expandValue(template: Scalar): Scalar {
    if (typeof template !== "string") return template;
    const lone = LONE_PLACEHOLDER.exec(template);
    return lone ? this.resolve((lone[1] as string).trim()) : this.expand(template);
  }

  private resolve(expression: string): Scalar {
    const [kind, name = "", extra] = expression.split(":");
    switch (kind) {
      case "email":
        return this.generate(`email:${name}`, () => `${this.identity.nextUsername()}@example.com`);
      case "emailUpper":
        return this.generate(`email:${name}`, () => `${this.identity.nextUsername()}@example.com`).toUpperCase();
      case "username":
        return this.generate(`username:${name}`, () => this.identity.nextUsername());
      case "phone":
        return `+${this.phoneDigits(name)}`;
      case "phoneDigits":
        return this.phoneDigits(name);
      case "phoneSpaced": {
        const d = this.phoneDigits(name);
        return `+${d.slice(0, 1)} (${d.slice(1, 4)}) ${d.slice(4, 7)}-${d.slice(7)}`;
      }
      case "totp":
        return totpAt(this.secretOf(name), this.now(), extra === undefined ? 0 : Number(extra));
      case "wrongTotp":
        return wrongTotp(this.secretOf(name), this.now());
      case "repeat":
        return name.repeat(Number(extra));
      default: {
        if (!this.values.has(expression)) throw new PlaceholderError(`unknown placeholder {{${expression}}} (not captured yet?)`);
        return this.values.get(expression) as Scalar;
      }
    }
  }

  private phoneDigits(name: string): string {
    return this.generate(`phone:${name}`, () => this.identity.nextPhoneDigits());
  }

  private generate(key: string, make: () => string): string {
    let value = this.generated.get(key);
    if (value === undefined) {
      value = make();
      this.generated.set(key, value);
    }
    return value;
  }

  private secretOf(name: string): string {
    const secret = this.values.get(`${name}.hash`);
    if (typeof secret !== "string") throw new PlaceholderError(`no secret captured as ${name}.hash`);
    return secret;
  }
}

export function usesTotp(text: string): boolean {
  return /\{\{\s*(totp|wrongTotp):/.test(text);
}
