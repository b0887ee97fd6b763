// A webhook receiver on 127.0.0.1 that verifies every delivery with the `standardwebhooks`
// package (an implementation independent of src/events/sign.ts) and counts what it accepted.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface Delivery {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

export interface Receiver {
  url: string;
  /** "up": verify and answer 204; "down": answer 503 without looking; "broken": verify, then answer 500. */
  mode: "up" | "down" | "broken";
  /** Events handled (verified, answered 204), in arrival order, each webhook-id once: a receiver dedupes by it. */
  accepted: Delivery[];
  /** Verified deliveries of an id already handled (at least once: a retry after an answer that came too late). */
  repeats: number;
  /** Requests whose signature did not verify. */
  invalid: number;
  /** Every request that reached it, whatever the answer. */
  requests: number;
  secret: string;
  close: () => Promise<void>;
}

export async function startReceiver(mode: Receiver["mode"]): Promise<Receiver> {
  const receiver = { mode, accepted: [], repeats: 0, invalid: 0, requests: 0, secret: "" } as unknown as Receiver;
  const server = http.createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      receiver.requests++;
      if (receiver.mode === "down") return void response.writeHead(503).end();
      let payload: { type: string; data: Record<string, unknown> };
      try {
        payload = new Webhook(receiver.secret).verify(body, request.headers as Record<string, string>) as typeof payload;
      } catch {
        receiver.invalid++;
        return void response.writeHead(400).end();
      }
      if (receiver.mode === "broken") return void response.writeHead(500).end();
      const id = String(request.headers["webhook-id"]);
      if (receiver.accepted.some((handled) => handled.id === id)) receiver.repeats++;
      else receiver.accepted.push({ id, type: payload.type, data: payload.data });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  receiver.close = () => new Promise((resolve) => server.close(() => resolve()));
  return receiver;
}
