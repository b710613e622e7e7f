//! Where an API's seed data comes from: the repository's `fixtures/<api>/` folder embedded in
//! the binary at build time (so `parkbench serve` runs from any directory), or a folder given
//! with `--fixtures DIR`, read from `DIR/<api>/`.

use std::path::{Path, PathBuf};

use include_dir::Dir;
use serde::de::DeserializeOwned;

/// Where every API reads its fixtures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum FixtureRoot {
    /// The fixtures compiled into the binary.
    #[default]
    Embedded,
    /// A folder holding one sub-folder per API.
    Dir(PathBuf),
}

impl FixtureRoot {
    /// The fixtures of one API.
    pub fn for_api(&self, api: &'static str, embedded: &'static Dir<'static>) -> Fixtures {
        Fixtures {
            api,
            embedded,
            dir: match self {
                FixtureRoot::Embedded => None,
                FixtureRoot::Dir(root) => Some(root.join(api)),
            },
        }
    }
}

/// A fixture file that could not be read or made sense of. The message is one line.
#[derive(Debug, thiserror::Error)]
#[error("fixtures: {location}: {reason}")]
pub struct FixtureError {
    pub location: String,
    pub reason: String,
}

impl FixtureError {
    pub fn new(location: impl Into<String>, reason: impl ToString) -> Self {
        Self {
            location: location.into(),
            reason: reason.to_string().replace('\n', " "),
        }
    }
}

/// One API's fixture files.
#[derive(Clone, Debug)]
pub struct Fixtures {
    api: &'static str,
    embedded: &'static Dir<'static>,
    dir: Option<PathBuf>,
}

impl Fixtures {
    /// Where a file is read from, for messages.
    pub fn location(&self, file: &str) -> String {
        match &self.dir {
            Some(dir) => dir.join(file).display().to_string(),
            None => format!("(embedded) {}/{file}", self.api),
        }
    }

    pub fn read(&self, file: &str) -> Result<Vec<u8>, FixtureError> {
        match &self.dir {
            Some(dir) => {
                read_disk(dir, file).map_err(|e| FixtureError::new(self.location(file), e))
            }
            None => self
                .embedded
                .get_file(file)
                .map(|f| f.contents().to_vec())
                .ok_or_else(|| FixtureError::new(self.location(file), "no such fixture file")),
        }
    }

    /// Reads and parses a JSON fixture file.
    pub fn json<T: DeserializeOwned>(&self, file: &str) -> Result<T, FixtureError> {
        let bytes = self.read(file)?;
        serde_json::from_slice(&bytes).map_err(|e| FixtureError::new(self.location(file), e))
    }
}

fn read_disk(dir: &Path, file: &str) -> std::io::Result<Vec<u8>> {
    std::fs::read(dir.join(file))
}

#[cfg(test)]
mod tests {
    use super::*;
    use include_dir::include_dir;

    static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/tests/fixtures/demo");

    #[derive(Debug, serde::Deserialize)]
    struct Demo {
        name: String,
    }

    #[test]
    fn embedded_fixtures_are_read_without_a_folder() {
        let fixtures = FixtureRoot::Embedded.for_api("demo", &EMBEDDED);
        assert_eq!(fixtures.json::<Demo>("demo.json").unwrap().name, "embedded");
    }

    #[test]
    fn a_folder_overrides_the_embedded_fixtures() {
        let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"));
        let fixtures = FixtureRoot::Dir(root).for_api("demo", &EMBEDDED);
        assert_eq!(fixtures.json::<Demo>("demo.json").unwrap().name, "embedded");
        let err = fixtures
            .json::<Demo>("missing.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing.json") && !err.contains('\n'), "{err}");
    }

    #[test]
    fn malformed_json_is_a_one_line_error_naming_the_file() {
        let fixtures = FixtureRoot::Embedded.for_api("demo", &EMBEDDED);
        let err = fixtures
            .json::<Demo>("broken.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("broken.json") && !err.contains('\n'), "{err}");
    }
}
