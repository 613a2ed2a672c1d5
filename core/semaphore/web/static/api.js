// Talking to the REST API from a page: same-origin fetch() with the session cookie (the API's
// Origin check is the CSRF defence), and the API's JSON errors turned into a sentence.
export async function postJson(path, body) {
  return fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export async function errorText(response) {
  const body = await response.json().catch(() => ({}));
  const text = body.error || `The server answered ${response.status}.`;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export async function signOut() {
  await postJson("/api/auth/logout");
  window.location.assign("/");
}
