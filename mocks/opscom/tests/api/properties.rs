//! Whatever a client sends, the mock answers with a documented body and never a 5xx.

use http::Method;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use serde_json::{Map, Value, json};

use crate::helpers::*;

/// Names the endpoints read, so generated bodies reach the attribute checks.
const NAMES: &[&str] = &[
    "apiToken",
    "zones",
    "amount",
    "Amount",
    "currency",
    "CurrencyID",
    "startTime",
    "StartDateUtc",
    "endTime",
    "EndDateUtc",
    "plate",
    "LicencePlate",
    "permitNo",
    "TicketNumber",
    "zone",
    "ParkingZoneName",
    "referenceid",
    "referenceID",
    "reference_id",
    "plateTypeID",
    "plateType",
    "provID",
    "prov",
    "makeID",
    "make",
    "typeID",
    "type",
    "colourID",
    "colour",
    "year",
    "vin",
    "unique_id",
    "login_source",
    "first_name",
    "last_name",
    "user_name",
    "email",
    "street",
    "city",
    "province",
    "state",
    "postal_code",
    "zip",
    "street2",
    "city2",
    "province2",
    "state2",
    "postal_code2",
    "zip2",
    "phone_cell",
    "user_type_id",
    "employ_no",
    "employee_phone",
    "student_no",
    "student_phone",
    "driver_licence_num",
    "driver_license_num",
    "date_of_birth",
    "locker_user_type_id",
    "driver_licence_prov",
    "driver_license_state",
];

/// Values near the edges of what the endpoints accept, plus anything at all.
fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,60}".prop_map(Value::from),
        "[0-9]{1,7}\\.[0-9]{1,3}".prop_map(Value::from),
        "(19|20)[0-9]{2}-[01][0-9]-[0-3][0-9](T[0-2][0-9]:[0-5][0-9]:[0-5][0-9])?"
            .prop_map(Value::from),
        prop::sample::select(vec![
            "Lot 01",
            "zone1",
            "CAD",
            "USD",
            "OPSCOM",
            "Motorcycle",
            "MA",
            "ON",
            "bc",
            "4",
            "9",
            "2011",
            "1a9b5375-cb75-4c71-9939-eeae550b09ac",
            "test@test.com",
            "AJNR123",
        ])
        .prop_map(Value::from),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn body() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        prop::sample::select(NAMES.to_vec()).prop_map(str::to_owned),
        "\\PC{0,12}"
    ];
    let token = prop::sample::select(vec![Some(FULL), Some(READ_ONLY), Some(PARKCO), None]);
    (prop::collection::btree_map(key, value(), 0..12), token).prop_map(|(fields, token)| {
        let mut map: Map<String, Value> = fields.into_iter().collect();
        if let Some(token) = token {
            map.insert("apiToken".into(), json!(token));
        }
        Value::Object(map)
    })
}

fn runner() -> TestRunner {
    TestRunner::new(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })
}

#[test]
fn arbitrary_json_objects_get_a_documented_answer_on_every_endpoint() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = TestApp::new();
    let operation = prop::sample::select(OPERATIONS.to_vec());
    let client = prop::sample::select(vec!["OC-TOMA", "OC_TOMA", "PARKCO"]);
    runner()
        .run(&(operation, client, body()), |(operation, client, body)| {
            // Reply::read fails on a 5xx, on a body that is not JSON and on a schema violation.
            let reply = runtime.block_on(app.call(client, operation, body));
            prop_assert!(reply.status.is_success() || reply.code().is_some());
            Ok(())
        })
        .unwrap();
}

#[test]
fn arbitrary_bytes_get_a_documented_answer() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = TestApp::new();
    let operation = prop::sample::select(OPERATIONS.to_vec());
    let bytes = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        "\\PC{0,200}".prop_map(String::into_bytes),
    ];
    runner()
        .run(&(operation, bytes), |(operation, bytes)| {
            let path = format!("/api/OC-TOMA/v1/{operation}");
            let reply = runtime.block_on(app.send(
                Method::POST,
                &path,
                Some("application/json"),
                bytes,
                operation,
            ));
            prop_assert!(reply.status.is_success() || reply.code().is_some());
            Ok(())
        })
        .unwrap();
}
