// SIMULATION of the ECMA-419 IO classes a pile board's drivers open, bound to one board's wiring:
// what `embedded:io/*` and `embedded:storage/flash` are on the real board.
import type { Flash } from '../../types.ts';
import { simulatedAnalog } from './analog.ts';
import { simulatedDigital } from './digital.ts';
import { simulatedFlashStorage } from './flash-storage.ts';
import { simulatedI2c } from './i2c.ts';
import { simulatedPwm } from './pwm.ts';
import { simulatedSerial } from './serial.ts';
import type { BoardWiring } from './wiring.ts';

export function simulatedIo(wiring: BoardWiring, partitions: Readonly<Record<string, Flash>>) {
  return {
    Analog: simulatedAnalog(wiring),
    Digital: simulatedDigital(wiring),
    I2C: simulatedI2c(wiring),
    PWM: simulatedPwm(wiring),
    Serial: simulatedSerial(wiring),
    flash: simulatedFlashStorage(partitions),
  };
}

export type SimulatedIo = ReturnType<typeof simulatedIo>;
