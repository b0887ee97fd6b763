/**
 * fetch on a new connection each time. Node tests run wrangler for seconds between requests, and a
 * kept-alive connection that the dev server closed meanwhile fails the next request ("other side
 * closed").
 */
export function freshFetch(url: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { ...init.headers, Connection: "close" } });
}
