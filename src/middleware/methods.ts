import type { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { HttpError } from "../errors";
import { allowHeader, answersHead } from "../openapi/spec";
import type { Route } from "../routes/route";

/**
 * Registers a route under its methods' rule: its methods answer, HEAD only where it is harmless
 * (src/openapi/spec.ts answersHead), every other method 405 with the Allow header the route's
 * documentation shows.
 */
export function mountRoute(app: Hono<AppEnv>, route: Route): void {
  const { handler } = route;
  const notAllowed = () => HttpError.methodNotAllowed(allowHeader(route));
  app.on(
    [...route.methods],
    route.honoPath,
    answersHead(route)
      ? handler
      : (c) => {
          if (c.req.method === "HEAD") throw notAllowed();
          return handler(c);
        },
  );
  app.all(route.honoPath, () => {
    throw notAllowed();
  });
}
