// `npm run pile:sim`: one pile on show, driven by two drivers' phones through every flow of
// R3–R8 in one morning — the same scene vocabulary and checks as the day, on a single pile.
import { pulledCapped } from './checked-flows.ts';
import { type DayScript, car } from './scene.ts';
import { DayError } from './errors.ts';

export const onePileScript: DayScript = {
  name: 'one pile, two drivers, every flow of R3–R8',
  showDisplays: true,
  expectedFlows: ['tap1-update', 'amount-normal', 'time-normal', 'energy-normal', 'full-normal', 'user-stop', 'capped-carried-by-another', 'capped-plug-pulled', 'open-plug-pulled', 'top-up', 'transfer'],
  async run(scene) {
    const bay = await scene.system.addPile('Bay 1', { energyMinorPerKwh: 30, timeMinorPerHour: 0, sessionFeeMinor: 10 }, 7400);
    await scene.say('operator', `registered and provisioned ${bay.label} (pile ${bay.pileIdHex})`);
    const ada = await scene.addDriver('Ada', 3000);
    const bob = await scene.addDriver('Bob', 1500);
    await scene.transfer(ada, bob, 500);

    await scene.at('07:05'); // R3 R4 R5 energy; R7: the next driver's tap carries the receipt
    await scene.plug(ada, bay, car(60, 25));
    await scene.tapHello(ada, bay);
    await scene.choose(ada, { mode: 'energy', energyWh: 5000 });
    await scene.tapStart(ada, bay);
    await scene.at('07:50');
    scene.expectState(bay, 'finishing');
    await scene.unplug(ada, bay);

    await scene.at('07:55'); // R5 amount
    await scene.plug(bob, bay, car(40, 30));
    await scene.tapHello(bob, bay);
    await scene.choose(bob, { mode: 'amount', amountMinor: 200 });
    await scene.tapStart(bob, bay);
    await scene.at('09:00');
    scene.expectState(bay, 'finishing');
    await scene.tapCollect(bob, bay);
    await scene.unplug(bob, bay);

    await scene.at('09:05'); // R3: a new config written by the next tap 1; R5 time
    await scene.configure(bay, { tariff: { energyMinorPerKwh: 35, timeMinorPerHour: 0, sessionFeeMinor: 10 } });
    await scene.at('09:10');
    await scene.plug(ada, bay, car(60, 40));
    await scene.tapHello(ada, bay);
    await scene.choose(ada, { mode: 'time', durationS: 2700 });
    await scene.tapStart(ada, bay);
    await scene.at('10:00');
    await scene.tapCollect(ada, bay);
    await scene.unplug(ada, bay);

    await scene.at('10:05'); // R5 R8 full: ends when the car is full, final tap
    await scene.plug(bob, bay, car(30, 80));
    await scene.tapHello(bob, bay);
    await scene.choose(bob, { mode: 'full' });
    await scene.tapStart(bob, bay);
    await scene.at('11:00');
    scene.expectState(bay, 'finishing');
    await scene.tapCollect(bob, bay);
    await scene.unplug(bob, bay);

    await scene.at('11:05'); // R6 user stop
    await scene.plug(ada, bay, car(60, 50));
    await scene.tapHello(ada, bay);
    await scene.choose(ada, { mode: 'time', durationS: 7200 });
    await scene.tapStart(ada, bay);
    await scene.at('11:35');
    await scene.tapStop(ada, bay);
    await scene.unplug(ada, bay);

    await scene.at('11:40'); // R6 R7: plug pulled on a capped contract, Bob's tap carries the receipt
    await scene.plug(ada, bay, car(60, 55));
    await scene.tapHello(ada, bay);
    await scene.choose(ada, { mode: 'energy', energyWh: 10_000 });
    const adaContract = await scene.tapStart(ada, bay);
    await scene.at('12:00');
    if ((await scene.unplug(ada, bay)) !== 'pulled') throw new DayError('script', 'Ada\'s plug was not pulled mid-charge');
    await scene.at('12:10');
    await scene.plug(bob, bay, car(40, 40));
    await pulledCapped(scene, ada, bob, bay, adaContract, () => scene.tapHello(bob, bay));

    // R6 R8: plug pulled on Bob's open contract; his next tap has no network, so the receipt
    // reaches his phone but not the relay: refused (409) until the phone uploads it
    await scene.choose(bob, { mode: 'full' });
    await scene.tapStart(bob, bay);
    await scene.at('12:40');
    if ((await scene.unplug(bob, bay)) !== 'pulled') throw new DayError('script', 'Bob\'s plug was not pulled mid-charge');
    await scene.at('12:50');
    await scene.plug(bob, bay, car(40, 50));
    await scene.tapHelloOffline(bob, bay);
    await scene.chooseRefused(bob, { mode: 'amount', amountMinor: 100 }, 409);
    await scene.sync(bob);
    await scene.choose(bob, { mode: 'amount', amountMinor: 100 });
    scene.flows.mark('open-plug-pulled', 'Bob at Bay 1: voucher refused 409 while the receipt was only on his phone, issued once it reached the relay');
    await scene.tapStart(bob, bay);
    await scene.at('13:20');
    scene.expectState(bay, 'finishing');
    await scene.tapCollect(bob, bay);
    await scene.unplug(bob, bay);
    await scene.say('day', 'the show is over');
  },
};
