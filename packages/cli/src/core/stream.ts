/**
 * Reads a web stream chunk by chunk (the DOM lib types lack `ReadableStream`'s async
 * iterator, though Node has it).
 *
 * @example
 * for await (const chunk of chunks(res.body)) process.stdout.write(chunk);
 */
export async function* chunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}
