/** Vite's `?raw` imports (used by tests that check documentation against code). */
declare module "*?raw" {
  const text: string;
  export default text;
}
