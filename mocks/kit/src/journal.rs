//! The request journal behind `GET /__admin/requests`: the last N requests a service
//! answered, newest last. A ring buffer, so a fixture server that runs for days keeps a
//! fixed amount of memory.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderValue, Method};
use serde::Serialize;

/// Default number of entries kept.
pub const DEFAULT_CAPACITY: usize = 1000;
/// Default number of request-body bytes kept per entry.
pub const DEFAULT_BODY_CAP: usize = 4096;

/// One answered request as the serving path records it: cheap clones of what the request
/// already holds, so journaling costs next to nothing per request. Rendered as an [`Entry`]
/// only when the journal is read.
#[derive(Clone, Debug)]
pub struct Record {
    /// Virtual time of arrival, microseconds since the epoch.
    pub time_micros: i64,
    pub request_id: HeaderValue,
    pub method: Method,
    /// Path and query, copied: holding the parsed `Uri` would pin the connection's read
    /// buffer and make hyper allocate a fresh one for every request.
    pub target: Box<str>,
    pub status: Option<u16>,
    /// The whole request body; the journal keeps a copy of the first `body_cap` bytes.
    pub body: Bytes,
    pub fault: Option<String>,
}

impl Record {
    pub fn path(&self) -> &str {
        self.target
            .split_once('?')
            .map_or(&self.target, |(path, _)| path)
    }

    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, query)| query)
    }
}

#[derive(Debug)]
struct Kept {
    seq: u64,
    record: Record,
    body_truncated: bool,
}

/// One answered request, as `GET /__admin/requests` shows it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Entry {
    /// Position in the service's request sequence since start-up or the last reset.
    pub seq: u64,
    /// The virtual time at which the request arrived.
    pub time: DateTime<Utc>,
    pub request_id: String,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// The status sent back; `null` when a fault dropped the connection instead.
    pub status: Option<u16>,
    /// The request body as text, up to the cap (lossy for non-UTF-8 bytes).
    pub body: Option<String>,
    pub body_truncated: bool,
    /// The fault applied to this request, if one matched.
    pub fault: Option<String>,
}

#[derive(Debug)]
struct Ring {
    entries: VecDeque<Kept>,
    next_seq: u64,
}

/// A bounded, shared journal. Cloning shares it.
#[derive(Clone, Debug)]
pub struct Journal {
    capacity: usize,
    body_cap: usize,
    ring: Arc<Mutex<Ring>>,
}

impl Journal {
    pub fn new(capacity: usize, body_cap: usize) -> Self {
        Self {
            capacity,
            body_cap,
            ring: Arc::new(Mutex::new(Ring {
                entries: VecDeque::with_capacity(capacity.min(DEFAULT_CAPACITY)),
                next_seq: 1,
            })),
        }
    }

    /// Records a request, giving it the next sequence number; drops the oldest when full.
    pub fn push(&self, mut record: Record) {
        if self.capacity == 0 {
            return;
        }
        let body_truncated = record.body.len() > self.body_cap;
        if !record.body.is_empty() {
            // A copy, so the journal never pins a large request buffer.
            record.body =
                Bytes::copy_from_slice(&record.body[..record.body.len().min(self.body_cap)]);
        }
        let mut ring = self.lock();
        let seq = ring.next_seq;
        ring.next_seq += 1;
        if ring.entries.len() == self.capacity {
            ring.entries.pop_front();
        }
        ring.entries.push_back(Kept {
            seq,
            record,
            body_truncated,
        });
    }

    /// Every entry kept, oldest first.
    pub fn entries(&self) -> Vec<Entry> {
        self.lock()
            .entries
            .iter()
            .map(|kept| {
                let r = &kept.record;
                Entry {
                    seq: kept.seq,
                    time: crate::clock::from_micros(r.time_micros),
                    request_id: String::from_utf8_lossy(r.request_id.as_bytes()).into_owned(),
                    method: r.method.to_string(),
                    path: r.path().to_owned(),
                    query: r.query().map(str::to_owned),
                    status: r.status,
                    body: (!r.body.is_empty())
                        .then(|| String::from_utf8_lossy(&r.body).into_owned()),
                    body_truncated: kept.body_truncated,
                    fault: r.fault.clone(),
                }
            })
            .collect()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn clear(&self) {
        let mut ring = self.lock();
        ring.entries.clear();
        ring.next_seq = 1;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        // Entries are pushed whole; a poisoned lock still guards a consistent ring.
        self.ring.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for Journal {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY, DEFAULT_BODY_CAP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(path: &str, body: &'static [u8]) -> Record {
        Record {
            time_micros: 0,
            request_id: HeaderValue::from_static("r-1"),
            method: Method::POST,
            target: path.into(),
            status: Some(200),
            body: Bytes::from_static(body),
            fault: None,
        }
    }

    #[test]
    fn keeps_the_newest_entries_up_to_capacity() {
        let journal = Journal::new(3, 16);
        for i in 0..10 {
            journal.push(record(&format!("/{i}?q={i}"), b""));
        }
        let entries = journal.entries();
        let paths: Vec<_> = entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["/7", "/8", "/9"]);
        assert_eq!(entries[2].seq, 10);
        assert_eq!(entries[2].query.as_deref(), Some("q=9"));
        assert_eq!(entries[2].method, "POST");
        assert_eq!(entries[2].request_id, "r-1");
    }

    #[test]
    fn cuts_bodies_at_the_cap() {
        let journal = Journal::new(3, 4);
        journal.push(record("/", b""));
        journal.push(record("/", b"abcd"));
        journal.push(record("/", b"abcdef"));
        let bodies: Vec<_> = journal
            .entries()
            .into_iter()
            .map(|e| (e.body, e.body_truncated))
            .collect();
        assert_eq!(
            bodies,
            [
                (None, false),
                (Some("abcd".into()), false),
                (Some("abcd".into()), true)
            ]
        );
    }

    #[test]
    fn clear_restarts_the_sequence() {
        let journal = Journal::new(3, 4);
        journal.push(record("/a", b""));
        journal.clear();
        journal.push(record("/b", b""));
        assert_eq!(journal.entries()[0].seq, 1);
    }

    #[test]
    fn a_zero_capacity_journal_keeps_nothing() {
        let journal = Journal::new(0, 4);
        journal.push(record("/a", b"x"));
        assert!(journal.entries().is_empty());
    }
}
