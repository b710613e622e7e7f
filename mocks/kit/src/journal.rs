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
    pub request_id: RequestId,
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

/// How a request is known in `X-Request-Id` and the journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestId {
    /// Sent by the client, and echoed.
    Given(HeaderValue),
    /// Numbered per service, `opscom-00000042`; kept as its number and written out only when
    /// answered or read, as this runs on every request.
    Numbered { service: &'static str, n: u64 },
}

impl RequestId {
    pub fn header_value(&self) -> HeaderValue {
        match self {
            RequestId::Given(value) => value.clone(),
            RequestId::Numbered { service, n } => {
                HeaderValue::from_maybe_shared(Bytes::from(numbered(service, *n)))
                    .unwrap_or(HeaderValue::from_static("unknown"))
            }
        }
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestId::Given(value) => f.write_str(&String::from_utf8_lossy(value.as_bytes())),
            RequestId::Numbered { service, n } => write!(f, "{service}-{n:08}"),
        }
    }
}

/// `service-n`, `n` zero-padded to eight digits, without the formatting machinery: this runs
/// on every answer.
fn numbered(service: &str, n: u64) -> Vec<u8> {
    let mut digits = [b'0'; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let digits = &digits[at.min(digits.len() - 8)..];
    let mut out = Vec::with_capacity(service.len() + 1 + digits.len());
    out.extend_from_slice(service.as_bytes());
    out.push(b'-');
    out.extend_from_slice(digits);
    out
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
                    request_id: r.request_id.to_string(),
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
            request_id: RequestId::Given(HeaderValue::from_static("r-1")),
            method: Method::POST,
            target: path.into(),
            status: Some(200),
            body: Bytes::from_static(body),
            fault: None,
        }
    }

    #[rstest::rstest]
    #[case(1, "opscom-00000001")]
    #[case(42, "opscom-00000042")]
    #[case(99_999_999, "opscom-99999999")]
    #[case(123_456_789, "opscom-123456789")]
    #[case(u64::MAX, "opscom-18446744073709551615")]
    fn request_numbers_are_zero_padded_to_eight_digits(#[case] n: u64, #[case] expected: &str) {
        let id = RequestId::Numbered {
            service: "opscom",
            n,
        };
        assert_eq!(id.header_value(), expected);
        assert_eq!(id.to_string(), expected);
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
