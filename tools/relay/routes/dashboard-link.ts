// Where the relay serves the operators' dashboard, and the link that opens it logged in. The
// session token rides in the fragment, which a browser never sends to a server (nor to a request
// log); the page moves it into the tab's sessionStorage and clears it from the address bar.
export const DASHBOARD_PATH = '/dashboard/';

export function dashboardLink(relayUrl: string, token: string): string {
  return `${relayUrl.replace(/\/+$/, '')}${DASHBOARD_PATH}#token=${token}`;
}
