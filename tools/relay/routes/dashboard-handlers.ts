// The routes behind the operators' dashboard (dashboard-static.ts serves the page): the browser's
// login, the sessions of a period as JSON, and the live audit, which trusts the anchors this relay
// was started with.
import type { AuditAnchors } from '../audit/open-relay-data.ts';
import { operatorAuditHandler } from './dashboard-audit.ts';
import { operatorLogin } from './operator-session-login.ts';
import { operatorSessions } from './operator-sessions.ts';

export const dashboardHandlers = (anchors: AuditAnchors) => ({ operatorLogin, operatorSessions, operatorAudit: operatorAuditHandler(anchors) });
