// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import "./BatchLayout.sol";

/// The entries of one applyBatch against the contracts' states, written by hand in Yul: the same
/// rules as a Solidity loop cost ~470 gas more an entry (bench/ledger.bench.ts measures it).
/// Contract states (4 bits in the pile's word for 64 sequences): 0 none, 1 open-capped,
/// 2 open-full (an open's op is its state), 3 charged-at-cap, 4 settled, 5 corrected.
/// Outcome byte of an entry: the state it found when it applied, else 0x80 | reason: 1 duplicate,
/// 2 wrong state, 3 insufficient balance, 4 amount above cap, 5 escrow short, 6 revenue account short.
library BatchEntries {
    /// Where the totals of a batch stand while its entries apply.
    struct Net {
        uint256 escrowIn;
        uint256 escrowOut;
        uint256 revenueIn;
        uint256 revenueOut;
        uint256 revenueIndex; // the revenue account's place in the user table, or type(uint256).max
        uint256 revenueBalance; // its balance before this batch's revenue movements
    }

    /// The entry loop. Each entry (checked as BatchLayout.sol says) meets its contract's 4-bit state: it moves the user's word
    /// in `words` and the totals in `net`, writes the pile's state word and its outcome byte.
    /// Answers a bit per user whose word changed. The rules, per op and state found:
    ///   settle:     settled|corrected → duplicate; amount > cap → above cap;
    ///               none → balance −= amount (needs balance ≥ amount), revenue += amount, settled;
    ///               open-* → escrow −= cap (needs escrow ≥ cap), balance += cap − amount, revenue += amount, settled;
    ///               charged-at-cap → revenue −= cap − amount (needs that much), balance += cap − amount, corrected
    ///   charge-cap: charged-at-cap|corrected → duplicate; not open-capped → wrong state;
    ///               escrow −= cap (needs escrow ≥ cap), revenue += cap, charged-at-cap
    ///   open:       not none → duplicate; balance −= cap, escrow += cap (needs balance ≥ cap), open-capped|open-full
    /// balance + any credit ≤ supply < 2^128 and escrow ≤ supply: no half of a word carries into the other.
    function applyAll(bytes calldata batch, BatchLayout.Shape memory shape, uint256[] memory words, uint256[] memory pileSlots, bytes memory outcomes, Net memory net)
        internal returns (uint256 dirty)
    {
        uint256 first = shape.entriesAt;
        uint256 end = first + shape.entryCount * BatchLayout.ENTRY_BYTES;
        // Few live values, so the compiler keeps them on the stack: the fields are shifted out of
        // the entry word `w` where used — op shr(248), user index byte 1, pile index byte 2, seq
        // bits 168.., cap bits 104.., amount bits 40.. — and the totals stay in `net`.
        bytes4 badBatch = BatchLayout.BadBatch.selector;
        assembly ("memory-safe") {
            /// Reverts BadBatch(offset of the entry's first bad byte).
            function badEntry(w, offset, userCount, pileCount, selector) {
                let op := shr(248, w)
                if and(gt(op, 0), lt(op, 5)) {
                    offset := add(offset, 1)
                    if lt(and(shr(240, w), 0xff), userCount) {
                        offset := add(offset, 1)
                        if lt(and(shr(232, w), 0xff), pileCount) {
                            offset := add(offset, 1)
                            if and(shr(168, w), 0xffffffffffffffff) {
                                offset := add(offset, 8)
                                if and(shr(104, w), 0xffffffffffffffff) { offset := add(offset, 8) }
                            }
                        }
                    }
                }
                mstore(0, selector)
                mstore(4, offset)
                revert(0, 36)
            }

            /// Entry `w` against the state it found and its user's word: the next state, the
            /// outcome byte, the user's new word. `sums` = net (escrowIn, escrowOut, revenueIn,
            /// revenueOut, revenueIndex, revenueBalance); `table` = words.
            function step(w, state, word, sums, table) -> next, outcome, out {
                next := state
                outcome := state
                out := word
                let op := shr(248, w)
                let cap := and(shr(104, w), 0xffffffffffffffff)
                if eq(op, 3) {
                    let amount := and(shr(40, w), 0xffffffffffffffff)
                    if gt(state, 3) { outcome := 0x81 leave }
                    if gt(amount, cap) { outcome := 0x84 leave }
                    if iszero(state) {
                        if lt(and(word, 0xffffffffffffffffffffffffffffffff), amount) { outcome := 0x83 leave }
                        out := sub(word, amount)
                        mstore(add(sums, 0x40), add(mload(add(sums, 0x40)), amount))
                        next := 4
                        leave
                    }
                    if eq(state, 3) {
                        let refund := sub(cap, amount)
                        let revenueIndex := mload(add(sums, 0x80))
                        if iszero(eq(revenueIndex, not(0))) {
                            mstore(add(sums, 0xa0), and(mload(add(table, shl(5, add(revenueIndex, 1)))), 0xffffffffffffffffffffffffffffffff))
                        }
                        if lt(sub(add(mload(add(sums, 0xa0)), mload(add(sums, 0x40))), mload(add(sums, 0x60))), refund) { outcome := 0x86 leave }
                        out := add(word, refund)
                        mstore(add(sums, 0x60), add(mload(add(sums, 0x60)), refund))
                        next := 5
                        leave
                    }
                    if lt(shr(128, word), cap) { outcome := 0x85 leave }
                    out := add(sub(word, shl(128, cap)), sub(cap, amount))
                    mstore(add(sums, 0x20), add(mload(add(sums, 0x20)), cap))
                    mstore(add(sums, 0x40), add(mload(add(sums, 0x40)), amount))
                    next := 4
                    leave
                }
                if eq(op, 4) {
                    if or(eq(state, 3), eq(state, 5)) { outcome := 0x81 leave }
                    if iszero(eq(state, 1)) { outcome := 0x82 leave }
                    if lt(shr(128, word), cap) { outcome := 0x85 leave }
                    out := sub(word, shl(128, cap))
                    mstore(add(sums, 0x20), add(mload(add(sums, 0x20)), cap))
                    mstore(add(sums, 0x40), add(mload(add(sums, 0x40)), cap))
                    next := 3
                    leave
                }
                if state { outcome := 0x81 leave }
                if lt(and(word, 0xffffffffffffffffffffffffffffffff), cap) { outcome := 0x83 leave }
                out := add(sub(word, cap), shl(128, cap))
                mstore(sums, add(mload(sums), cap))
                next := op
            }

            let outAt := add(outcomes, 0x20)
            for { let at := add(batch.offset, first) } lt(at, add(batch.offset, end)) { at := add(at, 27) outAt := add(outAt, 1) } {
                let w := calldataload(at)
                if or(or(or(iszero(shr(248, w)), gt(shr(248, w), 4)), iszero(lt(and(shr(240, w), 0xff), mload(shape)))),
                      or(or(iszero(lt(and(shr(232, w), 0xff), mload(add(shape, 0x20)))), iszero(and(shr(168, w), 0xffffffffffffffff))),
                         or(iszero(and(shr(104, w), 0xffffffffffffffff)), and(iszero(eq(shr(248, w), 3)), gt(and(shr(40, w), 0xffffffffffffffff), 0))))) {
                    badEntry(w, sub(at, batch.offset), mload(shape), mload(add(shape, 0x20)), badBatch)
                }
                mstore(0, shr(174, and(w, shl(168, 0xffffffffffffffff))))
                mstore(0x20, mload(add(pileSlots, shl(5, add(and(shr(232, w), 0xff), 1)))))
                let key := keccak256(0, 0x40)
                let bits := sload(key)
                let shift := shl(2, and(shr(168, w), 63))
                let state := and(shr(shift, bits), 0xf)
                let wordAt := add(words, shl(5, add(and(shr(240, w), 0xff), 1)))
                let next, outcome, word := step(w, state, mload(wordAt), net, words)
                mstore8(outAt, outcome)
                if iszero(eq(next, state)) {
                    mstore(wordAt, word)
                    dirty := or(dirty, shl(and(shr(240, w), 0xff), 1))
                    sstore(key, xor(bits, shl(shift, xor(state, next))))
                }
            }
        }
    }
}
