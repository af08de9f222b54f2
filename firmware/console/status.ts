// Status and Logs (open): README.md "Messages". Journal figures come from the running pile, or,
// when it refused to run, from a read-only mount of its partition (a technician still sees what
// it holds). The event log is since power-on (firmware/events/event-log.ts).
import { LOG_ENTRIES_MAX, STATUS_FAULTS_MAX } from '../../contracts-offline/console/answers.ts';
import { ok } from '../../contracts-offline/result.ts';
import type { JournalStats } from '../journal/journal.ts';
import { mountJournal } from '../journal/mount.ts';
import { unacknowledgedBillingCount } from '../provisioning/factory-reset.ts';
import { type ConsoleContext, answerNow } from './context.ts';

type JournalFigures = { journalUsedBytes: number; unacknowledged: number; outboxCount: number };

export const status = answerNow<'Status'>((context) => {
  const { services } = context.pile();
  const meterSerial = context.hal.meter.readSerialNumber();
  const meterEnergyWh = context.hal.meter.sample().energyWh;
  return ok({
    uptimeS: context.uptimeS(),
    ...journalFigures(context),
    journalTotalBytes: context.hal.flash.byteLength,
    meterSerial,
    meterEnergyWh,
    state: services?.state() ?? 'unavailable',
    faults: context.log.lastFaults(STATUS_FAULTS_MAX).map(({ atS, text }) => ({ atS, text })),
  });
});

export const logs = answerNow<'Logs'>((context, request) => {
  const { entries, remaining } = context.log.after(request.afterSeq, LOG_ENTRIES_MAX);
  return ok({ entries, remaining });
});

/** Record bytes in the journal (live and not yet compacted away), as `journalUsedBytes`. */
function usedBytes(stats: JournalStats): number {
  return stats.liveBytes + stats.deadBytes;
}

function journalFigures(context: ConsoleContext): JournalFigures {
  const { services } = context.pile();
  if (services) {
    return { journalUsedBytes: usedBytes(services.journalStats()), unacknowledged: services.unacknowledgedCount(), outboxCount: services.outbox(0, 0).remaining };
  }
  const mounted = mountJournal(context.hal.flash);
  if (!mounted.ok) {
    if (mounted.code === 'device') throw new Error(mounted.reason); // answered 'device'
    return { journalUsedBytes: 0, unacknowledged: 0, outboxCount: 0 }; // blank, or nothing readable (Identify names the fault)
  }
  const unacknowledged = unacknowledgedBillingCount(mounted.value);
  return { journalUsedBytes: usedBytes(mounted.value.stats()), unacknowledged, outboxCount: unacknowledged };
}
