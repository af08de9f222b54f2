// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import "./BatchLayout.sol";

/// The entries of one applyBatch against the contracts' states, written by hand in Yul as one loop:
/// the common entry, a one-step settlement, straight through it, every other one through one call
/// (bench/ledger.bench.ts measures the gas).
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
        uint256 revenueWord; // its account word before this batch, when not a user of it
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
    /// `piles`: 7 words of context, filled by the caller — 0 where the entries start in memory,
    /// 1 where they end, 2 the last user index, 3 the last pile index, 4 where the batch starts in
    /// memory (copied from calldata: the entries are read there, and it is hashed for the log), 5 the BadBatch selector, 6
    /// `net` — then 4 words a pile table entry: the 64-sequence word it holds (the entry's bits
    /// 70…103 — pile index, seq / 64 — in place, all ones for none: the next two are then unset),
    /// that word's bits, its storage slot, and the pile's stateWords mapping slot (keccak256 of
    /// the pile id and stateWords' slot, set by the caller). The table is the last memory in use
    /// (the entry loop relies on it). Each word is read once while the entries stay in it and
    /// written once when they move to another word of the pile or at the end (a word whose
    /// entries were all skipped is written unchanged: 100 gas, less than keeping and comparing
    /// its bits as read for every word). `words`: each user's account word. `outAt`: where the outcome bytes
    /// go (zero until written).
    function applyAll(uint256[] memory words, uint256[] memory piles, uint256 outAt) internal {
        assembly ("memory-safe") {
            // The entry word `w` = mload(at): op byte 0, user index byte 1, pile index byte 2,
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
            /// Writes the word `pile` holds, if any (word 0's sequence 0, never a contract, restored
            /// to 0: see load).
            function flush(pile) {
                let held := mload(pile)
                if add(held, 1) { // none: all ones
                    sstore(mload(add(pile, 0x40)), xor(mload(add(pile, 0x20)), mul(iszero(and(held, 0xffffffc00000000000000000)), 0xf)))
                }
            }
            /// Holds the pile's word `marker` names (the entry's bits 70…103: pile index, word
            /// index): its slot is stateWords[pile id][word]. Writes the word held first. In word 0
            /// the state of sequence 0 (no contract has it) is held as 0xf, so that the loop's
            /// state test refuses seq 0.
            function load(pile, marker) {
                flush(pile)
                let word := and(shr(70, marker), 0x3ffffff)
                mstore(0, word)
                mstore(0x20, mload(add(pile, 0x60)))
                let slot := keccak256(0, 0x40)
                mstore(pile, marker)
                mstore(add(pile, 0x20), or(sload(slot), mul(iszero(word), 0xf)))
                mstore(add(pile, 0x40), slot)
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
            /// The entry at `at` checked and applied whatever its op and state: every entry the
            /// loop below does not settle in one step. Its pile word is held already (the loop
            /// read it, refusing a pile index beyond the table). Returns the new revenue delta.
            /// A skipped entry writes its reason and leaves (`leave` also keeps the optimizer from
            /// inlining this function into the loop, whose values it would push off the stack).
            function applyEntry(at, ctx, users, outcomesAt, revenueDelta) -> revenueAfter {
                revenueAfter := revenueDelta
                let w := mload(at)
                let seq := and(shr(200, w), 0xffffffff)
                // seq and cap are below 2^32: their product is 0 iff one of them is
                if or(or(gt(byte(1, w), mload(add(ctx, 0x40))), gt(byte(2, w), mload(add(ctx, 0x60)))), iszero(mul(seq, and(shr(168, w), 0xffffffff)))) {
                    badEntry(w, at, ctx)
                }
                let op := shr(248, w)
                let amount := and(shr(136, w), 0xffffffff)
                // a known op (1…4), and an amount on a settle only
                if or(gt(sub(op, 1), 3), and(iszero(eq(op, 3)), gt(amount, 0))) { badEntry(w, at, ctx) }
                let bitsAt := add(add(ctx, 0x100), shl(7, byte(2, w))) // the held word's bits now
                let shift := shl(2, and(seq, 63))
                let state := and(shr(shift, mload(bitsAt)), 0xf)
                let wordAt := add(users, shl(5, byte(1, w)))
                let cap := and(shr(168, w), 0xffffffff)
                // one outcome byte an entry, in entry order, zero until written
                let out := add(outcomesAt, div(sub(at, mload(ctx)), 15))
                mstore8(out, state)
                switch op
                case 3 {
                    if gt(state, 3) { mstore8(out, 0x81) leave }
                    if gt(amount, cap) { mstore8(out, 0x84) leave }
                    switch state
                    case 0 {
                        let word := mload(wordAt)
                        if lt(and(word, 0xffffffffffffffffffffffffffffffff), amount) { mstore8(out, 0x83) leave }
                        applied(wordAt, sub(word, amount), bitsAt, shift, 4)
                        revenueAfter := add(revenueAfter, amount)
                    }
                    case 3 {
                        let refund := sub(cap, amount)
                        let net := mload(add(ctx, 0xc0))
                        let revenueBalance := and(mload(add(net, 0x60)), 0xffffffffffffffffffffffffffffffff)
                        let revenueIndex := mload(add(net, 0x40))
                        if iszero(eq(revenueIndex, not(0))) {
                            revenueBalance := and(mload(add(users, shl(5, revenueIndex))), 0xffffffffffffffffffffffffffffffff)
                        }
                        if lt(add(revenueBalance, revenueAfter), refund) { mstore8(out, 0x86) leave }
                        applied(wordAt, add(mload(wordAt), refund), bitsAt, shift, 6) // 3 → 5
                        revenueAfter := sub(revenueAfter, refund)
                    }
                    default {
                        let word := mload(wordAt)
                        if lt(shr(128, word), cap) { mstore8(out, 0x85) leave }
                        applied(wordAt, add(sub(word, shl(128, cap)), sub(cap, amount)), bitsAt, shift, xor(state, 4))
                        addEscrow(ctx, sub(0, cap))
                        revenueAfter := add(revenueAfter, amount)
                    }
                }
                case 4 {
                    switch state
                    case 1 {
                        let word := mload(wordAt)
                        if lt(shr(128, word), cap) { mstore8(out, 0x85) leave }
                        applied(wordAt, sub(word, shl(128, cap)), bitsAt, shift, 2) // 1 → 3
                        addEscrow(ctx, sub(0, cap))
                        revenueAfter := add(revenueAfter, cap)
                    }
                    case 3 { mstore8(out, 0x81) }
                    case 5 { mstore8(out, 0x81) }
                    default { mstore8(out, 0x82) }
                }
                default {
                    if state { mstore8(out, 0x81) leave }
                    let word := mload(wordAt)
                    if lt(and(word, 0xffffffffffffffffffffffffffffffff), cap) { mstore8(out, 0x83) leave }
                    applied(wordAt, add(sub(word, cap), shl(128, cap)), bitsAt, shift, op) // 0 → op
                    addEscrow(ctx, cap)
                }
            }
            /// Every entry in order; returns the revenue delta. `table`: the pile table (the
            /// context words are the 7 before it), `users`: the first user's word.
            function applyEntries(table, users, outcomesAt) -> revenueDelta {
                let lastUserBits := shl(104, mload(sub(table, 0xa0)))
                // `e` = 17 bytes before the entry: mload(e) holds the whole entry in its low 15
                // bytes — op bits 112…119, user index 104…111, pile index 96…103, seq 64…95,
                // cap 32…63, amount 0…31 — under whatever memory precedes it (masked off). The
                // entries end a whole number of entries after they start (BatchLayout.shapeOf),
                // and the 15 bytes after them are zero (TapchargeLedger._batchLog): at `end` the
                // loop reads an entry of pile 0 and user 0, and leaves.
                let end := sub(mload(sub(table, 0xc0)), 17)
                for { let e := sub(mload(sub(table, 0xe0)), 17) } 1 { e := add(e, 15) } {
                    let v := mload(e)
                    let pileAt := add(table, and(shr(89, v), 0x7f80)) // pile index × 0x80
                    // The pile's word must be held: its marker, pile index and seq / 64, is the
                    // entry's 34 bits above seq's low 6, kept in place (no shift). A word not held
                    // yet (rare: the pile's first entry, or a move to another word) is read first,
                    // whatever the entry. The pile table ends the memory in use: a pile index
                    // beyond it reads zero, no marker of such an index, and is refused here.
                    let marker := and(v, 0xffffffffc00000000000000000)
                    if xor(mload(pileAt), marker) {
                        // `leave`, not a loop condition: it keeps this function out of line (the
                        // optimizer inlines no function with a `leave`), clear of applyBatch's values
                        if eq(e, end) { leave }
                        if gt(shr(96, marker), mload(sub(table, 0x80))) { badEntry(mload(add(e, 17)), add(e, 17), sub(table, 0xe0)) }
                        load(pileAt, marker)
                    }
                    // (this order of the five values measured cheapest: solc's stack layout)
                    let shift := and(shr(62, v), 0xfc) // (seq mod 64) × 4
                    let bits := mload(add(pileAt, 0x20))
                    let wordAt := add(users, and(shr(99, v), 0x1fe0))
                    let word := mload(wordAt)
                    let amount := and(v, 0xffffffff)
                    // The common entry straight through: a one-step settlement that applies (its
                    // outcome byte 0, the state it found, is already there); any other goes to
                    // applyEntry, which also reverts a malformed one. Seq 0 finds state 0xf
                    // (load). op‖user in place xor 3 × 2^112 is the user index × 2^104 iff op is
                    // 3, else at least 2^112 (as at the end: op 0). (amount | 1) × 2^224 is above
                    // cap × 2^224 + amount × 2^192 iff amount | 1 > cap: it refuses cap 0 and
                    // amount > cap with no mask (and sends amount = cap, even, the long way).
                    if or(
                        or(and(shr(shift, bits), 0xf), lt(and(word, 0xffffffffffffffffffffffffffffffff), amount)),
                        or(gt(xor(and(v, 0xffff00000000000000000000000000), 0x30000000000000000000000000000), lastUserBits), gt(shl(224, or(v, 1)), shl(192, v)))
                    ) {
                        if eq(e, end) { leave }
                        revenueDelta := applyEntry(add(e, 17), sub(table, 0xe0), users, outcomesAt, revenueDelta)
                        continue
                    }
                    mstore(wordAt, sub(word, amount))
                    mstore(add(pileAt, 0x20), or(bits, shl(shift, 4)))
                    revenueDelta := add(revenueDelta, amount)
                }
            }

            let ctx := add(piles, 0x20)
            let revenueDelta := applyEntries(add(ctx, 0xe0), add(words, 0x20), outAt)
            for { let pile := add(ctx, 0xe0) } lt(pile, add(ctx, add(0xe0, shl(7, add(mload(add(ctx, 0x60)), 1))))) { pile := add(pile, 0x80) } {
                let held := mload(pile)
                // flush(pile) written out: its test as the loop's `continue` costs less than the call
                if eq(held, not(0)) { continue }
                sstore(mload(add(pile, 0x40)), xor(mload(add(pile, 0x20)), mul(iszero(and(held, 0xffffffc00000000000000000)), 0xf)))
            }
            mstore(add(mload(add(ctx, 0xc0)), 0x20), revenueDelta)
        }
    }
}
