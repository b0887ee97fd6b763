import type { Child } from "hono/jsx";
import { apiPhpErrorBody, ERROR_CATALOGUE, FORMATS, type FieldsAnswer, renderExample } from "../../openapi/answers";
import { UNKNOWN_ACTION_ERRORS } from "../../openapi/api-php";
import { curlCommand } from "../../openapi/curl";
import { API_KEY_SCHEMES, type ParamSpec } from "../../openapi/parameters";
import { type ApiPhpActionSpec, openApiPath, pathParams, type RouteSpec } from "../../openapi/spec";

/** The spec texts mark code with backticks. */
export function Prose({ text }: { text: string }) {
  return <>{text.split(/`([^`]+)`/).map((part, i) => (i % 2 ? <code>{part}</code> : part))}</>;
}

/** `items` with `separator` between them. */
function joined(items: readonly Child[], separator: string): Child[] {
  return items.flatMap((item, i) => (i ? [separator, item] : [item]));
}

/**
 * A table whose cells carry their column's name: on a narrow screen each row becomes a block and
 * the names, shown by the stylesheet, stand in for the hidden header.
 */
function Table({ head, rows }: { head: readonly string[]; rows: readonly (readonly Child[])[] }) {
  return (
    <div class="wide">
      <table>
        <thead>
          <tr>
            {head.map((name) => (
              <th>{name}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((cells) => (
            <tr>{cells.map((cell, i) => (i ? <td data-label={head[i]}>{cell}</td> : <td>{cell}</td>))}</tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The key's three spellings are one parameter: a request needs one of them. */
function apiKeyRow(): Child[] {
  const { api_key: apiKey, api, header } = API_KEY_SCHEMES;
  return [
    <>
      one of: <code>{apiKey.name}</code> / <code>{api.name}</code> (query or body) or <code>{header.name}</code> (header)
    </>,
    "query, body or header; required",
    <>
      The API key. <code>{api.name}</code> is the name the Token2 WordPress plugin and the WSO2 connector use.
    </>,
  ];
}

function ParamsTable({ route }: { route: RouteSpec }) {
  // A POST route reads every query parameter from a form body as well.
  const post = route.methods.includes("POST");
  const where = (p: ParamSpec) => (p.in === "query" && post ? "query or body" : p.in);
  const rows: Child[][] = [...pathParams(route), ...route.params].map((p) => [
    <code>{p.name}</code>,
    `${where(p)}${p.required ? ", required" : ""}`,
    <Prose text={p.description} />,
  ]);
  if (route.apiKey) rows.unshift(apiKeyRow());
  return rows.length ? <Table head={["parameter", "where", "meaning"]} rows={rows} /> : <p>No parameters.</p>;
}

function FieldsAnswers({ answer }: { answer: FieldsAnswer }) {
  const rows = FORMATS.map((format) => {
    const { body, contentType } = renderExample(answer.success, format, answer.flag);
    return [<code>{`format=${format}`}</code>, <code>{contentType}</code>, <pre>{body}</pre>];
  });
  const fields = (list: FieldsAnswer["success"]) =>
    joined(
      list.map((f) => <code>{f.name}</code>),
      ", ",
    );
  return (
    <>
      <p>
        Success fields, in order: {fields(answer.success)}. Error fields: {fields(answer.error)} (see <a href="#errors">errors</a>).
      </p>
      <Table head={["format", "Content-Type", "success example"]} rows={rows} />
    </>
  );
}

function ApiPhpAnswers({ actions }: { actions: readonly ApiPhpActionSpec[] }) {
  const texts = actions.flatMap(({ name, answers }) =>
    answers.format === "text"
      ? [
          <>
            <code>{answers.success}</code> ({name})
          </>,
        ]
      : [],
  );
  const json = actions.flatMap(({ name, answers }) => (answers.format === "json" ? [{ name, value: answers.success.value }] : []));
  return (
    <>
      <p>
        Success: {joined(texts, ", ")}; {json.map((a) => a.name).join(", ")}:
      </p>
      {json.map((a) => (
        <pre>{JSON.stringify(a.value)}</pre>
      ))}
      <p>
        Errors: see <a href="#errors-api-php">api.php errors</a>.
      </p>
    </>
  );
}

export function RouteSection({ route }: { route: RouteSpec }) {
  const { answer } = route;
  const answers =
    answer.kind === "fields" ? (
      <FieldsAnswers answer={answer.answer} />
    ) : answer.kind === "api.php" ? (
      <ApiPhpAnswers actions={answer.actions} />
    ) : null;
  return (
    <section id={route.id}>
      <h2>
        {route.methods.join(", ")} <code>{openApiPath(route)}</code>
      </h2>
      <p>
        <b>
          <Prose text={route.summary} />.
        </b>{" "}
        <Prose text={route.description} />
      </p>
      <ParamsTable route={route} />
      <h3>Example</h3>
      {route.examples.map((example) => (
        <pre class="shell">{curlCommand(route, example)}</pre>
      ))}
      {answers && (
        <>
          <h3>Answers</h3>
          {answers}
        </>
      )}
    </section>
  );
}

/** api.php's error texts, each with the actions that answer it (listusers in JSON). */
function apiPhpErrorRows(actions: readonly ApiPhpActionSpec[]): Child[][] {
  const names = new Map<string, string[]>();
  const add = (text: string, action: string) => names.set(text, [...(names.get(text) ?? []), action]);
  for (const { name, answers } of actions) {
    for (const error of answers.errors)
      add(answers.format === "json" ? JSON.stringify({ error: error.text }) : apiPhpErrorBody(error), name);
  }
  for (const error of UNKNOWN_ACTION_ERRORS) add(apiPhpErrorBody(error), "any other or no action");
  return [...names].map(([text, actions]) => [<code>{text}</code>, actions.join(", ")]);
}

export function ErrorsSection({ routes }: { routes: readonly RouteSpec[] }) {
  const actions = routes.flatMap(({ answer }) => (answer.kind === "api.php" ? answer.actions : []));
  const codeRows = Object.values(ERROR_CATALOGUE).map(({ meaning, examples }) => [
    String(examples[0]!.code),
    <Prose text={meaning} />,
    joined(
      examples.map((e) => <code>{e.text}</code>),
      ", ",
    ),
  ]);
  return (
    <section id="errors">
      <h2>Errors</h2>
      <p>
        createuser and validate answer errors with HTTP 200, in the requested format, with <code>response</code>, <code>error</code> (the
        same text) and <code>code</code>. HTTP 404, 405, 413, 415 and 500 are transport problems, with a plain-text body.
      </p>
      <Table head={["code", "meaning", "response text"]} rows={codeRows} />
      <h3 id="errors-api-php">api.php errors</h3>
      <p>Plain text with HTTP 200, no code; listusers always answers JSON.</p>
      <Table head={["answer", "action"]} rows={apiPhpErrorRows(actions)} />
    </section>
  );
}
