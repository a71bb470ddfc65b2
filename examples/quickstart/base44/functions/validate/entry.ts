// Answers its own 4xx error body for bad input; the server passes it through untouched.
Deno.serve(async (req) => {
  const body = await req.json().catch(() => null);
  const email = body?.email;
  if (typeof email !== "string" || !email.includes("@")) {
    return Response.json(
      { error: "Invalid email", field: "email", value: email ?? null },
      { status: 422 },
    );
  }
  return Response.json({ ok: true, email });
});
