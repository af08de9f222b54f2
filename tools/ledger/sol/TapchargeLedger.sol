// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import "./CreditToken.sol";
import "./BatchLayout.sol";
import "./BatchEntries.sol";

/// Settlement of charging contracts (DESIGN.md §8, R4, R7, R8, R10), one batch per transaction.
/// A contract id is bytes16: pile id (8 bytes) ‖ the pile's journal sequence (uint64, big-endian).
/// The one idempotent record per contract id is a 4-bit state in a per-pile word (64 sequences a
/// storage slot), so the sessions of one pile in a batch share a storage slot.
///
/// A settlement whose contract never reached the chain moves only the amount (nothing escrowed):
/// contract and receipt are settled in one step. Each user's word, the revenue account and the
/// escrow total are read once and written at most once per batch (netting). Caps, amounts and
/// record hashes are not stored: the one Batch event echoes the batch — records digest, users,
/// piles, entries — with one outcome byte per entry, which is what an auditor rebuilds every
/// session from and matches against the signed records (BatchLayout.sol has the byte layout).
contract TapchargeLedger is CreditToken {
    /// Contract states and outcome bytes: BatchEntries.sol.
    uint256 internal constant NO_INDEX = type(uint256).max;

    mapping(bytes8 => mapping(uint256 => uint256)) internal stateWords;

    /// `batch` as sent; `outcomes` one byte per entry.
    event Batch(bytes batch, bytes outcomes);

    constructor(address operator, address revenue) CreditToken(operator, revenue) {}

    function stateOf(bytes16 contractId) external view returns (uint8) {
        uint256 seq = uint64(uint128(contractId));
        return uint8((stateWords[bytes8(contractId)][seq >> 6] >> ((seq & 63) << 2)) & 0xf);
    }

    /// Applies every entry in order; an entry that cannot apply is skipped with its reason in the
    /// outcomes. A malformed batch reverts whole (BatchLayout.BadBatch).
    function applyBatch(bytes calldata batch) external onlyOperator whenNotPaused {
        BatchLayout.Shape memory shape = BatchLayout.shapeOf(batch);
        BatchEntries.Net memory net = BatchEntries.Net(0, 0, NO_INDEX, 0);
        (uint256[] memory words, uint256[] memory wordsRead, uint256[] memory slots) = _readUsers(batch, shape.userCount, net);
        if (net.revenueIndex == NO_INDEX) net.revenueBalance = accounts[revenueAccount] & BALANCE_MASK;
        uint256[] memory piles = _pileTable(batch, shape);
        (uint256 logAt, uint256 logBytes) = _batchLog(batch, shape.entryCount);
        // the log's data: 0x40 ‖ outcomes offset ‖ batch length ‖ batch ‖ outcome count ‖ outcomes
        uint256 batchAt = logAt + 0x60;
        piles[0] = batchAt + shape.entriesAt;
        piles[1] = batchAt + batch.length;
        piles[2] = shape.userCount - 1;
        piles[3] = shape.pileCount - 1;
        piles[4] = batchAt;
        piles[5] = uint256(bytes32(BatchLayout.BadBatch.selector));
        assembly ("memory-safe") { mstore(add(piles, 0xe0), net) }
        BatchEntries.applyAll(words, piles, batchAt + ((batch.length + 31) & ~uint256(31)) + 0x20);
        _commit(words, wordsRead, slots, net);
        bytes32 topic = Batch.selector;
        assembly ("memory-safe") { log1(logAt, logBytes, topic) }
    }

    /// Each user's account word, checking the table strictly ascending and non-zero: `words` for
    /// the entries to move, `wordsRead` for the commit to compare with, `slots` where they are
    /// stored. Notes the revenue account's place in `net` if it is a user of the batch.
    function _readUsers(bytes calldata batch, uint256 userCount, BatchEntries.Net memory net)
        internal view returns (uint256[] memory words, uint256[] memory wordsRead, uint256[] memory slots)
    {
        words = new uint256[](userCount);
        wordsRead = new uint256[](userCount);
        slots = new uint256[](userCount);
        address revenue = revenueAccount;
        bytes4 badBatch = BatchLayout.BadBatch.selector;
        assembly ("memory-safe") {
            let previous := 0
            for { let u := 0 } lt(u, userCount) { u := add(u, 1) } {
                let at := add(34, mul(u, 20))
                let user := shr(96, calldataload(add(batch.offset, at)))
                if iszero(gt(user, previous)) {
                    mstore(0, badBatch)
                    mstore(4, at)
                    revert(0, 36)
                }
                previous := user
                mstore(0, user)
                mstore(0x20, accounts.slot)
                let slot := keccak256(0, 0x40)
                let word := sload(slot)
                let i := shl(5, add(u, 1))
                mstore(add(words, i), word)
                mstore(add(wordsRead, i), word)
                mstore(add(slots, i), slot)
                if eq(user, revenue) { mstore(add(net, 0x40), u) }
            }
        }
    }

    /// The pile table for BatchEntries.applyAll (8 words of context, then 4 a pile: none held, its mapping slot last),
    /// checking the piles strictly ascending and non-zero.
    function _pileTable(bytes calldata batch, BatchLayout.Shape memory shape) internal pure returns (uint256[] memory piles) {
        uint256 pileCount = shape.pileCount;
        uint256 pilesAt = shape.pilesAt;
        piles = new uint256[](8 + pileCount * 4);
        bytes4 badBatch = BatchLayout.BadBatch.selector;
        assembly ("memory-safe") {
            let previous := 0
            for { let p := 0 } lt(p, pileCount) { p := add(p, 1) } {
                let at := add(pilesAt, shl(3, p))
                let pile := shr(192, calldataload(add(batch.offset, at)))
                if iszero(gt(pile, previous)) {
                    mstore(0, badBatch)
                    mstore(4, at)
                    revert(0, 36)
                }
                previous := pile
                mstore(0, shl(192, pile))
                mstore(0x20, stateWords.slot)
                let entry := add(piles, add(0x120, shl(7, p)))
                mstore(entry, not(0))
                mstore(add(entry, 0x60), keccak256(0, 0x40))
            }
        }
    }

    /// The Batch log's data, ABI-encoded (batch, outcomes): the batch copied from calldata, the
    /// outcomes zero until the entries write them.
    function _batchLog(bytes calldata batch, uint256 entryCount) internal pure returns (uint256 logAt, uint256 logBytes) {
        assembly ("memory-safe") {
            logAt := mload(0x40)
            let padded := and(add(batch.length, 31), not(31))
            let outcomesPadded := and(add(entryCount, 31), not(31))
            logBytes := add(add(0x80, padded), outcomesPadded)
            mstore(logAt, 0x40)
            mstore(add(logAt, 0x20), add(0x60, padded))
            mstore(add(logAt, 0x40), batch.length)
            mstore(add(add(logAt, 0x40), padded), 0)
            calldatacopy(add(logAt, 0x60), batch.offset, batch.length)
            let countAt := add(add(logAt, 0x60), padded)
            mstore(countAt, entryCount)
            for { let at := add(countAt, 0x20) } lt(at, add(logAt, logBytes)) { at := add(at, 0x20) } { mstore(at, 0) }
            mstore(0x40, add(logAt, logBytes))
        }
    }

    /// The batch's one write per changed user, then the escrow total and the revenue account.
    function _commit(uint256[] memory words, uint256[] memory wordsRead, uint256[] memory slots, BatchEntries.Net memory net) internal {
        // The deltas wrap: a "negative" one is above 2^255 (no batch moves 2^255).
        int256 revenueDelta = int256(net.revenueDelta);
        if (net.revenueIndex != NO_INDEX && revenueDelta != 0) {
            // the revenue account is also a user of this batch: its movements join its one write
            uint256 word = words[net.revenueIndex];
            uint256 balance = uint256(int256(word & BALANCE_MASK) + revenueDelta);
            if (balance > BALANCE_MASK) revert BalanceOverflow(revenueAccount);
            words[net.revenueIndex] = (word & ~BALANCE_MASK) | balance;
            revenueDelta = 0;
        }
        assembly ("memory-safe") {
            for { let i := shl(5, mload(words)) } i { i := sub(i, 0x20) } {
                let word := mload(add(words, i))
                if iszero(eq(word, mload(add(wordsRead, i)))) { sstore(mload(add(slots, i)), word) }
            }
        }
        if (net.escrowDelta != 0) {
            unchecked { totalEscrowMinor += net.escrowDelta; }
        }
        if (revenueDelta > 0) _credit(revenueAccount, uint256(revenueDelta));
        else if (revenueDelta < 0) accounts[revenueAccount] -= uint256(-revenueDelta); // each correction checked the revenue available (BatchEntries.sol)
    }
}
