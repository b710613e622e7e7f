//! How OPS-COM reads a request: the client code from the path, the JSON object from the body,
//! and each attribute under any of its "Possible Names" (seed 004's attribute tables).
//!
//! Rules the seed leaves open, chosen once here for every endpoint:
//! - the body must be sent as `Content-Type: application/json` ("Make sure you set the HTTP
//!   Content-Type header to be application/json") and be a JSON object, else 9003;
//! - when several names of one attribute are present, the first one the seed's table lists
//!   wins and the others are ignored (the profile example sends both `province` and `state`);
//! - a value may be a JSON string, or a JSON integer read as its decimal digits; `null`, an
//!   empty string and a string of blanks count as absent, and strings are trimmed (the
//!   vendor's backend is Laravel, whose default middleware does both); any other JSON type is
//!   the attribute's "invalid" code;
//! - lengths count characters, not bytes.

use std::borrow::Cow;
use std::fmt;

use chrono::NaiveDateTime;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::{Code, Error};

/// The client code of a `{client}` path segment (seed 004, 9000): percent-decoded (9003 when
/// that is not UTF-8) and trimmed, never empty.
pub fn client_code(segment: &str) -> Result<Cow<'_, str>, Error> {
    let decoded = percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map_err(|_| Error::new(Code::Unparseable))?;
    let trimmed = match decoded {
        Cow::Borrowed(text) => Cow::Borrowed(text.trim()),
        Cow::Owned(text) => Cow::Owned(text.trim().to_owned()),
    };
    if trimmed.is_empty() {
        return Err(Error::new(Code::ClientCodeMissing));
    }
    Ok(trimmed)
}

/// Whether a request was sent as `application/json` (9003 otherwise).
pub fn is_json(content_type: Option<&http::HeaderValue>) -> bool {
    content_type
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// A member's value, as far as an attribute can use it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Member<'a> {
    Null,
    Text(Cow<'a, str>),
    /// A JSON integer, kept as its digits.
    Integer(String),
    /// A float, a boolean, an array or an object.
    Other,
}

/// The request's JSON object: its members in order, their strings borrowed from the request
/// where JSON escapes allow. Only what attributes can use is kept (the [`Member`] kinds), so
/// reading a body costs little: `permits/stats` is the throughput benchmark endpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Body<'a> {
    members: Vec<(Cow<'a, str>, Member<'a>)>,
}

struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor).map(Key)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

impl<'de> Deserialize<'de> for Member<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MemberVisitor)
    }
}

struct MemberVisitor;

impl<'de> Visitor<'de> for MemberVisitor {
    type Value = Member<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Member::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Member::Null)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Member::Text(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Member::Text(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Member::Text(Cow::Owned(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Member::Integer(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Member::Integer(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Member::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Member::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Member::Other)
    }
}

impl<'de> Deserialize<'de> for Body<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;

        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = Body<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(4));
                while let Some(Key(key)) = map.next_key()? {
                    members.push((key, map.next_value()?));
                }
                Ok(Body { members })
            }
        }

        deserializer.deserialize_map(ObjectVisitor)
    }
}

impl<'a> Body<'a> {
    /// A JSON object, or 9003.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        serde_json::from_slice(bytes).map_err(|_| Error::new(Code::Unparseable))
    }

    /// The members of an object already parsed (fixture permits are push bodies).
    pub fn from_map(map: &'a Map<String, Value>) -> Self {
        let member = |value: &'a Value| match value {
            Value::Null => Member::Null,
            Value::String(s) => Member::Text(Cow::Borrowed(s)),
            Value::Number(n) if n.is_i64() || n.is_u64() => Member::Integer(n.to_string()),
            _ => Member::Other,
        };
        Body {
            members: map
                .iter()
                .map(|(k, v)| (Cow::Borrowed(k.as_str()), member(v)))
                .collect(),
        }
    }

    /// The value of the first of `names` that is present, `null` counting as absent. Of a
    /// name sent twice, the last counts, as JSON parsers commonly do.
    fn first(&self, names: &[&str]) -> Option<&Member<'a>> {
        names.iter().find_map(|name| {
            self.members
                .iter()
                .rev()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value)
                .filter(|value| **value != Member::Null)
        })
    }

    /// Reads an attribute as text and applies its required and length limits.
    pub fn read(&self, field: &Field) -> Result<Option<String>, Error> {
        Ok(self.read_str(field)?.map(str::to_owned))
    }

    /// As [`Body::read`], without copying the text.
    pub fn read_str(&self, field: &Field) -> Result<Option<&str>, Error> {
        let text = match self.first(field.names) {
            None | Some(Member::Null) => None,
            Some(Member::Text(s)) => Some(s.trim()),
            Some(Member::Integer(digits)) => Some(digits.as_str()),
            Some(Member::Other) => return Err(Error::new(field.invalid)),
        };
        let Some(text) = text.filter(|t| !t.is_empty()) else {
            return match field.required {
                Some(code) => Err(Error::new(code)),
                None => Ok(None),
            };
        };
        let chars = text.chars().count();
        if field.max.is_some_and(|max| chars > max) {
            return Err(Error::new(field.too_long));
        }
        if field.min.is_some_and(|min| chars < min) {
            return Err(Error::new(Code::TooShort));
        }
        Ok(Some(text))
    }
}

/// One attribute of a request, as the seed's table describes it.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// The "Possible Names", in the table's order.
    pub names: &'static [&'static str],
    /// The code answered when it is absent; `None` for an optional attribute.
    pub required: Option<Code>,
    /// Most characters allowed.
    pub max: Option<usize>,
    /// Fewest characters allowed (9032).
    pub min: Option<usize>,
    /// The code for too many characters (9030; 9021 for a vehicle's plate).
    pub too_long: Code,
    /// The code for a value of the wrong type or shape (9033; 9005/9007 for dates).
    pub invalid: Code,
}

impl Field {
    pub const fn optional(names: &'static [&'static str]) -> Self {
        Self {
            names,
            required: None,
            max: None,
            min: None,
            too_long: Code::TooLong,
            invalid: Code::Invalid,
        }
    }

    pub const fn required(names: &'static [&'static str], code: Code) -> Self {
        let mut field = Self::optional(names);
        field.required = Some(code);
        field
    }

    pub const fn max(mut self, max: usize) -> Self {
        self.max = Some(max);
        self
    }

    /// Exactly `len` characters: fewer is 9032, more 9030.
    pub const fn exactly(mut self, len: usize) -> Self {
        self.max = Some(len);
        self.min = Some(len);
        self
    }

    pub const fn too_long(mut self, code: Code) -> Self {
        self.too_long = code;
        self
    }

    pub const fn invalid(mut self, code: Code) -> Self {
        self.invalid = code;
        self
    }

    /// Reads and parses the attribute; a value `parse` refuses is the field's invalid code.
    pub fn parse<T>(
        &self,
        body: &Body,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, Error> {
        match body.read(self)? {
            None => Ok(None),
            Some(text) => parse(&text).map(Some).ok_or(Error::new(self.invalid)),
        }
    }
}

/// `Y-m-d\TH:i:s` exactly (seed 004: "Must be in the format of Y-m-d\TH:i:s e.g.
/// 2000-05-30T14:38:22"), a real calendar date and time.
pub fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
    let shape = s.len() == 19
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            _ => b.is_ascii_digit(),
        });
    shape.then(|| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok())?
}

/// `yyyy-mm-dd` exactly, a real date (the profile's `date_of_birth`).
pub use parkbench_kit::clock::parse_date;

/// An amount: "at least 3 digits, two of which are penny values", from 0.01 to 999999.99
/// (seed 004). The canonical text is returned unchanged.
pub fn parse_amount(s: &str) -> Option<String> {
    let (units, cents) = s.split_once('.')?;
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(units) || units.len() > 6 || cents.len() != 2 || !digits(cents) {
        return None;
    }
    let positive = units.bytes().chain(cents.bytes()).any(|b| b != b'0');
    positive.then(|| s.to_owned())
}

/// CAD or USD (seed 004), in any case; answered upper-case.
pub fn parse_currency(s: &str) -> Option<String> {
    let upper = s.to_ascii_uppercase();
    matches!(upper.as_str(), "CAD" | "USD").then_some(upper)
}

/// A positive integer id, written as digits.
pub fn parse_id(s: &str) -> Option<u64> {
    if s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok().filter(|id| *id > 0)
    } else {
        None
    }
}

/// "4 digit year" (seed 004, vehicles).
pub fn parse_year(s: &str) -> Option<i64> {
    (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// "Valid email address": one `@`, a local part without blanks, and a domain of dot-separated
/// labels of letters, digits and dashes. A bare host (`user@test`, as in the seed's own driver
/// record) is accepted.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_graphic() && !"@()<>[]:;,\\\"".contains(c));
    let domain_ok = !domain.is_empty()
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;
    use serde_json::json;

    /// The body a client would send: `value` written out and parsed back.
    fn read(value: Value, field: &Field) -> Result<Option<String>, Code> {
        let bytes = value.to_string().into_bytes();
        let from_bytes = Body::parse(&bytes).unwrap().read(field).map_err(|e| e.code);
        let map = value.as_object().unwrap();
        let from_map = Body::from_map(map).read(field).map_err(|e| e.code);
        assert_eq!(from_bytes, from_map, "fixtures and requests read alike");
        from_bytes
    }

    const PLATE: Field = Field::required(&["plate", "LicencePlate"], Code::PlateRequired).max(25);
    const PROVINCE: Field = Field::optional(&["province", "state"]).exactly(2);

    #[rstest]
    #[case(json!({"plate": "ABC123"}), Ok(Some("ABC123")))]
    #[case(json!({"LicencePlate": "  ABC123 "}), Ok(Some("ABC123")))]
    #[case(json!({"plate": "FIRST", "LicencePlate": "SECOND"}), Ok(Some("FIRST")))]
    #[case(json!({"plate": null, "LicencePlate": "SECOND"}), Ok(Some("SECOND")))]
    #[case(json!({"plate": 12345}), Ok(Some("12345")))]
    #[case(json!({}), Err(Code::PlateRequired))]
    #[case(json!({"plate": ""}), Err(Code::PlateRequired))]
    #[case(json!({"plate": "   "}), Err(Code::PlateRequired))]
    #[case(json!({"plate": 1.5}), Err(Code::Invalid))]
    #[case(json!({"plate": true}), Err(Code::Invalid))]
    #[case(json!({"plate": ["A"]}), Err(Code::Invalid))]
    #[case(json!({"plate": "A".repeat(26)}), Err(Code::TooLong))]
    #[case(json!({"plate": "É".repeat(25)}), Ok(Some("ÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉ")))]
    fn reading_a_field(#[case] value: Value, #[case] expected: Result<Option<&str>, Code>) {
        let got = read(value, &PLATE);
        assert_eq!(got, expected.map(|o| o.map(str::to_owned)));
    }

    #[rstest]
    #[case(json!({"province": "bc", "state": "NY"}), Ok(Some("bc")))]
    #[case(json!({"state": "NY"}), Ok(Some("NY")))]
    #[case(json!({"province": "B"}), Err(Code::TooShort))]
    #[case(json!({"province": "BCX"}), Err(Code::TooLong))]
    #[case(json!({}), Ok(None))]
    fn aliases_and_exact_lengths(
        #[case] value: Value,
        #[case] expected: Result<Option<&str>, Code>,
    ) {
        let got = read(value, &PROVINCE);
        assert_eq!(got, expected.map(|o| o.map(str::to_owned)));
    }

    #[rstest]
    #[case("2018-07-02T09:00:00", true)]
    #[case("2000-05-30T14:38:22", true)]
    #[case("2024-02-29T23:59:59", true)]
    #[case("2023-02-29T00:00:00", false)]
    #[case("2018-07-02 09:00:00", false)]
    #[case("2018-07-02T09:00:00Z", false)]
    #[case("2018-7-02T09:00:00", false)]
    #[case("2018-07-02T24:00:00", false)]
    #[case("2018-07-02", false)]
    #[case("+018-07-02T09:00:00", false)]
    fn datetimes(#[case] s: &str, #[case] ok: bool) {
        assert_eq!(parse_datetime(s).is_some(), ok, "{s}");
    }

    #[rstest]
    #[case("1901-01-31", true)]
    #[case("1901-02-30", false)]
    #[case("1901-1-31", false)]
    #[case("31-01-1901", false)]
    fn dates(#[case] s: &str, #[case] ok: bool) {
        assert_eq!(parse_date(s).is_some(), ok, "{s}");
    }

    #[rstest]
    #[case("14.50", true)]
    #[case("0.01", true)]
    #[case("999999.99", true)]
    #[case("0.00", false)]
    #[case("1000000.00", false)]
    #[case("14.5", false)]
    #[case("14", false)]
    #[case(".50", false)]
    #[case("-1.00", false)]
    #[case("1,50", false)]
    #[case("14.500", false)]
    #[case("1e2.00", false)]
    fn amounts(#[case] s: &str, #[case] ok: bool) {
        assert_eq!(parse_amount(s).is_some(), ok, "{s}");
    }

    #[rstest]
    #[case("test@test.com", true)]
    #[case("stephen_14Oct_1114@test", true)]
    #[case("first.last+tag@example.co.uk", true)]
    #[case("no-at-sign", false)]
    #[case("two@@example.com", false)]
    #[case("spaces in@example.com", false)]
    #[case("user@-bad.com", false)]
    #[case("user@example..com", false)]
    #[case("@example.com", false)]
    #[case("user@", false)]
    fn emails(#[case] s: &str, #[case] ok: bool) {
        assert_eq!(is_email(s), ok, "{s}");
    }

    #[test]
    fn small_parsers() {
        assert_eq!(parse_currency("cad").as_deref(), Some("CAD"));
        assert_eq!(parse_currency("EUR"), None);
        assert_eq!(parse_id("12"), Some(12));
        assert_eq!(parse_id("0"), None);
        assert_eq!(parse_id("-3"), None);
        assert_eq!(parse_id("+3"), None);
        assert_eq!(parse_year("2021"), Some(2021));
        assert_eq!(parse_year("21"), None);
        assert_eq!(parse_year("20211"), None);
    }

    #[test]
    fn the_last_of_a_repeated_name_counts_and_escaped_strings_are_read() {
        let body = Body::parse(br#"{"plate": "A", "plate": "B\u0043", "zone": "Z", "zone": null}"#)
            .unwrap();
        assert_eq!(body.read(&PLATE).unwrap().as_deref(), Some("BC"));
        let zone = Field::optional(&["zone"]);
        assert_eq!(body.read(&zone).unwrap(), None);
        let nested = Body::parse(br#"{"a": [1, {"b": [2]}], "plate": {"x": {}}}"#).unwrap();
        assert_eq!(nested.read(&PLATE).unwrap_err().code, Code::Invalid);
        let big = Body::parse(br#"{"plate": 18446744073709551615, "zone": -3, "x": 1e400}"#);
        assert!(big.is_err() || big.unwrap().read(&PLATE).unwrap().is_some());
    }

    #[test]
    fn bodies_must_be_objects() {
        assert!(Body::parse(br#"{"apiToken": "x"}"#).is_ok());
        for bad in [
            &b"[]"[..],
            b"null",
            b"\"x\"",
            b"",
            b"{",
            br#"{"apiToken": "x",}"#,
        ] {
            assert_eq!(Body::parse(bad).unwrap_err().code, Code::Unparseable);
        }
    }

    #[rstest]
    #[case(Some("application/json"), true)]
    #[case(Some("Application/JSON; charset=utf-8"), true)]
    #[case(Some("text/plain"), false)]
    #[case(Some("application/x-www-form-urlencoded"), false)]
    #[case(None, false)]
    fn content_types(#[case] value: Option<&str>, #[case] ok: bool) {
        let header = value.map(http::HeaderValue::from_str).transpose().unwrap();
        assert_eq!(is_json(header.as_ref()), ok);
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever a field holds, reading it answers a value within its limits or a code.
        #[test]
        fn reads_respect_limits(text in "\\PC{0,40}") {
            if let Ok(Some(read)) = read(json!({"plate": text}), &PLATE) {
                prop_assert!(read.chars().count() <= 25);
                prop_assert_eq!(read.trim(), read.as_str());
                prop_assert!(!read.is_empty());
            }
        }

        #[test]
        fn every_valid_amount_round_trips(cents in 1u64..=99_999_999) {
            let s = format!("{}.{:02}", cents / 100, cents % 100);
            prop_assert_eq!(parse_amount(&s), Some(s.clone()));
        }
    }
}
