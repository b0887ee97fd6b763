import { enrollUser } from "../domain/enrollment";
import { ApiError } from "../errors";
import { USER_CREATED } from "../messages";
import { ERROR_CODE_FIELD, ERROR_TEXT_FIELD, type FieldsAnswer } from "../openapi/answers";
import { FORMAT_PARAM, type ParamSpec, textSchema } from "../openapi/parameters";
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

const CREATEUSER_PARAMS: readonly ParamSpec[] = [
  {
    name: "phone",
    in: "query",
    description:
      "E.164 phone number; `+` optional, spaces, dashes, dots and parentheses are stripped. At least one of phone/email is required.",
    schema: textSchema(),
    example: "+41791234567",
  },
  {
    name: "email",
    in: "query",
    description: "Email address. The username when `username` is absent (unique regardless of case).",
    schema: textSchema({ format: "email" }),
    example: "alice@example.com",
  },
  {
    name: "username",
    in: "query",
    description: "Extension: the username to register; default: email, else the normalized phone.",
    schema: textSchema(),
    example: "alice",
  },
  {
    name: "type",
    in: "query",
    description: "Token type: absent or 0 (mobile app). Anything else: `invalid parameter: type` (code 3).",
    schema: textSchema({ enum: ["0"] }),
    example: "0",
  },
  { name: "pin", in: "query", description: "Accepted for compatibility and ignored.", schema: textSchema(), example: "1234" },
  FORMAT_PARAM,
];

export const CREATEUSER_ANSWER: FieldsAnswer = {
  flag: "success",
  success: [
    { name: "response", schema: { const: USER_CREATED }, example: USER_CREATED },
    { name: "userid", schema: { type: "integer", minimum: 1 }, example: 1 },
    { name: "success", schema: { const: "true" }, example: "true" },
    {
      name: "hash",
      schema: { type: "string", pattern: "^[A-Z2-7]{32}$", description: "The TOTP secret: 20 random bytes, base32 without padding." },
      example: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    },
    {
      name: "hashqr",
      schema: {
        type: "string",
        format: "uri",
        description: "SVG QR code of the otpauth:// URI, on this server; ends with ?secret=<hash>.",
      },
      example: "https://totp.example/qr/1.svg?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    },
  ],
  error: [
    { name: "response", schema: { type: "string", description: "Same text as `error`." }, example: "invalid api key" },
    { name: "success", schema: { const: "false" }, example: "false" },
    ERROR_TEXT_FIELD,
    ERROR_CODE_FIELD,
  ],
};

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
