// Talking to the REST API from a page: same-origin fetch() with the session cookie (the API's
// Origin check is the CSRF defence), and the API's JSON errors turned into a sentence.
export async function sendJson(method, path, body) {
  return fetch(path, {
    method,
    credentials: "same-origin",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export function postJson(path, body) {
  return sendJson("POST", path, body);
}

export async function getJson(path) {
  const response = await fetch(path, { credentials: "same-origin" });
  if (!response.ok) throw new Error(await errorText(response));
  return response.json();
}

export async function errorBody(response) {
  const body = await response.json().catch(() => ({}));
  const text = body.error || `The server answered ${response.status}.`;
  return { text: text.charAt(0).toUpperCase() + text.slice(1), field: body.field || null };
}

export async function errorText(response) {
  return (await errorBody(response)).text;
}

export async function signOut() {
  await postJson("/api/auth/logout");
  window.location.assign("/");
}
