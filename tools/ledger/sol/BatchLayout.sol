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

    /// Checks the header and the length (TapchargeLedger checks the tables as it reads them): the
    /// table sizes and where the entries start.
    function shapeOf(bytes calldata batch) internal pure returns (uint256 userCount, uint256 pileCount, uint256 entriesAt) {
        uint256 badAt = batch.length;
        assembly ("memory-safe") {
            let length := batch.length
            if iszero(lt(length, HEADER_BYTES)) {
                let counts := shr(240, calldataload(add(batch.offset, 32)))
                userCount := shr(8, counts)
                pileCount := and(counts, 0xff)
                // counts below 256: no overflow
                entriesAt := add(add(HEADER_BYTES, mul(userCount, USER_BYTES)), mul(pileCount, PILE_BYTES))
                badAt := 32
                if userCount {
                    badAt := 33
                    if pileCount {
                        badAt := length
                        // at least one entry, a whole number of them
                        if gt(length, entriesAt) { if iszero(mod(sub(length, entriesAt), ENTRY_BYTES)) { badAt := not(0) } }
                    }
                }
            }
        }
        if (badAt != type(uint256).max) revert BadBatch(badAt);
    }
}
