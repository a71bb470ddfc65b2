// Server-sent events: five events, 250 ms apart. Each one reaches the caller as it is written.
Deno.serve(() => {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (let i = 1; i <= 5; i++) {
        controller.enqueue(encoder.encode(`data: ${JSON.stringify({ tick: i })}\n\n`));
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      controller.close();
    },
  });
  return new Response(body, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
  });
});
