// The operator routes (signed by an operator): piles, users, dispute resolution, refunds, the
// accounting export.
import { operatorPile, operatorPiles } from './piles.ts';
import { refundContract } from './refund.ts';
import { resolveContract } from './resolve.ts';
import { operatorSessionsCsv } from './sessions-csv.ts';
import { operatorUsers } from './users.ts';

export const operatorHandlers = { operatorPiles, operatorPile, operatorUsers, resolveContract, refundContract, operatorSessionsCsv };
