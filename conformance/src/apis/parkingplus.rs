//! PARKING+PLUS car_driver (seed 003, api-notes section 4): token → current → finalize → pay
//! (each sandbox card) → transactions agree with a reference model; the documented statuses
//! of finalize (400, 401, 404, 422) and of the token endpoints (`invalid_grant`); smart keys,
//! transactions pages, cards and bookings in their documented shapes.
//!
//! Finalizing and paying are one-way: against a real target they need `--allow-writes
//! --allow-destructive`. On a mock, a new session for every generated case comes from the
//! mock's own entrance (`POST /__sim/entrance`), which is not a vendor endpoint.

use super::scenario;
use base64::Engine as _;
use parkbench_mocks::parkingplus::{
    EPX_ACCEPTED, NETOPIA_ACCEPTED, NETOPIA_EXPIRED, V2_MEDIA_TYPE, contract,
};
use proptest::prelude::*;
use proptest_state_machine::ReferenceStateMachine;
use serde_json::{Value, json};

use crate::checks::{HTML, JSON, ResponseSpec};
use crate::client::{Exchange, Request};
use crate::creds::Credentials;
use crate::props::property_cases;
use crate::run::{ApiRun, Stop};
use crate::{ApiName, Needs, Scenario};

pub const TOKEN_V1: &str = "oauth/token";
pub const TOKEN_V2: &str = "car_driver/token";
pub const REGISTER: &str = "car_driver";
pub const SMART_KEYS: &str = "smart_keys";
pub const CURRENT: &str = "parking_sessions/current";
pub const FINALIZE: &str = "parking_sessions/finalize";
pub const TRANSACTIONS: &str = "parking_session_transactions";
pub const BOOKING: &str = "smart_keys/create_booking";
pub const CARDS: &str = "cards/new";
pub const PAY: &str = "payment/pay";
/// The mock's own entrance barrier (not a vendor endpoint).
pub const ENTRANCE: &str = "sim/entrance";

/// The documented `invalid_grant` answer (api-notes section 4).
pub const INVALID_GRANT: &str = "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.";

/// Seed 003 and its sibling pages; the undocumented error bodies follow the mock's schema.
pub const SPECS: &[ResponseSpec] = &[
    ResponseSpec::new(TOKEN_V1, &[200], &[JSON]).schema("token_response"),
    ResponseSpec::new(TOKEN_V1, &[400, 401], &[JSON]).schema("oauth_error"),
    ResponseSpec::new(TOKEN_V2, &[200], &[JSON]).schema("token_v2_response"),
    ResponseSpec::new(TOKEN_V2, &[400, 401], &[JSON]).schema("oauth_error"),
    ResponseSpec::new(REGISTER, &[201], &[JSON]).schema("registration_response"),
    ResponseSpec::new(REGISTER, &[400, 401, 422], &[JSON]).schema("error"),
    ResponseSpec::new(SMART_KEYS, &[200], &[JSON]).schema("smart_keys_response"),
    ResponseSpec::new(SMART_KEYS, &[400, 401], &[JSON]).schema("error"),
    ResponseSpec::new(CURRENT, &[200], &[JSON]).schema("current_session_response"),
    ResponseSpec::new(CURRENT, &[401, 404], &[JSON]).schema("error"),
    ResponseSpec::new(FINALIZE, &[201], &[JSON]).schema("finalize_response"),
    ResponseSpec::new(FINALIZE, &[400, 401, 404, 422], &[JSON]).schema("error"),
    ResponseSpec::new(TRANSACTIONS, &[200], &[JSON]).schema("transactions_response"),
    ResponseSpec::new(TRANSACTIONS, &[400, 401], &[JSON]).schema("error"),
    ResponseSpec::new(BOOKING, &[201], &[JSON]).schema("create_booking_response"),
    ResponseSpec::new(BOOKING, &[400, 401, 404, 422], &[JSON]).schema("error"),
    ResponseSpec::new(CARDS, &[200], &[JSON]).schema("card_new_response"),
    ResponseSpec::new(CARDS, &[400, 401], &[JSON]).schema("error"),
    ResponseSpec::new(PAY, &[200], &[JSON]).schema("payment_response"),
    ResponseSpec::new(PAY, &[200, 400], &[HTML]),
    ResponseSpec::new(PAY, &[303], &[]),
    ResponseSpec::new(PAY, &[404, 422], &[JSON]).schema("error"),
    ResponseSpec::new(ENTRANCE, &[201], &[JSON]).schema("current_session_response"),
    ResponseSpec::new(ENTRANCE, &[400, 401, 404, 422], &[JSON]).schema("error"),
];

/// The sandbox cards of seed 003, and a card no sandbox accepts.
#[derive(Clone, Debug, PartialEq)]
pub enum Card {
    /// Netopia MobilPay 9900004810225098, CVV 111: accepted.
    NetopiaAccepted,
    /// Netopia MobilPay 9900541631437790: expired.
    NetopiaExpired,
    /// EPX 4000000000000002, empty CVV, 12/2025: accepted.
    Epx,
    /// Anything else: declined.
    Other(String),
}

impl Card {
    fn fields(&self) -> Value {
        match self {
            Card::NetopiaAccepted => {
                json!({"card_number": NETOPIA_ACCEPTED, "exp_date": "12/2030", "cvv": "111"})
            }
            Card::NetopiaExpired => {
                json!({"card_number": NETOPIA_EXPIRED, "exp_date": "12/2030", "cvv": "111"})
            }
            Card::Epx => {
                json!({"card_number": EPX_ACCEPTED, "exp_date": "12/2025", "cvv": ""})
            }
            Card::Other(number) => {
                json!({"card_number": number, "exp_date": "12/2030", "cvv": "123"})
            }
        }
    }

    fn accepted(&self) -> bool {
        matches!(self, Card::NetopiaAccepted | Card::Epx)
    }
}

fn card() -> impl Strategy<Value = Card> {
    prop_oneof![
        Just(Card::NetopiaAccepted),
        Just(Card::NetopiaExpired),
        Just(Card::Epx),
        "5[0-9]{15}".prop_map(Card::Other),
    ]
}

fn creds(run: &ApiRun) -> &crate::creds::Parkingplus {
    match &run.creds {
        Credentials::Parkingplus(c) => c,
        _ => unreachable!("PARKING+PLUS checks run with PARKING+PLUS credentials"),
    }
}

fn grant(run: &ApiRun, username: &str, password: &str) -> Value {
    let c = creds(run);
    json!({"grant_type": "password", "username": username, "password": password, "client_app_id": c.client_app_id, "client_secret": c.client_secret})
}

/// An access token for the driver (`other`: the second driver), cached per run.
async fn access_token(run: &ApiRun, other: bool) -> Result<String, Stop> {
    let key = if other { "token:other" } else { "token:driver" };
    if let Some(token) = run.cached_token(key) {
        return Ok(token);
    }
    let (username, password) = if other {
        creds(run)
            .other_driver
            .clone()
            .ok_or_else(|| Stop::Broken("no second driver".into()))?
    } else {
        (creds(run).username.clone(), creds(run).password.clone())
    };
    let exchange = run
        .send(
            Request::post(TOKEN_V1, run.url("/api/oauth/token"))
                .json(grant(run, &username, &password)),
        )
        .await?;
    let Some(token) = exchange
        .json()
        .and_then(|b| b["access_token"].as_str().map(str::to_owned))
        .filter(|_| exchange.status == 200)
    else {
        run.fail(
            TOKEN_V1,
            "flow",
            "200 with an access_token for the configured driver",
            "",
            Some(&exchange),
        );
        return Err(Stop::Broken("PARKING+PLUS sign-in failed".into()));
    };
    run.secret(&token);
    if let Some(refresh) = exchange
        .json()
        .and_then(|b| b["refresh_token"].as_str().map(str::to_owned))
    {
        run.secret(&refresh);
    }
    // Re-issued two minutes before `expires_in` runs out on the budget's timeline (which
    // follows the mock's clock when the checks move it).
    let lifetime = exchange
        .json()
        .and_then(|b| b["expires_in"].as_f64())
        .unwrap_or(600.0);
    run.cache_token(key, &token, lifetime - 120.0);
    Ok(token)
}

fn bearer(request: Request, token: &str) -> Request {
    request.header("Authorization", format!("Bearer {token}"))
}

async fn get(
    run: &ApiRun,
    operation: &'static str,
    path: &str,
    token: &str,
) -> Result<Exchange, Stop> {
    run.send(bearer(Request::get(operation, run.url(path)), token))
        .await
}

fn finalize_request(run: &ApiRun, session: i64, body: Value, token: &str) -> Request {
    bearer(
        Request::new(
            FINALIZE,
            http::Method::PUT,
            run.url(&format!(
                "/api/car_driver/parking_sessions/{session}/finalize"
            )),
        ),
        token,
    )
    .json(body)
}

// ---- tokens -----------------------------------------------------------------------------------

async fn tokens(run: &ApiRun) -> Result<(), Stop> {
    let c = creds(run).clone();
    for (op, path) in [
        (TOKEN_V1, "/api/oauth/token"),
        (TOKEN_V2, "/api/car_driver/token"),
    ] {
        let good = run
            .send(Request::post(op, run.url(path)).json(grant(run, &c.username, &c.password)))
            .await?;
        let body = good.json().unwrap_or(Value::Null);
        let token = if op == TOKEN_V1 {
            body["access_token"].clone()
        } else {
            body.pointer("/token_info/access_token")
                .cloned()
                .unwrap_or(Value::Null)
        };
        if let Some(t) = token.as_str() {
            run.secret(t);
        }
        for refresh in [
            body["refresh_token"].as_str(),
            body.pointer("/token_info/refresh_token")
                .and_then(Value::as_str),
        ]
        .into_iter()
        .flatten()
        {
            run.secret(refresh);
        }
        let expires = if op == TOKEN_V1 {
            body["expires_in"].clone()
        } else {
            body.pointer("/token_info/expires_in")
                .cloned()
                .unwrap_or(Value::Null)
        };
        run.check(
            op,
            "token",
            good.status == 200 && token.is_string() && expires.is_u64(),
            "200 with an access token and expires_in",
            &good,
        );
        let bad = run
            .send(Request::post(op, run.url(path)).json(grant(
                run,
                &c.username,
                &format!("{}-wrong", c.password),
            )))
            .await?;
        let body = bad.json().unwrap_or(Value::Null);
        run.check(
            op,
            "error",
            bad.status == 401
                && body["error"] == "invalid_grant"
                && body["error_description"] == INVALID_GRANT,
            "401 invalid_grant with the documented description",
            &bad,
        );
    }
    // Every driver endpoint refuses a missing or unknown token with 401 (seed 003).
    for (op, path) in [
        (CURRENT, "/api/car_driver/parking_sessions/current"),
        (SMART_KEYS, "/api/car_driver/smart_keys"),
        (
            TRANSACTIONS,
            "/api/car_driver/parking_session_transactions?page=1",
        ),
    ] {
        let none = run.send(Request::get(op, run.url(path))).await?;
        run.check(
            op,
            "error",
            none.status == 401,
            "401 without a bearer token",
            &none,
        );
        let unknown = get(run, op, path, &format!("pb-not-a-token-{}", run.run_id)).await?;
        run.check(
            op,
            "error",
            unknown.status == 401,
            "401 for an unknown bearer token",
            &unknown,
        );
    }
    let finalize = run
        .send(finalize_request(
            run,
            1,
            json!({"parking_session": {"secured_parking_id": contract::SECURED_PARKING_ID}}),
            "pb-not-a-token",
        ))
        .await?;
    run.check(
        FINALIZE,
        "error",
        finalize.status == 401,
        "401 if request access token not ok",
        &finalize,
    );
    Ok(())
}

/// Tokens expire after `expires_in` seconds of the mock's clock.
async fn token_expiry(run: &ApiRun) -> Result<(), Stop> {
    let c = creds(run).clone();
    let exchange = run
        .send(
            Request::post(TOKEN_V1, run.url("/api/oauth/token")).json(grant(
                run,
                &c.username,
                &c.password,
            )),
        )
        .await?;
    let body = exchange.json().unwrap_or(Value::Null);
    let (Some(token), Some(expires)) = (body["access_token"].as_str(), body["expires_in"].as_f64())
    else {
        run.fail(
            TOKEN_V1,
            "flow",
            "an access_token and expires_in",
            "",
            Some(&exchange),
        );
        return Ok(());
    };
    run.secret(token);
    run.budget.advance_clock(expires + 1.0).await?;
    let current = get(
        run,
        CURRENT,
        "/api/car_driver/parking_sessions/current",
        token,
    )
    .await?;
    run.check(
        CURRENT,
        "token-expiry",
        current.status == 401,
        "401 once expires_in has passed on the clock",
        &current,
    );
    // Every cached token is as old: sign in again from here on.
    run.session_remove("token:driver");
    run.session_remove("token:other");
    Ok(())
}

// ---- read-only endpoints ----------------------------------------------------------------------

async fn smart_keys(run: &ApiRun) -> Result<(), Stop> {
    let token = access_token(run, false).await?;
    for active in [Some(true), Some(false), None] {
        let path = active.map_or_else(
            || "/api/car_driver/smart_keys".to_owned(),
            |a| format!("/api/car_driver/smart_keys?is_active={a}"),
        );
        let exchange = get(run, SMART_KEYS, &path, &token).await?;
        if exchange.status != 200 {
            run.fail(
                SMART_KEYS,
                "model",
                "200 with the driver's keys",
                "",
                Some(&exchange),
            );
            continue;
        }
        if let Some(active) = active {
            let keys = exchange
                .json()
                .and_then(|b| b["smart_keys"].as_array().cloned())
                .unwrap_or_default();
            let agree = keys.iter().all(|k| {
                k.pointer("/smart_key/is_active").and_then(Value::as_bool) == Some(active)
            });
            run.check(
                SMART_KEYS,
                "model",
                agree,
                format!("only keys with is_active {active}"),
                &exchange,
            );
        }
    }
    let bad = get(
        run,
        SMART_KEYS,
        "/api/car_driver/smart_keys?is_active=maybe",
        &token,
    )
    .await?;
    run.check(
        SMART_KEYS,
        "error",
        bad.status == 400,
        "400 for is_active other than true or false",
        &bad,
    );
    Ok(())
}

async fn transactions(run: &ApiRun) -> Result<(), Stop> {
    let token = access_token(run, false).await?;
    let first = get(
        run,
        TRANSACTIONS,
        "/api/car_driver/parking_session_transactions?page=1",
        &token,
    )
    .await?;
    let body = first.json().unwrap_or(Value::Null);
    let total = body["total_entries"].as_u64().unwrap_or(0);
    let pages = body["total_pages"].as_u64().unwrap_or(0);
    let listed = body["parking_session_transactions"]
        .as_array()
        .map_or(0, Vec::len) as u64;
    let per_page = listed.max(1);
    let consistent = first.status == 200
        && body["current_page"] == 1
        && (total == 0 || pages == total.div_ceil(per_page).max(pages.min(total)));
    run.check(
        TRANSACTIONS,
        "model",
        consistent && listed <= total,
        "current_page 1, total_pages consistent with total_entries",
        &first,
    );
    let spelled = body["parking_session_transactions"]
        .as_array()
        .is_none_or(|t| t.iter().all(|t| t.get("curency").is_some()));
    run.check(
        TRANSACTIONS,
        "model",
        spelled,
        "the vendor's `curency` spelling in every transaction",
        &first,
    );
    let beyond = get(
        run,
        TRANSACTIONS,
        &format!(
            "/api/car_driver/parking_session_transactions?page={}",
            pages + 1
        ),
        &token,
    )
    .await?;
    let empty = beyond
        .json()
        .and_then(|b| {
            b["parking_session_transactions"]
                .as_array()
                .map(Vec::is_empty)
        })
        .unwrap_or(false);
    run.check(
        TRANSACTIONS,
        "model",
        beyond.status == 200 && empty,
        "a page past the end is empty",
        &beyond,
    );
    let bad = get(
        run,
        TRANSACTIONS,
        "/api/car_driver/parking_session_transactions?page=zero",
        &token,
    )
    .await?;
    run.check(
        TRANSACTIONS,
        "error",
        bad.status == 400,
        "400 for a page that is not a positive integer",
        &bad,
    );
    Ok(())
}

fn b64(url: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(url)
}

async fn cards(run: &ApiRun) -> Result<(), Stop> {
    let token = access_token(run, false).await?;
    let path = format!(
        "/api/car_driver/cards/new?return_url={}",
        crate::client::urlencode(&b64("https://example.com/return"))
    );
    for v2 in [false, true] {
        let mut request = bearer(Request::get(CARDS, run.url(&path)), &token);
        if v2 {
            request = request.header("Accept", V2_MEDIA_TYPE);
        }
        let exchange = run.send(request).await?;
        let pay_url = exchange
            .json()
            .and_then(|b| b["pay_url"].as_str().map(str::to_owned));
        run.check(
            CARDS,
            "model",
            exchange.status == 200 && pay_url.is_some(),
            format!("200 with a pay_url ({})", if v2 { "v2" } else { "v1" }),
            &exchange,
        );
        if let Some(pay_url) = pay_url.filter(|_| !v2) {
            let page = run.send(Request::get(PAY, pay_url)).await?;
            let text = page.text();
            let form = ["card_number", "exp_date", "cvv", "<form"]
                .iter()
                .all(|f| text.contains(f));
            run.check(
                PAY,
                "payment-page",
                page.status == 200 && form,
                "an HTML form with card_number, exp_date and cvv",
                &page,
            );
        }
    }
    Ok(())
}

async fn bookings(run: &ApiRun) -> Result<(), Stop> {
    let token = access_token(run, false).await?;
    let parking = creds(run)
        .secured_parking_id
        .unwrap_or(contract::SECURED_PARKING_ID);
    let now = chrono::Utc::now() + chrono::TimeDelta::days(400);
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let body = json!({
        "return_url": b64("https://example.com/booked"),
        "smart_key": {
            "email": creds(run).username,
            "start_time": fmt(now),
            "end_time": fmt(now + chrono::TimeDelta::hours(2)),
            "secured_parking_id": parking,
            "description": format!("parkbench {}", run.run_id),
        }
    });
    let exchange = run
        .send(
            bearer(
                Request::post(
                    BOOKING,
                    run.url("/api/car_driver/smart_keys/create_booking"),
                ),
                &token,
            )
            .json(body),
        )
        .await?;
    let b = exchange.json().unwrap_or(Value::Null);
    run.check(
        BOOKING,
        "model",
        exchange.status == 201 && b["pay_url"].is_string() && b["smart_key"].is_object(),
        "201 with pay_url and the booking key",
        &exchange,
    );
    let backwards = json!({"smart_key": {"email": creds(run).username, "start_time": fmt(now), "end_time": fmt(now - chrono::TimeDelta::hours(1)), "secured_parking_id": parking}});
    let refused = run
        .send(
            bearer(
                Request::post(
                    BOOKING,
                    run.url("/api/car_driver/smart_keys/create_booking"),
                ),
                &token,
            )
            .json(backwards),
        )
        .await?;
    run.check(
        BOOKING,
        "error",
        refused.status == 422 || refused.status == 400,
        "400 or 422 for an end before the start",
        &refused,
    );
    Ok(())
}

async fn registration(run: &ApiRun) -> Result<(), Stop> {
    let c = creds(run).clone();
    let email = format!("{}@parkbench.test", run.run_id);
    let user = |email: &str, confirmation: &str| {
        json!({
            "api_car_driver_fo_user": {"email": email, "password": "pb-password", "password_confirmation": confirmation, "first_name": "Park", "last_name": "Bench", "phone": "0700000000"},
            "client_app_id": c.client_app_id,
            "client_secret": c.client_secret,
        })
    };
    let created = run
        .send(Request::post(REGISTER, run.url("/api/car_driver")).json(user(&email, "pb-password")))
        .await?;
    run.check(
        REGISTER,
        "model",
        created.status == 201,
        "201 for a new driver",
        &created,
    );
    let duplicate = run
        .send(Request::post(REGISTER, run.url("/api/car_driver")).json(user(&email, "pb-password")))
        .await?;
    run.check(
        REGISTER,
        "error",
        duplicate.status == 422,
        "422 for an e-mail already taken",
        &duplicate,
    );
    let mismatch = run
        .send(
            Request::post(REGISTER, run.url("/api/car_driver")).json(user(
                &format!("{}-2@parkbench.test", run.run_id),
                "other-password",
            )),
        )
        .await?;
    run.check(
        REGISTER,
        "error",
        mismatch.status == 422,
        "422 for a mismatched password confirmation",
        &mismatch,
    );
    run.note(format!(
        "parkingplus: the driver {email} registered by the run stays (the API has no driver delete)"
    ));
    Ok(())
}

// ---- finalize negatives -------------------------------------------------------------------------

/// The current session of the driver (id, parking), if any.
async fn current(run: &ApiRun, token: &str) -> Result<(Exchange, Option<(i64, i64)>), Stop> {
    let exchange = get(
        run,
        CURRENT,
        "/api/car_driver/parking_sessions/current",
        token,
    )
    .await?;
    let body = exchange.json().unwrap_or(Value::Null);
    let session = body.pointer("/parking_session/id").and_then(Value::as_i64);
    let parking = body
        .pointer("/smart_key/secured_parking_id")
        .and_then(Value::as_i64);
    Ok((
        exchange.clone(),
        session.zip(parking).filter(|_| exchange.status == 200),
    ))
}

async fn finalize_negative(run: &ApiRun) -> Result<(), Stop> {
    let token = access_token(run, false).await?;
    let (_, session) = current(run, &token).await?;
    let Some((session, parking)) = session else {
        run.skip(
            FINALIZE,
            "error",
            "the driver has no current parking session",
        );
        return Ok(());
    };
    let mut cases: Vec<(Value, i64, u16, &str)> = vec![
        (
            json!({}),
            session,
            400,
            "400 when parking_session is missing",
        ),
        (
            json!({"parking_session": {}}),
            session,
            400,
            "400 when secured_parking_id is missing",
        ),
        (
            json!({"parking_session": {"secured_parking_id": parking}}),
            987_654_321,
            404,
            "404 for an unknown session",
        ),
        (
            json!({"parking_session": {"secured_parking_id": 987_654_321}}),
            session,
            404,
            "404 for an unknown secured parking",
        ),
    ];
    if creds(run).other_driver.is_some() {
        let other = access_token(run, true).await?;
        if let (_, Some((their_session, their_parking))) = current(run, &other).await? {
            let theirs = json!({"parking_session": {"secured_parking_id": their_parking}});
            cases.push((
                theirs.clone(),
                their_session,
                404,
                "404 for another driver's session",
            ));
            if their_parking != parking {
                cases.push((
                    theirs,
                    session,
                    422,
                    "422 when secured_parking_id is not the session's parking",
                ));
            }
        }
    }
    for (body, id, status, expectation) in cases {
        let exchange = run.send(finalize_request(run, id, body, &token)).await?;
        run.check(
            FINALIZE,
            "error",
            exchange.status == status,
            expectation,
            &exchange,
        );
    }
    Ok(())
}

// ---- the payment loop -------------------------------------------------------------------------

/// The mock's tariffs (fixture contract): parking 187 charges 5.00 RON per started hour.
fn mock_tariff(parking: i64) -> Option<(i64, f64)> {
    (parking == contract::SECURED_PARKING_ID).then_some((60, 5.00))
}

fn amount(body: &Value, pointer: &str) -> Option<f64> {
    body.pointer(pointer).and_then(|v| {
        v.as_str()
            .and_then(|s| s.parse().ok())
            .or_else(|| v.as_f64())
    })
}

fn two_decimals(body: &Value, pointer: &str) -> bool {
    body.pointer(pointer)
        .and_then(Value::as_str)
        .is_some_and(|s| {
            s.split_once('.').is_some_and(|(u, d)| {
                !u.is_empty()
                    && d.len() == 2
                    && u.bytes().chain(d.bytes()).all(|b| b.is_ascii_digit())
            })
        })
}

/// Pays on `pay_url` as JSON, or as a browser's form post with a `return_url` (303 there with
/// the outcome in the query). Returns the outcome's status (`confirmed`, `error`).
async fn pay(run: &ApiRun, pay_url: &str, card: &Card, form: bool) -> Result<Option<String>, Stop> {
    if form {
        let separator = if pay_url.contains('?') { '&' } else { '?' };
        let return_url = crate::client::urlencode(&b64("https://example.com/paid"));
        let url = format!("{pay_url}{separator}return_url={return_url}");
        let fields = card.fields();
        let form_fields = ["card_number", "exp_date", "cvv"]
            .iter()
            .map(|k| {
                (
                    (*k).to_owned(),
                    fields[*k].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let exchange = run.send(Request::post(PAY, url).form(form_fields)).await?;
        let location = exchange.header("location").unwrap_or_default().to_owned();
        let status = location
            .split(['?', '&'])
            .find_map(|kv| kv.strip_prefix("status="))
            .map(str::to_owned);
        run.check(
            PAY,
            "payment",
            exchange.status == 303 && status.is_some(),
            "303 to the return_url with the outcome in the query",
            &exchange,
        );
        Ok(status)
    } else {
        let exchange = run
            .send(Request::post(PAY, pay_url.to_owned()).json(card.fields()))
            .await?;
        let status = exchange
            .json()
            .and_then(|b| b["status"].as_str().map(str::to_owned));
        run.check(
            PAY,
            "payment",
            exchange.status == 200 && status.is_some(),
            "200 with the payment's status",
            &exchange,
        );
        Ok(status)
    }
}

/// Where the driver is, in the reference model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// No current session.
    Away,
    /// An active session.
    Parked,
    /// Finalized, not paid: the transaction is `pending`, or `error` after a declined card.
    Exiting { declined: bool },
}

/// The driver's reference model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DriverState {
    pub phase: Phase,
    /// The last finalized session was paid (its pay URL refuses another payment).
    pub paid: bool,
    /// The payment status the last finalized session's transaction must show.
    pub transaction: Option<&'static str>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DriverStep {
    /// The car passes the entrance barrier (the mock's own entrance).
    Enter {
        minutes_ago: i64,
    },
    /// Time passes on the mock's clock, then the running amount is read.
    Stay {
        minutes: i64,
    },
    Current,
    Finalize {
        patch: bool,
    },
    FinalizeAgain,
    Pay {
        card: Card,
        form: bool,
    },
    PayPaid,
    Transactions,
}

pub struct DriverModel;

impl ReferenceStateMachine for DriverModel {
    type State = DriverState;
    type Transition = DriverStep;

    fn init_state() -> BoxedStrategy<Self::State> {
        Just(DriverState {
            phase: Phase::Parked,
            paid: false,
            transaction: None,
        })
        .boxed()
    }

    fn transitions(state: &Self::State) -> BoxedStrategy<Self::Transition> {
        let common = prop_oneof![Just(DriverStep::Current), Just(DriverStep::Transactions)];
        match state.phase {
            Phase::Away => prop_oneof![
                3 => (0i64..240).prop_map(|minutes_ago| DriverStep::Enter { minutes_ago }),
                1 => common,
                1 => Just(DriverStep::PayPaid),
            ]
            .boxed(),
            Phase::Parked => prop_oneof![
                3 => (1i64..300).prop_map(|minutes| DriverStep::Stay { minutes }),
                3 => any::<bool>().prop_map(|patch| DriverStep::Finalize { patch }),
                1 => common,
            ]
            .boxed(),
            Phase::Exiting { .. } => prop_oneof![
                4 => (card(), any::<bool>()).prop_map(|(card, form)| DriverStep::Pay { card, form }),
                1 => Just(DriverStep::FinalizeAgain),
                1 => common,
            ]
            .boxed(),
        }
    }

    fn preconditions(state: &Self::State, step: &Self::Transition) -> bool {
        match step {
            DriverStep::Enter { .. } => state.phase == Phase::Away,
            DriverStep::Stay { .. } | DriverStep::Finalize { .. } => state.phase == Phase::Parked,
            DriverStep::FinalizeAgain | DriverStep::Pay { .. } => {
                matches!(state.phase, Phase::Exiting { .. })
            }
            DriverStep::PayPaid => state.paid,
            DriverStep::Current | DriverStep::Transactions => true,
        }
    }

    fn apply(mut state: Self::State, step: &Self::Transition) -> Self::State {
        match step {
            DriverStep::Enter { .. } => state.phase = Phase::Parked,
            DriverStep::Finalize { .. } => {
                state.phase = Phase::Exiting { declined: false };
                state.paid = false;
                state.transaction = Some("pending");
            }
            DriverStep::Pay { card, .. } if card.accepted() => {
                state.phase = Phase::Away;
                state.paid = true;
                state.transaction = Some("confirmed");
            }
            DriverStep::Pay { .. } => {
                state.phase = Phase::Exiting { declined: true };
                state.transaction = Some("error");
            }
            _ => {}
        }
        state
    }
}

/// What the checks know of the target's side of the model.
#[derive(Debug, Default)]
struct Driver {
    session: Option<(i64, i64)>,
    pay_url: Option<String>,
    paid_url: Option<String>,
    final_amount: Option<f64>,
    started: Option<chrono::DateTime<chrono::FixedOffset>>,
}

fn instant(v: &Value) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    v.as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
}

/// On a mock, where the tariff is known: the amount for the session's start and end times in
/// `body` (current or finalize), and its minutes.
fn tariff_amount(run: &ApiRun, driver: &Driver, body: &Value) -> Option<(f64, f64)> {
    let (unit, price) = driver
        .session
        .and_then(|(_, p)| mock_tariff(p))
        .filter(|_| run.target.kind.is_mock())?;
    let start = body
        .pointer("/parking_session/start_time")
        .and_then(instant)?;
    let end = body
        .pointer("/parking_session/end_time")
        .and_then(instant)?;
    let minutes = (end - start).num_seconds().max(1) as f64 / 60.0;
    Some(((minutes / unit as f64).ceil() * price, minutes))
}

/// Applies one step to the target and checks its answer against the model (`state` is the
/// state after the step).
async fn driver_step(
    run: &ApiRun,
    driver: &mut Driver,
    state: &DriverState,
    step: &DriverStep,
) -> Result<(), Stop> {
    let token = access_token(run, false).await?;
    match step {
        DriverStep::Enter { minutes_ago } => {
            let parking = creds(run)
                .secured_parking_id
                .unwrap_or(contract::SECURED_PARKING_ID);
            let entered = run
                .send(
                    bearer(
                        Request::post(ENTRANCE, run.url(contract::SIM_ENTRANCE_PATH)),
                        &token,
                    )
                    .json(
                        json!({"secured_parking_id": parking, "started_minutes_ago": minutes_ago}),
                    ),
                )
                .await?;
            run.check(
                ENTRANCE,
                "flow",
                entered.status == 201,
                "201: a new session at the entrance",
                &entered,
            );
            driver.session = current(run, &token).await?.1;
        }
        DriverStep::Stay { minutes } => {
            if run.has_control() {
                run.budget.advance_clock(*minutes as f64 * 60.0).await?;
            }
            let token = access_token(run, false).await?;
            let (exchange, _) = current(run, &token).await?;
            let body = exchange.json().unwrap_or(Value::Null);
            match (tariff_amount(run, driver, &body), amount(&body, "/amount")) {
                (Some((expected, minutes)), Some(running)) => {
                    run.check(
                        CURRENT,
                        "model",
                        (running - expected).abs() < 0.005 && two_decimals(&body, "/amount"),
                        format!("amount {expected:.2}: the tariff for every started unit of {minutes:.0} minutes"),
                        &exchange,
                    );
                }
                _ => {
                    run.check(
                        CURRENT,
                        "model",
                        exchange.status == 200 && two_decimals(&body, "/amount"),
                        "200 with a two-decimal amount",
                        &exchange,
                    );
                }
            }
        }
        DriverStep::Current => {
            let (exchange, session) = current(run, &token).await?;
            let state_name = exchange.json().and_then(|b| {
                b.pointer("/parking_session/state")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
            let ok = match state.phase {
                Phase::Away => {
                    exchange.status == 404 || session.is_some_and(|s| Some(s) != driver.session)
                }
                Phase::Parked => {
                    exchange.status == 200
                        && session == driver.session
                        && state_name.as_deref() != Some("exiting")
                }
                Phase::Exiting { .. } => {
                    exchange.status == 200
                        && session == driver.session
                        && state_name.as_deref() == Some("exiting")
                }
            };
            run.check(
                CURRENT,
                "model",
                ok,
                format!(
                    "the current session agrees with the model ({:?})",
                    state.phase
                ),
                &exchange,
            );
        }
        DriverStep::Finalize { patch } => {
            let Some((session, parking)) = driver.session else {
                return Err(Stop::Broken("no session to finalize".into()));
            };
            let request = finalize_request(
                run,
                session,
                json!({"parking_session": {"secured_parking_id": parking}}),
                &token,
            );
            let request = if *patch {
                Request {
                    method: http::Method::PATCH,
                    ..request
                }
            } else {
                request
            };
            let finalized = run.send(request).await?;
            let body = finalized.json().unwrap_or(Value::Null);
            let ok = finalized.status == 201
                && body.pointer("/parking_session/state") == Some(&json!("exiting"))
                && body
                    .pointer("/parking_session/end_time")
                    .is_some_and(|e| !e.is_null())
                && body.pointer("/smart_key/type") == Some(&json!("session_access"))
                && two_decimals(&body, "/amount")
                && body["pay_url"].is_string();
            if !run.check(
                FINALIZE,
                "model",
                ok,
                "201, state exiting with an end_time, a session_access key, a two-decimal amount and a pay_url",
                &finalized,
            ) {
                return Err(Stop::Broken("finalize failed".into()));
            }
            if let Some((expected, minutes)) = tariff_amount(run, driver, &body) {
                let charged = amount(&body, "/amount").unwrap_or(-1.0);
                run.check(
                    FINALIZE,
                    "model",
                    (charged - expected).abs() < 0.005,
                    format!("amount {expected:.2}: the tariff for every started unit of {minutes:.0} minutes"),
                    &finalized,
                );
            }
            driver.pay_url = body["pay_url"].as_str().map(str::to_owned);
            driver.final_amount = amount(&body, "/amount");
            driver.started = body
                .pointer("/parking_session/start_time")
                .and_then(instant);
        }
        DriverStep::FinalizeAgain => {
            let Some((session, parking)) = driver.session else {
                return Err(Stop::Broken("no session".into()));
            };
            let again = run
                .send(finalize_request(
                    run,
                    session,
                    json!({"parking_session": {"secured_parking_id": parking}}),
                    &token,
                ))
                .await?;
            run.check(
                FINALIZE,
                "error",
                again.status == 422,
                "422 for a session already finalized",
                &again,
            );
        }
        DriverStep::Pay { card, form } => {
            let pay_url = driver.pay_url.clone().unwrap_or_default();
            let outcome = pay(run, &pay_url, card, *form).await?;
            let expected = if card.accepted() {
                "confirmed"
            } else {
                "error"
            };
            run.check_value(
                PAY,
                "model",
                outcome.as_deref() == Some(expected),
                format!("{expected} for {card:?}"),
                || format!("{outcome:?}"),
            );
            if card.accepted() {
                driver.paid_url = driver.pay_url.take();
            }
        }
        DriverStep::PayPaid => {
            let Some(paid_url) = driver.paid_url.clone() else {
                return Ok(());
            };
            let twice = run
                .send(Request::post(PAY, paid_url).json(Card::NetopiaAccepted.fields()))
                .await?;
            run.check(
                PAY,
                "error",
                twice.status == 422,
                "422 for a payment already confirmed",
                &twice,
            );
        }
        DriverStep::Transactions => {
            let (Some(expected), Some(started)) = (state.transaction, driver.started) else {
                return Ok(());
            };
            let page = get(
                run,
                TRANSACTIONS,
                "/api/car_driver/parking_session_transactions?page=1",
                &token,
            )
            .await?;
            // The session's transaction: the one that started when the session did
            // (transaction ids are their own, not the session's).
            let listed = page
                .json()
                .and_then(|b| b["parking_session_transactions"].as_array().cloned())
                .unwrap_or_default()
                .into_iter()
                .find(|t| t.get("start_time").and_then(instant) == Some(started));
            let agree = listed.as_ref().is_some_and(|t| {
                t["payment_status"] == expected
                    && amount(t, "/amount")
                        .zip(driver.final_amount)
                        .is_some_and(|(a, b)| (a - b).abs() < 0.005)
            });
            run.check(
                TRANSACTIONS,
                "model",
                agree,
                format!(
                    "the session's transaction: payment_status {expected}, amount {:?}",
                    driver.final_amount
                ),
                &page,
            );
        }
    }
    Ok(())
}

/// The PARKING+PLUS driver model: enter, stay, finalize (PUT or PATCH), pay with generated
/// sequences of sandbox cards (JSON or form), read current and transactions, in orders the
/// model allows, checked after every step. Every case ends with the session paid, so the
/// driver can park again (also on a real sandbox).
async fn payments(run: &ApiRun) -> Result<(), Stop> {
    let strategy = DriverModel::sequential_strategy(1..12);
    let parked = DriverState {
        phase: Phase::Parked,
        paid: false,
        transaction: None,
    };
    // Against a real target: the driver's current session, an expired card, then the accepted one.
    let fixed_steps = vec![
        DriverStep::Current,
        DriverStep::Finalize { patch: false },
        DriverStep::FinalizeAgain,
        DriverStep::Pay {
            card: Card::NetopiaExpired,
            form: false,
        },
        DriverStep::Transactions,
        DriverStep::Pay {
            card: Card::NetopiaAccepted,
            form: false,
        },
        DriverStep::PayPaid,
        DriverStep::Transactions,
        DriverStep::Current,
    ];
    let mut fixed = vec![(parked.clone(), fixed_steps, None)];
    if !run.is_real() {
        fixed.push((
            parked,
            vec![
                DriverStep::Stay { minutes: 60 },
                DriverStep::Finalize { patch: true },
                DriverStep::Pay {
                    card: Card::Other("5555444433331111".into()),
                    form: true,
                },
                DriverStep::Pay {
                    card: Card::Epx,
                    form: true,
                },
                DriverStep::Transactions,
                DriverStep::Enter { minutes_ago: 5 },
                DriverStep::Current,
            ],
            None,
        ));
    }
    property_cases(
        run,
        "driver model",
        (run.cases / 4).max(1),
        strategy,
        fixed,
        |(initial, steps, seen)| async move {
            let token = access_token(run, false).await?;
            let mut driver = Driver {
                session: current(run, &token).await?.1,
                ..Driver::default()
            };
            if driver.session.is_none() {
                if !run.target.kind.is_mock() {
                    run.skip(
                        FINALIZE,
                        "model",
                        "the driver has no current parking session",
                    );
                    return Ok(());
                }
                driver_step(
                    run,
                    &mut driver,
                    &initial,
                    &DriverStep::Enter { minutes_ago: 1 },
                )
                .await?;
            }
            let mut state = initial;
            let mut result = Ok(());
            for step in steps {
                if let Some(seen) = &seen {
                    seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                state = DriverModel::apply(state, &step);
                if let Err(stop) = driver_step(run, &mut driver, &state, &step).await {
                    result = Err(stop);
                    break;
                }
            }
            // Leave the driver able to park again, also when a check failed.
            match state.phase {
                Phase::Parked if driver.session.is_some() => {
                    let steps = [
                        DriverStep::Finalize { patch: false },
                        DriverStep::Pay {
                            card: Card::NetopiaAccepted,
                            form: false,
                        },
                    ];
                    for step in steps {
                        let after = DriverModel::apply(state.clone(), &step);
                        driver_step(run, &mut driver, &after, &step).await?;
                        state = after;
                    }
                }
                Phase::Exiting { .. } if driver.pay_url.is_some() => {
                    let step = DriverStep::Pay {
                        card: Card::NetopiaAccepted,
                        form: false,
                    };
                    let after = DriverModel::apply(state.clone(), &step);
                    driver_step(run, &mut driver, &after, &step).await?;
                }
                _ => {}
            }
            match result {
                Err(Stop::Broken(_)) => Ok(()),
                other => other,
            }
        },
    )
}

pub fn scenarios() -> Vec<Scenario> {
    vec![
        scenario(
            ApiName::Parkingplus,
            "parkingplus tokens",
            "negative",
            &[
                TOKEN_V1,
                TOKEN_V2,
                CURRENT,
                SMART_KEYS,
                TRANSACTIONS,
                FINALIZE,
            ],
            &["token", "error"],
            Needs::READ,
            |_| 11,
            |r| Box::pin(tokens(r)),
        ),
        scenario(
            ApiName::Parkingplus,
            "parkingplus smart keys",
            "read",
            &[SMART_KEYS],
            &["model", "error"],
            Needs::READ,
            |_| 5,
            |r| Box::pin(smart_keys(r)),
        ),
        scenario(
            ApiName::Parkingplus,
            "parkingplus transactions",
            "read",
            &[TRANSACTIONS],
            &["model", "error"],
            Needs::READ,
            |_| 4,
            |r| Box::pin(transactions(r)),
        ),
        scenario(
            ApiName::Parkingplus,
            "parkingplus cards",
            "read",
            &[CARDS, PAY],
            &["model", "payment-page"],
            Needs::READ,
            |_| 3,
            |r| Box::pin(cards(r)),
        ),
        scenario(
            ApiName::Parkingplus,
            "parkingplus bookings",
            "valid",
            &[BOOKING],
            &["model", "error"],
            Needs::WRITE,
            |_| 2,
            |r| Box::pin(bookings(r)),
        ),
        scenario(
            ApiName::Parkingplus,
            "parkingplus registration",
            "valid",
            &[REGISTER],
            &["model", "error"],
            Needs::WRITE,
            |_| 3,
            |r| Box::pin(registration(r)),
        ),
        scenario(
            ApiName::Parkingplus,
            "parkingplus finalize negative",
            "negative",
            &[FINALIZE],
            &["error"],
            Needs::WRITE,
            |p| if p.real { 5 } else { 9 },
            |r| Box::pin(finalize_negative(r)),
        ),
        scenario(
            ApiName::Parkingplus,
            "parkingplus payment loop",
            "payment",
            &[CURRENT, FINALIZE, PAY, TRANSACTIONS],
            &["model", "payment", "error", "flow"],
            Needs::DESTRUCTIVE,
            |p| {
                if p.real {
                    10
                } else {
                    12 * (2 + (p.cases / 4).max(1))
                }
            },
            |r| Box::pin(payments(r)),
        ),
        scenario(
            ApiName::Parkingplus,
            "parkingplus token expiry",
            "control",
            &[TOKEN_V1, CURRENT],
            &["token-expiry"],
            Needs::CONTROL,
            |_| 2,
            |r| Box::pin(token_expiry(r)),
        ),
    ]
}
