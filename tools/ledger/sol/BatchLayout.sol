// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// The bytes of one applyBatch (big-endian), read straight from calldata:
///   batch = recordsDigest (32) ‖ userCount (1) ‖ pileCount (1)
///           ‖ users (20 each, strictly ascending, non-zero) ‖ piles (8 each, strictly ascending, non-zero)
///           ‖ entries (15 each, at least one)
///   entry = op (1) ‖ userIndex (1) ‖ pileIndex (1) ‖ seq (4, ≠ 0) ‖ capMinor (4, ≠ 0) ‖ amountMinor (4)
/// op: 1 open capped, 2 open full, 3 settle, 4 charge at cap; amountMinor is 0 for all but settle.
/// seq, cap and amount are uint32: a contract id's sequence (uint64 in the id) must be below 2^32
/// to settle here, and amounts are minor units below 2^32 (the client refuses anything larger).
/// Entries are checked as they apply (BatchEntries.applyAll): a known op, indexes inside the
/// tables, seq and cap non-zero, no amount but on a settle.
/// recordsDigest = SHA-256 of the entries' signed-record hashes in entry order: the chain only
/// carries it for the auditor (tools/ledger/audit.ts).
library BatchLayout {
    uint256 internal constant HEADER_BYTES = 34;
    uint256 internal constant USER_BYTES = 20;
    uint256 internal constant PILE_BYTES = 8;
    uint256 internal constant ENTRY_BYTES = 15;

    /// The batch is malformed at byte `offset`; nothing was applied.
    error BadBatch(uint256 offset);

    struct Shape {
        uint256 userCount;
        uint256 pileCount;
        uint256 pilesAt;
        uint256 entriesAt;
        uint256 entryCount;
    }

    /// Checks the header and the length; TapchargeLedger checks the tables as it reads them.
    function shapeOf(bytes calldata batch) internal pure returns (Shape memory s) {
        if (batch.length < HEADER_BYTES) revert BadBatch(batch.length);
        uint256 counts;
        assembly ("memory-safe") { counts := shr(240, calldataload(add(batch.offset, 32))) }
        s.userCount = counts >> 8;
        s.pileCount = counts & 0xff;
        if (s.userCount == 0) revert BadBatch(32);
        if (s.pileCount == 0) revert BadBatch(33);
        unchecked { // counts below 256: no overflow; the length is checked before the subtraction
            s.pilesAt = HEADER_BYTES + s.userCount * USER_BYTES;
            s.entriesAt = s.pilesAt + s.pileCount * PILE_BYTES;
            if (batch.length <= s.entriesAt || (batch.length - s.entriesAt) % ENTRY_BYTES != 0) revert BadBatch(batch.length);
            s.entryCount = (batch.length - s.entriesAt) / ENTRY_BYTES;
        }
    }
}
