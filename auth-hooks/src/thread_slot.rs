//! A small number for each live thread, never held by two live threads at once: the
//! index of the thread's own counters in [`PhaseRuns`](crate::phase_runs::PhaseRuns).
//!
//! A thread claims the lowest free slot the first time it asks and frees it when it
//! exits, so a thread pool's threads keep theirs and a new thread reuses an old one's.
//! Claiming and freeing allocate nothing of their own (where std keeps thread-local
//! destructors in a list of its own rather than the platform's, registering the one
//! that frees the slot may). A thread that found every slot taken counts through the
//! shared atomic for the rest of its life.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// How many threads may hold a slot at once; the others count through a shared atomic.
pub(crate) const SLOTS: usize = 128;

/// One bit a slot: set while a thread holds it.
static TAKEN: [AtomicU64; SLOTS / 64] = [const { AtomicU64::new(0) }; SLOTS / 64];

/// The calling thread's slot, or a number of [`SLOTS`] or more when it has none (every
/// slot was taken, or the thread's locals are being destroyed).
#[inline]
pub(crate) fn current() -> usize {
    match HELD.get() {
        UNCLAIMED => claim(),
        held => held - 1,
    }
}

/// What `HELD` holds before the thread asked for a slot.
const UNCLAIMED: usize = 0;
/// What `HELD` holds when the thread has no slot.
const NONE: usize = usize::MAX;

thread_local! {
    /// The thread's slot plus one, [`UNCLAIMED`] or [`NONE`]: a constant-initialized
    /// local without a destructor, read with one instruction.
    static HELD: Cell<usize> = const { Cell::new(UNCLAIMED) };
    /// Frees the slot when the thread exits.
    static RELEASE: Release = const { Release(Cell::new(None)) };
}

/// Frees the thread's slot when the thread's locals are destroyed.
struct Release(Cell<Option<usize>>);

impl Drop for Release {
    fn drop(&mut self) {
        HELD.set(NONE);
        if let Some(slot) = self.0.take() {
            // Release: pairs with the next holder's Acquire.
            TAKEN[slot / 64].fetch_and(!(1 << (slot % 64)), Ordering::Release);
        }
    }
}

#[cold]
#[inline(never)]
fn claim() -> usize {
    let Some(slot) = take_free_slot() else {
        HELD.set(NONE);
        return NONE;
    };
    if RELEASE
        .try_with(|release| release.0.set(Some(slot)))
        .is_err()
    {
        // The thread is exiting: nothing would free the slot later.
        TAKEN[slot / 64].fetch_and(!(1 << (slot % 64)), Ordering::Release);
        HELD.set(NONE);
        return NONE;
    }
    HELD.set(slot + 1);
    slot
}

/// Sets the lowest clear bit of `TAKEN`: that slot is the caller's.
fn take_free_slot() -> Option<usize> {
    for (word_index, word) in TAKEN.iter().enumerate() {
        let mut bits = word.load(Ordering::Relaxed);
        while bits != u64::MAX {
            let bit = bits.trailing_ones();
            // Acquire: the counts the slot's last holder wrote are seen by this one.
            match word.compare_exchange_weak(
                bits,
                bits | 1 << bit,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(word_index * 64 + bit as usize),
                Err(now) => bits = now,
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_threads_hold_distinct_slots_and_an_exited_threads_slot_is_reused() {
        let barrier = std::sync::Barrier::new(8);
        let slots: Vec<usize> = std::thread::scope(|s| {
            let threads: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        let slot = current();
                        assert!(slot < SLOTS, "a free slot");
                        // All eight hold theirs at once.
                        barrier.wait();
                        slot
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        let mut distinct = slots.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 8, "{slots:?}");

        // More threads than slots, one after the other: each finds one free, because
        // each exited thread freed its own.
        for _ in 0..2 * SLOTS {
            let slot = std::thread::spawn(current).join().unwrap();
            assert!(slot < SLOTS, "an exited thread's slot is claimed again");
        }
    }
}
