// The other handler shape: a default export with a fetch method (no Deno.serve call).
export default {
  fetch(req: Request): Response {
    return Response.json({ shape: "export default { fetch }", method: req.method });
  },
};
