import { ApiError } from "../errors";
import { apiPhpErrorBody } from "./answers";
import type { JsonObject } from "./json";
import { type ParamSpec, textSchema } from "./parameters";
import type { ApiPhpActionSpec } from "./spec";

/*
 * api.php as /openapi.json and /docs describe it, from its action table (src/routes/api-php/):
 * the parameters, the route's description and the answers are built from the actions, so a new
 * action is documented by its own entry.
 */

const TEXT = "text/plain; charset=utf-8";
const JSON_TYPE = "application/json; charset=utf-8";

/** What any other action, or none, answers. */
export const UNKNOWN_ACTION_ERRORS: readonly ApiError[] = [ApiError.unknownAction()];

/**
 * `action`, then the actions' parameters: the appliance's own first, extensions after, each once,
 * its description prefixed by the actions that take it.
 */
export function apiPhpParams(actions: readonly ApiPhpActionSpec[]): ParamSpec[] {
  const users = new Map<string, { param: ParamSpec; actions: string[] }>();
  for (const action of actions) {
    for (const param of action.params) {
      const entry = users.get(param.name) ?? { param, actions: [] };
      entry.actions.push(action.name);
      users.set(param.name, entry);
    }
  }
  const entries = [...users.values()];
  const merged = [...entries.filter((e) => !e.param.extension), ...entries.filter((e) => e.param.extension)].map(({ param, actions }) => {
    const { extension, ...rest } = param;
    return { ...rest, description: `${actions.join(", ")}${extension ? " (extension)" : ""}: ${param.description}` };
  });
  const action: ParamSpec = {
    name: "action",
    in: "query",
    required: true,
    description: "What to do. Unknown or missing: `Error: unknown action`.",
    schema: textSchema({ enum: actions.map((a) => a.name) }),
    example: actions[0]!.name,
  };
  return [action, ...merged];
}

/** The route's description: each action with its gist, and which answer JSON. */
export function apiPhpDescription(actions: readonly ApiPhpActionSpec[]): string {
  const gist = (action: ApiPhpActionSpec) =>
    action.gist ??
    action.params
      .filter((p) => !p.extension)
      .map((p) => `\`${p.name}\``)
      .join(", ");
  return `\`action\` selects: ${actions.map((a) => `\`${a.name}\` (${gist(a)})`).join(", ")}. Errors are plain text \`Error: …\` with HTTP 200, except ${jsonNames(actions)}, which always answers JSON.`;
}

/** The JSON answers (successes and errors), and the text lines of the other actions. */
export function apiPhpResponses(actions: readonly ApiPhpActionSpec[]): JsonObject {
  const answers = actions.map((a) => a.answers);
  const json = answers.flatMap((a) => (a.format === "json" ? [a] : []));
  const text = answers.flatMap((a) => (a.format === "text" ? [a] : []));
  const texts = [...text.map((a) => a.success), ...[...text.flatMap((a) => a.errors), ...UNKNOWN_ACTION_ERRORS].map(apiPhpErrorBody)];
  const jsonErrors = json.flatMap((a) => a.errors);
  return {
    "200": {
      description: `${jsonNames(actions)}: JSON. The other actions: one line of plain text.`,
      content: {
        [JSON_TYPE]: {
          schema: {
            oneOf: [...json.map((a) => a.schema), { type: "object", properties: { error: { type: "string" } }, required: ["error"] }],
          },
          examples: {
            ...Object.fromEntries(json.map((a) => [a.success.name, { value: a.success.value }])),
            ...Object.fromEntries(jsonErrors.map((error, i) => [`error${i + 1}`, { value: { error: error.text } }])),
          },
        },
        [TEXT]: {
          schema: { type: "string" },
          examples: Object.fromEntries([...new Set(texts)].map((line, i) => [`text${i + 1}`, { value: line }])),
        },
      },
    },
    "405": { $ref: "#/components/responses/MethodNotAllowed" },
    "413": { $ref: "#/components/responses/PayloadTooLarge" },
    "500": { $ref: "#/components/responses/ServerError" },
  };
}

/** The actions that answer JSON (listusers), for the texts that set them apart. */
const jsonNames = (actions: readonly ApiPhpActionSpec[]) =>
  actions
    .filter((a) => a.answers.format === "json")
    .map((a) => a.name)
    .join(", ");
