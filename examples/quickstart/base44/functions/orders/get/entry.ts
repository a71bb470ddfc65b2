// Reads one order as the caller: the Order entity's access rules decide what they may see, so
// another user's order answers 404 just like a missing one.
import { Base44Error, createClientFromRequest } from "npm:@base44/sdk";

Deno.serve(async (req) => {
  const base44 = createClientFromRequest(req);
  const user = await base44.auth.me().catch(() => null);
  if (!user) return Response.json({ error: "Sign in first" }, { status: 401 });
  const id = new URL(req.url).searchParams.get("id");
  if (!id) return Response.json({ error: "Missing ?id=" }, { status: 400 });
  try {
    const order = await base44.entities.Order.get(id);
    return Response.json({ order });
  } catch (error) {
    // The SDK throws a Base44Error with the server's status: 404 for a missing (or hidden) one.
    if (error instanceof Base44Error && error.status === 404) {
      return Response.json({ error: `No order ${id}` }, { status: 404 });
    }
    throw error;
  }
});
