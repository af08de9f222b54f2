// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import "./CreditToken.sol";

/// Settlement of charging contracts (DESIGN.md §8, R4, R7, R8, R10).
/// A contract id is bytes16: pile id (8 bytes) ‖ the pile's journal sequence (uint64, big-endian).
/// The one idempotent record per contract id is a 4-bit state in a per-pile word (64 sequences a
/// storage slot), so a batch touching nearby sequences of one pile shares one storage write.
/// Caps and amounts are not stored per contract: the user's aggregate escrow bounds every
/// release, and the events (with the SHA-256 of the signed COSE contract and receipt) are the
/// audit trail an auditor matches against the signed records.
///
/// Entries are packed words: entry = contractId (128 bits) ‖ capMinor (64) ‖ low 64 bits, where
/// the low bits are the flags (bit 0 = capped) for an open and amountMinor for a settlement.
/// Events echo the entry word unindexed — the cheapest log that still carries every field.
contract TapchargeLedger is CreditToken {
    uint256 internal constant NONE = 0;
    uint256 internal constant OPEN_CAPPED = 1;
    uint256 internal constant OPEN_FULL = 2;
    uint256 internal constant CHARGED_AT_CAP = 3;
    uint256 internal constant SETTLED = 4;
    uint256 internal constant CORRECTED = 5;

    uint8 internal constant OP_OPEN = 1;
    uint8 internal constant OP_SETTLE = 2;
    uint8 internal constant OP_CHARGE_CAP = 3;
    uint8 internal constant OP_CORRECT = 4;

    uint8 internal constant DUPLICATE = 1;
    uint8 internal constant WRONG_STATE = 2;
    uint8 internal constant INSUFFICIENT_BALANCE = 3;
    uint8 internal constant ABOVE_CAP = 4;
    uint8 internal constant ESCROW_SHORT = 5;
    uint8 internal constant REVENUE_SHORT = 6;
    uint8 internal constant BAD_ENTRY = 7;

    mapping(bytes8 => mapping(uint256 => uint256)) internal stateWords;

    /// entry = contractId ‖ capMinor ‖ flags (bit 0 = capped)
    event Opened(bytes32 entry, address user, bytes32 contractHash);
    /// entry = contractId ‖ capMinor ‖ amountMinor
    event Settled(bytes32 entry, address user, bytes32 receiptHash);
    /// entry = contractId ‖ capMinor ‖ 0
    event ChargedAtCap(bytes32 entry, address user);
    /// entry = contractId ‖ capMinor ‖ amountMinor (the metered amount; cap − amount was refunded)
    event Corrected(bytes32 entry, address user, bytes32 receiptHash);
    /// An entry that changed nothing: op 1..4 as above, reason 1 = duplicate (already done), others rejections.
    event Skipped(bytes16 indexed contractId, uint8 op, uint8 reason);

    error Rejected(bytes16 contractId, uint8 op, uint8 reason);

    constructor(address operator, address revenue) CreditToken(operator, revenue) {}

    function stateOf(bytes16 contractId) external view returns (uint8) {
        (bytes8 pile, uint256 word, uint256 shift) = _slotOf(_entry(contractId, 0, 0));
        return uint8((stateWords[pile][word] >> shift) & 0xf);
    }

    /// Escrow the cap from the user's balance. A second open of the same id is a no-op (Skipped, duplicate).
    function open(bytes16 contractId, address user, uint64 capMinor, bool capped, bytes32 contractHash) external onlyOperator whenNotPaused {
        (uint8 reason, uint256 escrowed) = _open(_entry(contractId, capMinor, capped ? 1 : 0), user, contractHash);
        _single(contractId, OP_OPEN, reason);
        _commit(0, escrowed, 0, 0);
    }

    /// Pay the metered amount to the revenue account and refund the rest of the cap.
    function settle(bytes16 contractId, address user, uint64 capMinor, uint64 amountMinor, bytes32 receiptHash) external onlyOperator whenNotPaused {
        (uint8 reason, uint256 paid) = _settle(_entry(contractId, capMinor, amountMinor), user, receiptHash);
        _single(contractId, OP_SETTLE, reason);
        _commit(reason == 0 ? capMinor : 0, 0, paid, 0);
    }

    /// Capped contract whose receipt is overdue (R7): the provisional debit of the cap goes to revenue.
    function chargeCap(bytes16 contractId, address user, uint64 capMinor) external onlyOperator whenNotPaused {
        uint8 reason = _chargeCap(_entry(contractId, capMinor, 0), user);
        _single(contractId, OP_CHARGE_CAP, reason);
        if (reason == 0) _commit(capMinor, 0, capMinor, 0);
    }

    /// The receipt of a contract charged at its cap arrived: refund cap − metered amount from revenue.
    function correct(bytes16 contractId, address user, uint64 capMinor, uint64 amountMinor, bytes32 receiptHash) external onlyOperator whenNotPaused {
        (uint8 reason, uint256 refund) = _correct(_entry(contractId, capMinor, amountMinor), user, receiptHash);
        _single(contractId, OP_CORRECT, reason);
        _commit(0, 0, 0, refund);
    }

    /// Batch open: 3 words per entry — the entry word, the user (address in the low 160 bits), the
    /// contract hash. Bad or duplicate entries are skipped with an event; the rest apply.
    function openBatch(bytes32[] calldata words) external onlyOperator whenNotPaused {
        if (words.length % 3 != 0) revert Rejected(0, OP_OPEN, BAD_ENTRY);
        uint256 escrowed;
        for (uint256 i = 0; i < words.length; i += 3) {
            uint256 entry = uint256(words[i]);
            (uint8 reason, uint256 amount) = _open(entry, address(uint160(uint256(words[i + 1]))), words[i + 2]);
            if (reason != 0) emit Skipped(bytes16(bytes32(entry)), OP_OPEN, reason);
            escrowed += amount;
        }
        _commit(0, escrowed, 0, 0);
    }

    /// Batch settle: 3 words per entry — the entry word, the user, the receipt hash.
    function settleBatch(bytes32[] calldata words) external onlyOperator whenNotPaused {
        if (words.length % 3 != 0) revert Rejected(0, OP_SETTLE, BAD_ENTRY);
        uint256 released;
        uint256 revenue;
        for (uint256 i = 0; i < words.length; i += 3) {
            uint256 entry = uint256(words[i]);
            (uint8 reason, uint256 paid) = _settle(entry, address(uint160(uint256(words[i + 1]))), words[i + 2]);
            if (reason != 0) emit Skipped(bytes16(bytes32(entry)), OP_SETTLE, reason);
            else released += uint64(entry >> 64);
            revenue += paid;
        }
        _commit(released, 0, revenue, 0);
    }

    function _open(uint256 entry, address user, bytes32 contractHash) internal returns (uint8, uint256) {
        uint256 cap = uint64(entry >> 64);
        if (user == address(0) || cap == 0 || uint64(entry >> 128) == 0) return (BAD_ENTRY, 0);
        (bytes8 pile, uint256 word, uint256 shift) = _slotOf(entry);
        uint256 bits = stateWords[pile][word];
        if ((bits >> shift) & 0xf != NONE) return (DUPLICATE, 0);
        uint256 account = accounts[user];
        if (account & BALANCE_MASK < cap) return (INSUFFICIENT_BALANCE, 0);
        // escrow ≤ supply < 2^128 (issuedMinor is a checked uint128), so the high half cannot overflow
        unchecked { accounts[user] = account - cap + (cap << 128); }
        stateWords[pile][word] = bits | ((entry & 1 == 1 ? OPEN_CAPPED : OPEN_FULL) << shift);
        emit Opened(bytes32(entry), user, contractHash);
        return (0, cap);
    }

    function _settle(uint256 entry, address user, bytes32 receiptHash) internal returns (uint8, uint256) {
        (bytes8 pile, uint256 word, uint256 shift) = _slotOf(entry);
        uint256 bits = stateWords[pile][word];
        uint256 state = (bits >> shift) & 0xf;
        if (state >= SETTLED) return (DUPLICATE, 0);
        if (state != OPEN_CAPPED && state != OPEN_FULL) return (WRONG_STATE, 0);
        uint256 cap = uint64(entry >> 64);
        uint256 amount = uint64(entry);
        if (amount > cap) return (ABOVE_CAP, 0);
        uint256 account = accounts[user];
        if (account >> 128 < cap) return (ESCROW_SHORT, 0);
        // balance + refund ≤ supply < 2^128: the low half cannot carry
        unchecked { accounts[user] = account - (cap << 128) + (cap - amount); }
        stateWords[pile][word] = bits ^ ((state ^ SETTLED) << shift);
        emit Settled(bytes32(entry), user, receiptHash);
        return (0, amount);
    }

    function _chargeCap(uint256 entry, address user) internal returns (uint8) {
        (bytes8 pile, uint256 word, uint256 shift) = _slotOf(entry);
        uint256 bits = stateWords[pile][word];
        uint256 state = (bits >> shift) & 0xf;
        if (state == CHARGED_AT_CAP || state == CORRECTED) return DUPLICATE;
        if (state != OPEN_CAPPED) return WRONG_STATE;
        uint256 cap = uint64(entry >> 64);
        uint256 account = accounts[user];
        if (account >> 128 < cap) return ESCROW_SHORT;
        unchecked { accounts[user] = account - (cap << 128); }
        stateWords[pile][word] = bits ^ ((state ^ CHARGED_AT_CAP) << shift);
        emit ChargedAtCap(bytes32(entry), user);
        return 0;
    }

    function _correct(uint256 entry, address user, bytes32 receiptHash) internal returns (uint8, uint256) {
        (bytes8 pile, uint256 word, uint256 shift) = _slotOf(entry);
        uint256 bits = stateWords[pile][word];
        uint256 state = (bits >> shift) & 0xf;
        if (state == CORRECTED) return (DUPLICATE, 0);
        if (state != CHARGED_AT_CAP) return (WRONG_STATE, 0);
        uint256 cap = uint64(entry >> 64);
        uint256 amount = uint64(entry);
        if (amount > cap) return (ABOVE_CAP, 0);
        uint256 refund = cap - amount;
        if (accounts[revenueAccount] & BALANCE_MASK < refund) return (REVENUE_SHORT, 0);
        _credit(user, refund);
        stateWords[pile][word] = bits ^ ((state ^ CORRECTED) << shift);
        emit Corrected(bytes32(entry), user, receiptHash);
        return (0, refund);
    }

    /// Reverts a single-entry write for any reason but a duplicate, which is a logged no-op.
    function _single(bytes16 id, uint8 op, uint8 reason) internal {
        if (reason == DUPLICATE) emit Skipped(id, op, reason);
        else if (reason != 0) revert Rejected(id, op, reason);
    }

    /// One write per transaction for the escrow total and the revenue account.
    function _commit(uint256 released, uint256 escrowed, uint256 revenueIn, uint256 revenueOut) internal {
        if (released != escrowed) totalEscrowMinor = totalEscrowMinor + escrowed - released;
        if (revenueIn > revenueOut) _credit(revenueAccount, revenueIn - revenueOut);
        else if (revenueOut > revenueIn) accounts[revenueAccount] -= revenueOut - revenueIn; // checked in _correct
    }

    function _entry(bytes16 contractId, uint64 capMinor, uint64 low) internal pure returns (uint256) {
        return (uint256(uint128(contractId)) << 128) | (uint256(capMinor) << 64) | low;
    }

    function _slotOf(uint256 entry) internal pure returns (bytes8 pile, uint256 word, uint256 shift) {
        uint256 seq = uint64(entry >> 128);
        return (bytes8(bytes32(entry)), seq >> 6, (seq & 63) << 2);
    }
}
