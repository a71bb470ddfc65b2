// A nested function: its name is "orders/process". Two folders deep, so base44/shared/ is
// three levels up.
import { totalCents } from "../../../shared/money.ts";

Deno.serve(async (req) => {
  const { items = [] } = await req.json().catch(() => ({}));
  return Response.json({ status: "processed", total_cents: totalCents(items) });
});
