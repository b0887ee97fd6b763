import { apiPhpRoute } from "./api-php";
import { createUserRoute } from "./createuser";
import { docsRoute } from "./docs";
import { healthzRoute } from "./healthz";
import { openApiRoute } from "./openapi";
import { qrRoute } from "./qr";
import { rootRoute } from "./root";
import type { Route } from "./route";
import { validateRoute } from "./validate";

/**
 * Every route the server answers, each declared beside its handler. src/index.ts registers exactly
 * these, and /openapi.json and /docs describe this same list.
 */
export const ROUTES: readonly Route[] = [
  createUserRoute,
  validateRoute,
  apiPhpRoute,
  qrRoute,
  healthzRoute,
  openApiRoute(() => ROUTES),
  docsRoute(() => ROUTES),
  rootRoute,
];
