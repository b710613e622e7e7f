//! The fixture contract: the shipped files load, and a broken file is refused at start-up with
//! a one-line error naming it.

use std::path::PathBuf;

use parkbench_kit::FixtureRoot;
use rstest::rstest;
use serde_json::{Value, json};

const SHIPPED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/ofr");

/// A copy of the shipped fixtures with one file changed, in a folder of its own.
struct Scratch(PathBuf);

impl Scratch {
    fn new(case: &str, file: &str, edit: impl Fn(&mut Value)) -> Self {
        let root =
            std::env::temp_dir().join(format!("parkbench-ofr-{}-{case}", std::process::id()));
        let dir = root.join("ofr");
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["auth.json", "clients.json", "operators.json"] {
            let text = std::fs::read_to_string(format!("{SHIPPED}/{name}")).unwrap();
            let mut value: Value = serde_json::from_str(&text).unwrap();
            if name == file {
                edit(&mut value);
            }
            std::fs::write(dir.join(name), value.to_string()).unwrap();
        }
        Self(root)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn the_shipped_fixtures_load_from_a_folder_too() {
    let scratch = Scratch::new("unchanged", "", |_| {});
    assert!(parkbench_ofr::api(&FixtureRoot::Dir(scratch.0.clone()), Default::default()).is_ok());
}

#[rstest]
#[case::short_key("auth.json", |v: &mut Value| v["signingKey"] = json!("short"), "at least 32 bytes")]
#[case::zero_lifetime("auth.json", |v: &mut Value| v["tokenLifetimeSeconds"] = json!(0), "tokenLifetimeSeconds")]
#[case::typo("auth.json", |v: &mut Value| v["issuer_"] = json!("x"), "unknown field")]
#[case::unknown_operator("clients.json", |v: &mut Value| v["clients"][0]["operators"] = json!([1]), "operator 1 is not in operators.json")]
#[case::duplicate_client("clients.json", |v: &mut Value| {
    let first = v["clients"][0].clone();
    v["clients"].as_array_mut().unwrap().push(first);
}, "listed twice")]
#[case::bad_currency("operators.json", |v: &mut Value| v["operators"][0]["currency"] = json!("dollars"), "ISO 4217")]
#[case::no_zones("operators.json", |v: &mut Value| v["operators"][0]["zones"] = json!([]), "at least one zone")]
#[case::duplicate_operator("operators.json", |v: &mut Value| {
    let first = v["operators"][0].clone();
    v["operators"].as_array_mut().unwrap().push(first);
}, "operator 60879: listed twice")]
#[case::not_json("operators.json", |v: &mut Value| *v = json!("not an object"), "invalid type")]
fn a_broken_fixture_is_refused_naming_the_file(
    #[case] file: &str,
    #[case] edit: fn(&mut Value),
    #[case] reason: &str,
) {
    let case = format!("{}-{}", file.trim_end_matches(".json"), reason.len());
    let scratch = Scratch::new(&case, file, edit);
    let error = parkbench_ofr::api(&FixtureRoot::Dir(scratch.0.clone()), Default::default())
        .err()
        .expect("refused")
        .to_string();
    assert!(error.contains(file) && error.contains(reason), "{error}");
    assert!(!error.contains('\n'));
}
