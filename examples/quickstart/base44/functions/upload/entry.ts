// Multipart upload: send a form with a `file` field; answers its name, size and sha256.
Deno.serve(async (req) => {
  const form = await req.formData();
  const file = form.get("file");
  if (!(file instanceof File)) {
    return Response.json({ error: "Send a multipart form with a `file` field" }, { status: 400 });
  }
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  const sha256 = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
  return Response.json({ name: file.name, size: file.size, sha256 });
});
