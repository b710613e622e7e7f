//! The request journal behind `GET /__admin/requests`: the last N requests a service
//! answered, newest last. A ring buffer, so a fixture server that runs for days keeps a
//! fixed amount of memory.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Default number of entries kept.
pub const DEFAULT_CAPACITY: usize = 1000;
/// Default number of request-body bytes kept per entry.
pub const DEFAULT_BODY_CAP: usize = 4096;

/// One answered request.
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
    entries: VecDeque<Entry>,
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

    /// Cuts a request body down to what the journal keeps.
    pub fn body_excerpt(&self, body: &[u8]) -> (Option<String>, bool) {
        if body.is_empty() {
            return (None, false);
        }
        let kept = &body[..body.len().min(self.body_cap)];
        (
            Some(String::from_utf8_lossy(kept).into_owned()),
            body.len() > self.body_cap,
        )
    }

    /// Records an entry, giving it the next sequence number; drops the oldest when full.
    pub fn push(&self, mut entry: Entry) {
        if self.capacity == 0 {
            return;
        }
        let mut ring = self.lock();
        entry.seq = ring.next_seq;
        ring.next_seq += 1;
        if ring.entries.len() == self.capacity {
            ring.entries.pop_front();
        }
        ring.entries.push_back(entry);
    }

    /// Every entry kept, oldest first.
    pub fn entries(&self) -> Vec<Entry> {
        self.lock().entries.iter().cloned().collect()
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

    fn entry(path: &str) -> Entry {
        Entry {
            seq: 0,
            time: DateTime::UNIX_EPOCH,
            request_id: String::new(),
            method: "POST".into(),
            path: path.into(),
            query: None,
            status: Some(200),
            body: None,
            body_truncated: false,
            fault: None,
        }
    }

    #[test]
    fn keeps_the_newest_entries_up_to_capacity() {
        let journal = Journal::new(3, 16);
        for i in 0..10 {
            journal.push(entry(&format!("/{i}")));
        }
        let paths: Vec<_> = journal.entries().into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["/7", "/8", "/9"]);
        assert_eq!(journal.entries()[2].seq, 10);
    }

    #[test]
    fn cuts_bodies_at_the_cap() {
        let journal = Journal::new(3, 4);
        assert_eq!(journal.body_excerpt(b""), (None, false));
        assert_eq!(journal.body_excerpt(b"abcd"), (Some("abcd".into()), false));
        assert_eq!(journal.body_excerpt(b"abcdef"), (Some("abcd".into()), true));
    }

    #[test]
    fn clear_restarts_the_sequence() {
        let journal = Journal::new(3, 4);
        journal.push(entry("/a"));
        journal.clear();
        journal.push(entry("/b"));
        assert_eq!(journal.entries()[0].seq, 1);
    }
}
