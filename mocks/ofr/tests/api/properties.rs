//! Properties over generated requests: whatever the body, `POST /report/generate` answers a
//! documented status in a documented shape, agrees with the request schema, and follows the
//! date rules of a simple model.

use chrono::{Months, TimeDelta};
use http::StatusCode;
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::support::*;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A member value: usually plausible, sometimes of the wrong type or absent.
fn member(plausible: BoxedStrategy<Value>) -> BoxedStrategy<Option<Value>> {
    prop_oneof![
        6 => plausible.prop_map(Some),
        1 => Just(None),
        1 => prop_oneof![
            Just(Value::Null),
            Just(json!(true)),
            Just(json!(3.5)),
            Just(json!([])),
            Just(json!({})),
            "[a-z0-9 -]{0,12}".prop_map(Value::from),
        ].prop_map(Some),
    ]
    .boxed()
}

fn date_around_today() -> BoxedStrategy<Value> {
    prop_oneof![
        8 => (-120i64..5).prop_map(|offset| json!((today() + TimeDelta::days(offset)).to_string())),
        1 => "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}".prop_map(Value::from),
    ]
    .boxed()
}

fn body() -> impl Strategy<Value = Value> {
    let operator = prop_oneof![
        Just(json!(SEED_OPERATOR)),
        Just(json!(EMPTY_OPERATOR)),
        Just(json!(OTHER_OPERATOR)),
        (0u64..100_000).prop_map(Value::from),
        Just(json!(-5)),
    ]
    .boxed();
    let format = prop_oneof![
        Just(json!("CSV")),
        Just(json!("JSON")),
        Just(json!("PDF")),
        Just(json!("json"))
    ]
    .boxed();
    let fields = proptest::collection::vec(
        prop_oneof![
            Just("LPN"),
            Just("EMAIL"),
            Just("CURRENCY"),
            Just("lpn"),
            Just("NOPE")
        ],
        0..4,
    )
    .prop_map(|names| json!(names))
    .boxed();
    (
        member(operator),
        member(format),
        member(date_around_today()),
        member(date_around_today()),
        member(fields),
    )
        .prop_map(|(operator, format, start, end, fields)| {
            let mut body = serde_json::Map::new();
            for (name, value) in [
                ("operatorId", operator),
                ("reportFormat", format),
                ("startDate", start),
                ("endDate", end),
                ("additionalFields", fields),
            ] {
                if let Some(value) = value {
                    body.insert(name.into(), value);
                }
            }
            Value::Object(body)
        })
}

/// What the model says about dates that have the right shape.
fn dates_acceptable(body: &Value) -> bool {
    let date = |name: &str| {
        body[name]
            .as_str()
            .and_then(|s| s.parse::<chrono::NaiveDate>().ok())
    };
    let (Some(start), Some(end)) = (date("startDate"), date("endDate")) else {
        return false;
    };
    let earliest = today() - Months::new(3);
    start <= end && end <= today() && start >= earliest
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn generate_answers_202_400_or_403_and_agrees_with_the_schema(body in body()) {
        let rt = runtime();
        rt.block_on(async {
            let app = App::with(parkbench_ofr::Config { rate_limit: None, ..Default::default() });
            let token = app.token(TEST_CLIENT).await;
            // `send` validates the answer against its schema, whatever it is.
            let reply = app.post("/report/generate", Some(&token), &body).await;
            let schema_ok = SCHEMAS.validate("report_generate_request", &body).is_ok();
            match reply.status {
                StatusCode::ACCEPTED => {
                    prop_assert!(schema_ok, "accepted a body the schema refuses: {body}");
                    prop_assert!(dates_acceptable(&body), "accepted dates the model refuses: {body}");
                    let entitled = [SEED_OPERATOR, EMPTY_OPERATOR].map(Value::from).contains(&body["operatorId"]);
                    prop_assert!(entitled);
                }
                StatusCode::FORBIDDEN => {
                    prop_assert!(schema_ok && dates_acceptable(&body), "403 only for valid requests: {body}");
                }
                StatusCode::BAD_REQUEST => {
                    prop_assert!(!schema_ok || !dates_acceptable(&body), "refused a valid request: {body}: {}", reply.text());
                }
                other => prop_assert!(false, "unexpected {other} for {body}"),
            }
            Ok(())
        })?;
    }
}
