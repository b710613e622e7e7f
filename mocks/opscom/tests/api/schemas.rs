//! The schemas are a contract only if they are strict: a dropped field or a wrong type in any
//! answer must fail them. Also pins the documented HTTP status of every error code.

use http::StatusCode;
use parkbench_opscom::error::Code;
use rstest::rstest;
use serde_json::{Value, json};

use crate::helpers::*;

/// Every path to a value inside `value`, as JSON pointers.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let here = format!("{at}/{k}");
                out.push(here.clone());
                pointers(v, here, out);
            }
        }
        Value::Array(items) => {
            // The first item stands for all: the schemas describe items alike.
            if let Some(first) = items.first() {
                pointers(first, format!("{at}/0"), out);
            }
        }
        _ => {}
    }
}

fn without(value: &Value, pointer: &str) -> Value {
    let mut copy = value.clone();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    match copy.pointer_mut(parent).unwrap() {
        Value::Object(map) => {
            map.remove(key);
        }
        Value::Array(items) => {
            items.remove(key.parse().unwrap());
        }
        _ => unreachable!(),
    }
    copy
}

/// A value of another JSON type.
fn retyped(value: &Value) -> Value {
    match value {
        Value::String(_) => json!(12),
        Value::Array(_) => json!("text"),
        Value::Null => json!({"text": 1}),
        _ => json!([]),
    }
}

async fn answers(app: &TestApp) -> Vec<(&'static str, Value)> {
    vec![
        ("permit_push_response", app.demo("permits/push", seed_permit_push()).await.ok()),
        ("permit_stats_response", app.demo("permits/stats", json!({})).await.ok()),
        ("vehicle_push_response", app.demo("vehicles/push", json!({"plate": "S1", "plateTypeID": "4", "provID": "9", "colour": "c".repeat(60)})).await.ok()),
        ("user_types_list_response", app.demo("profiles/types/list", json!({})).await.ok()),
        ("profile_push_response", app.demo("profiles/push", json!({"unique_id": "s", "login_source": "OPSCOM", "first_name": "S", "last_name": "T", "email": "s@example.com"})).await.ok()),
        ("send_overdue_to_collections_response", app.demo("violations/send_overdue_to_collections", json!({})).await.ok()),
        ("error", app.demo("permits/delete", json!({})).await.json),
    ]
}

#[tokio::test]
async fn every_field_of_every_answer_is_required_and_typed() {
    let app = TestApp::new();
    let mut checked = 0;
    for (schema, answer) in answers(&app).await {
        let mut all = Vec::new();
        pointers(&answer, String::new(), &mut all);
        for pointer in all {
            let dropped = without(&answer, &pointer);
            let value = answer.pointer(&pointer).unwrap();
            // An array losing its only item is still a valid (empty) array.
            let parent_is_array = pointer.rsplit_once('/').unwrap().1.parse::<usize>().is_ok();
            if !parent_is_array {
                assert!(
                    SCHEMAS.validate(schema, &dropped).is_err(),
                    "{schema}: dropping {pointer} goes unnoticed"
                );
            }
            let mut wrong = answer.clone();
            *wrong.pointer_mut(&pointer).unwrap() = retyped(value);
            assert!(
                SCHEMAS.validate(schema, &wrong).is_err(),
                "{schema}: retyping {pointer} goes unnoticed"
            );
            checked += 1;
        }
        let mut extra = answer.clone();
        extra["unexpected"] = json!(1);
        assert!(
            SCHEMAS.validate(schema, &extra).is_err(),
            "{schema}: an extra field goes unnoticed"
        );
    }
    assert!(
        checked > 200,
        "the violation record alone has some two hundred fields: {checked}"
    );
}

#[test]
fn an_error_code_must_come_with_its_own_text() {
    SCHEMAS.assert_valid(
        "error",
        &json!({"ErrorCode": 9001, "ErrorMessage": "API Token is missing from the request."}),
    );
    let swapped = json!({"ErrorCode": 9001, "ErrorMessage": "Record not found."});
    assert!(SCHEMAS.validate("error", &swapped).is_err());
    assert!(
        SCHEMAS
            .validate("error", &json!({"ErrorCode": 9023, "ErrorMessage": "x"}))
            .is_err()
    );
}

/// The README's table of statuses, written out.
#[rstest]
#[case(9000, 400)]
#[case(9001, 401)]
#[case(9002, 403)]
#[case(9003, 400)]
#[case(9004, 400)]
#[case(9005, 400)]
#[case(9006, 400)]
#[case(9007, 400)]
#[case(9008, 400)]
#[case(9009, 404)]
#[case(9010, 400)]
#[case(9011, 400)]
#[case(9012, 409)]
#[case(9013, 400)]
#[case(9014, 400)]
#[case(9015, 400)]
#[case(9016, 400)]
#[case(9017, 400)]
#[case(9018, 400)]
#[case(9019, 409)]
#[case(9020, 409)]
#[case(9021, 400)]
#[case(9022, 409)]
#[case(9030, 400)]
#[case(9031, 400)]
#[case(9032, 400)]
#[case(9033, 400)]
fn every_code_has_its_documented_status(#[case] code: u16, #[case] status: u16) {
    let code = Code::from_number(code).unwrap();
    assert_eq!(code.status(), StatusCode::from_u16(status).unwrap());
    let body = json!({"ErrorCode": code.number(), "ErrorMessage": code.message()});
    SCHEMAS.assert_valid("error", &body);
}
