//! Record boxes reused on the thread that makes spans.
//!
//! A recording span keeps its record in a box (the handle moves through
//! several frames; a few hundred bytes inline would be copied each time).
//! When the span ends, the record moves out into the batch buffer and the
//! empty box is kept here for the next span on this thread, instead of a
//! free now and a malloc next time. The record is copied once on the way
//! out, straight into the buffer's slot.

use super::record::{Buffered, SpanRecord};
use std::cell::RefCell;
use std::mem::MaybeUninit;

/// Empty boxes kept per thread: enough for deep nesting; past it, freed.
const KEEP: usize = 64;

thread_local! {
    // The boxes are the point: each is a record's allocation kept for reuse.
    #[allow(clippy::vec_box)]
    static EMPTY: RefCell<Vec<Box<MaybeUninit<SpanRecord>>>> = const { RefCell::new(Vec::new()) };
}

/// An empty box for a record: one of this thread's, or a new one. Taken
/// before the record is built, so that it can be built in place.
#[inline(always)]
pub(crate) fn empty_box() -> Box<MaybeUninit<SpanRecord>> {
    match EMPTY.try_with(|empty| empty.borrow_mut().pop()) {
        Ok(Some(slot)) => slot,
        _ => Box::new_uninit(),
    }
}

/// `record` in `slot` (what `Box::write` does, stable only after our MSRV).
#[inline(always)]
#[allow(unsafe_code)]
pub(crate) fn fill(mut slot: Box<MaybeUninit<SpanRecord>>, record: SpanRecord) -> Box<SpanRecord> {
    slot.write(record);
    // SAFETY: written just above.
    unsafe { slot.assume_init() }
}

/// Keeps an emptied box for the next record (freed when enough are kept).
#[inline]
fn keep(slot: Box<MaybeUninit<SpanRecord>>) {
    let _ = EMPTY.try_with(move |empty| {
        let mut empty = empty.borrow_mut();
        if empty.len() < KEEP {
            empty.push(slot);
        }
    });
}

/// Takes the record out of its box and gives the box back (to
/// [`empty_box`]).
#[inline(always)]
#[allow(unsafe_code)]
fn take(record: Box<SpanRecord>, into: impl FnOnce(*const SpanRecord)) {
    let raw = Box::into_raw(record);
    into(raw);
    // SAFETY: the same allocation, with the same layout (`MaybeUninit<T>`
    // has `T`'s). `into` has moved the record out (read it exactly once),
    // and a box of `MaybeUninit` never drops its content, so the record is
    // never dropped twice.
    keep(unsafe { Box::from_raw(raw.cast::<MaybeUninit<SpanRecord>>()) });
}

/// The record out of its box; the box is kept for reuse.
#[inline]
#[allow(unsafe_code)]
pub(crate) fn unboxed(record: Box<SpanRecord>) -> SpanRecord {
    let mut out = MaybeUninit::uninit();
    // SAFETY: `raw` comes from a box we own: aligned, initialised, read once.
    take(record, |raw| {
        out.write(unsafe { raw.read() });
    });
    // SAFETY: written just above.
    unsafe { out.assume_init() }
}

/// Moves the record to the end of `chunk` with one copy, from its box to
/// the chunk's slot; the box is kept for reuse.
#[inline(always)]
#[allow(unsafe_code)]
pub(crate) fn push_unboxed(record: Box<SpanRecord>, chunk: &mut Vec<Buffered>) {
    // Room first: nothing may run between the read and the write, so that
    // the compiler copies the record once, straight into the slot.
    chunk.reserve(1);
    take(record, |raw| {
        let len = chunk.len();
        // SAFETY: `reserve` made room for one more element at `len`;
        // `raw` comes from a box we own: aligned, initialised, read once.
        // The slot is counted in the length only once written.
        unsafe {
            chunk.as_mut_ptr().add(len).write(Buffered::Traced(raw.read()));
            chunk.set_len(len + 1);
        }
    });
}
