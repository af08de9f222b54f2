// The scripted day of `npm start`: three offline piles with different tariffs (one gets a new
// config at noon) and one networked pile (its uplink to the relay over OCPP 1.6J), six drivers,
// 07:00–22:00 on the business clock. Every flow of R3–R9 and R11 happens at least once — on the
// networked pile a session through an uplink outage (SIMULATED) and a user stop from the phone;
// the checks (balances read from the ledger) make the script fail loudly when one does not behave
// as the method says.
import { ALL_FLOWS } from './flows.ts';
import { check, pulledCapped, startOnCredit } from './checked-flows.ts';
import { cutUplink, deliveredAfterOutage, liveStatus, openChannelByCode, openChannelByTap, restoreUplink, startOnPhone, stopOnPhone } from './networked-acts.ts';
import { type DayScript, car } from './scene.ts';
import { DayError } from './errors.ts';

export const dayScript: DayScript = {
  name: 'a day of four piles (one networked) and six drivers',
  expectedFlows: ALL_FLOWS,
  async run(scene) {
    const main = await scene.system.addPile('Main St 1', { energyMinorPerKwh: 30, timeMinorPerHour: 0, sessionFeeMinor: 10 }, 7400);
    const depot = await scene.system.addPile('Depot 2', { energyMinorPerKwh: 25, timeMinorPerHour: 60, sessionFeeMinor: 0 }, 7400);
    const mall = await scene.system.addPile('Mall 3', { energyMinorPerKwh: 40, timeMinorPerHour: 0, sessionFeeMinor: 50 }, 11000);
    const garage = await scene.system.addPile('Garage 4', { energyMinorPerKwh: 35, timeMinorPerHour: 0, sessionFeeMinor: 20 }, 7400, { networked: true });
    for (const pile of scene.system.piles) await scene.say('operator', `registered and provisioned ${pile.label} (pile ${pile.pileIdHex})${pile.uplink ? ', networked: connected to the relay over OCPP 1.6J' : ''}`);
    const ada = await scene.addDriver('Ada', 3000);
    const bob = await scene.addDriver('Bob', 4000);
    const chen = await scene.addDriver('Chen', 2500);
    const dana = await scene.addDriver('Dana', 1500);
    const eli = await scene.addDriver('Eli', 0);
    const fay = await scene.addDriver('Fay', 3000);

    await scene.at('07:05');
    await scene.transfer(bob, eli, 1000);

    await scene.at('07:10'); // R5 energy, ends by itself; R7: Bob's tap carries the receipt
    await scene.plug(ada, main, car(60, 25));
    await scene.tapHello(ada, main);
    await scene.choose(ada, { mode: 'energy', energyWh: 10_000 });
    await scene.tapStart(ada, main);

    await scene.at('07:15'); // R5 amount (Dana's first settled session)
    await scene.plug(dana, depot, car(64, 15));
    await scene.tapHello(dana, depot);
    await scene.choose(dana, { mode: 'amount', amountMinor: 400 });
    await scene.tapStart(dana, depot);

    await scene.at('07:20'); // R5 time
    await scene.plug(chen, mall, car(75, 30, 40));
    await scene.tapHello(chen, mall);
    await scene.choose(chen, { mode: 'time', durationS: 3600 });
    await scene.tapStart(chen, mall);

    await scene.at('07:50'); // R9 on the networked pile: the code on its display, then the phone only
    const fayChannel = await openChannelByCode(scene, fay, garage);
    await scene.plug(fay, garage, car(60, 30));
    const fayContract = await startOnPhone(scene, fay, garage, fayChannel, { mode: 'energy', energyWh: 10_000 });
    await scene.at('08:10');
    await liveStatus(scene, fay, garage, fayChannel, fayContract);
    await scene.at('08:25'); // the uplink goes down mid-session and stays down past the session's end (~09:15)
    const garageCut = await cutUplink(scene, fay, garage, fayChannel);

    await scene.at('08:30');
    scene.expectState(mall, 'finishing');
    await scene.unplug(chen, mall);
    await scene.at('08:40');
    scene.expectState(main, 'finishing');
    await scene.unplug(ada, main);

    await scene.at('08:45'); // R8 full: ends when the car is full, then asks for a final tap
    await scene.plug(bob, main, car(40, 50));
    await scene.tapHello(bob, main);
    await scene.choose(bob, { mode: 'full' });
    await scene.tapStart(bob, main);

    await scene.at('09:05');
    scene.expectState(depot, 'finishing');
    await scene.unplug(dana, depot);
    await scene.at('09:10');
    await scene.plug(dana, mall, car(64, 30));
    await scene.tapHello(dana, mall);
    await scene.choose(dana, { mode: 'amount', amountMinor: 400 });
    await scene.tapStart(dana, mall);

    await scene.at('09:20');
    scene.expectState(garage, 'finishing');
    await restoreUplink(scene, garageCut);
    await scene.at('09:25');
    await deliveredAfterOutage(scene, fay, fayChannel, garageCut, fayContract);
    await scene.unplug(fay, garage);

    await scene.at('09:30'); // R6/R7: Eli's capped contract, plug pulled at 10:00
    await scene.plug(eli, depot, car(50, 20));
    await scene.tapHello(eli, depot);
    await scene.choose(eli, { mode: 'energy', energyWh: 15_000 });
    const eliContract = await scene.tapStart(eli, depot);
    await scene.at('10:00');
    if ((await scene.unplug(eli, depot)) !== 'pulled') throw new DayError('script', 'Eli\'s plug was not pulled mid-charge');

    await scene.at('10:35');
    scene.expectState(mall, 'finishing');
    await scene.unplug(dana, mall);
    await scene.at('10:45');
    await scene.plug(dana, depot, car(64, 45));
    await pulledCapped(scene, eli, dana, depot, eliContract, () => scene.tapHello(dana, depot));
    await scene.choose(dana, { mode: 'time', durationS: 5400 });
    await scene.tapStart(dana, depot);

    await scene.at('11:00'); // R6/R8: Ada's open contract, plug pulled at 11:45
    await scene.plug(ada, mall, car(60, 35));
    await scene.tapHello(ada, mall);
    await scene.choose(ada, { mode: 'full' });
    await scene.tapStart(ada, mall);

    await scene.at('11:40');
    scene.expectState(main, 'finishing');
    await scene.tapCollect(bob, main);
    await scene.unplug(bob, main);
    await scene.at('11:45');
    if ((await scene.unplug(ada, mall)) !== 'pulled') throw new DayError('script', 'Ada\'s plug was not pulled mid-charge');

    await scene.at('12:00'); // R3: a new config, written into the pile by the next tap 1
    await scene.configure(main, { tariff: { energyMinorPerKwh: 35, timeMinorPerHour: 0, sessionFeeMinor: 10 } });
    await scene.at('12:05');
    await scene.plug(ada, main, car(60, 40));
    await scene.tapHello(ada, main);
    const refusal = await scene.chooseRefused(ada, { mode: 'amount', amountMinor: 300 }, 409);
    check(refusal.code === 'open-contract-outstanding', `Ada is refused for her open contract (${refusal.code})`);
    await scene.at('12:20');
    await scene.tapCollect(ada, mall);
    await scene.at('12:30');
    scene.expectState(depot, 'finishing');
    await scene.tapCollect(dana, depot);
    await scene.unplug(dana, depot);
    await scene.tapHello(ada, main);
    await scene.choose(ada, { mode: 'amount', amountMinor: 300 });
    scene.flows.mark('open-plug-pulled', 'Ada at Mall 3: voucher refused 409 at 12:05, receipt collected by her tap at 12:20, voucher issued at 12:30');
    await scene.tapStart(ada, main);

    await scene.at('13:00'); // R6 user stop
    await scene.plug(chen, mall, car(75, 50, 40));
    await scene.tapHello(chen, mall);
    await scene.choose(chen, { mode: 'time', durationS: 7200 });
    await scene.tapStart(chen, mall);
    await scene.at('13:40');
    await scene.tapStop(chen, mall);
    await scene.unplug(chen, mall);

    await scene.at('13:50');
    scene.expectState(main, 'finishing');
    await scene.unplug(ada, main);
    await scene.at('14:00'); // R11: Dana starts on her credit line
    await scene.plug(dana, main, car(64, 40));
    await scene.tapHello(dana, main);
    await startOnCredit(scene, dana, main);

    await scene.at('14:30');
    await scene.plug(bob, depot, car(40, 60));
    await scene.tapHello(bob, depot);
    await scene.choose(bob, { mode: 'energy', energyWh: 8000 });
    await scene.tapStart(bob, depot);

    await scene.at('14:40'); // R9 user stop: one tap for the pile id, the rest on the phone
    await scene.plug(fay, garage, car(60, 45));
    const fayTapped = await openChannelByTap(scene, fay, garage);
    const fayAmount = await startOnPhone(scene, fay, garage, fayTapped, { mode: 'amount', amountMinor: 500 });
    await scene.at('15:00');
    await liveStatus(scene, fay, garage, fayTapped, fayAmount);
    await scene.at('15:10');
    await stopOnPhone(scene, fay, garage, fayTapped, fayAmount);
    await scene.unplug(fay, garage);

    await scene.at('16:00');
    scene.expectState(depot, 'finishing');
    await scene.unplug(bob, depot);
    await scene.at('16:30');
    scene.expectState(main, 'finishing');
    await scene.tapCollect(dana, main);
    await scene.unplug(dana, main);
    await scene.at('16:40');
    await scene.topUp(dana, 2000);

    await scene.at('17:00');
    await scene.plug(eli, depot, car(30, 60));
    await scene.tapHello(eli, depot);
    await scene.choose(eli, { mode: 'full' });
    await scene.tapStart(eli, depot);
    await scene.at('19:00');
    scene.expectState(depot, 'finishing');
    await scene.tapCollect(eli, depot);
    await scene.unplug(eli, depot);

    await scene.at('20:00'); // ends normally at ~20:35; no phone taps Mall 3 again today: provisional overnight
    await scene.plug(chen, mall, car(75, 40, 40));
    await scene.tapHello(chen, mall);
    await scene.choose(chen, { mode: 'energy', energyWh: 6000 });
    await scene.tapStart(chen, mall);
    await scene.at('20:45');
    scene.expectState(mall, 'finishing');
    await scene.unplug(chen, mall);
    await scene.at('22:00');
    await scene.say('day', 'the day is over');
  },
};
