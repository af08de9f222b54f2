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
        uint256[] memory words = new uint256[](shape.userCount);
        BatchEntries.Net memory net = BatchEntries.Net(0, 0, 0, 0, NO_INDEX, 0);
        for (uint256 u = 0; u < shape.userCount; u++) {
            address user = BatchLayout.userAt(batch, u);
            words[u] = accounts[user];
            if (user == revenueAccount) net.revenueIndex = u;
        }
        if (net.revenueIndex == NO_INDEX) net.revenueBalance = accounts[revenueAccount] & BALANCE_MASK;
        uint256[] memory pileSlots = new uint256[](shape.pileCount);
        for (uint256 p = 0; p < shape.pileCount; p++) {
            bytes8 pile = BatchLayout.pileAt(batch, shape, p);
            uint256 mappingSlot;
            assembly ("memory-safe") { mappingSlot := stateWords.slot }
            pileSlots[p] = uint256(keccak256(abi.encode(pile, mappingSlot)));
        }
        bytes memory outcomes = new bytes(shape.entryCount);
        uint256 dirty = BatchEntries.applyAll(batch, shape, words, pileSlots, outcomes, net);
        _commit(batch, words, dirty, net);
        emit Batch(batch, outcomes);
    }

    /// The batch's one write per changed user, then the escrow total and the revenue account.
    function _commit(bytes calldata batch, uint256[] memory words, uint256 dirty, BatchEntries.Net memory net) internal {
        if (net.revenueIndex != NO_INDEX && net.revenueIn != net.revenueOut) {
            // the revenue account is also a user of this batch: its movements join its one write
            uint256 word = words[net.revenueIndex];
            uint256 balance = (word & BALANCE_MASK) + net.revenueIn - net.revenueOut;
            if (balance > BALANCE_MASK) revert BalanceOverflow(revenueAccount);
            words[net.revenueIndex] = (word & ~BALANCE_MASK) | balance;
            dirty |= 1 << net.revenueIndex;
            net.revenueIn = net.revenueOut;
        }
        for (uint256 u = 0; dirty != 0; u++) {
            if (dirty & 1 == 1) accounts[BatchLayout.userAt(batch, u)] = words[u];
            dirty >>= 1;
        }
        if (net.escrowIn != net.escrowOut) totalEscrowMinor = totalEscrowMinor + net.escrowIn - net.escrowOut;
        if (net.revenueIn > net.revenueOut) _credit(revenueAccount, net.revenueIn - net.revenueOut);
        else if (net.revenueOut > net.revenueIn) accounts[revenueAccount] -= net.revenueOut - net.revenueIn; // each correction checked the revenue available (BatchEntries.sol)
    }
}
