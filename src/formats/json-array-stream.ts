const encoder = new TextEncoder();

/**
 * A JSON array streamed one page at a time, pulled as the client reads: the whole array never
 * exists in memory. Each page is its items' JSON, comma-separated. A failure mid-way errors the
 * stream, so the client sees a broken transfer rather than a shorter list that parses.
 */
export function jsonArrayStream(pages: AsyncIterable<string>, onError: (error: unknown) => void): ReadableStream<Uint8Array> {
  const iterator = pages[Symbol.asyncIterator]();
  let first = true;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode("["));
    },
    async pull(controller) {
      try {
        const { done, value } = await iterator.next();
        if (done) {
          controller.enqueue(encoder.encode("]"));
          controller.close();
          return;
        }
        if (value === "") return;
        controller.enqueue(encoder.encode(first ? value : `,${value}`));
        first = false;
      } catch (error) {
        onError(error);
        controller.error(error);
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}
