const encoder = new TextEncoder();

/**
 * A JSON array streamed one page of items at a time, pulled as the client reads: the whole
 * array never exists in memory. A failure mid-way errors the stream, so the client sees a broken
 * transfer rather than a shorter list that parses.
 */
export function jsonArrayStream<T>(pages: AsyncIterable<readonly T[]>, onError: (error: unknown) => void): ReadableStream<Uint8Array> {
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
        if (value.length === 0) return;
        const items = value.map((item) => JSON.stringify(item)).join(",");
        controller.enqueue(encoder.encode(first ? items : `,${items}`));
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
