//! Permits push, update, delete and stats (seeds 004 and 002).

use rstest::rstest;
use serde_json::{Value, json};

use crate::helpers::*;

/// The demo customer's stats straight from the fixtures.
const FIXTURE_STATS: [(&str, &str, u64); 7] = [
    ("standard", "Lot 01", 1),
    ("temp", "Lot 01", 2),
    ("temp", "Lot 02", 1),
    ("temp", "Lot 4", 1),
    ("standard", "zone1", 2),
    ("temp", "zone1", 3),
    ("validator", "zone1", 1),
];

async fn stats(app: &TestApp, zones: Option<&str>) -> Value {
    let mut body = json!({"apiToken": READ_ONLY});
    if let Some(zones) = zones {
        body["zones"] = json!(zones);
    }
    app.call("OC-TOMA", "permits/stats", body).await.ok()
}

#[tokio::test]
async fn stats_count_the_fixture_permits_by_type_and_zone_with_totals_as_strings() {
    let app = TestApp::new();
    let body = stats(&app, None).await;
    let expected: Vec<_> = FIXTURE_STATS
        .iter()
        .map(|(t, z, n)| (t.to_string(), z.to_string(), *n))
        .collect();
    assert_eq!(stats_rows(&body), expected);
    assert_eq!(body["data"][0]["total"], json!("1"));
}

#[rstest]
#[case("Lot 01,Lot 02", &[("standard", "Lot 01"), ("temp", "Lot 01"), ("temp", "Lot 02")])]
#[case("zone1", &[("standard", "zone1"), ("temp", "zone1"), ("validator", "zone1")])]
#[case(" lot 4 , ,ZONE1 ", &[("temp", "Lot 4"), ("standard", "zone1"), ("temp", "zone1"), ("validator", "zone1")])]
#[case("Lot 03", &[])]
#[case("", &[("standard", "Lot 01"), ("temp", "Lot 01"), ("temp", "Lot 02"), ("temp", "Lot 4"), ("standard", "zone1"), ("temp", "zone1"), ("validator", "zone1")])]
#[tokio::test]
async fn stats_filter_by_comma_delimited_zones(
    #[case] zones: &str,
    #[case] expected: &[(&str, &str)],
) {
    let app = TestApp::new();
    let body = stats(&app, Some(zones)).await;
    let got: Vec<(String, String)> = stats_rows(&body)
        .into_iter()
        .map(|(t, z, _)| (t, z))
        .collect();
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(t, z)| (t.to_string(), z.to_string()))
        .collect();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn stats_refuse_an_unknown_zone() {
    let app = TestApp::new();
    let reply = app
        .call(
            "OC-TOMA",
            "permits/stats",
            json!({"apiToken": READ_ONLY, "zones": "Lot 01,Blue Lot"}),
        )
        .await;
    reply.error(9033);
}

#[tokio::test]
async fn the_seed_push_example_is_stored_and_counted() {
    let app = TestApp::new();
    let request = seed_permit_push();
    SCHEMAS.assert_valid("permit_push_request", &request);
    let body = app.call("OC-TOMA", "permits/push", request).await.ok();
    let reference_id = body["reference_id"].as_str().unwrap();
    assert_eq!(body["InternalReferenceID"], body["reference_id"]);
    assert_eq!(body["status"], "success");
    let uuid = uuid::Uuid::parse_str(reference_id).unwrap();
    assert_eq!(uuid.get_version_num(), 4);
    assert_eq!(total(&stats(&app, None).await, "temp", "Lot 4"), 2);
}

#[rstest]
#[case::documented_names(json!({"Amount": "5.00", "CurrencyID": "USD", "LicencePlate": "A1", "ParkingZoneName": "Lot 02", "TicketNumber": "T-1", "StartDateUtc": "2026-01-01T08:00:00", "EndDateUtc": "2026-01-01T10:00:00"}))]
#[case::first_names(json!({"amount": "5.00", "currency": "usd", "plate": "A1", "zone": "lot 02", "permitNo": "T-1", "startTime": "2026-01-01T08:00:00", "endTime": "2026-01-01T10:00:00"}))]
#[case::integers_and_blanks(json!({"amount": "5.00", "plate": 12345, "zone": "  Lot 02 ", "permitNo": 77, "startTime": "2026-01-01T08:00:00", "endTime": "2026-01-01T10:00:00"}))]
#[tokio::test]
async fn every_alias_of_every_push_attribute_is_read(#[case] body: Value) {
    let app = TestApp::new();
    app.demo("permits/push", body).await.ok();
    assert_eq!(
        total(&stats(&app, Some("Lot 02")).await, "temp", "Lot 02"),
        2
    );
}

#[tokio::test]
async fn when_two_names_of_one_attribute_are_sent_the_first_listed_wins() {
    let app = TestApp::new();
    // `amount` is listed before `Amount`: "abc" would be refused, so it must be ignored.
    let body = json!({"amount": "5.00", "Amount": "abc", "plate": "A1", "LicencePlate": "B2",
        "zone": "Lot 02", "ParkingZoneName": "Nowhere", "startTime": "2026-01-01T08:00:00",
        "StartDateUtc": "bad", "endTime": "2026-01-03T08:00:00", "EndDateUtc": "bad"});
    app.demo("permits/push", body).await.ok();
    let after = stats(&app, Some("Lot 02")).await;
    assert_eq!(
        total(&after, "standard", "Lot 02"),
        1,
        "48 hours: standard, in Lot 02"
    );
}

#[rstest]
#[case::no_amount_is_a_validator(None, "2026-01-01T10:00:00", "validator")]
#[case::a_day_or_less_is_temp(Some("2.00"), "2026-01-02T08:00:00", "temp")]
#[case::longer_is_standard(Some("2.00"), "2026-01-02T08:00:01", "standard")]
#[tokio::test]
async fn a_pushed_permit_gets_its_type_from_amount_and_duration(
    #[case] amount: Option<&str>,
    #[case] end: &str,
    #[case] kind: &str,
) {
    let app = TestApp::new();
    let mut body = json!({"plate": "A1", "zone": "Lot 03", "startTime": "2026-01-01T08:00:00", "endTime": end});
    if let Some(amount) = amount {
        body["amount"] = json!(amount);
    }
    app.demo("permits/push", body).await.ok();
    assert_eq!(
        stats_rows(&stats(&app, Some("Lot 03")).await),
        vec![(kind.to_owned(), "Lot 03".to_owned(), 1)]
    );
}

#[rstest]
#[case::unknown_zone(Some("Overflow Field"))]
#[case::no_zone(None)]
#[tokio::test]
async fn a_permit_outside_every_zone_is_stored_but_counted_nowhere(#[case] zone: Option<&str>) {
    let app = TestApp::new();
    let mut body = json!({"amount": "3.00", "plate": "A1", "startTime": "2026-01-01T08:00:00", "endTime": "2026-01-01T09:00:00"});
    if let Some(zone) = zone {
        body["zone"] = json!(zone);
    }
    let before = stats(&app, None).await;
    let pushed = app.demo("permits/push", body).await.ok();
    assert_eq!(stats(&app, None).await, before);
    let update = json!({"referenceID": pushed["reference_id"], "endTime": "2026-01-03T09:00:00"});
    app.demo("permits/update", update).await.ok();
    let delete = json!({"referenceID": pushed["reference_id"]});
    app.demo("permits/delete", delete).await.ok();
}

#[rstest]
#[case("referenceid")]
#[case("referenceID")]
#[case("reference_id")]
#[tokio::test]
async fn update_and_delete_find_a_permit_under_every_reference_id_name(#[case] name: &str) {
    let app = TestApp::new();
    let pushed = app.demo("permits/push", seed_permit_push()).await.ok();
    let id = pushed["reference_id"].as_str().unwrap().to_owned();

    let update = json!({name: id.to_uppercase(), "plate": "NEWPL8", "Amount": "20.00", "currency": "USD", "endTime": "2018-07-04T09:30:00"});
    SCHEMAS.assert_valid(
        "permit_update_request",
        &json!({"apiToken": FULL, name: id, "plate": "NEWPL8"}),
    );
    let updated = app.demo("permits/update", update).await.ok();
    assert_eq!(
        updated["reference_id"],
        json!(id),
        "the same reference id is returned"
    );
    assert_eq!(updated["InternalReferenceID"], json!(id));
    let after = stats(&app, Some("Lot 4")).await;
    assert_eq!(
        (
            total(&after, "temp", "Lot 4"),
            total(&after, "standard", "Lot 4")
        ),
        (1, 1),
        "now longer than a day"
    );

    let deleted = app.demo("permits/delete", json!({name: id})).await.ok();
    assert_eq!(deleted["reference_id"], json!(id));
    assert_eq!(
        total(&stats(&app, Some("Lot 4")).await, "standard", "Lot 4"),
        0
    );
    app.demo("permits/update", json!({name: id, "plate": "X"}))
        .await
        .error(9009);
    app.demo("permits/delete", json!({name: id}))
        .await
        .error(9009);
}

#[tokio::test]
async fn the_seed_update_example_changes_a_fixture_permit() {
    let app = TestApp::new();
    let body = json!({"apiToken": FULL, "referenceID": "1a9b5375-cb75-4c71-9939-eeae550b09ac", "plate": "PL8RDR",
        "Amount": "14.50", "currency": "CAD", "endTime": "2026-01-05T12:30:00"});
    SCHEMAS.assert_valid("permit_update_request", &body);
    let reply = app.call("OC-TOMA", "permits/update", body).await.ok();
    assert_eq!(
        reply["reference_id"],
        "1a9b5375-cb75-4c71-9939-eeae550b09ac"
    );
}

#[tokio::test]
async fn an_update_without_changes_answers_the_same_permit_and_keeps_its_counts() {
    let app = TestApp::new();
    let before = stats(&app, None).await;
    let body = json!({"reference_id": "b8a1abcd-1a69-46c7-8da4-f9fc3c6da5d7"});
    app.demo("permits/update", body).await.ok();
    assert_eq!(stats(&app, None).await, before);
}

#[tokio::test]
async fn a_ticket_number_already_live_is_a_duplicate_until_that_permit_is_deleted() {
    let app = TestApp::new();
    let first = app.demo("permits/push", seed_permit_push()).await.ok();
    let mut again = seed_permit_push();
    again["permitNo"] = json!("l4-1138");
    app.call("OC-TOMA", "permits/push", again.clone())
        .await
        .error(9022);
    app.demo(
        "permits/delete",
        json!({"referenceID": first["reference_id"]}),
    )
    .await
    .ok();
    app.call("OC-TOMA", "permits/push", again).await.ok();
}

#[tokio::test]
async fn customers_see_only_their_own_permits() {
    let app = TestApp::new();
    let parkco = app
        .call("PARKCO", "permits/stats", json!({"apiToken": PARKCO}))
        .await
        .ok();
    assert_eq!(
        stats_rows(&parkco),
        vec![("temp".into(), "Main Street".into(), 1)]
    );
    // A demo permit's reference id is unknown to PARKCO.
    let body = json!({"apiToken": PARKCO, "referenceID": "1a9b5375-cb75-4c71-9939-eeae550b09ac"});
    app.call("PARKCO", "permits/delete", body).await.error(9009);
    let body = json!({"apiToken": PARKCO, "referenceID": "d93936e1-daca-4c06-b5ff-0c03bb5d7385"});
    app.call("OC_TOMA", "permits/delete", body)
        .await
        .error(9002);
}

fn push_with(field: &str, value: Value) -> Value {
    let mut body = seed_permit_push();
    body.as_object_mut().unwrap().remove(match field {
        "amount" => "Amount",
        "currency" => "CurrencyID",
        "plate" => "LicencePlate",
        other => other,
    });
    if !value.is_null() {
        body[field] = value;
    }
    body
}

#[rstest]
#[case::amount_too_long("amount", json!("1000000.00"), 9030)]
#[case::amount_one_decimal("amount", json!("14.5"), 9033)]
#[case::amount_no_decimals("amount", json!("14"), 9033)]
#[case::amount_zero("amount", json!("0.00"), 9033)]
#[case::amount_negative("amount", json!("-1.00"), 9033)]
#[case::amount_number("amount", json!(14.5), 9033)]
#[case::currency_too_long("currency", json!("CANADIAN DOLLARS"), 9030)]
#[case::currency_unknown("currency", json!("EUR"), 9033)]
#[case::start_missing("startTime", Value::Null, 9031)]
#[case::start_with_space("startTime", json!("2018-07-02 09:00:00"), 9007)]
#[case::start_with_zone("startTime", json!("2018-07-02T09:00:00Z"), 9007)]
#[case::start_not_a_date("startTime", json!("2018-02-30T09:00:00"), 9007)]
#[case::start_number("startTime", json!(20180702), 9007)]
#[case::start_object("startTime", json!({"date": "2018-07-02"}), 9007)]
#[case::end_missing("endTime", Value::Null, 9004)]
#[case::end_blank("endTime", json!("  "), 9004)]
#[case::end_bad("endTime", json!("07/02/2018 09:30"), 9005)]
#[case::end_before_start("endTime", json!("2018-07-02T08:59:59"), 9005)]
#[case::end_equal_start("endTime", json!("2018-07-02T09:00:00"), 9005)]
#[case::plate_missing("plate", Value::Null, 9006)]
#[case::plate_empty("plate", json!(""), 9006)]
#[case::plate_too_long("plate", json!("P".repeat(26)), 9030)]
#[case::plate_bool("plate", json!(true), 9033)]
#[case::ticket_too_long("permitNo", json!("T".repeat(51)), 9030)]
#[case::zone_too_long("zone", json!("Z".repeat(201)), 9030)]
#[tokio::test]
async fn push_refuses_each_documented_limit(
    #[case] field: &str,
    #[case] value: Value,
    #[case] code: u16,
) {
    let app = TestApp::new();
    app.call("OC-TOMA", "permits/push", push_with(field, value))
        .await
        .error(code);
    let body = stats(&app, None).await;
    assert_eq!(
        total(&body, "temp", "Lot 4"),
        1,
        "a refused push stores nothing"
    );
}

#[tokio::test]
async fn push_checks_attributes_in_the_seed_tables_order() {
    let app = TestApp::new();
    let body = json!({"apiToken": FULL, "Amount": "bad", "endTime": "bad"});
    app.call("OC-TOMA", "permits/push", body).await.error(9033);
    let body = json!({"apiToken": FULL, "endTime": "bad"});
    app.call("OC-TOMA", "permits/push", body).await.error(9031);
    let body = json!({"apiToken": FULL, "startTime": "2018-07-02T09:00:00"});
    app.call("OC-TOMA", "permits/push", body).await.error(9004);
    let body = json!({"apiToken": FULL, "startTime": "2018-07-02T09:00:00", "endTime": "2018-07-02T10:00:00"});
    app.call("OC-TOMA", "permits/push", body).await.error(9006);
}

#[rstest]
#[case::no_reference(json!({"plate": "X"}), 9008)]
#[case::blank_reference(json!({"referenceID": " "}), 9008)]
#[case::reference_too_long(json!({"referenceID": "r".repeat(51)}), 9030)]
#[case::unknown_reference(json!({"referenceID": "00000000-0000-4000-8000-000000000000"}), 9009)]
#[case::bad_end(json!({"referenceID": "1a9b5375-cb75-4c71-9939-eeae550b09ac", "endTime": "tomorrow"}), 9005)]
#[case::end_before_start(json!({"referenceID": "1a9b5375-cb75-4c71-9939-eeae550b09ac", "endTime": "2026-01-05T08:00:00"}), 9005)]
#[case::plate_too_long(json!({"referenceID": "1a9b5375-cb75-4c71-9939-eeae550b09ac", "plate": "P".repeat(26)}), 9030)]
#[case::bad_amount(json!({"referenceID": "1a9b5375-cb75-4c71-9939-eeae550b09ac", "Amount": "1.5"}), 9033)]
#[case::bad_currency(json!({"referenceID": "1a9b5375-cb75-4c71-9939-eeae550b09ac", "currency": "GBP"}), 9033)]
#[tokio::test]
async fn update_refuses_each_documented_limit(#[case] body: Value, #[case] code: u16) {
    TestApp::new()
        .demo("permits/update", body)
        .await
        .error(code);
}

#[rstest]
#[case::no_reference(json!({}), 9008)]
#[case::reference_too_long(json!({"reference_id": "r".repeat(51)}), 9030)]
#[case::unknown_reference(json!({"reference_id": "nope"}), 9009)]
#[case::reference_not_text(json!({"reference_id": [1]}), 9033)]
#[tokio::test]
async fn delete_refuses_each_documented_limit(#[case] body: Value, #[case] code: u16) {
    TestApp::new()
        .demo("permits/delete", body)
        .await
        .error(code);
}
