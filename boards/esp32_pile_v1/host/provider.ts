// ECMA-419 host provider of board v1 (`embedded:provider/builtin`): the IO classes of Moddable's
// ESP32 host, and the board's buses and pins by name, from the pin and bus table in board.ts.
import Analog from 'embedded:io/analog';
import Digital from 'embedded:io/digital';
import I2C from 'embedded:io/i2c';
import PWM from 'embedded:io/pwm';
import Serial from 'embedded:io/serial';
// By its module name: this module is `embedded:provider/builtin`, so a relative path means nothing to XS.
import { pileBoardV1 } from 'boards/esp32_pile_v1/board';

const { meter, contactor, pilot, display, servicePort } = pileBoardV1;

const device = Object.freeze({
  io: Object.freeze({ Analog, Digital, I2C, PWM, Serial }),
  I2C: Object.freeze({ default: Object.freeze({ io: I2C, data: display.data, clock: display.clock }) }),
  Serial: Object.freeze({
    rs485: Object.freeze({ io: Serial, port: meter.port, receive: meter.receive, transmit: meter.transmit }),
    service: Object.freeze({ io: Serial, port: servicePort.port, receive: servicePort.receive, transmit: servicePort.transmit }),
  }),
  pin: Object.freeze({
    rs485Direction: meter.direction,
    contactorCoil: contactor.coil,
    contactorAuxiliary: contactor.auxiliary,
    pilotPwm: pilot.pwm,
    pilotSense: pilot.sense,
    ledRed: display.led.red,
    ledGreen: display.led.green,
    ledBlue: display.led.blue,
  }),
});

export default device;
