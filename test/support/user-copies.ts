// The copies of users' rows that validate reads near the Worker (src/db/user-copies.ts), as the
// tests' app at https://totp.test stores them in the Cache API.
const copies = () => caches.open("user-copies");
const keyOf = (userId: number) => `https://totp.test/.user-copies/${userId}`;

/** The copy's text as stored, or null. */
export async function readCopy(userId: number): Promise<string | null> {
  return (await (await copies()).match(keyOf(userId)))?.text() ?? null;
}

/** Puts `text` back as the copy: how a test makes a copy deliberately stale. */
export async function plantCopy(userId: number, text: string): Promise<void> {
  await (await copies()).put(keyOf(userId), new Response(text, { headers: { "Cache-Control": "max-age=3600" } }));
}

/** No copy near any more: a cold data center. */
export async function forgetCopy(userId: number): Promise<void> {
  await (await copies()).delete(keyOf(userId));
}
