//! Vehicles push (seed 004, Push API: Vehicle Create).

use rstest::rstest;
use serde_json::{Value, json};

use crate::helpers::*;

/// The seed's raw request example.
fn seed_vehicle() -> Value {
    json!({"apiToken": FULL, "plate": "PL8RDR", "plateType": "Motorcycle", "prov": "MA", "make": "8",
        "type": "3", "colour": "red", "year": "2011", "vin": "8GKS1AKC7FR518845"})
}

#[tokio::test]
async fn the_seed_examples_create_vehicles_with_the_vendors_spelling_of_the_id() {
    let app = TestApp::new();
    let raw = seed_vehicle();
    SCHEMAS.assert_valid("vehicle_push_request", &raw);
    let body = app.call("OC_TOMA", "vehicles/push", raw).await.ok();
    assert_eq!(
        body,
        json!({"status": "success", "vehicle_id_id": "13", "warnings": []})
    );

    let mut javascript = seed_vehicle();
    javascript["plate"] = json!("PL8RDR2");
    javascript["make"] = json!("kia");
    javascript["type"] = json!("commercial");
    javascript["year"] = json!("2021");
    SCHEMAS.assert_valid("vehicle_push_request", &javascript);
    let body = app.call("OC_TOMA", "vehicles/push", javascript).await.ok();
    assert_eq!(body["vehicle_id_id"], "14");
}

#[tokio::test]
async fn ids_and_integers_are_accepted_for_every_lookup() {
    let app = TestApp::new();
    let body = json!({"plate": "ID-1", "plateTypeID": 4, "provID": "9", "makeID": "13", "typeID": 5, "colourID": 14, "year": 2006});
    app.demo("vehicles/push", body).await.ok();
}

#[rstest]
#[case::colour(
    "colour",
    "The vehicle colour name was too long and has been truncated."
)]
#[case::make("make", "The vehicle make name was too long and has been truncated.")]
#[case::vehicle_type("type", "The vehicle type name was too long and has been truncated.")]
#[tokio::test]
async fn an_over_long_name_is_truncated_with_a_warning(#[case] field: &str, #[case] warning: &str) {
    let app = TestApp::new();
    let long = "Metallic Midnight Blue With A Very Long Marketing Name".repeat(2);
    let body = json!({"plate": "LONG1", "plateType": "passenger", "prov": "Ontario", field: long});
    let answer = app.demo("vehicles/push", body).await.ok();
    assert_eq!(answer["warnings"], json!([warning]));
    // The truncated name is now on file: the same long name matches it without a new entry.
    let body = json!({"plate": "LONG2", "plateType": "passenger", "prov": "Ontario", field: long});
    let again = app.demo("vehicles/push", body).await.ok();
    assert_eq!(again["warnings"], json!([warning]));
}

#[tokio::test]
async fn warnings_come_in_the_seed_tables_order() {
    let app = TestApp::new();
    let long = "x".repeat(60);
    let body = json!({"plate": "W1", "plateTypeID": "4", "provID": "9", "colour": long, "make": long, "type": long});
    let answer = app.demo("vehicles/push", body).await.ok();
    assert_eq!(
        answer["warnings"],
        json!([
            "The vehicle make name was too long and has been truncated.",
            "The vehicle type name was too long and has been truncated.",
            "The vehicle colour name was too long and has been truncated."
        ])
    );
}

#[rstest]
#[case::same("AJNR123")]
#[case::lower_case("ajnr123")]
#[case::with_blanks_and_dashes("AJ-NR 123")]
#[tokio::test]
async fn a_plate_already_on_file_is_refused(#[case] plate: &str) {
    let app = TestApp::new();
    let body = json!({"plate": plate, "plateTypeID": "4", "provID": "9"});
    app.demo("vehicles/push", body).await.error(9012);
}

#[tokio::test]
async fn a_pushed_plate_is_on_file_from_then_on_and_ids_keep_counting() {
    let app = TestApp::new();
    let body = json!({"plate": "NEW 1", "plateType": "Passenger", "prov": "ON"});
    assert_eq!(
        app.demo("vehicles/push", body.clone()).await.ok()["vehicle_id_id"],
        "13"
    );
    app.demo("vehicles/push", body).await.error(9012);
    let other = json!({"plate": "NEW 2", "plateType": "Passenger", "prov": "ON"});
    assert_eq!(
        app.demo("vehicles/push", other).await.ok()["vehicle_id_id"],
        "14"
    );
}

#[tokio::test]
async fn the_id_wins_over_the_name_when_both_are_sent() {
    let app = TestApp::new();
    let body = json!({"plate": "BOTH", "plateTypeID": "4", "plateType": "No Such Type", "provID": "9", "prov": "Atlantis"});
    app.demo("vehicles/push", body).await.ok();
}

#[rstest]
#[case::plate_missing(json!({"plateTypeID": "4", "provID": "9"}), 9006)]
#[case::plate_blank(json!({"plate": " ", "plateTypeID": "4", "provID": "9"}), 9006)]
#[case::plate_over_50(json!({"plate": "P".repeat(51), "plateTypeID": "4", "provID": "9"}), 9021)]
#[case::plate_type_missing(json!({"plate": "A", "provID": "9"}), 9010)]
#[case::plate_type_unknown_id(json!({"plate": "A", "plateTypeID": "99", "provID": "9"}), 9033)]
#[case::plate_type_bad_id(json!({"plate": "A", "plateTypeID": "four", "provID": "9"}), 9033)]
#[case::plate_type_unknown_name(json!({"plate": "A", "plateType": "Hovercraft", "provID": "9"}), 9033)]
#[case::plate_type_name_too_long(json!({"plate": "A", "plateType": "x".repeat(51), "provID": "9"}), 9030)]
#[case::province_missing(json!({"plate": "A", "plateTypeID": "4"}), 9011)]
#[case::province_unknown_id(json!({"plate": "A", "plateTypeID": "4", "provID": "999"}), 9033)]
#[case::province_unknown_name(json!({"plate": "A", "plateTypeID": "4", "prov": "Atlantis"}), 9033)]
#[case::province_name_too_long(json!({"plate": "A", "plateTypeID": "4", "prov": "x".repeat(51)}), 9030)]
#[case::unknown_make_id(json!({"plate": "A", "plateTypeID": "4", "provID": "9", "makeID": "999"}), 9033)]
#[case::unknown_type_id(json!({"plate": "A", "plateTypeID": "4", "provID": "9", "typeID": "999"}), 9033)]
#[case::unknown_colour_id(json!({"plate": "A", "plateTypeID": "4", "provID": "9", "colourID": "0"}), 9033)]
#[case::year_two_digits(json!({"plate": "A", "plateTypeID": "4", "provID": "9", "year": "11"}), 9033)]
#[case::year_text(json!({"plate": "A", "plateTypeID": "4", "provID": "9", "year": "20l1"}), 9033)]
#[case::vin_too_long(json!({"plate": "A", "plateTypeID": "4", "provID": "9", "vin": "V".repeat(26)}), 9030)]
#[case::colour_not_text(json!({"plate": "A", "plateTypeID": "4", "provID": "9", "colour": {"name": "red"}}), 9033)]
#[tokio::test]
async fn push_refuses_each_documented_limit(#[case] body: Value, #[case] code: u16) {
    let app = TestApp::new();
    app.demo("vehicles/push", body).await.error(code);
    // Nothing was stored: the next vehicle still gets the next id.
    let next = json!({"plate": "AFTER", "plateTypeID": "4", "provID": "9"});
    assert_eq!(
        app.demo("vehicles/push", next).await.ok()["vehicle_id_id"],
        "13"
    );
}
