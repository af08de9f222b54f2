/*
 * The ESP32's hardware random number generator for the pile (ESP-IDF esp_fill_random: true random
 * while the RF subsystem runs, bootloader entropy otherwise; ESP32 Technical Reference Manual,
 * "Random Number Generator"). Compiled only in a real ESP-IDF build.
 */
#include "xsmc.h"
#include "esp_random.h"

void xs_pile_random_fill(xsMachine *the)
{
	void *data;
	xsUnsignedValue length;
	xsmcGetBufferWritable(xsArg(0), &data, &length);
	esp_fill_random(data, length);
}
