//! Overdue violations sent to collections (seed 004, Pull API: Overdue Violations), driven by
//! the virtual clock.

use chrono::TimeDelta;
use parkbench_kit::{ClockStart, ServiceOptions};
use parkbench_opscom::Config;
use serde_json::{Value, json};

use crate::helpers::*;

async fn send(app: &TestApp, client: &str, token: &str) -> Value {
    let request = json!({"apiToken": token});
    SCHEMAS.assert_valid("send_overdue_to_collections_request", &request);
    app.call(client, "violations/send_overdue_to_collections", request)
        .await
        .ok()
}

fn ids(body: &Value) -> Vec<u64> {
    body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ViolationID"].as_u64().unwrap())
        .collect()
}

fn stamp(days: i64) -> String {
    (t0() + TimeDelta::days(days))
        .format("%Y-%m-%dT%H:%M:%S.000000Z")
        .to_string()
}

#[tokio::test]
async fn overdue_violations_are_sent_once_and_the_clock_makes_more_overdue() {
    let app = TestApp::new();
    let first = send(&app, "OC_TOMA", FULL).await;
    assert_eq!(
        ids(&first),
        [9, 10, 11],
        "three overdue at start-up; 15 is spoiled"
    );
    let again = send(&app, "OC_TOMA", FULL).await;
    assert_eq!(
        again["records"],
        json!([]),
        "a second call gets nothing it got before"
    );
    assert_eq!(again["state"], first["state"]);

    app.advance_days(30);
    assert_eq!(
        ids(&send(&app, "OC-TOMA", FULL).await),
        [12, 13, 14],
        "three more fall due within 30 days"
    );
    assert_eq!(ids(&send(&app, "OC-TOMA", FULL).await), Vec::<u64>::new());
    app.advance_days(31);
    assert_eq!(ids(&send(&app, "OC-TOMA", FULL).await), [16]);
    app.advance_days(3650);
    assert_eq!(
        ids(&send(&app, "OC-TOMA", FULL).await),
        Vec::<u64>::new(),
        "spoiled violations are never sent"
    );
}

#[tokio::test]
async fn a_violation_due_exactly_now_is_not_yet_overdue() {
    let app = TestApp::new();
    send(&app, "OC_TOMA", FULL).await;
    app.advance_days(5);
    assert_eq!(
        ids(&send(&app, "OC_TOMA", FULL).await),
        Vec::<u64>::new(),
        "12 is due at this very instant"
    );
    app.service.clock().advance(TimeDelta::seconds(1));
    assert_eq!(ids(&send(&app, "OC_TOMA", FULL).await), [12]);
}

#[tokio::test]
async fn the_first_record_has_the_seed_samples_nested_shape_and_values() {
    let app = TestApp::new();
    let body = send(&app, "OC_TOMA", FULL).await;
    let record = &body["records"][0];
    assert_eq!(record["Ticket"], "1-100013");
    assert_eq!(record["Issued"], stamp(-30));
    assert_eq!(record["Due"], stamp(-10));
    assert_eq!(record["Created"], stamp(-30));
    assert_eq!(
        record["SentToCollections"],
        Value::Null,
        "the record as it was when selected"
    );
    assert_eq!(record["Fine"], json!(50));
    assert_eq!(record["taxAmount"], "0.0000");
    assert_eq!(record["user"], Value::Null);
    let vehicle = &record["vehicle"];
    assert_eq!(vehicle["Plate"], "AJNR123");
    assert_eq!(vehicle["make"]["MakeName"], "Chevrolet");
    assert_eq!(vehicle["colour"]["ColourName"], "Red");
    assert_eq!(vehicle["vehicle_type"]["TypeName"], "Compact");
    assert_eq!(vehicle["plate_type"]["typeCode"], "passenger");
    assert_eq!(vehicle["province"]["ProvCode"], "ON");
    let driver = &vehicle["drivers"][0];
    assert_eq!(driver["UserID"], 73);
    assert_eq!(driver["laravel_through_key"], 8);
    assert_eq!(driver["loginSource"], "OPSCOM");
    assert_eq!(
        record["location"]["LocationName"],
        "Downtown Business District"
    );
    let detail = &record["details"][0];
    assert_eq!(
        (detail["ViolationID"].clone(), detail["Ticket"].clone()),
        (json!(9), json!("1-100013"))
    );
    assert_eq!(detail["type"]["ViolationDescr"], "Parked in Loading Zone");
    assert_eq!(detail["type"]["discountFlag"], true);
    assert_eq!(detail["discountFlag"], 1);
    let attachment = &record["attachments"][1];
    let day = (t0() - TimeDelta::days(30)).format("%Y/%m/%d").to_string();
    assert_eq!(
        attachment["storageLocation"],
        format!("oc_tomahawk/VIOLATIONS/{day}/index-b11529e8.png")
    );
    assert_eq!(
        (
            attachment["relatedID"].clone(),
            attachment["relatedNote"].clone()
        ),
        (json!(9), json!("1-100013"))
    );
    assert_eq!(record["category"]["TicketTypeName"], "Municipal");
    assert_eq!(body["state"]["version"], "2022.5.hawksbill.0-rc");
    assert_eq!(body["state"]["csrf_token"].as_str().unwrap().len(), 40);
}

#[tokio::test]
async fn each_customer_sends_only_its_own_violations() {
    let app = TestApp::new();
    assert_eq!(ids(&send(&app, "PARKCO", PARKCO).await), [900]);
    assert_eq!(ids(&send(&app, "OC_TOMA", FULL).await), [9, 10, 11]);
    assert_eq!(ids(&send(&app, "PARKCO", PARKCO).await), Vec::<u64>::new());
}

#[tokio::test]
async fn the_read_only_token_may_not_send_violations() {
    let app = TestApp::new();
    let reply = app
        .call(
            "OC_TOMA",
            "violations/send_overdue_to_collections",
            json!({"apiToken": READ_ONLY}),
        )
        .await;
    reply.error(9002);
    assert_eq!(
        ids(&send(&app, "OC_TOMA", FULL).await),
        [9, 10, 11],
        "nothing was marked"
    );
}

/// The fixture contract holds whatever day it is: dates follow the clock at start-up.
#[tokio::test]
async fn with_a_real_clock_three_are_overdue_at_start_up_and_more_within_30_days() {
    let options = ServiceOptions {
        clock: ClockStart::Real,
        ..ServiceOptions::default()
    };
    let app = TestApp::with_options(Config::default(), &options);
    assert_eq!(ids(&send(&app, "OC_TOMA", FULL).await).len(), 3);
    app.advance_days(30);
    assert!(ids(&send(&app, "OC_TOMA", FULL).await).len() >= 2);
}
