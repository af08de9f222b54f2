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
/// record hashes are not stored: the one Batch event commits to the batch by its keccak256, with
/// one outcome byte per entry; the batch — records digest, users, piles, entries — is the input of
/// the applyBatch transaction, which is what an auditor rebuilds every session from and matches
/// against the signed records (BatchLayout.sol has the byte layout).
contract TapchargeLedger is CreditToken {
    /// Contract states and outcome bytes: BatchEntries.sol.
    uint256 internal constant NO_INDEX = type(uint256).max;

    mapping(bytes8 => mapping(uint256 => uint256)) internal stateWords;

    /// `batchHash` keccak256 of the batch as sent (readers take the batch from the transaction's
    /// input: applyBatch called directly); `outcomes` one byte per entry.
    event Batch(bytes32 batchHash, bytes outcomes);

    constructor(address operator, address revenue) CreditToken(operator, revenue) {}

    function stateOf(bytes16 contractId) external view returns (uint8) {
        uint256 seq = uint64(uint128(contractId));
        return uint8((stateWords[bytes8(contractId)][seq >> 6] >> ((seq & 63) << 2)) & 0xf);
    }

    /// Applies every entry in order; an entry that cannot apply is skipped with its reason in the
    /// outcomes. A malformed batch reverts whole (BatchLayout.BadBatch).
    function applyBatch(bytes calldata batch) external onlyOperatorWhenNotPaused {
        (uint256 userCount, uint256 pileCount, uint256 entriesAt) = BatchLayout.shapeOf(batch);
        BatchEntries.Net memory net = BatchEntries.Net(0, 0, NO_INDEX, 0);
        uint256[] memory words = _readUsers(batch, userCount, net);
        if (net.revenueIndex == NO_INDEX) net.revenueWord = accounts[revenueAccount];
        (uint256 batchAt, uint256 logAt, uint256 logBytes) = _batchLog(batch, entriesAt);
        uint256[] memory piles = _pileTable(batch, pileCount, entriesAt); // last in memory (BatchEntries.applyEntries)
        bytes4 badBatch = BatchLayout.BadBatch.selector;
        assembly ("memory-safe") {
            // applyAll's context words 0…6 (BatchEntries.sol)
            mstore(add(piles, 0x20), add(batchAt, entriesAt))
            mstore(add(piles, 0x40), add(batchAt, batch.length))
            mstore(add(piles, 0x60), sub(userCount, 1)) // the last user index (shapeOf: at least one user)
            mstore(add(piles, 0x80), sub(pileCount, 1)) // the last pile index
            mstore(add(piles, 0xa0), batchAt)
            mstore(add(piles, 0xc0), badBatch)
            mstore(add(piles, 0xe0), net)
        }
        unchecked { BatchEntries.applyAll(words, piles, logAt + 0x60); }
        _commit(words, net);
        bytes32 topic = Batch.selector;
        assembly ("memory-safe") { log1(logAt, logBytes, topic) }
    }

    /// Each user's account word, checking the table strictly ascending and non-zero: `words` for
    /// the entries to move. Right after it in memory, as long (length word included) and not
    /// reachable from Solidity, the accounts' storage slots. Notes the revenue account's place in
    /// `net` if it is a user of the batch.
    function _readUsers(bytes calldata batch, uint256 userCount, BatchEntries.Net memory net)
        internal view returns (uint256[] memory words)
    {
        address revenue = revenueAccount;
        bytes4 badBatch = BatchLayout.BadBatch.selector;
        assembly ("memory-safe") {
            let userArrayBytes := shl(5, add(userCount, 1))
            words := mload(0x40)
            mstore(0x40, add(words, shl(1, userArrayBytes)))
            mstore(words, userCount)
            /// Reads the accounts of the users from calldata `at` to `end` into `wordAt` on,
            /// returns the revenue account's index or NO_INDEX. Out of line (its `leave`): inlined,
            /// the optimizer re-derives the batch's calldata offset at each use.
            function readAll(at, end, batchOffset, wordAt, arrayBytes, revenueAddress, badBatchSelector) -> revenueIndex {
                revenueIndex := not(0)
                let firstAt := wordAt
                // the mapping slot's key at 0, the mapping's slot at 0x20, for each user's keccak256
                mstore(0x20, accounts.slot)
                let previous := 0
                for { } 1 { } {
                    if eq(at, end) { leave }
                    let user := shr(96, calldataload(at))
                    if iszero(gt(user, previous)) {
                        mstore(0, badBatchSelector)
                        mstore(4, sub(at, batchOffset))
                        revert(0, 36)
                    }
                    previous := user
                    mstore(0, user)
                    let slot := keccak256(0, 0x40)
                    let word := sload(slot)
                    mstore(wordAt, word)
                    mstore(add(wordAt, arrayBytes), slot)
                    if eq(user, revenueAddress) { revenueIndex := shr(5, sub(wordAt, firstAt)) }
                    wordAt := add(wordAt, 0x20)
                    at := add(at, 20)
                }
            }
            let usersAt := add(batch.offset, 34)
            mstore(add(net, 0x40), readAll(usersAt, add(usersAt, mul(userCount, 20)), batch.offset, add(words, 0x20), userArrayBytes, revenue, badBatch))
        }
    }

    /// The pile table for BatchEntries.applyAll (7 words of context, then 4 a pile: none held,
    /// and the pile's stateWords mapping slot), checking the piles strictly ascending and non-zero.
    function _pileTable(bytes calldata batch, uint256 pileCount, uint256 entriesAt) internal pure returns (uint256[] memory piles) {
        bytes4 badBatch = BatchLayout.BadBatch.selector;
        assembly ("memory-safe") {
            piles := mload(0x40)
            let tableAt := add(piles, 0x100)
            let end := add(tableAt, shl(7, pileCount))
            mstore(piles, add(7, shl(2, pileCount)))
            mstore(0x40, end)
            /// Checks the pile ids from calldata `at` on and marks each table entry from `entry`
            /// to `tableEnd` none held, with its pile's mapping slot. Out of line (its `leave`), as
            /// _readUsers' loop.
            function checkAll(at, batchOffset, entry, tableEnd, badBatchSelector) {
                // the mapping's key (the bytes8 id, left-aligned) at 0, its slot at 0x20
                mstore(0x20, stateWords.slot)
                let previous := 0
                for { } 1 { } {
                    if eq(entry, tableEnd) { leave }
                    let pile := shr(192, calldataload(at))
                    if iszero(gt(pile, previous)) {
                        mstore(0, badBatchSelector)
                        mstore(4, sub(at, batchOffset))
                        revert(0, 36)
                    }
                    previous := pile
                    mstore(entry, not(0))
                    mstore(0, shl(192, pile))
                    mstore(add(entry, 0x60), keccak256(0, 0x40))
                    entry := add(entry, 0x80)
                    at := add(at, 8)
                }
            }
            checkAll(sub(add(batch.offset, entriesAt), shl(3, pileCount)), batch.offset, tableAt, end, badBatch)
        }
    }

    /// The batch copied from calldata to `batchAt` (the entries are read there) and at least 15
    /// zero bytes, then the Batch log's data at `logAt`, ABI-encoded (batchHash, outcomes):
    /// keccak256 of that copy ‖ 0x40 ‖ outcome count ‖ the outcomes, zero until the entries write them.
    function _batchLog(bytes calldata batch, uint256 entriesAt) internal pure returns (uint256 batchAt, uint256 logAt, uint256 logBytes) {
        assembly ("memory-safe") {
            let entryCount := div(sub(batch.length, entriesAt), 15) // BatchLayout.ENTRY_BYTES
            batchAt := mload(0x40)
            calldatacopy(batchAt, batch.offset, batch.length)
            mstore(add(batchAt, batch.length), 0)
            logAt := add(batchAt, and(add(batch.length, 46), not(31)))
            logBytes := add(0x60, and(add(entryCount, 31), not(31)))
            mstore(logAt, keccak256(batchAt, batch.length))
            mstore(add(logAt, 0x20), 0x40)
            mstore(add(logAt, 0x40), entryCount)
            calldatacopy(add(logAt, 0x60), calldatasize(), sub(logBytes, 0x60)) // zeros: past the calldata
            mstore(0x40, add(logAt, logBytes))
        }
    }

    /// The batch's one write per user, then the escrow total and the revenue account (its
    /// movements join its user word's write if it is a user of the batch). A user whose entries
    /// were all skipped is written unchanged (100 gas): less than keeping and comparing every word
    /// as read.
    function _commit(uint256[] memory words, BatchEntries.Net memory net) internal {
        // The deltas wrap: a "negative" one is above 2^255 (no batch moves 2^255).
        int256 revenueDelta = int256(net.revenueDelta);
        bool revenueIsUser = net.revenueIndex != NO_INDEX;
        if (revenueDelta != 0) {
            uint256 word = revenueIsUser ? words[net.revenueIndex] : net.revenueWord;
            // a debit never goes below zero (each correction checked the revenue available: BatchEntries.sol)
            uint256 balance = uint256(int256(word & BALANCE_MASK) + revenueDelta);
            if (balance > BALANCE_MASK) revert BalanceOverflow(revenueAccount);
            word = (word & ~BALANCE_MASK) | balance;
            if (revenueIsUser) words[net.revenueIndex] = word;
            else accounts[revenueAccount] = word;
        }
        assembly ("memory-safe") {
            // each word's slot `arrayBytes` after it (_readUsers)
            let arrayBytes := shl(5, add(mload(words), 1))
            let end := add(words, arrayBytes)
            for { let wordAt := add(words, 0x20) } lt(wordAt, end) { wordAt := add(wordAt, 0x20) } {
                sstore(mload(add(wordAt, arrayBytes)), mload(wordAt))
            }
        }
        if (net.escrowDelta != 0) {
            unchecked { totalEscrowMinor += net.escrowDelta; }
        }
    }
}
