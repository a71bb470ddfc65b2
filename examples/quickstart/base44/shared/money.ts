/** Shared by every function: files in base44/shared/ are uploaded with each of them. */
export function totalCents(items: { price_cents: number; quantity: number }[]): number {
  return items.reduce((sum, item) => sum + item.price_cents * item.quantity, 0);
}
