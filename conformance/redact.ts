// Keeps API keys and TOTP secrets out of everything the suite prints or writes.
export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string): void {
    if (secret.length >= 4) this.secrets.add(secret);
  }

  apply(text: string): string {
    let result = text.replace(/secret=[A-Za-z2-7=%]+/g, "secret=<redacted>");
    for (const secret of this.secrets) result = result.split(secret).join("<redacted>");
    return result;
  }
}
