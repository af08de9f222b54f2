// The relay's API as the page calls it: same origin, the operator's session token as a bearer
// credential (the relay accepts it on reads only), every call bounded in time.

const TOKEN_KEY = 'tapcharge-dashboard-token';
const CALL_TIMEOUT_MS = 8_000;

/** The relay refused the token (401): expired, not this relay's, or no token at all. */
export class LoginError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** No answer from the relay (down, restarting, network). */
export class UnreachableError extends Error {}

/**
 * The session token: from the link's fragment (#token=…, which browsers never send to a server)
 * when there is one — kept for this tab only, and cleared from the address bar — else the one kept.
 */
export function adoptToken() {
  const fromLink = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromLink) {
    sessionStorage.setItem(TOKEN_KEY, fromLink);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** GET `path` of the relay; a 503 is an answer for /v1/health (the body says what fails). */
export async function getJson(path, token) {
  let response;
  try {
    response = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {}, cache: 'no-store', signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
  } catch (error) {
    throw new UnreachableError(`GET ${path}: ${error.name === 'TimeoutError' ? `no answer within ${CALL_TIMEOUT_MS / 1000} s` : error.message}`);
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new UnreachableError(`GET ${path}: ${response.status}, not JSON`);
  }
  if (response.status === 401) throw new LoginError(body.error, body.message);
  if (!response.ok && response.status !== 503) throw new Error(`GET ${path}: ${response.status} ${body.error}: ${body.message}`);
  return body;
}
