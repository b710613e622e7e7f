//! Fixture files that are wrong are refused at start-up with a one-line error naming the file.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use parkbench_kit::FixtureRoot;
use parkbench_opscom::Config;
use rstest::rstest;
use serde_json::{Value, json};

/// A copy of the repository's fixtures in a folder of its own, removed when dropped.
struct FixtureCopy {
    root: PathBuf,
}

impl FixtureCopy {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!(
            "parkbench-opscom-fixtures-{}-{n}",
            std::process::id()
        ));
        let dir = root.join("opscom");
        std::fs::create_dir_all(&dir).unwrap();
        let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/opscom");
        for entry in std::fs::read_dir(source).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
        Self { root }
    }

    fn edit(&self, file: &str, change: impl FnOnce(&mut Value)) {
        let path = self.root.join("opscom").join(file);
        let mut value: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        change(&mut value);
        std::fs::write(path, value.to_string()).unwrap();
    }

    fn write(&self, file: &str, text: &str) {
        std::fs::write(self.root.join("opscom").join(file), text).unwrap();
    }

    fn load(&self) -> Result<(), String> {
        parkbench_opscom::api(&FixtureRoot::Dir(self.root.clone()), Config::default())
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

impl Drop for FixtureCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[test]
fn an_unchanged_copy_loads() {
    FixtureCopy::new().load().unwrap();
}

type Edit = fn(&mut Value);

#[rstest]
#[case::unknown_operation("customers.json", |v: &mut Value| v["customers"][0]["tokens"][1]["operations"] = json!(["permits/list"]), "unknown operation")]
#[case::shared_client_code("customers.json", |v: &mut Value| v["customers"][1]["client_codes"] = json!(["OC_TOMA"]), "belongs to two customers")]
#[case::shared_token("customers.json", |v: &mut Value| v["customers"][1]["tokens"][0]["token"] = json!("opscom-demo-full-access-token-0001"), "appears twice")]
#[case::duplicate_zone("customers.json", |v: &mut Value| v["customers"][0]["zones"] = json!(["Lot 01", "lot 01"]), "appears twice")]
#[case::unknown_key("customers.json", |v: &mut Value| v["customers"][0]["colour"] = json!("red"), "unknown field")]
#[case::missing_data_file("customers.json", |v: &mut Value| v["customers"][1]["data"] = json!("nowhere.json"), "nowhere.json")]
#[case::duplicate_province_code("lookups.json", |v: &mut Value| v["provinces"][1]["ProvCode"] = json!("AB"), "appears twice")]
#[case::vehicle_plate_type("oc_tomahawk.json", |v: &mut Value| v["vehicles"][0]["PlateTypeID"] = json!(99), "unknown PlateTypeID")]
#[case::vehicle_driver("oc_tomahawk.json", |v: &mut Value| v["vehicles"][0]["drivers"] = json!([1]), "is no user")]
#[case::duplicate_plate("oc_tomahawk.json", |v: &mut Value| v["vehicles"][1]["Plate"] = json!("ajnr-123"), "appears twice")]
#[case::user_login_source("oc_tomahawk.json", |v: &mut Value| v["users"][0]["loginSource"] = json!("FACEBOOK"), "login sources")]
#[case::user_type("oc_tomahawk.json", |v: &mut Value| v["user_types"][0]["id"] = json!("one"), "positive integer")]
#[case::permit_date("oc_tomahawk.json", |v: &mut Value| v["permits"][0]["startTime"] = json!("2026-01-05 09:00"), "9007")]
#[case::permit_reference("oc_tomahawk.json", |v: &mut Value| v["permits"][1]["reference_id"] = json!("1A9B5375-CB75-4C71-9939-EEAE550B09AC"), "appears twice")]
#[case::violation_vehicle("oc_tomahawk.json", |v: &mut Value| v["violations"][0]["VehicleID"] = json!(999), "unknown VehicleID")]
#[case::violation_absolute_date("oc_tomahawk.json", |v: &mut Value| v["violations"][0]["Due"] = json!("2016-05-23T20:00:00.000000Z"), "unknown field `Due`")]
#[case::violation_dates("oc_tomahawk.json", |v: &mut Value| v["violations"][0]["due_in_days"] = json!(-40), "before issued_in_days")]
#[case::violation_type("parkco.json", |v: &mut Value| v["violations"][0]["details"][0]["ViolationTypeID"] = json!(1), "unknown ViolationTypeID")]
fn a_wrong_fixture_is_refused_naming_its_file(
    #[case] file: &str,
    #[case] edit: Edit,
    #[case] reason: &str,
) {
    let copy = FixtureCopy::new();
    copy.edit(file, edit);
    let error = copy.load().unwrap_err();
    let named = if reason.ends_with(".json") {
        reason
    } else {
        file
    };
    assert!(error.contains(named), "{error}");
    assert!(error.contains(reason), "{error}");
    assert!(!error.contains('\n'), "{error}");
}

#[test]
fn malformed_json_is_refused_naming_its_file() {
    let copy = FixtureCopy::new();
    copy.write("lookups.json", "{\"provinces\": [");
    let error = copy.load().unwrap_err();
    assert!(error.contains("lookups.json"), "{error}");
}
