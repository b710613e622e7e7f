//! The vendor's error format, and the one place errors become responses.
//!
//! Seed 004, "API Error Codes": every failure is `Content-Type: application/json` with
//! `{"ErrorCode": N, "ErrorMessage": "..."}`; the codes and texts below are copied from the
//! seed's table. The HTTP statuses are not documented (api-notes section 3): [`Code::status`]
//! is parkbench's mapping, the only one, and `--opscom-error-status` replaces it wholesale.

use axum::response::{IntoResponse, Response};
use http::header::{ALLOW, CONTENT_TYPE};
use http::{HeaderValue, StatusCode};
use parkbench_kit::KitError;

/// Every documented error code (seed 004), in the seed's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    ClientCodeMissing,
    TokenMissing,
    TokenNotPermitted,
    Unparseable,
    EndTimeRequired,
    EndTimeInvalid,
    PlateRequired,
    StartTimeInvalid,
    ReferenceIdRequired,
    RecordNotFound,
    PlateTypeRequired,
    ProvinceRequired,
    VehicleExists,
    UniqueIdRequired,
    LoginSourceRequired,
    LoginSourceInvalid,
    EmailRequired,
    FirstNameRequired,
    LastNameRequired,
    EmailNotUnique,
    UserNameNotUnique,
    PlateTooLong,
    RecordExists,
    TooLong,
    Required,
    TooShort,
    Invalid,
}

impl Code {
    pub const ALL: [Code; 27] = [
        Code::ClientCodeMissing,
        Code::TokenMissing,
        Code::TokenNotPermitted,
        Code::Unparseable,
        Code::EndTimeRequired,
        Code::EndTimeInvalid,
        Code::PlateRequired,
        Code::StartTimeInvalid,
        Code::ReferenceIdRequired,
        Code::RecordNotFound,
        Code::PlateTypeRequired,
        Code::ProvinceRequired,
        Code::VehicleExists,
        Code::UniqueIdRequired,
        Code::LoginSourceRequired,
        Code::LoginSourceInvalid,
        Code::EmailRequired,
        Code::FirstNameRequired,
        Code::LastNameRequired,
        Code::EmailNotUnique,
        Code::UserNameNotUnique,
        Code::PlateTooLong,
        Code::RecordExists,
        Code::TooLong,
        Code::Required,
        Code::TooShort,
        Code::Invalid,
    ];

    /// The number and text of the seed's table, and the HTTP status parkbench answers with.
    /// This table is the whole mapping; the README copies it.
    const fn entry(self) -> (u16, &'static str, StatusCode) {
        use StatusCode as S;
        match self {
            Code::ClientCodeMissing => (
                9000,
                "Client Code is missing from the request.",
                S::BAD_REQUEST,
            ),
            Code::TokenMissing => (
                9001,
                "API Token is missing from the request.",
                S::UNAUTHORIZED,
            ),
            Code::TokenNotPermitted => (
                9002,
                "The supplied API token does not have permission to perform that request.",
                S::FORBIDDEN,
            ),
            Code::Unparseable => (9003, "Could not parse the request.", S::BAD_REQUEST),
            Code::EndTimeRequired => (9004, "End Time is a required field.", S::BAD_REQUEST),
            Code::EndTimeInvalid => (9005, "The end time value is invalid.", S::BAD_REQUEST),
            Code::PlateRequired => (9006, "Plate is a required field.", S::BAD_REQUEST),
            // The seed's table breaks this row over two lines; the text itself is one sentence.
            Code::StartTimeInvalid => (9007, "The start time value is invalid.", S::BAD_REQUEST),
            Code::ReferenceIdRequired => (
                9008,
                "Reference ID is required. On a new permit push, a reference id is returned. This is required for updates and deletes.",
                S::BAD_REQUEST,
            ),
            Code::RecordNotFound => (9009, "Record not found.", S::NOT_FOUND),
            Code::PlateTypeRequired => (9010, "The Plate Type is required.", S::BAD_REQUEST),
            Code::ProvinceRequired => (9011, "The province or state is required.", S::BAD_REQUEST),
            Code::VehicleExists => (9012, "The vehicle is already in the database.", S::CONFLICT),
            Code::UniqueIdRequired => (9013, "A unique id is required.", S::BAD_REQUEST),
            Code::LoginSourceRequired => (9014, "The login source is required.", S::BAD_REQUEST),
            Code::LoginSourceInvalid => (9015, "The login source is invalid.", S::BAD_REQUEST),
            Code::EmailRequired => (9016, "The user e-mail is required.", S::BAD_REQUEST),
            Code::FirstNameRequired => (9017, "The user's first name is required.", S::BAD_REQUEST),
            Code::LastNameRequired => (9018, "The user's last name is required.", S::BAD_REQUEST),
            Code::EmailNotUnique => (
                9019,
                "The user's email address must be unique.",
                S::CONFLICT,
            ),
            Code::UserNameNotUnique => (9020, "The user's username must be unique.", S::CONFLICT),
            Code::PlateTooLong => (
                9021,
                "The vehicle's plate length exceeds 50 characters.",
                S::BAD_REQUEST,
            ),
            Code::RecordExists => (
                9022,
                "A record already exists with the supplied details.",
                S::CONFLICT,
            ),
            Code::TooLong => (
                9030,
                "The field's maximum number of characters was exceeded.",
                S::BAD_REQUEST,
            ),
            Code::Required => (9031, "The field is required.", S::BAD_REQUEST),
            Code::TooShort => (
                9032,
                "The field has a minimum number of characters.",
                S::BAD_REQUEST,
            ),
            Code::Invalid => (9033, "The field's value is invalid.", S::BAD_REQUEST),
        }
    }

    pub const fn number(self) -> u16 {
        self.entry().0
    }

    pub const fn message(self) -> &'static str {
        self.entry().1
    }

    /// The HTTP status this code is answered with, unless `--opscom-error-status` says otherwise.
    pub const fn status(self) -> StatusCode {
        self.entry().2
    }

    pub fn from_number(number: u16) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.number() == number)
    }
}

/// A failed request: a documented code, answered with a status. The status is the code's own
/// except for failures that are about HTTP rather than the vendor's checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Error {
    pub code: Code,
    pub status: StatusCode,
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Vendor,
    /// 405 with `Allow: POST`: every OPS-COM endpoint is a POST.
    MethodNotAllowed,
    /// A failure of the mock itself; its 500 is never replaced by `--opscom-error-status`.
    Internal,
}

impl Error {
    pub const fn new(code: Code) -> Self {
        Self {
            code,
            status: code.status(),
            kind: Kind::Vendor,
        }
    }

    /// A path that is no OPS-COM endpoint: 404 with the vendor's "Record not found." (9009).
    pub const fn unknown_path() -> Self {
        Self::new(Code::RecordNotFound)
    }

    /// A method other than POST on an endpoint: 405, `Allow: POST`, 9003.
    pub const fn method_not_allowed() -> Self {
        Self {
            code: Code::Unparseable,
            status: StatusCode::METHOD_NOT_ALLOWED,
            kind: Kind::MethodNotAllowed,
        }
    }

    /// The kit's own failures, in the vendor's format. The seed has no code for "internal
    /// error"; 9003 is its only generic one.
    pub fn from_kit(error: &KitError) -> Self {
        let (status, kind) = match error {
            KitError::PayloadTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, Kind::Vendor),
            KitError::BodyUnreadable => (StatusCode::BAD_REQUEST, Kind::Vendor),
            KitError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, Kind::Internal),
        };
        Self {
            code: Code::Unparseable,
            status,
            kind,
        }
    }
}

impl From<Code> for Error {
    fn from(code: Code) -> Self {
        Self::new(code)
    }
}

/// Marks a response whose status `--opscom-error-status` may replace.
#[derive(Clone, Copy, Debug)]
pub struct Replaceable;

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let body = format!(
            r#"{{"ErrorCode":{},"ErrorMessage":"{}"}}"#,
            self.code.number(),
            self.code.message()
        );
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if self.kind == Kind::MethodNotAllowed {
            headers.insert(ALLOW, HeaderValue::from_static("POST"));
        }
        if self.kind != Kind::Internal {
            response.extensions_mut().insert(Replaceable);
        }
        response
    }
}

/// Applies `--opscom-error-status` to an error response; any other response passes unchanged.
pub fn replace_status(mut response: Response, status: Option<StatusCode>) -> Response {
    if let Some(status) = status
        && response.extensions().get::<Replaceable>().is_some()
    {
        *response.status_mut() = status;
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_unique_and_cover_the_seed_table() {
        let numbers: Vec<u16> = Code::ALL.iter().map(|c| c.number()).collect();
        let mut expected: Vec<u16> = (9000..=9022).collect();
        expected.extend(9030..=9033);
        assert_eq!(numbers, expected);
        for code in Code::ALL {
            assert_eq!(Code::from_number(code.number()), Some(code));
            assert!(code.message().ends_with('.'), "{code:?}");
            assert!(
                !code.message().contains('"'),
                "the body is written without escaping"
            );
        }
    }

    #[test]
    fn texts_are_the_seeds() {
        assert_eq!(
            Code::TokenMissing.message(),
            "API Token is missing from the request."
        );
        assert_eq!(
            Code::StartTimeInvalid.message(),
            "The start time value is invalid."
        );
        assert_eq!(Code::Invalid.message(), "The field's value is invalid.");
    }

    #[test]
    fn the_override_replaces_vendor_errors_but_not_internal_ones() {
        let ok = StatusCode::OK;
        let vendor = replace_status(Error::new(Code::RecordNotFound).into_response(), Some(ok));
        assert_eq!(vendor.status(), ok);
        let internal = Error::from_kit(&KitError::Internal).into_response();
        assert_eq!(
            replace_status(internal, Some(ok)).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        let not_allowed = replace_status(Error::method_not_allowed().into_response(), None);
        assert_eq!(not_allowed.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(not_allowed.headers()[ALLOW], "POST");
    }
}
