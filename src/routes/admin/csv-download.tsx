import { csvLine } from "../../formats/csv";

/**
 * A CSV made for this answer only (new passwords or secrets): a link whose data: URL holds the
 * file, so it is downloaded from the page itself and never stored or served again.
 */
export function CsvDownload({ filename, label, rows }: { filename: string; label: string; rows: string[][] }) {
  const href = `data:text/csv;charset=utf-8,${encodeURIComponent(rows.map(csvLine).join(""))}`;
  return (
    <p>
      <a href={href} download={filename} id="csv-download">
        {label}
      </a>
    </p>
  );
}
