//! Report files, CSV or JSON, written incrementally: the download body is a stream of chunks
//! of [`ROWS_PER_CHUNK`] rows, each generated only when the connection asks for more, so a
//! 100,000-row report never sits in memory whole.
//!
//! CSV: a header row (the column names), then one row per transaction. JSON (shape chosen by
//! parkbench, the vendor's is not published): one object with the report's identifiers,
//! `columns`, `recordCount`, `transactions` (one object per transaction, keys in column order)
//! and HAL `_links.self`.

use std::fmt::Write as _;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{Datelike, NaiveDateTime, Timelike};
use serde_json::json;

use crate::columns::{Cell, Column};
use crate::params::{DateRange, ReportFormat};
use crate::transactions::Dataset;
use crate::world::Operator;

/// Rows per streamed chunk: big enough to amortise the per-chunk cost, small enough to keep
/// memory flat.
pub const ROWS_PER_CHUNK: u32 = 512;

/// Everything a download needs, independent of the router's state.
pub struct Export {
    dataset: Dataset,
    operator: Arc<Operator>,
    columns: Arc<[Column]>,
    format: ReportFormat,
    with_details: bool,
    /// Days with transactions, and how many each.
    days: Vec<(chrono::NaiveDate, u32)>,
    day: usize,
    index: u32,
    stage: Stage,
    rows_written: u64,
    head: String,
    tail: String,
    scratch: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Head,
    Rows,
    Tail,
    Done,
}

/// What a JSON report says about itself.
pub struct Meta<'a> {
    pub report_identifier: &'a str,
    pub self_href: &'a str,
    pub record_count: u64,
}

impl Export {
    pub fn new(
        dataset: Dataset,
        operator: Arc<Operator>,
        range: DateRange,
        as_of: chrono::NaiveDate,
        format: ReportFormat,
        columns: Arc<[Column]>,
        meta: &Meta<'_>,
    ) -> Self {
        let days = range
            .days()
            .map(|day| (day, Dataset::count_on(&operator, day, as_of)))
            .filter(|(_, count)| *count > 0)
            .collect();
        let names: Vec<&str> = columns.iter().map(|c| c.name()).collect();
        let (head, tail) = match format {
            ReportFormat::Csv => (String::new(), String::new()),
            ReportFormat::Json => {
                let head = json!({
                    "reportIdentifier": meta.report_identifier,
                    "operatorId": operator.id,
                    "reportFormat": format.as_str(),
                    "startDate": range.start.to_string(),
                    "endDate": range.end.to_string(),
                    "columns": names,
                    "recordCount": meta.record_count,
                })
                .to_string();
                // The object is closed by the tail: drop its `}` and open the rows array.
                let head = format!("{},\"transactions\":[", &head[..head.len() - 1]);
                let tail = format!(
                    "],\"_links\":{}}}",
                    json!({ "self": { "href": meta.self_href } })
                );
                (head, tail)
            }
        };
        Self {
            dataset,
            with_details: columns.iter().any(|c| c.needs_details()),
            operator,
            columns,
            format,
            days,
            day: 0,
            index: 0,
            stage: Stage::Head,
            rows_written: 0,
            head,
            tail,
            scratch: String::new(),
        }
    }

    fn csv_writer(capacity: usize) -> csv::Writer<Vec<u8>> {
        csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::with_capacity(capacity))
    }

    fn head(&mut self) -> Bytes {
        match self.format {
            ReportFormat::Json => Bytes::from(std::mem::take(&mut self.head)),
            ReportFormat::Csv => {
                let mut writer = Self::csv_writer(1024);
                // Writing to a Vec cannot fail.
                let _ = writer.write_record(self.columns.iter().map(|c| c.name()));
                Bytes::from(writer.into_inner().unwrap_or_default())
            }
        }
    }

    /// The next chunk of rows, or `None` once every day is written.
    fn rows(&mut self) -> Option<Bytes> {
        let mut left = ROWS_PER_CHUNK;
        let mut csv = (self.format == ReportFormat::Csv).then(|| Self::csv_writer(64 * 1024));
        let mut json = Vec::with_capacity(if csv.is_none() { 128 * 1024 } else { 0 });
        while left > 0 {
            let Some(&(day, count)) = self.days.get(self.day) else {
                break;
            };
            if self.index >= count {
                self.day += 1;
                self.index = 0;
                continue;
            }
            let transaction = self
                .dataset
                .transaction(&self.operator, day, self.index, count);
            let details = self
                .with_details
                .then(|| self.dataset.details(&transaction));
            match &mut csv {
                Some(writer) => {
                    for column in self.columns.iter() {
                        let cell = column.cell(&self.operator, &transaction, details.as_ref());
                        self.scratch.clear();
                        write_csv_cell(&mut self.scratch, &cell);
                        let _ = writer.write_field(self.scratch.as_bytes());
                    }
                    let _ = writer.write_record(None::<&[u8]>);
                }
                None => {
                    if self.rows_written > 0 {
                        json.push(b',');
                    }
                    json.push(b'{');
                    for (i, column) in self.columns.iter().enumerate() {
                        if i > 0 {
                            json.push(b',');
                        }
                        json.push(b'"');
                        json.extend_from_slice(column.name().as_bytes());
                        json.extend_from_slice(b"\":");
                        let cell = column.cell(&self.operator, &transaction, details.as_ref());
                        write_json_cell(&mut json, &mut self.scratch, &cell);
                    }
                    json.push(b'}');
                }
            }
            self.index += 1;
            self.rows_written += 1;
            left -= 1;
        }
        if left == ROWS_PER_CHUNK {
            return None;
        }
        Some(match csv {
            Some(writer) => Bytes::from(writer.into_inner().unwrap_or_default()),
            None => Bytes::from(json),
        })
    }
}

impl Iterator for Export {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        loop {
            match self.stage {
                Stage::Head => {
                    self.stage = Stage::Rows;
                    return Some(self.head());
                }
                Stage::Rows => match self.rows() {
                    Some(chunk) => return Some(chunk),
                    None => self.stage = Stage::Tail,
                },
                Stage::Tail => {
                    self.stage = Stage::Done;
                    if !self.tail.is_empty() {
                        return Some(Bytes::from(std::mem::take(&mut self.tail)));
                    }
                }
                Stage::Done => return None,
            }
        }
    }
}

fn write_decimal(out: &mut String, hundredths: i64) {
    let sign = if hundredths < 0 { "-" } else { "" };
    let abs = hundredths.unsigned_abs();
    let _ = write!(out, "{sign}{}.{:02}", abs / 100, abs % 100);
}

fn write_local(out: &mut String, t: NaiveDateTime) {
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
}

/// A cell as CSV text (the csv writer quotes it when needed).
fn write_csv_cell(out: &mut String, cell: &Cell<'_>) {
    match cell {
        Cell::Text(s) => out.push_str(s),
        Cell::Owned(s) => out.push_str(s),
        Cell::Integer(n) => {
            let _ = write!(out, "{n}");
        }
        Cell::Decimal(h) => write_decimal(out, *h),
        Cell::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Cell::Utc(t) => {
            write_local(out, t.naive_utc());
            out.push('Z');
        }
        Cell::Local(t) => write_local(out, *t),
        Cell::Null => {}
    }
}

/// A cell as a JSON value: decimals as numbers with two decimals, times as strings.
fn write_json_cell(out: &mut Vec<u8>, scratch: &mut String, cell: &Cell<'_>) {
    let string = |out: &mut Vec<u8>, s: &str| {
        // Serialising a &str into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    };
    match cell {
        Cell::Text(s) => string(out, s),
        Cell::Owned(s) => string(out, s),
        Cell::Null => out.extend_from_slice(b"null"),
        Cell::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Cell::Integer(_) | Cell::Decimal(_) => {
            scratch.clear();
            write_csv_cell(scratch, cell);
            out.extend_from_slice(scratch.as_bytes());
        }
        Cell::Utc(_) | Cell::Local(_) => {
            scratch.clear();
            write_csv_cell(scratch, cell);
            out.push(b'"');
            out.extend_from_slice(scratch.as_bytes());
            out.push(b'"');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::Zone;

    fn operator() -> Arc<Operator> {
        Arc::new(Operator {
            id: 7,
            name: "x".into(),
            supplier_name: "ParkMobile".into(),
            currency: "USD".into(),
            utc_offset_minutes: -300,
            vat_basis_points: 0,
            transaction_fee_cents: 35,
            transactions_per_day: 700,
            only_last_days: None,
            always_fails: false,
            zones: vec![Zone {
                code: "1".into(),
                name: "Lot, \"A\"".into(),
                hourly_rate_cents: 250,
            }],
        })
    }

    fn export(format: ReportFormat, columns: &[Column]) -> Vec<Bytes> {
        let today = "2026-03-15".parse().unwrap();
        let range = DateRange::check("2026-03-13".parse().unwrap(), today, today, 3).unwrap();
        let meta = Meta {
            report_identifier: "r",
            self_href: "http://x/report/download/r",
            record_count: 1400,
        };
        Export::new(
            Dataset::new(1),
            operator(),
            range,
            today,
            format,
            columns.into(),
            &meta,
        )
        .collect()
    }

    #[test]
    fn csv_is_chunked_and_quotes_what_needs_quoting() {
        let chunks = export(ReportFormat::Csv, &Column::DEFAULT);
        assert!(chunks.len() > 3, "1400 rows come in several chunks");
        let text: String = chunks
            .iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap().len(), Column::DEFAULT.len());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1400);
        assert_eq!(&rows[0][3], "Lot, \"A\"");
    }

    #[test]
    fn json_is_one_valid_document() {
        let columns = [
            Column::TransactionId,
            Column::IsExtension,
            Column::MaskedCardNumber,
            Column::VatPercentage,
        ];
        let text: Vec<u8> = export(ReportFormat::Json, &columns).concat();
        let value: serde_json::Value = serde_json::from_slice(&text).unwrap();
        let rows = value["transactions"].as_array().unwrap();
        assert_eq!(rows.len(), 1400);
        assert_eq!(
            value["_links"]["self"]["href"],
            "http://x/report/download/r"
        );
        let keys: Vec<&String> = rows[0].as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 4);
        assert!(rows[0]["IS_EXTENSION"].is_boolean());
        assert_eq!(rows[0]["VAT_PERCENTAGE"], 0.0);
    }
}
