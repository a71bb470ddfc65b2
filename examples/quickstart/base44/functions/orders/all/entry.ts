// Lists every order for an admin, through the service role (which passes every access rule).
import { createClientFromRequest } from "npm:@base44/sdk";

Deno.serve(async (req) => {
  const base44 = createClientFromRequest(req);
  const user = await base44.auth.me().catch(() => null);
  if (user?.role !== "admin") {
    return Response.json({ error: "Admins only" }, { status: 403 });
  }
  const orders = await base44.asServiceRole.entities.Order.list("-created_date", 100);
  const open = await base44.asServiceRole.entities.Order.count({ status: "open" });
  return Response.json({ open, orders });
});
