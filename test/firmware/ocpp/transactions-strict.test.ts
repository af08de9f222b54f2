// A real pile (bootPile on the simulated board, a scripted vehicle) on the host uplink (the `ws`
// package) against an `ocpp-rpc` RPCServer in strict mode on 127.0.0.1 — a central system that is
// not the relay, checking every message of the pile against the official OCPP 1.6 JSON schemas:
// the session's BillingRecords (the first one Rejected, sent again after the back-off), each
// followed by StartTransaction / StopTransaction, the Acks applied; MeterValues while it runs;
// the connection lost with a record unanswered and the record sent again on the next one, after
// the pile answered that connection's identity challenge; RemoteStart/StopTransaction and Reset
// answered, malformed ones refused with the spec's CALLERROR. The pile's timers run on its
// virtual clock; the socket is real, so the test waits (bounded) for frames to cross it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { base64urlToBytes, bytesToBase64url } from '../../../contracts-offline/bytes.ts';
import { encodeAck } from '../../../contracts-offline/messages/ack.ts';
import type { Contract } from '../../../contracts-offline/messages/contract.ts';
import type { Receipt } from '../../../contracts-offline/messages/receipt.ts';
import { readSigned, signMessage } from '../../../contracts-offline/signed.ts';
import type { UplinkEvents, UplinkSocket } from '../../../hal/types.ts';
import { bootPile } from '../../../firmware/pile.ts';
import { WsUplinkSocket } from '../../../tools/pile-sim/uplink-socket.ts';
import { outboxMessages, pileId, plugEv, provisionedRig, relayKey, startMs, startSession } from '../../support/pile-rig.ts';
import { until } from '../../support/until.ts';
import { strictCentralSystem } from '../../support/strict-central-system.ts';

/** Counts the pile's CALLs and the replies it got, and keeps its answers to the server's CALLs. */
class CountingUplink implements UplinkSocket {
  readonly inner = new WsUplinkSocket();
  readonly callIds: string[] = [];
  readonly replies = new Set<string>();
  readonly answers = new Map<string, unknown[]>();
  opened = 0;
  closes = 0;
  open(url: string, events: UplinkEvents): void {
    this.inner.open(url, {
      onOpen: () => {
        this.opened++;
        events.onOpen();
      },
      onMessage: (text) => {
        const id = /^\[\s*[34]\s*,\s*"([^"]*)"/.exec(text)?.[1];
        if (id) this.replies.add(id);
        events.onMessage(text);
      },
      onClose: (reason) => {
        this.closes++;
        this.callIds.splice(0); // CALLs lost with the connection get no reply
        events.onClose(reason);
      },
    });
  }
  send(text: string): boolean {
    const sent = this.inner.send(text);
    const frame = JSON.parse(text) as unknown[];
    if (sent && frame[0] === 2) this.callIds.push(frame[1] as string);
    if (sent && frame[0] !== 2) this.answers.set(frame[1] as string, frame);
    return sent;
  }
  close(): void {
    this.inner.close();
  }
  /** Every CALL the pile sent on a live connection has its reply. */
  settled(): boolean {
    return this.callIds.every((id) => this.replies.has(id));
  }
}

async function transactionCentralSystem(options: { rejectFirstRecord: boolean; dropOnRecord?: number }) {
  let records = 0;
  const cs = await strictCentralSystem('/ocpp/', (client, answer) => {
    answer('BootNotification', () => ({ status: 'Accepted', currentTime: new Date().toISOString(), interval: 300 }));
    answer('Heartbeat', () => ({ currentTime: new Date().toISOString() }));
    answer('StatusNotification', () => ({}));
    answer('MeterValues', () => ({}));
    answer('DataTransfer', (params) => {
      records++;
      if (options.rejectFirstRecord && records === 1) return { status: 'Rejected', data: 'unavailable' };
      if (records === options.dropOnRecord) {
        void client.close({ code: 1001, reason: 'going away' });
        return new Promise(() => {});
      }
      const read = readSigned(base64urlToBytes(params.data as string));
      if (!read.ok) return { status: 'Rejected', data: 'malformed' };
      const { seq } = read.value.message as Contract | Receipt;
      const ack = signMessage(encodeAck({ pileId, ranges: [{ fromSeq: seq, toSeq: seq }], atS: startMs / 1000 }), relayKey.secretKey);
      return { status: 'Accepted', data: bytesToBase64url(ack) };
    });
    answer('StartTransaction', () => ({ transactionId: 500 + cs.of('StartTransaction').length, idTagInfo: { status: 'Accepted' } }));
    answer('StopTransaction', () => ({ idTagInfo: { status: 'Accepted' } }));
    if (cs.clients.length > 1) void client.call('DataTransfer', { vendorId: 'com.tapcharge', messageId: 'IdentityChallenge', data: 'cd'.repeat(16) });
  });
  return {
    ...cs,
    /** The billing records received, as "Contract <seq>" / "Receipt <seq>", and the transaction messages between them. */
    sequence: () => cs.received.filter((r) => ['DataTransfer', 'StartTransaction', 'StopTransaction'].includes(r.action)).map((r) => {
      if (r.action !== 'DataTransfer') return r.action;
      const read = readSigned(base64urlToBytes(r.params.data as string));
      return read.ok ? `${read.value.name} ${(read.value.message as Contract | Receipt).seq}` : 'unreadable';
    }),
  };
}

async function strictPile(url: string) {
  const uplink = new CountingUplink();
  const events: string[] = [];
  const rig = provisionedRig({ instrument: (sim) => void (sim.hal.uplink = uplink) });
  rig.handle.shutdown();
  const handle = bootPile(rig.sim.hal, { uplinkUrl: url }, (level, text) => events.push(`${level}: ${text}`));
  const { sim } = rig;
  /** Advance the pile's clock `ms` one second at a time, letting every CALL be answered first. */
  const advance = async (ms: number) => {
    for (let done = 0; done < ms; done += 1000) {
      await until(() => uplink.settled(), 'the pile\'s CALLs answered');
      sim.clock.advance(Math.min(1000, ms - done));
    }
    await until(() => uplink.settled(), 'the pile\'s CALLs answered');
  };
  return { uplink, sim, pile: handle.services!, events, advance, stop: () => handle.shutdown() };
}

test('a session on a strict central system: records in order, transaction messages after each, MeterValues; all schema-valid', async () => {
  const cs = await transactionCentralSystem({ rejectFirstRecord: true });
  const { sim, pile, advance, uplink, stop } = await strictPile(cs.url);
  try {
    await until(() => cs.of('StatusNotification').length === 2, 'the pile Accepted, its connectors');
    plugEv(sim);
    startSession(pile, { mode: 'energy', energyWh: 20_000 }, 5000);
    const contract = outboxMessages(pile)[0]!;
    await advance(1000);
    await until(() => cs.of('DataTransfer').length === 1, 'the first BillingRecord');
    assert.equal(cs.of('StartTransaction'), [], 'Rejected: no transaction message');
    await advance(5000);
    await until(() => cs.of('StartTransaction').length === 1, 'the record again after 5 s, then StartTransaction');
    await until(() => outboxMessages(pile).length === 0, 'the Ack applied');
    await advance(60_000);
    const meterValues = cs.of('MeterValues');
    assert.ok(meterValues.length >= 1, 'MeterValues while the transaction runs');
    assert.ok(meterValues.every((m) => m.transactionId === 501));
    sim.circuit.unplug();
    await advance(2000);
    await until(() => cs.of('StopTransaction').length === 1, 'StopTransaction');
    await until(() => outboxMessages(pile).length === 0, 'the receipt acknowledged');
    const receiptSeq = contract.seq + 1;
    assert.equal(cs.sequence(), [`Contract ${contract.seq}`, `Contract ${contract.seq}`, 'StartTransaction', `Receipt ${receiptSeq}`, 'StopTransaction']);
    assert.equal(cs.of('StopTransaction')[0]!.transactionId, 501);
    assert.equal(cs.of('StopTransaction')[0]!.reason, 'EVDisconnected');
    const metered = cs.of('MeterValues').length;
    await advance(120_000);
    assert.is(cs.of('MeterValues').length, metered, 'none after the session');
    assert.ok(uplink.opened === 1);
    assert.equal(cs.validationFailures, [], 'every message of the pile passed the strict schemas');
  } finally {
    stop();
    await cs.close();
  }
});

test('the connection lost with a record unanswered: on the next one, once proven, the same record first; nothing lost or skipped', async () => {
  const cs = await transactionCentralSystem({ rejectFirstRecord: false, dropOnRecord: 1 });
  const { sim, pile, advance, uplink, stop } = await strictPile(cs.url);
  try {
    await until(() => cs.of('StatusNotification').length === 2, 'the pile Accepted');
    plugEv(sim);
    startSession(pile, { mode: 'energy', energyWh: 20_000 }, 5000);
    const contract = outboxMessages(pile)[0]!;
    sim.clock.advance(1000);
    await until(() => cs.of('DataTransfer').length === 1, 'the record on the first connection');
    await until(() => uplink.closes === 1, 'the server closing the connection before answering it');
    assert.equal(outboxMessages(pile).map((m) => m.seq), [contract.seq], 'still in the outbox');
    // the pile reconnects after its back-off (1 s), answers the challenge, sends the record again after 5 s
    sim.clock.advance(1000);
    await until(() => cs.clients.length === 2, 'the reconnection');
    await until(() => [...uplink.answers.values()].some((f) => (f[2] as { status?: string })?.status === 'Accepted'), 'the identity proven');
    await advance(6000);
    await until(() => cs.of('StartTransaction').length === 1, 'the record again, then StartTransaction');
    await until(() => outboxMessages(pile).length === 0, 'the Ack applied');
    assert.equal(cs.sequence(), [`Contract ${contract.seq}`, `Contract ${contract.seq}`, 'StartTransaction']);
    assert.equal(cs.validationFailures, []);
  } finally {
    stop();
    await cs.close();
  }
});

test('RemoteStart/StopTransaction and Reset on a strict central system: Rejected; malformed ones get the spec\'s CALLERROR', async () => {
  const cs = await transactionCentralSystem({ rejectFirstRecord: false });
  const { pile, uplink, stop } = await strictPile(cs.url);
  try {
    await until(() => cs.of('StatusNotification').length === 2, 'the pile Accepted');
    const server = cs.clients[0]!;
    assert.equal(await server.call('RemoteStartTransaction', { idTag: 'ABC123', connectorId: 1 }), { status: 'Rejected' });
    assert.equal(await server.call('RemoteStopTransaction', { transactionId: 501 }), { status: 'Rejected' });
    assert.equal(await server.call('Reset', { type: 'Hard' }), { status: 'Rejected' });
    const bad: [string, string][] = [
      ['[2,"b1","RemoteStartTransaction",{}]', 'OccurenceConstraintViolation'],
      ['[2,"b2","RemoteStartTransaction",{"idTag":"x","chargingProfile":5}]', 'TypeConstraintViolation'],
      ['[2,"b3","RemoteStopTransaction",{"transactionId":"501"}]', 'TypeConstraintViolation'],
      ['[2,"b4","Reset",{"type":"Warm"}]', 'PropertyConstraintViolation'],
      ['[2,"b5","Reset",{"type":"Soft","delay":1}]', 'FormationViolation'],
    ];
    for (const [frame, code] of bad) {
      const id = frame.slice(4, frame.indexOf('"', 4));
      server.sendRaw(frame);
      await until(() => uplink.answers.has(id), `the answer to ${id}`);
      assert.equal([uplink.answers.get(id)![0], uplink.answers.get(id)![2]], [4, code]);
    }
    assert.is(pile.state(), 'available');
    assert.equal(cs.validationFailures, []);
  } finally {
    stop();
    await cs.close();
  }
});

test.run();
