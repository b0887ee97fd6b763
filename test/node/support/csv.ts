// CSV downloads read by an independent parser: Python's csv module (RFC 4180 quoting, CRLF), so a
// quoting bug of ours is not shared by the test that checks it.
import { spawnSync } from "node:child_process";

export function parseCsvWithPython(text: string): string[][] {
  const result = spawnSync(
    "python3",
    ["-c", "import csv, io, json, sys; print(json.dumps(list(csv.reader(io.StringIO(sys.stdin.read(), newline='')))))"],
    {
      input: text,
      encoding: "utf8",
    },
  );
  if (result.status !== 0) throw new Error(`python3 could not parse the CSV: ${result.stderr}`);
  return JSON.parse(result.stdout) as string[][];
}
