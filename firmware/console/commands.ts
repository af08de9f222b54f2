// Request type → the command that answers it (README.md "Messages").
import type { ConsoleCommand } from '../../contracts-offline/console/messages.ts';
import type { CommandHandler } from './context.ts';
import { createKey } from './create-key.ts';
import { factoryReset } from './factory-reset.ts';
import { identify } from './identify.ts';
import { provision, readProvisioning } from './provision.ts';
import { selfTest } from './self-test.ts';
import { setClock } from './set-clock.ts';
import { logs, status } from './status.ts';

export const commandHandlers: { readonly [C in ConsoleCommand]: CommandHandler<C> } = Object.freeze({
  Identify: identify,
  CreateKey: createKey,
  Provision: provision,
  ReadProvisioning: readProvisioning,
  Status: status,
  Logs: logs,
  SelfTest: selfTest,
  SetClock: setClock,
  FactoryReset: factoryReset,
});
