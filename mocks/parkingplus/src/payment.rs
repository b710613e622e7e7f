//! The payment page behind every `pay_url`: `GET /api/payment/pay/{id}` shows a small card
//! form; `POST` settles the payment with the documented sandbox cards. It stands in for the
//! Netopia MobilPay and EPX pages the vendor redirects to.
//!
//! Which cards pass (the vendor's pages):
//! - Netopia MobilPay sandbox, on every page: `9900004810225098` with CVV `111` is accepted;
//!   `9900541631437790` is declined as an expired card.
//! - EPX, on the finalize page (seed 003): `4000000000000002` with an empty CVV and expiry
//!   `12/2025`, accepted whatever the clock says, as documented. The add-card page's v2 lists
//!   the same card with CVV `123`, so a v2 card-verification page takes that instead. The
//!   create-booking and v1 add-card pages name no EPX card: EPX is declined there.
//! - Any other card is declined.
//!
//! A `POST` with a JSON body answers JSON (automated clients); a form post answers HTML, or
//! redirects (303) to the pay URL's `return_url` (Base64, as the vendor passes it) with the
//! outcome in its query: `payment_id`, `status` (`confirmed` or `error`) and, when declined,
//! `reason` (`expired_card` or `declined`). A form post carrying `env_key` and `data` but no
//! card (what a WebView posts to a Netopia `pay_url`) is shown the card form. A `flag` fault
//! named `payment_declined` declines the next payment whatever the card.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use parkbench_kit::FaultFlag;
use parkbench_kit::extract::BaseUrl;
use serde_json::json;

use crate::error::ApiError;
use crate::extract::{
    Path, Query, RawBody, decode_return_url, flat_params, is_json, percent_encode,
};
use crate::tariff::Cents;
use crate::world::{
    Payment, PaymentStatus, Purpose, SessionState, State as WorldState, World, iso_z,
};

/// The fault flag that declines the next payment whatever the card.
pub const DECLINE_FLAG: &str = "payment_declined";

pub const NETOPIA_ACCEPTED: &str = "9900004810225098";
pub const NETOPIA_EXPIRED: &str = "9900541631437790";
pub const EPX_ACCEPTED: &str = "4000000000000002";

/// Records a pending payment and answers its id.
pub fn create(
    state: &mut WorldState,
    driver_id: i64,
    purpose: Purpose,
    amount: Cents,
    currency: &str,
) -> i64 {
    let id = state.take_payment_id();
    let env_key = STANDARD.encode(state.opaque(24));
    let data = STANDARD.encode(
        json!({ "payment_id": id, "amount": amount.two_decimals(), "currency": currency })
            .to_string(),
    );
    state.payments.insert(
        id,
        Payment {
            id,
            driver_id,
            purpose,
            amount,
            currency: currency.to_owned(),
            status: PaymentStatus::Pending,
            env_key,
            data,
        },
    );
    id
}

/// Seed 003's shape: `http://host/api/payment/pay/1?from_mobile_v4=true`, plus the client's
/// Base64 `return_url` when the request gave one.
pub fn pay_url(base: &BaseUrl, payment_id: i64, return_url: Option<&str>) -> String {
    let mut url = base.join(&format!(
        "/api/payment/pay/{payment_id}?from_mobile_v4=true"
    ));
    if let Some(encoded) = return_url {
        url.push_str("&return_url=");
        url.push_str(&percent_encode(encoded.trim()));
    }
    url
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    MobilPay,
    Epx,
}

impl Provider {
    fn as_str(self) -> &'static str {
        match self {
            Provider::MobilPay => "mobilpay",
            Provider::Epx => "epx",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decline {
    ExpiredCard,
    Declined,
}

impl Decline {
    fn code(self) -> &'static str {
        match self {
            Decline::ExpiredCard => "expired_card",
            Decline::Declined => "declined",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Decline::ExpiredCard => "The card has expired",
            Decline::Declined => "The card was declined",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Confirmed(Provider),
    Declined(Decline),
}

/// A card as typed into the form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Card {
    pub number: String,
    pub exp_month: u32,
    pub exp_year: i32,
    pub cvv: String,
}

/// The CVV EPX takes on this page, if EPX is offered here at all.
fn epx_cvv(purpose: Purpose) -> Option<&'static str> {
    match purpose {
        Purpose::ParkingSession { .. } => Some(""),
        Purpose::CardVerification { v2: true } => Some("123"),
        Purpose::Booking { .. } | Purpose::CardVerification { v2: false } => None,
    }
}

/// The sandbox rules; see the module documentation.
pub fn judge(purpose: Purpose, card: &Card) -> Outcome {
    match card.number.as_str() {
        NETOPIA_ACCEPTED if card.cvv == "111" => Outcome::Confirmed(Provider::MobilPay),
        NETOPIA_EXPIRED => Outcome::Declined(Decline::ExpiredCard),
        EPX_ACCEPTED
            if epx_cvv(purpose) == Some(card.cvv.as_str())
                && card.exp_month == 12
                && card.exp_year == 2025 =>
        {
            Outcome::Confirmed(Provider::Epx)
        }
        _ => Outcome::Declined(Decline::Declined),
    }
}

/// Reads the card fields; the message says what to fix.
pub fn read_card(params: &BTreeMap<String, String>) -> Result<Card, String> {
    let number: String = params
        .get("card_number")
        .map(|n| n.chars().filter(|c| !matches!(c, ' ' | '-')).collect())
        .unwrap_or_default();
    if number.is_empty() {
        return Err("Card number is required".to_owned());
    }
    if !(12..=19).contains(&number.len()) || !number.chars().all(|c| c.is_ascii_digit()) {
        return Err("Card number is invalid".to_owned());
    }
    let exp = params.get("exp_date").map(|e| e.trim()).unwrap_or_default();
    let (exp_month, exp_year) = parse_expiry(exp)
        .ok_or_else(|| "Expiry date must be MM/YYYY, such as 12/2025".to_owned())?;
    let cvv = params
        .get("cvv")
        .map(|c| c.trim().to_owned())
        .unwrap_or_default();
    if !(cvv.is_empty()
        || ((3..=4).contains(&cvv.len()) && cvv.chars().all(|c| c.is_ascii_digit())))
    {
        return Err("CVV must be 3 or 4 digits, or empty".to_owned());
    }
    Ok(Card {
        number,
        exp_month,
        exp_year,
        cvv,
    })
}

/// `MM/YYYY` or `MM/YY`.
fn parse_expiry(s: &str) -> Option<(u32, i32)> {
    let (month, year) = s.split_once('/')?;
    let month: u32 = month.trim().parse().ok().filter(|m| (1..=12).contains(m))?;
    let year = year.trim();
    if !year.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let year: i32 = match year.len() {
        2 => 2000 + year.parse::<i32>().ok()?,
        4 => year.parse().ok()?,
        _ => return None,
    };
    Some((month, year))
}

/// Applies an outcome to `payment` (a copy of the stored one, taken under the same lock) and
/// stores it; answers the payment as it now stands.
fn settle(state: &mut WorldState, mut payment: Payment, outcome: Outcome) -> Payment {
    let confirmed = matches!(outcome, Outcome::Confirmed(_));
    payment.status = if confirmed {
        PaymentStatus::Confirmed
    } else {
        PaymentStatus::Error
    };
    state.payments.insert(payment.id, payment.clone());
    if confirmed && let Some(driver) = state.drivers.get_mut(&payment.driver_id) {
        driver.has_card = true;
    }
    match payment.purpose {
        Purpose::ParkingSession {
            session_id,
            transaction_id,
        } => {
            if let Some(transaction) = state.transactions.get_mut(&transaction_id) {
                transaction.payment_status = payment.status;
            }
            if confirmed && let Some(session) = state.sessions.get_mut(&session_id) {
                session.state = SessionState::Paid;
            }
        }
        Purpose::Booking { smart_key_id } => {
            if confirmed && let Some(key) = state.smart_keys.get_mut(&smart_key_id) {
                key.is_active = true;
            }
        }
        Purpose::CardVerification { .. } => {}
    }
    payment
}

/// What the page says a payment is for.
fn describe(state: &WorldState, payment: &Payment) -> String {
    match payment.purpose {
        Purpose::ParkingSession { session_id, .. } => {
            let parking = state
                .sessions
                .get(&session_id)
                .and_then(|s| state.parkings.get(&s.parking_id))
                .map(|p| p.name.clone())
                .unwrap_or_default();
            format!("Parking session {session_id} at {parking}")
        }
        Purpose::Booking { smart_key_id } => match state.smart_keys.get(&smart_key_id) {
            Some(key) => {
                let parking = state
                    .parkings
                    .get(&key.parking_id)
                    .map(|p| p.name.clone())
                    .unwrap_or_default();
                let end = key.end_time.map(iso_z).unwrap_or_default();
                format!("Booking at {parking}, {} to {end}", iso_z(key.start_time))
            }
            None => "Booking".to_owned(),
        },
        Purpose::CardVerification { .. } => "Card verification: nothing is charged".to_owned(),
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn page(title: &str, content: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} - PARKING+PLUS</title>\n\
         <style>body{{font-family:sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}}\
         label{{display:block;margin:.8rem 0}}input{{display:block;width:100%;padding:.4rem;font-size:1rem}}\
         button{{margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem}}.error{{color:#b00020}}\
         code{{background:#eee;padding:0 .2rem}}</style>\n</head>\n<body>\n<main>\n{content}\n</main>\n</body>\n</html>\n",
        title = escape(title)
    )
}

fn test_cards(purpose: Purpose) -> String {
    let mut items = vec![
        format!(
            "<li><code>{NETOPIA_ACCEPTED}</code> CVV <code>111</code>: accepted (Netopia MobilPay)</li>"
        ),
        format!("<li><code>{NETOPIA_EXPIRED}</code>: expired card (Netopia MobilPay)</li>"),
    ];
    if let Some(cvv) = epx_cvv(purpose) {
        let cvv = if cvv.is_empty() {
            "empty".to_owned()
        } else {
            format!("<code>{cvv}</code>")
        };
        items.push(format!(
            "<li><code>{EPX_ACCEPTED}</code> CVV {cvv}, expiry <code>12/2025</code>: accepted (EPX)</li>"
        ));
    }
    format!(
        "<h2>Sandbox test cards</h2>\n<ul>\n{}\n</ul>",
        items.join("\n")
    )
}

/// The card form; `action` is the URL it posts back to (this page's own, query included).
fn form_page(state: &WorldState, payment: &Payment, action: &str, error: Option<&str>) -> String {
    let amount = format!("{} {}", payment.amount.two_decimals(), payment.currency);
    let notice = match (error, payment.status) {
        (Some(message), _) => format!("<p class=\"error\" role=\"alert\">{}</p>\n", escape(message)),
        (None, PaymentStatus::Error) => {
            "<p class=\"error\" role=\"alert\">The last attempt was declined. You can try again.</p>\n".to_owned()
        }
        _ => String::new(),
    };
    let content = format!(
        "<h1>Pay {amount}</h1>\n<p>{description}</p>\n{notice}\
         <form method=\"post\" action=\"{action}\">\n\
         <label>Card number <input name=\"card_number\" inputmode=\"numeric\" autocomplete=\"cc-number\" required></label>\n\
         <label>Expiry date (MM/YYYY) <input name=\"exp_date\" placeholder=\"12/2025\" autocomplete=\"cc-exp\" required></label>\n\
         <label>CVV <input name=\"cvv\" inputmode=\"numeric\" autocomplete=\"cc-csc\"></label>\n\
         <label>Name on card <input name=\"card_holder\" autocomplete=\"cc-name\"></label>\n\
         <button type=\"submit\">Pay {amount}</button>\n</form>\n{cards}",
        amount = escape(&amount),
        description = escape(&describe(state, payment)),
        action = escape(action),
        cards = test_cards(payment.purpose),
    );
    page(&format!("Pay {amount}"), &content)
}

fn result_page(payment: &Payment, outcome: Outcome) -> String {
    let (title, text) = match outcome {
        Outcome::Confirmed(_) => (
            "Payment confirmed",
            "Your payment has been confirmed. You can return to the app.",
        ),
        Outcome::Declined(d) => ("Payment declined", d.message()),
    };
    let content = format!(
        "<h1>{title}</h1>\n<p>{text}</p>\n<p>{} {} (payment {})</p>",
        payment.amount.two_decimals(),
        escape(&payment.currency),
        payment.id
    );
    page(title, &content)
}

fn message_page(status: StatusCode, title: &str, text: &str) -> Response {
    (
        status,
        Html(page(
            title,
            &format!("<h1>{}</h1>\n<p>{}</p>", escape(title), escape(text)),
        )),
    )
        .into_response()
}

/// The URL the browser returns to, with the outcome in its query (before any fragment).
pub fn return_target(return_url: &str, payment: &Payment, outcome: Outcome) -> String {
    let (url, fragment) = match return_url.split_once('#') {
        Some((url, fragment)) => (url, Some(fragment)),
        None => (return_url, None),
    };
    let separator = if url.contains('?') { '&' } else { '?' };
    let mut target = format!(
        "{url}{separator}payment_id={}&status={}",
        payment.id,
        payment.status.as_str()
    );
    if let Outcome::Declined(d) = outcome {
        target.push_str("&reason=");
        target.push_str(d.code());
    }
    if let Some(fragment) = fragment {
        target.push('#');
        target.push_str(fragment);
    }
    target
}

fn action_of(uri: &Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned())
}

/// The decoded `return_url` of the pay URL, if it carries one.
fn return_url_of(query: &BTreeMap<String, String>) -> Result<Option<String>, ApiError> {
    query
        .get("return_url")
        .filter(|v| !v.trim().is_empty())
        .map(|v| decode_return_url(v))
        .transpose()
}

/// `GET`: the card form, or what became of the payment.
pub async fn show(
    State(world): State<World>,
    Path(id): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
    uri: Uri,
) -> Response {
    if let Err(e) = return_url_of(&query) {
        return message_page(
            StatusCode::BAD_REQUEST,
            "Invalid return URL",
            &e.messages().join(" "),
        );
    }
    let state = world.lock();
    let Some(payment) = id
        .parse::<i64>()
        .ok()
        .and_then(|id| state.payments.get(&id))
    else {
        return message_page(
            StatusCode::NOT_FOUND,
            "Payment not found",
            "There is no payment at this address.",
        );
    };
    if payment.status == PaymentStatus::Confirmed {
        return message_page(
            StatusCode::OK,
            "Payment confirmed",
            "This payment has already been confirmed.",
        );
    }
    Html(form_page(&state, payment, &action_of(&uri), None)).into_response()
}

/// `POST`: settles the payment with the card given (form or JSON).
pub async fn pay(
    State(world): State<World>,
    Path(id): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
    extensions: http::Extensions,
    uri: Uri,
    body: RawBody,
) -> Response {
    let json_client = is_json(&headers);
    let fail = |error: ApiError, title: &str| -> Response {
        if json_client {
            error.into_response()
        } else {
            message_page(error.status(), title, &error.messages().join(" "))
        }
    };
    let return_url = match return_url_of(&query) {
        Ok(url) => url,
        Err(e) => return fail(e, "Invalid return URL"),
    };
    let Some(params) = flat_params(&headers, body.0).await else {
        return fail(
            ApiError::bad_request("The payment form could not be read"),
            "Invalid payment form",
        );
    };
    let declined_by_fault = extensions
        .get::<FaultFlag>()
        .is_some_and(|f| f.0 == DECLINE_FLAG);

    let mut state = world.lock();
    let Some(payment) = id
        .parse::<i64>()
        .ok()
        .and_then(|id| state.payments.get(&id))
        .cloned()
    else {
        drop(state);
        return fail(
            ApiError::record_not_found("Payment", &id),
            "Payment not found",
        );
    };
    if payment.status == PaymentStatus::Confirmed {
        drop(state);
        return fail(
            ApiError::unprocessable("This payment has already been confirmed"),
            "Payment already confirmed",
        );
    }
    let opening_form = !params.contains_key("card_number") && params.contains_key("env_key");
    let card = match read_card(&params) {
        Ok(card) => card,
        Err(_) if opening_form && !json_client => {
            return Html(form_page(&state, &payment, &action_of(&uri), None)).into_response();
        }
        Err(message) if json_client => {
            drop(state);
            return ApiError::BadRequest(message).into_response();
        }
        Err(message) => {
            let html = form_page(&state, &payment, &action_of(&uri), Some(&message));
            return (StatusCode::BAD_REQUEST, Html(html)).into_response();
        }
    };
    let outcome = if declined_by_fault {
        Outcome::Declined(Decline::Declined)
    } else {
        judge(payment.purpose, &card)
    };
    let payment = settle(&mut state, payment, outcome);
    drop(state);

    let target = return_url
        .as_deref()
        .map(|url| return_target(url, &payment, outcome));
    if json_client {
        let (provider, reason, message) = match outcome {
            Outcome::Confirmed(p) => (Some(p.as_str()), None, "Payment confirmed"),
            Outcome::Declined(d) => (None, Some(d.code()), d.message()),
        };
        return Json(json!({
            "payment_id": payment.id,
            "status": payment.status.as_str(),
            "amount": payment.amount.two_decimals(),
            "currency": payment.currency,
            "provider": provider,
            "reason": reason,
            "message": message,
            "return_url": target,
        }))
        .into_response();
    }
    match target.and_then(|t| HeaderValue::try_from(t).ok()) {
        Some(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        None => Html(result_page(&payment, outcome)).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn card(number: &str, exp: (u32, i32), cvv: &str) -> Card {
        Card {
            number: number.to_owned(),
            exp_month: exp.0,
            exp_year: exp.1,
            cvv: cvv.to_owned(),
        }
    }

    const SESSION: Purpose = Purpose::ParkingSession {
        session_id: 1,
        transaction_id: 1,
    };
    const BOOKING: Purpose = Purpose::Booking { smart_key_id: 1 };
    const CARD_V1: Purpose = Purpose::CardVerification { v2: false };
    const CARD_V2: Purpose = Purpose::CardVerification { v2: true };

    #[rstest]
    #[case(SESSION, NETOPIA_ACCEPTED, (1, 2030), "111", Outcome::Confirmed(Provider::MobilPay))]
    #[case(SESSION, NETOPIA_ACCEPTED, (1, 2030), "112", Outcome::Declined(Decline::Declined))]
    #[case(SESSION, NETOPIA_EXPIRED, (1, 2030), "111", Outcome::Declined(Decline::ExpiredCard))]
    #[case(SESSION, EPX_ACCEPTED, (12, 2025), "", Outcome::Confirmed(Provider::Epx))]
    #[case(SESSION, EPX_ACCEPTED, (11, 2025), "", Outcome::Declined(Decline::Declined))]
    #[case(SESSION, EPX_ACCEPTED, (12, 2025), "123", Outcome::Declined(Decline::Declined))]
    #[case(BOOKING, NETOPIA_ACCEPTED, (1, 2030), "111", Outcome::Confirmed(Provider::MobilPay))]
    #[case(BOOKING, EPX_ACCEPTED, (12, 2025), "", Outcome::Declined(Decline::Declined))]
    #[case(CARD_V1, EPX_ACCEPTED, (12, 2025), "123", Outcome::Declined(Decline::Declined))]
    #[case(CARD_V2, EPX_ACCEPTED, (12, 2025), "123", Outcome::Confirmed(Provider::Epx))]
    #[case(CARD_V2, EPX_ACCEPTED, (12, 2025), "", Outcome::Declined(Decline::Declined))]
    #[case(SESSION, "4111111111111111", (1, 2030), "123", Outcome::Declined(Decline::Declined))]
    fn sandbox_cards(
        #[case] purpose: Purpose,
        #[case] number: &str,
        #[case] exp: (u32, i32),
        #[case] cvv: &str,
        #[case] expected: Outcome,
    ) {
        assert_eq!(judge(purpose, &card(number, exp, cvv)), expected);
    }

    #[rstest]
    #[case("12/2025", Some((12, 2025)))]
    #[case("12/25", Some((12, 2025)))]
    #[case(" 1/2030 ", Some((1, 2030)))]
    #[case("13/2025", None)]
    #[case("12-2025", None)]
    #[case("12/202", None)]
    #[case("", None)]
    fn expiry_dates_parse(#[case] input: &str, #[case] expected: Option<(u32, i32)>) {
        assert_eq!(parse_expiry(input), expected);
    }

    #[test]
    fn card_numbers_may_be_typed_with_spaces() {
        let params: BTreeMap<String, String> = [
            ("card_number", "9900 0048 1022 5098"),
            ("exp_date", "12/2030"),
            ("cvv", "111"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(read_card(&params).unwrap().number, NETOPIA_ACCEPTED);
    }

    #[test]
    fn the_outcome_goes_into_the_return_url_before_its_fragment() {
        let payment = Payment {
            id: 7,
            driver_id: 1,
            purpose: SESSION,
            amount: Cents(1000),
            currency: "RON".to_owned(),
            status: PaymentStatus::Error,
            env_key: String::new(),
            data: String::new(),
        };
        let outcome = Outcome::Declined(Decline::ExpiredCard);
        assert_eq!(
            return_target("https://app.test/done?x=1#top", &payment, outcome),
            "https://app.test/done?x=1&payment_id=7&status=error&reason=expired_card#top"
        );
        assert_eq!(
            return_target("myapp://paid", &payment, outcome),
            "myapp://paid?payment_id=7&status=error&reason=expired_card"
        );
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
