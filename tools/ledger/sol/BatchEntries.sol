// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import "./BatchLayout.sol";

/// The entries of one applyBatch against the contracts' states, written by hand in Yul as one loop
/// with no call per entry (bench/ledger.bench.ts measures the gas).
/// Contract states (4 bits in the pile's word for 64 sequences): 0 none, 1 open-capped,
/// 2 open-full (an open's op is its state), 3 charged-at-cap, 4 settled, 5 corrected.
/// Outcome byte of an entry: the state it found when it applied, else 0x80 | reason: 1 duplicate,
/// 2 wrong state, 3 insufficient balance, 4 amount above cap, 5 escrow short, 6 revenue account short.
library BatchEntries {
    /// Where the totals of a batch stand while its entries apply. The deltas wrap (mod 2^256): the
    /// rules below never let the escrow total or the revenue balance go below zero.
    struct Net {
        uint256 escrowDelta;
        uint256 revenueDelta;
        uint256 revenueIndex; // the revenue account's place in the user table, or type(uint256).max
        uint256 revenueBalance; // its balance before this batch's revenue movements
    }

    /// The entry loop. Each entry (checked as BatchLayout.sol says) meets its contract's 4-bit state: it moves the user's word
    /// in `words` and the totals in `net`, the pile's state word and its outcome byte.
    /// The rules, per op and state found:
    ///   settle:     settled|corrected → duplicate; amount > cap → above cap;
    ///               none → balance −= amount (needs balance ≥ amount), revenue += amount, settled;
    ///               open-* → escrow −= cap (needs escrow ≥ cap), balance += cap − amount, revenue += amount, settled;
    ///               charged-at-cap → revenue −= cap − amount (needs that much), balance += cap − amount, corrected
    ///   charge-cap: charged-at-cap|corrected → duplicate; not open-capped → wrong state;
    ///               escrow −= cap (needs escrow ≥ cap), revenue += cap, charged-at-cap
    ///   open:       not none → duplicate; balance −= cap, escrow += cap (needs balance ≥ cap), open-capped|open-full
    /// balance + any credit ≤ supply < 2^128 and escrow ≤ supply: no half of a word carries into the other.
    /// `piles`: 8 words of context, filled by the caller — 0 where the entries start in memory,
    /// 1 where they end, 2 the last user index, 3 the last pile index, 4 where the batch starts in
    /// memory (it is read there, copied from calldata, for the log), 5 the BadBatch selector, 6
    /// `net` — then 4 words a pile table entry: the 64-sequence word it holds (its index, all ones
    /// for none), that word's bits now and as read, its mapping slot. Each word is read once while
    /// the entries stay in it and written once, if it changed, when they move to another word of
    /// the pile or at the end. `words`: each user's account word. `outAt`: where the outcome bytes
    /// go (zero until written).
    function applyAll(uint256[] memory words, uint256[] memory piles, uint256 outAt) internal {
        assembly ("memory-safe") {
            // The entry word `w` = mload(entry): op byte 0, user index byte 1, pile index byte 2,
            // seq, cap and amount shifted out where used.
            /// Reverts BadBatch(offset of the entry's first bad byte).
            function badEntry(w, at, ctx) {
                let offset := sub(at, mload(add(ctx, 0x80)))
                let op := shr(248, w)
                if and(gt(op, 0), lt(op, 5)) {
                    offset := add(offset, 1)
                    if iszero(gt(byte(1, w), mload(add(ctx, 0x40)))) {
                        offset := add(offset, 1)
                        if iszero(gt(byte(2, w), mload(add(ctx, 0x60)))) {
                            offset := add(offset, 1)
                            if and(shr(200, w), 0xffffffff) {
                                offset := add(offset, 4)
                                if and(shr(168, w), 0xffffffff) { offset := add(offset, 4) }
                            }
                        }
                    }
                }
                mstore(0, mload(add(ctx, 0xa0)))
                mstore(4, offset)
                revert(0, 36)
            }
            function pileWordSlot(pile, word) -> slot {
                mstore(0, word)
                mstore(0x20, mload(add(pile, 0x60)))
                slot := keccak256(0, 0x40)
            }
            /// Writes the word `pile` holds if it changed.
            function flush(pile) {
                let held := mload(pile)
                let bits := mload(add(pile, 0x20))
                if and(iszero(eq(held, not(0))), iszero(eq(bits, mload(add(pile, 0x40))))) { sstore(pileWordSlot(pile, held), bits) }
            }
            function load(pile, word) {
                flush(pile)
                let bits := sload(pileWordSlot(pile, word))
                mstore(pile, word)
                mstore(add(pile, 0x20), bits)
                mstore(add(pile, 0x40), bits)
            }
            /// The user's new word and the contract's next state (its 4 bits xor-ed into the pile word).
            function applied(wordAt, word, bitsAt, shift, change) {
                mstore(wordAt, word)
                mstore(bitsAt, xor(mload(bitsAt), shl(shift, change)))
            }
            /// Adds to the escrow total's delta (wraps: see Net).
            function addEscrow(ctx, value) {
                let net := mload(add(ctx, 0xc0))
                mstore(net, add(mload(net), value))
            }

            // few live values: `words` becomes the user table, `piles` the pile table
            words := add(words, 0x20)
            piles := add(piles, 0x120)
            let revenueDelta := 0
            for { let at := mload(sub(piles, 0x100)) } lt(at, mload(sub(piles, 0xe0))) { at := add(at, 15) outAt := add(outAt, 1) } {
                let w := mload(at)
                // Fields read by a 32-byte load that ends where they end (a load is not re-derived
                // at every use the way shr/and of `w` are): at ≥ the entries' start, 62 bytes into
                // the batch in memory, so at − 30 is inside it.
                let seq := and(mload(sub(at, 25)), 0xffffffff)
                // seq and cap are below 2^32: their product is 0 iff one of them is
                if or(or(gt(byte(1, w), mload(sub(piles, 0xc0))), gt(byte(2, w), mload(sub(piles, 0xa0)))), iszero(mul(seq, and(shr(168, w), 0xffffffff)))) {
                    badEntry(w, at, sub(piles, 0x100))
                }
                let bitsAt := add(piles, shl(7, byte(2, w)))
                if iszero(eq(mload(bitsAt), shr(6, seq))) { load(bitsAt, shr(6, seq)) }
                bitsAt := add(bitsAt, 0x20)
                let shift := shl(2, and(seq, 63))
                let state := and(shr(shift, mload(bitsAt)), 0xf)
                let wordAt := add(words, shl(5, and(mload(sub(at, 30)), 0xff)))
                {
                    // the common entry first: a one-step settlement that applies (its outcome byte
                    // 0, the state it found, is already there)
                    let amount := and(mload(sub(at, 17)), 0xffffffff)
                    let word := mload(wordAt)
                    if iszero(or(or(xor(shr(248, w), 3), state), or(gt(amount, and(shr(168, w), 0xffffffff)), lt(and(word, 0xffffffffffffffffffffffffffffffff), amount)))) {
                        mstore(wordAt, sub(word, amount))
                        mstore(bitsAt, or(mload(bitsAt), shl(shift, 4)))
                        revenueDelta := add(revenueDelta, amount)
                        continue
                    }
                }
                mstore8(outAt, state)
                switch shr(248, w)
                case 3 {
                    let cap := and(shr(168, w), 0xffffffff)
                    let amount := and(shr(136, w), 0xffffffff)
                    switch lt(state, 4)
                    case 0 { mstore8(outAt, 0x81) }
                    default {
                        switch gt(amount, cap)
                        case 1 { mstore8(outAt, 0x84) }
                        default {
                            switch state
                            case 0 {
                                let word := mload(wordAt)
                                switch lt(and(word, 0xffffffffffffffffffffffffffffffff), amount)
                                case 1 { mstore8(outAt, 0x83) }
                                default {
                                    applied(wordAt, sub(word, amount), bitsAt, shift, 4)
                                    revenueDelta := add(revenueDelta, amount)
                                }
                            }
                            case 3 {
                                let refund := sub(cap, amount)
                                let net := mload(sub(piles, 0x40))
                                let revenueBalance := mload(add(net, 0x60))
                                let revenueIndex := mload(add(net, 0x40))
                                if iszero(eq(revenueIndex, not(0))) {
                                    revenueBalance := and(mload(add(words, shl(5, revenueIndex))), 0xffffffffffffffffffffffffffffffff)
                                }
                                switch lt(add(revenueBalance, revenueDelta), refund)
                                case 1 { mstore8(outAt, 0x86) }
                                default {
                                    applied(wordAt, add(mload(wordAt), refund), bitsAt, shift, 6) // 3 → 5
                                    revenueDelta := sub(revenueDelta, refund)
                                }
                            }
                            default {
                                let word := mload(wordAt)
                                switch lt(shr(128, word), cap)
                                case 1 { mstore8(outAt, 0x85) }
                                default {
                                    applied(wordAt, add(sub(word, shl(128, cap)), sub(cap, amount)), bitsAt, shift, xor(state, 4))
                                    addEscrow(sub(piles, 0x100), sub(0, cap))
                                    revenueDelta := add(revenueDelta, amount)
                                }
                            }
                        }
                    }
                }
                case 4 {
                    if and(shr(136, w), 0xffffffff) { badEntry(w, at, sub(piles, 0x100)) }
                    let cap := and(shr(168, w), 0xffffffff)
                    switch state
                    case 1 {
                        let word := mload(wordAt)
                        switch lt(shr(128, word), cap)
                        case 1 { mstore8(outAt, 0x85) }
                        default {
                            applied(wordAt, sub(word, shl(128, cap)), bitsAt, shift, 2) // 1 → 3
                            addEscrow(sub(piles, 0x100), sub(0, cap))
                            revenueDelta := add(revenueDelta, cap)
                        }
                    }
                    case 3 { mstore8(outAt, 0x81) }
                    case 5 { mstore8(outAt, 0x81) }
                    default { mstore8(outAt, 0x82) }
                }
                default {
                    if or(gt(sub(shr(248, w), 1), 1), and(shr(136, w), 0xffffffff)) { badEntry(w, at, sub(piles, 0x100)) }
                    let cap := and(shr(168, w), 0xffffffff)
                    switch state
                    case 0 {
                        let word := mload(wordAt)
                        switch lt(and(word, 0xffffffffffffffffffffffffffffffff), cap)
                        case 1 { mstore8(outAt, 0x83) }
                        default {
                            applied(wordAt, add(sub(word, cap), shl(128, cap)), bitsAt, shift, shr(248, w)) // 0 → op
                            addEscrow(sub(piles, 0x100), cap)
                        }
                    }
                    default { mstore8(outAt, 0x81) }
                }
            }
            for { let pile := piles } lt(pile, add(piles, shl(7, add(mload(sub(piles, 0xa0)), 1)))) { pile := add(pile, 0x80) } { flush(pile) }
            mstore(add(mload(sub(piles, 0x40)), 0x20), revenueDelta)
        }
    }
}
