// Input registers of the Eastron SDM230-Modbus (single-phase MID kWh meter), read with Modbus
// function 04. SDM230-Modbus protocol, "Input Registers" table: every parameter is an IEEE-754
// single-precision float in two consecutive registers, high word first (big-endian bytes), at the
// hex start address below (3X register number − 30001). The SDM120 and SDM630 (phase 1) use the
// same addresses for these parameters.
export const InputRegister = Object.freeze({
  /** 30001, line to neutral voltage, V. */
  voltage: 0x0000,
  /** 30007, current, A. */
  current: 0x0006,
  /** 30013, active power, W (negative when exporting). */
  activePower: 0x000c,
  /** 30073, import active energy, kWh (the meter's non-volatile, MID-certified register). */
  importActiveEnergy: 0x0048,
});

/**
 * Holding registers (4X, read with function 03: SDM230-Modbus Protocol V1.1 §1.3 and §3.9.1, read in
 * register pairs). The serial number is not in the SDM230 V1.1 table; it is the Eastron family's
 * holding register 464513 "Serial number", start address FC 00, 4 bytes, unsigned int32, read only
 * (SDM120-Modbus Protocol V2.4, holding register table), high word first.
 */
export const HoldingRegister = Object.freeze({
  serialNumber: 0xfc00,
});

/** Modbus function codes used (Modbus Application Protocol V1.1b3, §6.3, §6.4 and §7). */
export const FunctionCode = Object.freeze({
  readHoldingRegisters: 0x03,
  readInputRegisters: 0x04,
  /** Set in the function code of an exception response. */
  exceptionFlag: 0x80,
});

/** Exception codes (Modbus Application Protocol V1.1b3, §7). */
export const ExceptionCode = Object.freeze({
  illegalFunction: 0x01,
  illegalDataAddress: 0x02,
  illegalDataValue: 0x03,
  serverDeviceFailure: 0x04,
});

/** Protocol document: "Each request for data must be restricted to 30 parameters or less". */
export const MAX_PARAMETERS_PER_REQUEST = 30;
