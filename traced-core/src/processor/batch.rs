//! Batching export off the hot path.
//!
//! Each thread that ends spans fills a chunk of its own (a mutex nobody else
//! takes except the export thread on a flush or the schedule tick), so
//! ending a span is an uncontended lock and a push: threads never fight over
//! one queue. A full chunk (the export batch size) is handed to a shared
//! queue in one step and the export thread woken; it exports chunk by chunk
//! and hands the emptied chunks back for reuse, so memory stays bounded and
//! nothing is reallocated per span. When the queue holds `max_queue_size`
//! spans, new spans are dropped and counted.

use super::suppress::{is_exporting, Exporting};
use super::tail::{TailSampler, TailSampling};
use super::{ExportStats, ExporterBox, Processor};
use crate::diagnostics;
use crate::error::LifecycleError;
use crate::span::{AnchorCache, Buffered, FinishedSpan};
use opentelemetry_sdk::trace::SpanData;
use opentelemetry_sdk::Resource;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// Batch settings, as `OTEL_BSP_*` names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchConfig {
    /// Longest wait between two exports (`OTEL_BSP_SCHEDULE_DELAY`, 5 s).
    pub schedule_delay: Duration,
    /// Longest one export may take (`OTEL_BSP_EXPORT_TIMEOUT`, 30 s).
    pub export_timeout: Duration,
    /// Spans held before new ones are dropped (`OTEL_BSP_MAX_QUEUE_SIZE`,
    /// 2048), counted over the batches handed to the export thread; each
    /// thread may hold one more batch it is still filling.
    pub max_queue_size: usize,
    /// Spans per export call (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, 512).
    pub max_export_batch_size: usize,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            schedule_delay: Duration::from_millis(5000),
            export_timeout: Duration::from_millis(30_000),
            max_queue_size: 2048,
            max_export_batch_size: 512,
        }
    }
}

type Chunk = Vec<Buffered>;

/// One thread's chunk being filled, for one processor.
#[derive(Debug)]
struct ThreadBuffer {
    current: Mutex<Local>,
}

/// A thread's registration of its buffer with one processor. When the
/// thread ends (or drops the registration of a processor that is gone), the
/// spans given back to it are dropped then, and nothing more is given back.
#[derive(Debug)]
struct Registered {
    shared: Weak<Shared>,
    buffer: Arc<ThreadBuffer>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut local) = self.buffer.current.lock() {
            local.collecting = false;
            local.returned.clear();
        }
    }
}

/// What a thread's buffer holds: the chunk being filled, and chunks already
/// exported that came back to be dropped here.
///
/// A span's memory (an error message, an event, an attribute's text) is
/// allocated by the thread that records it. Freed by the export thread, each
/// free takes the lock of the recording thread's allocator arena, which the
/// recording thread takes too: at a million error spans a second, that
/// contention made export fall behind. So exported chunks come back to
/// their thread, which drops one or two spans each time it ends one (no
/// pause of hundreds), and reuses the emptied chunk.
#[derive(Debug, Default)]
struct Local {
    chunk: Chunk,
    returned: Vec<Chunk>,
    /// The thread is alive and collects what is given back.
    collecting: bool,
}

/// Exported chunks a thread may hold before the export thread drops the
/// next ones itself (a thread that stopped making spans does not collect).
const MAX_RETURNED: usize = 2;

impl Local {
    /// Drops up to two returned spans; hands back an emptied chunk.
    #[inline]
    fn drop_returned(&mut self) -> Option<Chunk> {
        let last = self.returned.last_mut()?;
        last.pop();
        last.pop();
        if last.is_empty() {
            return self.returned.pop();
        }
        None
    }
}

#[derive(Debug)]
struct Shared {
    config: BatchConfig,
    /// Tail sampling decides later: record-only spans are queued too.
    accept_unsampled: bool,
    /// Spans in the export running now.
    in_flight: AtomicUsize,
    /// Every thread's chunk being filled (the export thread takes partial
    /// ones on the schedule tick, flush and shutdown).
    buffers: Mutex<Vec<Arc<ThreadBuffer>>>,
    /// Full chunks waiting for export, with the buffer of the thread that
    /// filled each (it gets the chunk back once exported).
    full: Mutex<VecDeque<(Arc<ThreadBuffer>, Chunk)>>,
    /// Spans held in `full` (threads' chunks being filled are not counted:
    /// each adds at most one batch).
    queued: AtomicUsize,
    /// Emptied chunks, kept for reuse.
    spare: Mutex<Vec<Chunk>>,
    wake_pending: AtomicBool,
    shut_down: AtomicBool,
    exported: AtomicU64,
    dropped_queue_full: AtomicU64,
    failed: AtomicU64,
    dropped_after_shutdown: AtomicU64,
}

impl Shared {
    /// Spans in the threads' chunks being filled.
    fn buffered(&self) -> usize {
        let Ok(buffers) = self.buffers.lock() else { return 0 };
        buffers.iter().map(|b| b.current.lock().map(|c| c.chunk.len()).unwrap_or(0)).sum()
    }

    fn fresh_chunk(&self) -> Chunk {
        self.spare
            .lock()
            .ok()
            .and_then(|mut s| s.pop())
            .unwrap_or_else(|| Vec::with_capacity(self.config.max_export_batch_size))
    }

    fn recycle(&self, mut chunk: Chunk) {
        chunk.clear();
        if let Ok(mut spare) = self.spare.lock() {
            // Enough spares for every chunk the queue can hold; beyond, free.
            if spare.len() * self.config.max_export_batch_size < self.config.max_queue_size {
                spare.push(chunk);
            }
        }
    }
}

enum Control {
    Wake,
    Flush(Sender<Result<(), LifecycleError>>),
    Shutdown(Sender<Result<(), LifecycleError>>),
}

thread_local! {
    /// This thread's buffers, one per live batch processor.
    static LOCAL: RefCell<Vec<Registered>> = const { RefCell::new(Vec::new()) };
}

/// Exports spans in batches from a background thread.
#[derive(Debug)]
pub struct BatchProcessor {
    shared: Arc<Shared>,
    control: Sender<Control>,
}

impl BatchProcessor {
    /// Starts the export thread for `exporters` (each receives every batch).
    pub fn new(exporters: Vec<ExporterBox>, resource: &Resource, config: BatchConfig) -> std::io::Result<Self> {
        Self::start(exporters, resource, config, None)
    }

    /// The same, with tail sampling in the export thread: unsampled
    /// (record-only) spans are accepted too, and each trace is decided when
    /// its local root ends (see [`TailSampling`]).
    pub fn with_tail_sampling(
        exporters: Vec<ExporterBox>,
        resource: &Resource,
        config: BatchConfig,
        tail: TailSampling,
    ) -> std::io::Result<Self> {
        Self::start(exporters, resource, config, Some(tail))
    }

    fn start(
        mut exporters: Vec<ExporterBox>,
        resource: &Resource,
        mut config: BatchConfig,
        tail: Option<TailSampling>,
    ) -> std::io::Result<Self> {
        config.max_queue_size = config.max_queue_size.max(1);
        config.max_export_batch_size = config.max_export_batch_size.clamp(1, config.max_queue_size);
        for e in &mut exporters {
            e.set_resource(resource);
        }
        let shared = Arc::new(Shared {
            config,
            accept_unsampled: tail.is_some(),
            in_flight: AtomicUsize::new(0),
            buffers: Mutex::new(Vec::new()),
            full: Mutex::new(VecDeque::new()),
            queued: AtomicUsize::new(0),
            spare: Mutex::new(Vec::new()),
            wake_pending: AtomicBool::new(false),
            shut_down: AtomicBool::new(false),
            exported: AtomicU64::new(0),
            dropped_queue_full: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            dropped_after_shutdown: AtomicU64::new(0),
        });
        let (tx, rx) = mpsc::channel();
        let worker =
            Worker { shared: shared.clone(), exporters, tail: tail.map(TailSampler::new), spare_batch: Vec::new() };
        std::thread::Builder::new().name("traced-export".into()).spawn(move || worker.run(rx))?;
        Ok(BatchProcessor { shared, control: tx })
    }

    fn with_local_buffer<R>(&self, f: impl FnOnce(&Arc<ThreadBuffer>) -> R) -> R {
        LOCAL.with(|local| {
            let mut local = local.borrow_mut();
            let me = Arc::as_ptr(&self.shared);
            if let Some(r) = local.iter().find(|r| r.shared.as_ptr() == me) {
                return f(&r.buffer);
            }
            // First span of this thread for this processor: register a buffer,
            // forgetting those of processors that are gone.
            local.retain(|r| r.shared.upgrade().is_some_and(|s| !s.shut_down.load(Ordering::Relaxed)));
            let buf = Arc::new(ThreadBuffer { current: Mutex::new(Local { collecting: true, ..Local::default() }) });
            if let Ok(mut all) = self.shared.buffers.lock() {
                all.push(buf.clone());
            }
            local.push(Registered { shared: Arc::downgrade(&self.shared), buffer: buf.clone() });
            f(&buf)
        })
    }

    fn dropped(&self, n: u64) {
        let shared = &*self.shared;
        shared.dropped_queue_full.fetch_add(n, Ordering::Relaxed);
        diagnostics::warn_once(diagnostics::Once::QueueFull, || {
            format!(
                "span queue full ({} spans): dropping spans until the exporter catches up",
                shared.config.max_queue_size
            )
        });
    }

    fn request(
        &self,
        make: impl FnOnce(Sender<Result<(), LifecycleError>>) -> Control,
        timeout: Duration,
    ) -> Result<(), LifecycleError> {
        let (tx, rx) = mpsc::channel();
        self.control.send(make(tx)).map_err(|_| LifecycleError::AlreadyShutdown)?;
        match rx.recv_timeout(timeout) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => Err(LifecycleError::Timeout(timeout)),
            Err(RecvTimeoutError::Disconnected) => Err(LifecycleError::AlreadyShutdown),
        }
    }
}

impl Processor for BatchProcessor {
    #[inline]
    fn on_end(&self, span: FinishedSpan) {
        if (!span.is_sampled() && !self.shared.accept_unsampled) || is_exporting() {
            return;
        }
        let shared = &*self.shared;
        if shared.shut_down.load(Ordering::Relaxed) {
            shared.dropped_after_shutdown.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let batch = shared.config.max_export_batch_size;
        // The queue counts full chunks handed over (one shared write per
        // batch); a thread's chunk being filled adds at most one batch more.
        // Reading the count is a load of a line that rarely changes.
        if shared.queued.load(Ordering::Relaxed) >= shared.config.max_queue_size {
            self.dropped(1);
            return;
        }
        let handed_off = self.with_local_buffer(|buf| {
            let Ok(mut local) = buf.current.lock() else { return Err(()) };
            let local = &mut *local;
            if local.chunk.capacity() == 0 {
                local.chunk = shared.fresh_chunk();
            }
            span.push_to(&mut local.chunk);
            let emptied = local.drop_returned();
            if local.chunk.len() < batch {
                if let Some(emptied) = emptied {
                    shared.recycle(emptied);
                }
                return Ok(None);
            }
            let fresh = emptied.unwrap_or_else(|| shared.fresh_chunk());
            Ok(Some((buf.clone(), std::mem::replace(&mut local.chunk, fresh))))
        });
        match handed_off {
            Ok(None) => {}
            Ok(Some((owner, chunk))) => {
                shared.queued.fetch_add(chunk.len(), Ordering::AcqRel);
                if let Ok(mut full) = shared.full.lock() {
                    full.push_back((owner, chunk));
                }
                if !shared.wake_pending.swap(true, Ordering::AcqRel) {
                    let _ = self.control.send(Control::Wake);
                }
            }
            Err(()) => self.dropped(1),
        }
    }

    fn force_flush(&self, timeout: Duration) -> Result<(), LifecycleError> {
        if self.shared.shut_down.load(Ordering::Acquire) {
            return Err(LifecycleError::AlreadyShutdown);
        }
        self.request(Control::Flush, timeout)
    }

    fn shutdown(&self, timeout: Duration) -> Result<(), LifecycleError> {
        if self.shared.shut_down.swap(true, Ordering::AcqRel) {
            return Err(LifecycleError::AlreadyShutdown);
        }
        self.request(Control::Shutdown, timeout)
    }

    fn stats(&self) -> ExportStats {
        let s = &self.shared;
        ExportStats {
            exported: s.exported.load(Ordering::Relaxed),
            dropped_queue_full: s.dropped_queue_full.load(Ordering::Relaxed),
            failed: s.failed.load(Ordering::Relaxed),
            dropped_after_shutdown: s.dropped_after_shutdown.load(Ordering::Relaxed),
            pending: (s.queued.load(Ordering::Relaxed) + s.in_flight.load(Ordering::Relaxed) + s.buffered()) as u64,
        }
    }
}

struct Worker {
    shared: Arc<Shared>,
    exporters: Vec<ExporterBox>,
    tail: Option<TailSampler>,
    /// The last batch's vector, emptied, for the next one: a batch of
    /// `SpanData` is large enough to be a fresh mapping from the allocator
    /// each time otherwise.
    spare_batch: Vec<SpanData>,
}

impl Worker {
    fn run(mut self, rx: mpsc::Receiver<Control>) {
        // Everything on this thread is export work.
        let _exporting = Exporting::enter();
        let delay = self.shared.config.schedule_delay;
        let mut next = Instant::now() + delay;
        loop {
            let wait = next.saturating_duration_since(Instant::now());
            match rx.recv_timeout(wait) {
                Ok(Control::Wake) => {
                    self.shared.wake_pending.store(false, Ordering::Release);
                    let _ = self.export_full();
                }
                Ok(Control::Flush(reply)) => {
                    let result = self.export_everything().and(self.export_held());
                    let flushed = self
                        .exporters
                        .iter()
                        .try_for_each(|e| e.force_flush().map_err(|err| LifecycleError::Export(err.to_string())));
                    let _ = reply.send(result.and(flushed));
                }
                Ok(Control::Shutdown(reply)) => {
                    let result = self.export_everything().and(self.export_held());
                    let timeout = self.shared.config.export_timeout;
                    let closed = self.exporters.iter().try_for_each(|e| {
                        e.shutdown_with_timeout(timeout).map_err(|err| LifecycleError::Export(err.to_string()))
                    });
                    let _ = reply.send(result.and(closed));
                    return;
                }
                Err(RecvTimeoutError::Timeout) => {
                    let _ = self.export_everything();
                    let _ = self.export_expired();
                    next = Instant::now() + delay;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let _ = self.export_everything().and(self.export_held());
                    return;
                }
            }
        }
    }

    /// Exports the full chunks waiting in the queue.
    fn export_full(&mut self) -> Result<(), LifecycleError> {
        let mut result = Ok(());
        loop {
            let chunk = self.shared.full.lock().ok().and_then(|mut f| f.pop_front());
            let Some((owner, mut chunk)) = chunk else { return result };
            self.shared.queued.fetch_sub(chunk.len(), Ordering::AcqRel);
            // Only spans that own memory are worth sending back: dropping the
            // others frees nothing, and costs their thread the time.
            let give_back = chunk.iter().any(Buffered::owns_memory);
            if let Err(e) = self.send_records(&mut chunk, give_back) {
                result = Err(e);
            }
            match give_back {
                true => self.give_back(&owner, chunk),
                false => self.shared.recycle(chunk),
            }
        }
    }

    /// Exports the full chunks, then every thread's partial one.
    fn export_everything(&mut self) -> Result<(), LifecycleError> {
        let mut result = self.export_full();
        let mut partial = Vec::new();
        if let Ok(mut buffers) = self.shared.buffers.lock() {
            let mut uncollected = Vec::new();
            for buf in buffers.iter() {
                if let Ok(mut local) = buf.current.lock() {
                    if !local.chunk.is_empty() {
                        partial.push(std::mem::take(&mut local.chunk));
                    }
                    // What a thread left uncollected since the last tick is
                    // dropped here: it may have stopped making spans.
                    uncollected.append(&mut local.returned);
                }
            }
            for chunk in uncollected {
                self.shared.recycle(chunk);
            }
            // A buffer only we hold belongs to a thread that has exited.
            buffers.retain(|b| Arc::strong_count(b) > 1);
        }
        // Partial chunks go out together: fewer, fuller requests, and the
        // spans of one trace made on several threads arrive in one batch.
        let max = self.shared.config.max_export_batch_size.max(1);
        let mut batch: Chunk = Vec::new();
        for mut chunk in partial {
            batch.append(&mut chunk);
            self.shared.recycle(chunk);
            while batch.len() >= max {
                let rest = batch.split_off(max);
                if let Err(e) = self.send_records(&mut batch, false) {
                    result = Err(e);
                }
                batch = rest;
            }
        }
        if let Err(e) = self.send_records(&mut batch, false) {
            result = Err(e);
        }
        result
    }

    /// Hands an exported chunk back to the thread that filled it, to be
    /// dropped there (see [`Local`]); drops it here when that thread is gone
    /// or has not collected what it was given.
    fn give_back(&self, owner: &Arc<ThreadBuffer>, chunk: Chunk) {
        if let Ok(mut local) = owner.current.lock() {
            if local.collecting && local.returned.len() < MAX_RETURNED {
                local.returned.push(chunk);
                return;
            }
        }
        self.shared.recycle(chunk);
    }

    /// Exports spans as they were recorded. When the only exporter is our
    /// OTLP one and no tail sampler needs the SDK's form, the records are
    /// encoded where they lie; otherwise they are converted: copied when
    /// they are to be `kept` (for the thread that made them to drop),
    /// moved out otherwise.
    fn send_records(&mut self, records: &mut Chunk, kept: bool) -> Result<(), LifecycleError> {
        if records.is_empty() {
            return Ok(());
        }
        if let ([exporter], None) = (&self.exporters[..], &self.tail) {
            let n = records.len();
            self.shared.in_flight.store(n, Ordering::Relaxed);
            let exported = exporter.export_records(records, self.shared.config.export_timeout);
            self.shared.in_flight.store(0, Ordering::Relaxed);
            if let Some(exported) = exported {
                return self.count(n as u64, exported);
            }
        }
        let mut anchors = AnchorCache::default();
        let mut batch = std::mem::take(&mut self.spare_batch);
        match kept {
            true => batch.extend(records.iter().map(|s| s.to_span_data_cached(&mut anchors))),
            false => batch.extend(records.drain(..).map(|s| s.into_span_data_cached(&mut anchors))),
        }
        self.export_batch(batch)
    }

    /// Tail-sampled fragments that waited too long, by their head result.
    fn export_expired(&mut self) -> Result<(), LifecycleError> {
        let expired = match &mut self.tail {
            Some(tail) => tail.expire(Instant::now()),
            None => return Ok(()),
        };
        self.send(expired)
    }

    /// Every tail-sampled fragment still held, by its head result.
    fn export_held(&mut self) -> Result<(), LifecycleError> {
        let held = match &mut self.tail {
            Some(tail) => tail.drain(),
            None => return Ok(()),
        };
        self.send(held)
    }

    /// Passes `batch` through the tail sampler, if any, then exports.
    fn export_batch(&mut self, batch: Vec<SpanData>) -> Result<(), LifecycleError> {
        let batch = match &mut self.tail {
            Some(tail) => tail.filter(batch, Instant::now()),
            None => batch,
        };
        self.send(batch)
    }

    fn send(&mut self, mut batch: Vec<SpanData>) -> Result<(), LifecycleError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.shared.in_flight.store(batch.len(), Ordering::Relaxed);
        let result = self.send_now(&mut batch);
        self.shared.in_flight.store(0, Ordering::Relaxed);
        batch.clear();
        if batch.capacity() <= self.shared.config.max_export_batch_size {
            self.spare_batch = batch;
        }
        result
    }

    fn send_now(&self, batch: &mut Vec<SpanData>) -> Result<(), LifecycleError> {
        let n = batch.len() as u64;
        let timeout = self.shared.config.export_timeout;
        let mut result = Ok(());
        let last = self.exporters.len().saturating_sub(1);
        for (i, exporter) in self.exporters.iter().enumerate() {
            let exported = match i == last {
                true => exporter.export_blocking(batch, timeout),
                // Each exporter redacts and may consume what it is given.
                false => exporter.export_blocking(&mut batch.clone(), timeout),
            };
            if let Err(e) = self.count(n, exported) {
                result = Err(e);
            }
        }
        result
    }

    /// Counts the outcome of one export of `n` spans.
    fn count(&self, n: u64, exported: opentelemetry_sdk::error::OTelSdkResult) -> Result<(), LifecycleError> {
        match exported {
            Ok(()) => {
                self.shared.exported.fetch_add(n, Ordering::Relaxed);
                Ok(())
            }
            Err(err) => {
                self.shared.failed.fetch_add(n, Ordering::Relaxed);
                diagnostics::warn_once(diagnostics::Once::ExportFailed, || {
                    format!("exporting {n} spans failed: {err}; spans are dropped (further failures are counted, not printed)")
                });
                Err(LifecycleError::Export(err.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MemoryExporter;
    use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState};
    use opentelemetry::InstrumentationScope;
    use opentelemetry_sdk::trace::{SpanEvents, SpanLinks};
    use std::time::SystemTime;

    pub(crate) fn span(i: u64, sampled: bool) -> FinishedSpan {
        let flags = if sampled { TraceFlags::SAMPLED } else { TraceFlags::default() };
        SpanData {
            span_context: SpanContext::new(TraceId::from(1u128), SpanId::from(i + 1), flags, false, TraceState::NONE),
            parent_span_id: SpanId::INVALID,
            parent_span_is_remote: false,
            span_kind: SpanKind::Internal,
            name: "s".into(),
            start_time: SystemTime::now(),
            end_time: SystemTime::now(),
            attributes: vec![],
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: Status::Unset,
            instrumentation_scope: InstrumentationScope::builder("t").build(),
        }
        .into()
    }

    #[test]
    fn flush_exports_spans_of_every_thread() {
        let mem = MemoryExporter::default();
        let p = Arc::new(
            BatchProcessor::new(
                vec![ExporterBox::new(mem.clone())],
                &Resource::builder_empty().build(),
                BatchConfig::default(),
            )
            .unwrap(),
        );
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let p = p.clone();
                std::thread::spawn(move || (0..100).for_each(|i| p.on_end(span(t * 1000 + i, true))))
            })
            .collect();
        handles.into_iter().for_each(|h| h.join().unwrap());
        p.on_end(span(99_999, false)); // unsampled: never exported
        p.force_flush(Duration::from_secs(5)).unwrap();
        assert_eq!(mem.spans().len(), 400);
        assert_eq!(p.stats().exported, 400);
        p.shutdown(Duration::from_secs(5)).unwrap();
        p.on_end(span(5, true));
        assert_eq!(p.stats().dropped_after_shutdown, 1);
        assert_eq!(p.shutdown(Duration::from_secs(1)), Err(LifecycleError::AlreadyShutdown));
    }

    #[test]
    fn full_queue_drops_and_counts() {
        let mem = MemoryExporter::default();
        let config = BatchConfig {
            max_queue_size: 10,
            max_export_batch_size: 10,
            schedule_delay: Duration::from_secs(3600),
            ..Default::default()
        };
        let p = BatchProcessor::new(vec![ExporterBox::new(mem.clone())], &Resource::builder_empty().build(), config)
            .unwrap();
        // The worker may drain the buffer once it is woken; stop it from doing
        // so by filling faster than one wake-up: the count must still add up.
        for i in 0..1000 {
            p.on_end(span(i, true));
        }
        p.force_flush(Duration::from_secs(5)).unwrap();
        let s = p.stats();
        assert_eq!(s.exported + s.dropped_queue_full, 1000);
        assert_eq!(mem.spans().len() as u64, s.exported);
        assert!(s.dropped_queue_full > 0);
    }

    #[test]
    fn batch_reaching_size_is_exported_without_waiting_for_the_delay() {
        let mem = MemoryExporter::default();
        let config =
            BatchConfig { max_export_batch_size: 8, schedule_delay: Duration::from_secs(3600), ..Default::default() };
        let p = BatchProcessor::new(vec![ExporterBox::new(mem.clone())], &Resource::builder_empty().build(), config)
            .unwrap();
        for i in 0..8 {
            p.on_end(span(i, true));
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while mem.spans().len() < 8 {
            assert!(Instant::now() < deadline, "batch was not exported on reaching its size");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Exported spans come back to the thread that ended them and are
    /// dropped there, a couple per span it ends next: their memory is freed
    /// by the thread that allocated it.
    #[test]
    fn exported_spans_are_dropped_by_the_thread_that_made_them() {
        let mem = MemoryExporter::default();
        let config =
            BatchConfig { max_export_batch_size: 4, schedule_delay: Duration::from_secs(3600), ..Default::default() };
        let p = BatchProcessor::new(vec![ExporterBox::new(mem.clone())], &Resource::builder_empty().build(), config)
            .unwrap();
        // Text shared by the spans' attribute: its count says who still
        // holds the spans (the exporter gets copies, and keeps them).
        let text: std::sync::Arc<str> = "allocated by the span's thread".into();
        for i in 0..4 {
            let mut data = span(i, true).into_span_data();
            data.attributes.push(opentelemetry::KeyValue::new("text", opentelemetry::StringValue::from(text.clone())));
            p.on_end(data.into());
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while p.stats().exported < 4 {
            assert!(Instant::now() < deadline, "the full chunk was not exported");
            std::thread::sleep(Duration::from_millis(5));
        }
        let returned = || p.with_local_buffer(|buf| buf.current.lock().map(|l| l.returned.len()).unwrap_or(0));
        while returned() == 0 {
            assert!(Instant::now() < deadline, "the exported chunk did not come back to its thread");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(std::sync::Arc::strong_count(&text), 9, "ours, the exporter's copies, the returned spans");
        // Two more spans end on this thread: each drops two returned ones.
        p.on_end(span(10, true));
        assert_eq!(std::sync::Arc::strong_count(&text), 7);
        p.on_end(span(11, true));
        assert_eq!(std::sync::Arc::strong_count(&text), 5, "only the exporter's copies are left");
        assert_eq!(mem.spans().len(), 4);
        p.shutdown(Duration::from_secs(5)).unwrap();
    }
}
