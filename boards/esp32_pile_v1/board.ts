// tapcharge pile board v1 (ESP32-WROVER-E, 4 MB SPI flash, partitions.csv): which pin and bus each chip sits on.
// ESP32 Technical Reference Manual / datasheet notes behind the choices: UART2 on its default
// GPIO16/17; the CP sense on GPIO36 (ADC1 channel 0 — ADC2 is unusable while Wi-Fi runs);
// I2C0 on the usual GPIO21/22, shared by the display's PCF8574, the NFC controller and the secure element;
// no output on the strapping pins 0, 2, 5, 12, 15; GPIO34–39 are input-only and have no pull-ups.
import type { PileBoardTable } from '../pile-board.ts';

export const pileBoardV1: PileBoardTable = Object.freeze({
  meter: Object.freeze({ port: 2, receive: 16, transmit: 17, baud: 9600, direction: 4, address: 1 }),
  contactor: Object.freeze({ coil: 25, auxiliary: 26 }),
  // The sense divider maps −13.2 V..+13.2 V onto the ADC's 0..3.3 V (±10 % above the ±12 V levels).
  pilot: Object.freeze({ pwm: 27, sense: 36, lowMv: -13_200, highMv: 13_200, samples: 1 }),
  display: Object.freeze({ data: 21, clock: 22, hz: 100_000, address: 0x27, rows: 4, columns: 20, led: Object.freeze({ red: 18, green: 19, blue: 23 }) }),
  journal: Object.freeze({ partition: 'journal' }),
  // PN7160 at 0x28 on the shared I2C0 (400 kHz fast mode); its IRQ (push-pull) on GPIO13, VEN on GPIO33.
  nfc: Object.freeze({ data: 21, clock: 22, hz: 400_000, address: 0x28, irq: 13, ven: 33 }),
  // SE050 at its strapped address on the shared I2C0 (it runs at 400 kHz; the ATR allows 1 MHz); ENA on GPIO32.
  secureElement: Object.freeze({ data: 21, clock: 22, hz: 400_000, address: 0x48, enable: 32 }),
  // The service console. The ESP32-WROVER-E has no native USB: the board's USB-UART bridge sits on
  // UART0 (TX GPIO1, RX GPIO3, the ROM bootloader's pins). Moddable's debug builds keep UART0 for
  // xsbug; release builds give it to the console. 115200 8N1 (firmware/console/README.md).
  servicePort: Object.freeze({ port: 0, receive: 3, transmit: 1, baud: 115_200 }),
});
