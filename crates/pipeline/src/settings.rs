//! `pipeline.toml`: the configuration of the whole flow (`oncoread run`), and the criteria
//! keys that `oncoread assess --config` reads from the same file.
//!
//! ```toml
//! [[input]]                       # one table per source; folders now
//! path = "fixtures/sample"
//!
//! [run]
//! index = ".oncoread/index.sqlite"
//! threads = 0                     # 0: one per core
//! # lesions = "lesions.csv"       # roles by hand, for reports that carry none
//!
//! [output]
//! dir = "out"
//! formats = ["json", "csv", "html"]
//! reproducible = false
//!
//! [criteria]                      # enabled list and the dotted criteria keys
//! ```
//!
//! Relative paths in the file are taken from the file's own folder, so a run does not
//! depend on the folder it is started from. Unknown keys are errors naming the key: a
//! misspelt key silently taking its default would change a trial's results unseen.

use std::path::{Path, PathBuf};

use oncoread_criteria::Config;

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{file}: cannot read: {cause}")]
    Read { file: String, cause: std::io::Error },
    #[error("{file}: not valid TOML: {message}")]
    Toml { file: String, message: String },
    #[error("{file}: {key}: {message}")]
    Key {
        file: String,
        key: String,
        message: String,
    },
}

/// One source of DICOM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A folder or a file, read recursively.
    Folder(PathBuf),
    /// A DICOMweb service (its base URL, e.g. `http://127.0.0.1:8042/dicom-web`).
    DicomWeb(String),
}

impl Input {
    /// From the command line: `dicomweb:URL` or a path.
    pub fn from_argument(argument: &Path) -> Input {
        match argument
            .to_str()
            .and_then(|a| a.strip_prefix(crate::dicomweb::SCHEME))
        {
            Some(url) => Input::DicomWeb(url.to_string()),
            None => Input::Folder(argument.to_path_buf()),
        }
    }

    /// The root the index and `extract` know it by.
    pub fn root(&self) -> PathBuf {
        match self {
            Input::Folder(path) => path.clone(),
            Input::DicomWeb(url) => PathBuf::from(format!("{}{url}", crate::dicomweb::SCHEME)),
        }
    }
}

/// The output formats the run writes besides `timeline.json` and `run.json`.
pub const KNOWN_FORMATS: &[&str] = &["json", "csv", "html"];

/// The flow as `pipeline.toml` configures it.
#[derive(Debug, Clone)]
pub struct PipelineSettings {
    /// The file these settings came from (for messages and the run record).
    pub file: String,
    pub inputs: Vec<Input>,
    pub index: PathBuf,
    /// Reader threads; `None`: one per core.
    pub threads: Option<usize>,
    /// Lesion roles by hand (`subject_id, lesion, role` CSV).
    pub lesions: Option<PathBuf>,
    pub out: PathBuf,
    pub formats: Vec<String>,
    pub reproducible: bool,
    pub criteria: CriteriaSettings,
}

/// The `[criteria]` table: which criteria, and the config keys.
#[derive(Debug, Clone, Default)]
pub struct CriteriaSettings {
    /// `criteria.enabled` as a comma-separated list (`None`: not given).
    pub enabled: Option<String>,
    pub config: Config,
    /// Every key the file set, as `(dotted key, value)`, in file order.
    pub keys_set: Vec<(String, serde_json::Value)>,
}

impl PipelineSettings {
    /// Reads and checks a `pipeline.toml`.
    pub fn load(path: &Path) -> Result<PipelineSettings, SettingsError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|cause| SettingsError::Read {
            file: file.clone(),
            cause,
        })?;
        let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
        Self::parse(&text, &file, &base)
    }

    /// Parses the text of a `pipeline.toml`; relative paths are joined to `base`.
    pub fn parse(text: &str, file: &str, base: &Path) -> Result<PipelineSettings, SettingsError> {
        let mut table = parse_table(text, file)?;
        let key_error = |key: &str, message: String| SettingsError::Key {
            file: file.to_string(),
            key: key.to_string(),
            message,
        };
        let resolve = |p: &str| {
            let p = Path::new(p);
            if p.is_absolute() || base.as_os_str().is_empty() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        };

        let mut inputs = Vec::new();
        match table.remove("input") {
            None => {}
            Some(toml::Value::Array(items)) => {
                for (n, item) in items.into_iter().enumerate() {
                    let key = format!("input[{n}]");
                    let toml::Value::Table(mut source) = item else {
                        return Err(key_error(&key, "expected a table ([[input]])".into()));
                    };
                    let path = take_string(&mut source, "path", &key, file)?;
                    let url = take_string(&mut source, "dicomweb", &key, file)?;
                    reject_unknown(&source, &key, file)?;
                    inputs.push(match (path, url) {
                        (Some(path), None) => Input::Folder(resolve(&path)),
                        (None, Some(url)) if url.starts_with("http://") => Input::DicomWeb(url),
                        (None, Some(url)) => {
                            return Err(key_error(
                                &format!("{key}.dicomweb"),
                                format!("{url:?}: expected an http:// URL (no TLS in this build)"),
                            ))
                        }
                        _ => {
                            return Err(key_error(
                                &key,
                                "needs either `path` (a folder) or `dicomweb` (a service URL)"
                                    .into(),
                            ))
                        }
                    });
                }
            }
            Some(other) => {
                return Err(key_error(
                    "input",
                    format!("expected [[input]] tables, found {}", other.type_str()),
                ))
            }
        }

        let mut run = take_table(&mut table, "run", file)?;
        let index = take_string(&mut run, "index", "run", file)?
            .map(|p| resolve(&p))
            .unwrap_or_else(|| resolve(".oncoread/index.sqlite"));
        let threads = match take_integer(&mut run, "threads", "run", file)? {
            None | Some(0) => None,
            Some(n) if n > 0 && n <= 1024 => Some(n as usize),
            Some(n) => {
                return Err(key_error(
                    "run.threads",
                    format!("expected 0 (one per core) to 1024, found {n}"),
                ))
            }
        };
        let lesions = take_string(&mut run, "lesions", "run", file)?.map(|p| resolve(&p));
        reject_unknown(&run, "run", file)?;

        let mut output = take_table(&mut table, "output", file)?;
        let out = take_string(&mut output, "dir", "output", file)?
            .map(|p| resolve(&p))
            .unwrap_or_else(|| resolve("out"));
        let formats = match output.remove("formats") {
            None => KNOWN_FORMATS.iter().map(|f| f.to_string()).collect(),
            Some(value) => string_list(&value)
                .ok_or_else(|| key_error("output.formats", "expected a list of names".into()))?,
        };
        if let Some(unknown) = formats
            .iter()
            .find(|f| !KNOWN_FORMATS.contains(&f.as_str()))
        {
            return Err(key_error(
                "output.formats",
                format!(
                    "unknown format {unknown:?} (known: {})",
                    KNOWN_FORMATS.join(", ")
                ),
            ));
        }
        let reproducible = match output.remove("reproducible") {
            None => false,
            Some(toml::Value::Boolean(b)) => b,
            Some(other) => {
                return Err(key_error(
                    "output.reproducible",
                    format!("expected true or false, found {}", other.type_str()),
                ))
            }
        };
        reject_unknown(&output, "output", file)?;

        let criteria = match table.remove("criteria") {
            None => CriteriaSettings::default(),
            Some(toml::Value::Table(criteria)) => criteria_settings(criteria, file)?,
            Some(other) => {
                return Err(key_error(
                    "criteria",
                    format!("expected a table, found {}", other.type_str()),
                ))
            }
        };
        reject_unknown(&table, "", file)?;

        Ok(PipelineSettings {
            file: file.to_string(),
            inputs,
            index,
            threads,
            lesions,
            out,
            formats,
            reproducible,
            criteria,
        })
    }
}

/// Reads a criteria config file for `oncoread assess --config`: a `pipeline.toml` (its
/// `[criteria]` table; the other tables are ignored there) or a file of keys alone such as
/// `[recist] pd_rel = 0.2` or `"recist.pd_rel" = 0.2`.
pub fn load_criteria_file(path: &Path) -> Result<CriteriaSettings, SettingsError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|cause| SettingsError::Read {
        file: file.clone(),
        cause,
    })?;
    let mut table = parse_table(&text, &file)?;
    match table.remove("criteria") {
        Some(toml::Value::Table(criteria)) => criteria_settings(criteria, &file),
        Some(other) => Err(SettingsError::Key {
            file,
            key: "criteria".into(),
            message: format!("expected a table, found {}", other.type_str()),
        }),
        None => criteria_settings(table, &file),
    }
}

fn parse_table(text: &str, file: &str) -> Result<toml::Table, SettingsError> {
    text.parse()
        .map_err(|e: toml::de::Error| SettingsError::Toml {
            file: file.to_string(),
            message: e.message().to_string(),
        })
}

fn criteria_settings(
    mut table: toml::Table,
    file: &str,
) -> Result<CriteriaSettings, SettingsError> {
    let mut settings = CriteriaSettings::default();
    if let Some(list) = table.remove("enabled") {
        let names = match &list {
            toml::Value::String(s) => Some(s.clone()),
            other => string_list(other).map(|names| names.join(",")),
        };
        settings.enabled = Some(names.ok_or_else(|| SettingsError::Key {
            file: file.to_string(),
            key: "criteria.enabled".into(),
            message: format!("expected a list of names, found {}", list.type_str()),
        })?);
    }
    let mut flat = Vec::new();
    flatten("", &toml::Value::Table(table), &mut flat);
    for (key, value) in flat {
        let value = toml_to_json(&value);
        settings
            .config
            .set(&key, &value)
            .map_err(|e| SettingsError::Key {
                file: file.to_string(),
                key: format!("criteria.{key}"),
                message: e.to_string(),
            })?;
        settings.keys_set.push((key, value));
    }
    Ok(settings)
}

fn take_table(
    table: &mut toml::Table,
    key: &str,
    file: &str,
) -> Result<toml::Table, SettingsError> {
    match table.remove(key) {
        None => Ok(toml::Table::new()),
        Some(toml::Value::Table(inner)) => Ok(inner),
        Some(other) => Err(SettingsError::Key {
            file: file.to_string(),
            key: key.to_string(),
            message: format!("expected a table, found {}", other.type_str()),
        }),
    }
}

fn take_string(
    table: &mut toml::Table,
    key: &str,
    within: &str,
    file: &str,
) -> Result<Option<String>, SettingsError> {
    match table.remove(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) if !s.trim().is_empty() => Ok(Some(s)),
        Some(other) => Err(SettingsError::Key {
            file: file.to_string(),
            key: dotted(within, key),
            message: format!("expected a non-empty string, found {}", describe(&other)),
        }),
    }
}

fn take_integer(
    table: &mut toml::Table,
    key: &str,
    within: &str,
    file: &str,
) -> Result<Option<i64>, SettingsError> {
    match table.remove(key) {
        None => Ok(None),
        Some(toml::Value::Integer(i)) => Ok(Some(i)),
        Some(other) => Err(SettingsError::Key {
            file: file.to_string(),
            key: dotted(within, key),
            message: format!("expected an integer, found {}", describe(&other)),
        }),
    }
}

fn reject_unknown(table: &toml::Table, within: &str, file: &str) -> Result<(), SettingsError> {
    match table.keys().next() {
        None => Ok(()),
        Some(key) => Err(SettingsError::Key {
            file: file.to_string(),
            key: dotted(within, key),
            message: "unknown key".into(),
        }),
    }
}

fn dotted(within: &str, key: &str) -> String {
    if within.is_empty() {
        key.to_string()
    } else {
        format!("{within}.{key}")
    }
}

fn describe(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) if s.trim().is_empty() => "an empty string".into(),
        other => other.type_str().to_string(),
    }
}

fn string_list(value: &toml::Value) -> Option<Vec<String>> {
    match value {
        toml::Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}

/// `[recist] pd_rel = 0.2` and `"recist.pd_rel" = 0.2` both become `recist.pd_rel`.
fn flatten(prefix: &str, value: &toml::Value, out: &mut Vec<(String, toml::Value)>) {
    match value {
        toml::Value::Table(table) => {
            for (key, inner) in table {
                flatten(&dotted(prefix, key), inner, out);
            }
        }
        other => out.push((prefix.to_string(), other.clone())),
    }
}

fn toml_to_json(value: &toml::Value) -> serde_json::Value {
    match value {
        toml::Value::String(s) => serde_json::Value::String(s.clone()),
        toml::Value::Integer(i) => serde_json::Value::from(*i),
        // Floats keep their shortest decimal spelling, so 0.2 stays exactly 0.2 for the
        // criteria's exact fractions.
        toml::Value::Float(f) => {
            serde_json::from_str(&f.to_string()).unwrap_or(serde_json::Value::Null)
        }
        toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
        toml::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(toml_to_json).collect())
        }
        toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
        toml::Value::Table(_) => serde_json::Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_file_resolves_paths_from_its_folder() {
        let text = r#"
            [[input]]
            path = "fixtures/sample"
            [[input]]
            path = "/archive/trial"
            [run]
            threads = 2
            lesions = "roles.csv"
            [output]
            dir = "results"
            formats = ["csv"]
            reproducible = true
            [criteria]
            enabled = ["recist1.1"]
            [criteria.recist]
            pd_rel = 0.25
        "#;
        let s = PipelineSettings::parse(text, "conf/pipeline.toml", Path::new("conf")).unwrap();
        assert_eq!(
            s.inputs,
            vec![
                Input::Folder(PathBuf::from("conf/fixtures/sample")),
                Input::Folder(PathBuf::from("/archive/trial")),
            ]
        );
        assert_eq!(s.threads, Some(2));
        assert_eq!(s.lesions, Some(PathBuf::from("conf/roles.csv")));
        assert_eq!(s.out, PathBuf::from("conf/results"));
        assert_eq!(s.index, PathBuf::from("conf/.oncoread/index.sqlite"));
        assert_eq!(s.formats, vec!["csv".to_string()]);
        assert!(s.reproducible);
        assert_eq!(s.criteria.enabled.as_deref(), Some("recist1.1"));
        // 0.25 as the exact fraction 1/4 (the spec default is 1/5).
        let effective = s.criteria.config.effective();
        assert_eq!(effective["recist.pd_rel"], serde_json::json!(0.25));
    }

    #[test]
    fn defaults_when_tables_are_missing() {
        let s = PipelineSettings::parse("", "pipeline.toml", Path::new("")).unwrap();
        assert!(s.inputs.is_empty());
        assert_eq!(s.out, PathBuf::from("out"));
        assert_eq!(s.index, PathBuf::from(".oncoread/index.sqlite"));
        assert_eq!(s.threads, None);
        assert_eq!(s.formats, vec!["json", "csv", "html"]);
        assert!(!s.reproducible);
    }

    #[test]
    fn unknown_and_mistyped_keys_name_the_key() {
        let cases = [
            (
                "[run]\nthread = 2",
                "pipeline.toml: run.thread: unknown key",
            ),
            (
                "[output]\nformats = [\"pdf\"]",
                "output.formats: unknown format \"pdf\"",
            ),
            ("[[input]]\nurl = \"x\"", "input[0].url: unknown key"),
            (
                "[[input]]\npath = \"a\"\ndicomweb = \"http://x\"",
                "input[0]: needs either",
            ),
            ("[[input]]\ndicomweb = \"https://x\"", "no TLS"),
            (
                "[run]\nthreads = \"two\"",
                "run.threads: expected an integer, found string",
            ),
            ("colour = 1", "pipeline.toml: colour: unknown key"),
            (
                "[criteria.recist]\npd_rel = \"x\"",
                "criteria.recist.pd_rel",
            ),
        ];
        for (text, expected) in cases {
            let error = PipelineSettings::parse(text, "pipeline.toml", Path::new(""))
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{text:?}: {error}");
        }
    }
}
