/** "1 wrong code", "2 wrong codes": a count and its noun in the right number, digits grouped. */
export function countText(count: number, singular: string, plural = `${singular}s`): string {
  return `${count.toLocaleString("en")} ${count === 1 ? singular : plural}`;
}
