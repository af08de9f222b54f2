// Talking to the PN7160 simulation directly, as a host controller would on I2C: write one NCI
// packet, then read every packet the chip raises its IRQ for (3-byte header, then the payload).
import { bytesToHex, hexToBytes } from '../../contracts-offline/bytes.ts';
import type { Pn7160Sim } from '../../hal/sim/chips/pn7160.ts';

/** `exchange(hexPacket)` → the chip's answers as hex, each a whole packet; bus time moves 1 µs per transfer. */
export function nciExchange(chip: Pn7160Sim, startUs = 10_000): (packet: string) => string[] {
  let atUs = startUs;
  return (packet) => {
    chip.write(hexToBytes(packet.replace(/ /g, '')), atUs++);
    const answers: string[] = [];
    while (chip.irq.level(atUs) === 1) {
      const header = chip.read(3, atUs++);
      answers.push(bytesToHex(header) + bytesToHex(chip.read(header[2]!, atUs++)));
    }
    return answers;
  };
}
