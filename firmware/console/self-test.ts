// SelfTest (open; refused while a session runs, busy during a tap): README.md "Messages". Each part
// answers pass, fail or skipped with a short detail. The contactor is exercised only on a running
// pile with no vehicle connected (pilot state A, read with the firmware's pilot code): it answers
// from a timer, after the contactor has had its settle time twice.
import { SELF_TEST_DETAIL_MAX_BYTES, type SelfTestOutcome, type SelfTestPart, type SelfTestResult } from '../../contracts-offline/console/answers.ts';
import { concatBytes, utf8Encode } from '../../contracts-offline/bytes.ts';
import { ok } from '../../contracts-offline/result.ts';
import { cpStateForMv } from '../charging/control-pilot.ts';
import { type CommandHandler, type ConsoleContext, pilePublicKey, sessionRunning, shortText, tapInProgress } from './context.ts';


function result(part: SelfTestPart, outcome: SelfTestOutcome, detail: string): SelfTestResult {
  return { part, outcome, detail: shortText(detail, SELF_TEST_DETAIL_MAX_BYTES) };
}

/** Runs `probe`; a throw is that part's failure, named. */
function probe(part: SelfTestPart, run: () => SelfTestResult): SelfTestResult {
  try {
    return run();
  } catch (error) {
    return result(part, 'fail', (error as Error).message);
  }
}

export const selfTest: CommandHandler<'SelfTest'> = (context, _request, reply) => {
  const refusal = tapInProgress(context) ?? sessionRunning(context);
  if (refusal) return reply(refusal);
  let vehicleAbsent = false;
  const pilot = probe('pilot', () => {
    const highMv = context.hal.pilot.readHighMv();
    const state = cpStateForMv(highMv);
    vehicleAbsent = state === 'A';
    const plausible = state !== 'invalid' && state !== 'E';
    return result('pilot', plausible ? 'pass' : 'fail', `state ${state} (${highMv} mV)`);
  });
  const others = [pilot, meter(context), nfc(context), secureElement(context)];
  const services = context.pile().services;
  if (!services || !vehicleAbsent) {
    const why = !services ? 'the pile is not running' : 'a vehicle is connected (or the pilot cannot tell)';
    return reply(ok({ results: [result('contactor', 'skipped', why), ...others] }));
  }
  services.testContactor((fault) => {
    const contactor = fault ? result('contactor', 'fail', fault) : result('contactor', 'pass', 'closed and opened with feedback');
    reply(ok({ results: [contactor, ...others] }));
  });
};

function meter(context: ConsoleContext): SelfTestResult {
  return probe('meter', () => {
    const serial = context.hal.meter.readSerialNumber();
    const sample = context.hal.meter.sample();
    return result('meter', 'pass', `serial ${serial}, ${sample.energyWh} Wh, ${sample.voltageMv} mV`);
  });
}

function nfc(context: ConsoleContext): SelfTestResult {
  return probe('nfc', () => result('nfc', 'pass', context.hal.nfc.selfTest()));
}

/** Sign a test message in the key store and verify it with the key store's public key. */
function secureElement(context: ConsoleContext): SelfTestResult {
  return probe('secure-element', () => {
    const publicKey = pilePublicKey(context);
    if (!publicKey) return result('secure-element', 'skipped', 'no key yet');
    const message = concatBytes(utf8Encode('tapcharge self-test '), context.challenge.current);
    const signature = context.hal.keyStore.sign(message);
    const verified = context.crypto.verify(signature, message, publicKey);
    return result('secure-element', verified ? 'pass' : 'fail', verified ? 'signature verifies' : 'signature does not verify');
  });
}
