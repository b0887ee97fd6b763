import { enrollUser } from "../domain/enrollment";
import { ApiError } from "../errors";
import { USER_CREATED } from "../messages";
import { CREATEUSER_ANSWER } from "../openapi/answers";
import { CREATEUSER_PARAMS } from "../openapi/parameters";
import { apiEndpoint } from "./api-endpoint";
import type { Route } from "./route";
import { qrPath } from "./qr";

const createUser = apiEndpoint({
  flag: "success",
  async handle(c, params, caller) {
    const deps = c.var.deps;
    // The key is checked in the insert's own round trip; a refusal before it still answers
    // "invalid api key" for a wrong key (keyOutranks).
    const type = params.get("type");
    // Type 0 (mobile app) is the only one the appliance API has; it is kept for Token2 Cloud compatibility.
    if (type !== undefined && type !== "" && type !== "0") throw ApiError.invalid("type");
    params.get("pin"); // accepted and ignored, but an oversized one is still refused
    const enrollment = await enrollUser(deps, caller, {
      phone: params.get("phone"),
      email: params.get("email"),
      username: params.get("username"),
    });
    // A forged Host header must not point a client's QR elsewhere: deployments set PUBLIC_ORIGIN.
    const origin = deps.config.publicOrigin ?? new URL(c.req.url).origin;
    c.set("outcome", "created");
    return [
      ["response", USER_CREATED],
      ["userid", enrollment.userId],
      ["success", "true"],
      ["hash", enrollment.secret],
      ["hashqr", `${origin}${qrPath(enrollment.userId)}?secret=${enrollment.secret}`],
    ];
  },
  errorFields: (error) => [
    ["response", error.text],
    ["success", "false"],
    ["error", error.text],
    ["code", error.code],
  ],
});

export const createUserRoute: Route = {
  id: "createuser",
  honoPath: "/createuser",
  methods: ["GET", "POST"],
  summary: "Enrol a user",
  description: "Creates a user with a new TOTP secret and answers the secret (`hash`) and a QR code URL (`hashqr`) for authenticator apps.",
  apiKey: true,
  params: CREATEUSER_PARAMS,
  answer: { kind: "fields", answer: CREATEUSER_ANSWER },
  examples: [{ params: { email: "alice@example.com", format: "1" } }],
  handler: createUser,
};
