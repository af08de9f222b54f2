// `tapcharge pile status|logs|selftest|clock|factory-reset --port PORT`: a technician's errands on
// a pile's service console (firmware/console/README.md). status, logs and selftest read (open to
// anyone at the cable); clock --set and factory-reset change the pile and need the relay's
// authorisation for this console session, asked for with the operator's key.
import { bytesToHex } from '../../contracts-offline/bytes.ts';
import type { LogEntry } from '../../contracts-offline/console/answers.ts';
import { U32_MAX } from '../../contracts-offline/messages/fields.ts';
import { authorizeCommand } from '../console/authorize-command.ts';
import { ConsoleClient } from '../console/console-client.ts';
import { CliError } from './cli-error.ts';
import { isoTimeS, operatorKeyAt, portOption, relayAt } from './console-options.ts';

export type ConsoleValues = { port?: string; json?: boolean; after?: string; set?: string; relay?: string; 'operator-key'?: string };

/** A Logs answer holds at most 8 entries: a whole log of 64 KiB of journal is well under this many pages. */
const LOG_PAGES_MAX = 10_000;

async function withConsole(v: ConsoleValues, errand: (pile: ConsoleClient) => Promise<number>): Promise<number> {
  const pile = await ConsoleClient.open(portOption(v.port));
  try {
    return await errand(pile);
  } finally {
    await pile.close();
  }
}

const print = (v: ConsoleValues, json: unknown, text: () => string): void => console.log(v.json ? JSON.stringify(json, null, 2) : text());

async function status(v: ConsoleValues): Promise<number> {
  return withConsole(v, async (pile) => {
    const id = await pile.request('Identify', {});
    const s = await pile.request('Status', {});
    const pileId = id.pileId.length ? bytesToHex(id.pileId) : null;
    const json = {
      pileId, board: id.board, firmwareVersion: id.firmwareVersion, configVersion: id.configVersion, provisioning: id.provisioning,
      pilePublicKey: id.pilePublicKey.length ? bytesToHex(id.pilePublicKey) : null, state: s.state, fault: id.fault, clock: isoTimeS(id.clockS),
      uptimeS: s.uptimeS, journalUsedBytes: s.journalUsedBytes, journalTotalBytes: s.journalTotalBytes, unacknowledged: s.unacknowledged,
      outboxCount: s.outboxCount, meterSerial: s.meterSerial, meterEnergyWh: s.meterEnergyWh, faults: s.faults.map((f) => ({ at: isoTimeS(f.atS), text: f.text })),
    };
    print(v, json, () => [
      `pile ${pileId ?? '(not provisioned)'}: ${id.provisioning}, ${s.state}${id.fault ? ` (${id.fault})` : ''}`,
      `  ${id.board}, firmware ${id.firmwareVersion}, config v${id.configVersion}, key ${id.pilePublicKey.length ? bytesToHex(id.pilePublicKey).slice(0, 16) + '…' : 'none yet'}`,
      `  clock ${isoTimeS(id.clockS)}, up ${s.uptimeS} s`,
      `  journal ${s.journalUsedBytes} of ${s.journalTotalBytes} bytes; ${s.unacknowledged} billing record(s) not acknowledged by the relay, ${s.outboxCount} in the outbox`,
      `  meter serial ${s.meterSerial}, register ${s.meterEnergyWh} Wh`,
      s.faults.length === 0 ? '  no recent faults' : `  recent faults:\n${s.faults.map((f) => `    ${isoTimeS(f.atS)}  ${f.text}`).join('\n')}`,
    ].join('\n'));
    return 0;
  });
}

function afterSeq(text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^[0-9]{1,10}$/.test(text) || Number(text) > U32_MAX) throw new CliError(`--after expected a log sequence number, got "${text}"`, 2);
  return Number(text);
}

async function logs(v: ConsoleValues): Promise<number> {
  let after = afterSeq(v.after);
  return withConsole(v, async (pile) => {
    const entries: LogEntry[] = [];
    for (let page = 0; page < LOG_PAGES_MAX; page++) {
      const answer = await pile.request('Logs', { afterSeq: after });
      entries.push(...answer.entries);
      const last = answer.entries.at(-1);
      if (answer.remaining === 0 || !last || last.seq <= after) break; // an answer that does not move on ends the reading
      after = last.seq;
    }
    print(v, entries.map((e) => ({ ...e, at: isoTimeS(e.atS) })), () => (entries.length === 0 ? 'the log is empty' : entries.map((e) => `#${e.seq}  ${isoTimeS(e.atS)}  ${e.level.padEnd(7)}  ${e.text}`).join('\n')));
    return 0;
  });
}

async function selfTest(v: ConsoleValues): Promise<number> {
  return withConsole(v, async (pile) => {
    const { results } = await pile.request('SelfTest', {});
    print(v, results, () => results.map((r) => `${r.part.padEnd(15)} ${r.outcome.padEnd(7)} ${r.detail}`.trimEnd()).join('\n'));
    return results.some((r) => r.outcome === 'fail') ? 1 : 0;
  });
}

function clockTarget(text: string): number {
  const ms = text === 'now' ? Date.now() : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(text) ? Date.parse(text) : NaN;
  const atS = Math.floor(ms / 1000);
  if (!Number.isInteger(atS) || atS < 0 || atS > U32_MAX) throw new CliError(`--set expected now or an ISO 8601 time with its zone (2026-11-30T08:00:00Z), got "${text}"`, 2);
  return atS;
}

async function clock(v: ConsoleValues): Promise<number> {
  if (v.set === undefined) {
    if (v.relay !== undefined || v['operator-key'] !== undefined) throw new CliError('--relay and --operator-key go with --set (reading the clock is open)', 2);
    return withConsole(v, async (pile) => {
      const { clockS } = await pile.request('Identify', {});
      const aheadS = clockS - Math.floor(Date.now() / 1000);
      print(v, { clock: isoTimeS(clockS), clockS, aheadOfThisComputerS: aheadS }, () => `pile clock ${isoTimeS(clockS)} (${aheadS === 0 ? 'as this computer' : `${Math.abs(aheadS)} s ${aheadS > 0 ? 'ahead of' : 'behind'} this computer`})`);
      return 0;
    });
  }
  const relay = relayAt(v.relay);
  const operatorKey = operatorKeyAt(v['operator-key']);
  const target = v.set;
  clockTarget(target); // a usage mistake is told before the port is opened
  return withConsole(v, async (pile) => {
    const authorization = await authorizeCommand(pile, relay, operatorKey, 'set-clock');
    const set = await pile.request('SetClock', { atS: clockTarget(target), authorization });
    print(v, { previous: isoTimeS(set.previousAtS), clock: isoTimeS(set.atS) }, () => `pile clock set to ${isoTimeS(set.atS)} (was ${isoTimeS(set.previousAtS)})`);
    return 0;
  });
}

async function factoryReset(v: ConsoleValues): Promise<number> {
  const relay = relayAt(v.relay);
  const operatorKey = operatorKeyAt(v['operator-key']);
  return withConsole(v, async (pile) => {
    const { pileId } = await pile.request('Identify', {});
    const authorization = await authorizeCommand(pile, relay, operatorKey, 'factory-reset');
    await pile.request('FactoryReset', { authorization });
    print(v, { pileId: bytesToHex(pileId), reset: true }, () => `pile ${bytesToHex(pileId)} reset: it restarts blank (its key stays in its key store; provision it again with tapcharge provision)`);
    return 0;
  });
}

export const consoleCommands: Record<string, (v: ConsoleValues) => Promise<number>> = { status, logs, selftest: selfTest, clock, 'factory-reset': factoryReset };
