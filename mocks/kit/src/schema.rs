//! Response validation against the JSON Schemas under `schemas/<api>/` (draft 2020-12). Used by
//! every test and by the conformance suite; never on the serving path.
//!
//! Each file is registered under `https://parkbench.local/schemas/<api>/<file>`, so a schema
//! refers to another file of the same API with a relative `$ref` (`"error.json"`).

use std::collections::BTreeMap;
use std::path::Path;

use jsonschema::Validator;
use serde_json::Value;

/// Every compiled schema of one API, by file stem (`permit_push_response`).
pub struct Schemas {
    api: String,
    validators: BTreeMap<String, Validator>,
}

impl std::fmt::Debug for Schemas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schemas")
            .field("api", &self.api)
            .field("schemas", &self.validators.keys().collect::<Vec<_>>())
            .finish()
    }
}

const BASE: &str = "https://parkbench.local/schemas";

impl Schemas {
    /// Compiles every `*.json` file of `dir`, whose last component names the API.
    pub fn load(dir: &Path) -> Result<Self, String> {
        let api = dir
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("{}: not a schema folder", dir.display()))?
            .to_owned();
        let mut documents = BTreeMap::new();
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let value: Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            let file = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            documents.insert(file, value);
        }
        let registry = jsonschema::Registry::new()
            .extend(
                documents
                    .iter()
                    .map(|(file, doc)| (format!("{BASE}/{api}/{file}"), doc.clone())),
            )
            .and_then(|builder| builder.prepare())
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut validators = BTreeMap::new();
        for (file, doc) in &documents {
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .with_base_uri(format!("{BASE}/{api}/{file}"))
                .with_registry(&registry)
                .should_validate_formats(true)
                .build(doc)
                .map_err(|e| format!("{}/{file}: {e}", dir.display()))?;
            let stem = file.trim_end_matches(".json").to_owned();
            validators.insert(stem, validator);
        }
        Ok(Self { api, validators })
    }

    /// Loads `<workspace>/schemas/<api>` given any crate's manifest dir inside the workspace.
    pub fn for_api(manifest_dir: &str, api: &str) -> Result<Self, String> {
        let mut dir = Path::new(manifest_dir);
        loop {
            let candidate = dir.join("schemas").join(api);
            if candidate.is_dir() {
                return Self::load(&candidate);
            }
            dir = dir
                .parent()
                .ok_or_else(|| format!("no schemas/{api} folder above {manifest_dir}"))?;
        }
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.validators.keys().map(String::as_str)
    }

    /// Validates `instance` against schema `name`; the error lists every violation.
    pub fn validate(&self, name: &str, instance: &Value) -> Result<(), String> {
        let validator = self
            .validators
            .get(name)
            .ok_or_else(|| format!("no schema `{name}` for {}", self.api))?;
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!("{}/{name}: {}", self.api, errors.join("; ")))
        }
    }

    /// Panics with every violation unless `instance` is valid against schema `name`.
    #[track_caller]
    pub fn assert_valid(&self, name: &str, instance: &Value) {
        if let Err(message) = self.validate(name, instance) {
            panic!("{message}\ninstance: {instance:#}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn demo() -> Schemas {
        Schemas::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schemas/demo"))
            .unwrap()
    }

    #[test]
    fn relative_refs_resolve_across_files() {
        let schemas = demo();
        assert_eq!(schemas.names().collect::<Vec<_>>(), ["answer", "error"]);
        schemas.assert_valid(
            "answer",
            &json!({ "when": "2026-01-01T00:00:00Z", "error": { "code": 1 } }),
        );
        let err = schemas
            .validate(
                "answer",
                &json!({ "when": "2026-01-01T00:00:00Z", "error": { "code": "1" } }),
            )
            .unwrap_err();
        assert!(err.contains("/error/code"), "{err}");
    }

    #[test]
    fn formats_are_checked() {
        let err = demo()
            .validate(
                "answer",
                &json!({ "when": "yesterday", "error": { "code": 1 } }),
            )
            .unwrap_err();
        assert!(err.contains("date-time"), "{err}");
    }

    #[test]
    fn an_unknown_schema_is_an_error_not_a_pass() {
        assert!(demo().validate("nothing", &json!({})).is_err());
    }
}
