// POST {"name": "Ada"} or GET ?name=Ada answers {"message": "Hello, Ada!"}.
Deno.serve(async (req) => {
  const url = new URL(req.url);
  let name = url.searchParams.get("name") ?? "world";
  if (req.method === "POST") {
    const body = await req.json().catch(() => ({}));
    if (typeof body?.name === "string") name = body.name;
  }
  console.log(`Saying hello to ${name}`);
  return Response.json({ message: `Hello, ${name}!` });
});
