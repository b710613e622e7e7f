//! The request bodies of `POST /report/generate` and `POST /summary-report/revenue`: reading
//! them, and every 400 they can earn. Both endpoints share `operatorId`, `startDate` and
//! `endDate` and the same date rules (api-notes §1: dates are `yyyy-MM-dd`; seed 000: history
//! "up to 3 months from current date", configurable with `--ofr-history-months`).
//!
//! Bodies are read as JSON whatever the `Content-Type`, and members the documentation does not
//! name are ignored; a missing or mistyped documented member is a 400 naming it.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use chrono::{Months, NaiveDate};
use serde_json::{Map, Value};

use crate::columns::Column;
use crate::error::ApiError;

/// A request body parsed as JSON; anything else is a 400 problem.
#[derive(Debug)]
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|_| ApiError::BadRequest("The request body could not be read.".into()))?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::BadRequest(format!("The request body is not valid JSON: {e}.")))
    }
}

/// `reportFormat`: the seed's two formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Json,
    Csv,
}

impl ReportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::Json => "JSON",
            ReportFormat::Csv => "CSV",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Json => "json",
            ReportFormat::Csv => "csv",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Json => "application/json",
            ReportFormat::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// An inclusive range of UTC days, checked against the clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateRange {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl DateRange {
    /// The earliest `startDate` allowed on `today` with a history window of `months`.
    pub fn earliest(today: NaiveDate, months: u32) -> NaiveDate {
        today
            .checked_sub_months(Months::new(months))
            .unwrap_or(NaiveDate::MIN)
    }

    /// Checks the seed's rules: no date in the future, `endDate` not before `startDate`, and
    /// `startDate` within the history window. "Today" is the clock's UTC date and is allowed.
    pub fn check(
        start: NaiveDate,
        end: NaiveDate,
        today: NaiveDate,
        history_months: u32,
    ) -> Result<Self, ApiError> {
        for (name, date) in [("startDate", start), ("endDate", end)] {
            if date > today {
                return Err(ApiError::BadRequest(format!(
                    "{name} {date} is in the future (today is {today})."
                )));
            }
        }
        if end < start {
            return Err(ApiError::BadRequest(format!(
                "endDate {end} is before startDate {start}."
            )));
        }
        let earliest = Self::earliest(today, history_months);
        if start < earliest {
            return Err(ApiError::BadRequest(format!(
                "startDate {start} is older than the {history_months}-month history window: the earliest startDate is {earliest}."
            )));
        }
        Ok(Self { start, end })
    }

    /// Every day of the range, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        self.start.iter_days().take_while({
            let end = self.end;
            move |d| *d <= end
        })
    }
}

/// The members of a request body, read one by one with a precise 400 for each.
pub struct Fields<'a> {
    members: &'a Map<String, Value>,
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<'a> Fields<'a> {
    pub fn of(body: &'a Value) -> Result<Self, ApiError> {
        match body {
            Value::Object(members) => Ok(Self { members }),
            other => Err(ApiError::BadRequest(format!(
                "The request body must be a JSON object, not {}.",
                json_type(other)
            ))),
        }
    }

    fn required(&self, name: &str) -> Result<&'a Value, ApiError> {
        match self.members.get(name) {
            None | Some(Value::Null) => Err(ApiError::BadRequest(format!("{name} is required."))),
            Some(value) => Ok(value),
        }
    }

    pub fn string(&self, name: &str) -> Result<&'a str, ApiError> {
        match self.required(name)? {
            Value::String(s) => Ok(s),
            other => Err(ApiError::BadRequest(format!(
                "{name} must be a string, not {}.",
                json_type(other)
            ))),
        }
    }

    /// `operatorId`: an integer (api-notes §1), not a string of digits.
    pub fn operator_id(&self) -> Result<u64, ApiError> {
        let value = self.required("operatorId")?;
        value.as_u64().ok_or_else(|| {
            ApiError::BadRequest(format!(
                "operatorId must be a non-negative integer, not {}.",
                json_type(value)
            ))
        })
    }

    /// A date member in `yyyy-MM-dd` form.
    pub fn date(&self, name: &str) -> Result<NaiveDate, ApiError> {
        let text = self.string(name)?;
        parse_date(text).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "{name} must be a date in yyyy-MM-dd format, not \"{text}\"."
            ))
        })
    }

    /// `reportFormat`: `JSON` or `CSV`, spelled as the documentation spells them.
    pub fn report_format(&self) -> Result<ReportFormat, ApiError> {
        match self.string("reportFormat")? {
            "JSON" => Ok(ReportFormat::Json),
            "CSV" => Ok(ReportFormat::Csv),
            other => Err(ApiError::BadRequest(format!(
                "reportFormat must be JSON or CSV, not \"{other}\"."
            ))),
        }
    }

    /// `additionalFields`: optional; an array of known column names, each at most once.
    pub fn additional_fields(&self) -> Result<Vec<Column>, ApiError> {
        let items = match self.members.get("additionalFields") {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                    "additionalFields must be an array of field names, not {}.",
                    json_type(other)
                )));
            }
        };
        let mut columns = Vec::with_capacity(items.len());
        for item in items {
            let Value::String(name) = item else {
                return Err(ApiError::BadRequest(format!(
                    "additionalFields must hold field names (strings), not {}.",
                    json_type(item)
                )));
            };
            let column = Column::additional(name).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "additionalFields: unknown field \"{name}\". Known fields: {}.",
                    Column::ADDITIONAL.map(Column::name).join(", ")
                ))
            })?;
            if columns.contains(&column) {
                return Err(ApiError::BadRequest(format!(
                    "additionalFields: \"{name}\" is requested twice."
                )));
            }
            columns.push(column);
        }
        Ok(columns)
    }
}

/// `yyyy-MM-dd`, strictly: four-digit year, two-digit month and day, a real calendar date.
pub use parkbench_kit::clock::parse_date;

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[rstest]
    #[case("2026-03-15", true)]
    #[case("2024-02-29", true)]
    #[case("2026-02-29", false)]
    #[case("2026-3-15", false)]
    #[case("15-03-2026", false)]
    #[case("2026/03/15", false)]
    #[case("2026-03-15T00:00:00", false)]
    #[case("+2026-03-1", false)]
    #[case("", false)]
    fn dates_are_strict_yyyy_mm_dd(#[case] text: &str, #[case] ok: bool) {
        assert_eq!(parse_date(text).is_some(), ok, "{text}");
    }

    #[rstest]
    #[case("2026-03-14", "2026-03-15", true)]
    #[case("2025-12-15", "2026-03-15", true)]
    #[case("2025-12-14", "2026-03-15", false)]
    #[case("2026-03-15", "2026-03-16", false)]
    #[case("2026-03-15", "2026-03-14", false)]
    fn ranges_follow_the_window_and_the_clock(
        #[case] start: &str,
        #[case] end: &str,
        #[case] ok: bool,
    ) {
        let result = DateRange::check(d(start), d(end), d("2026-03-15"), 3);
        assert_eq!(result.is_ok(), ok, "{result:?}");
    }

    #[test]
    fn a_range_lists_its_days_inclusively() {
        let range = DateRange::check(d("2026-02-27"), d("2026-03-02"), d("2026-03-15"), 3).unwrap();
        let days: Vec<_> = range.days().map(|d| d.to_string()).collect();
        assert_eq!(
            days,
            ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]
        );
    }
}
