//! A small number for each live thread, never held by two live threads at once: the
//! index of the thread's own counters in [`PhaseRuns`](crate::phase_runs::PhaseRuns).
//!
//! A thread claims the lowest free slot the first time it asks and frees it when it
//! exits, so a thread pool's threads keep theirs and a new thread reuses an old one's.
//! Claiming and freeing make no heap allocation.

use std::sync::atomic::{AtomicU64, Ordering};

/// How many threads may hold a slot at once; the others count through a shared atomic.
pub(crate) const SLOTS: usize = 128;

/// One bit a slot: set while a thread holds it.
static TAKEN: [AtomicU64; SLOTS / 64] = [const { AtomicU64::new(0) }; SLOTS / 64];

/// The calling thread's slot; `None` when every slot is taken, or while the thread's
/// locals are being destroyed.
#[inline]
pub(crate) fn current() -> Option<usize> {
    SLOT.try_with(|slot| slot.0).ok().flatten()
}

thread_local! {
    static SLOT: Slot = Slot::claim();
}

/// A claimed slot, freed when the thread's locals are destroyed.
struct Slot(Option<usize>);

impl Slot {
    fn claim() -> Slot {
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
                    Ok(_) => return Slot(Some(word_index * 64 + bit as usize)),
                    Err(now) => bits = now,
                }
            }
        }
        Slot(None)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(slot) = self.0 {
            // Release: pairs with the next holder's Acquire.
            TAKEN[slot / 64].fetch_and(!(1 << (slot % 64)), Ordering::Release);
        }
    }
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
                        let slot = current().expect("a free slot");
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
            assert!(slot.is_some(), "an exited thread's slot is claimed again");
        }
    }
}
