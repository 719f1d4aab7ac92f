//! `pipeline.toml`: the configuration of the whole flow (`oncoread run`), and the criteria
//! keys that `oncoread assess --config` reads from the same file.
//!
//! ```toml
//! [[input]]                       # one table per source
//! path = "fixtures/sample"        # or dicomweb = "http://…", or dimse = "AET@HOST:PORT"
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
//! [output.pacs]                   # optional: send the DICOM SRs (and key images) back
//! dicomweb = "http://…"           # STOW-RS, or dimse = "AET@HOST:PORT" (C-STORE)
//!
//! [criteria]                      # enabled list and the dotted criteria keys
//!
//! [limits]                        # optional: what one report may cost to read
//! max_sr_content_items = 100000
//! ```
//!
//! Relative paths in the file are taken from the file's own folder, so a run does not
//! depend on the folder it is started from. Unknown keys are errors naming the key: a
//! misspelt key silently taking its default would change a trial's results unseen.

use std::path::{Path, PathBuf};

use oncoread_criteria::Config;
use oncoread_dicom::limits::Limits;

use crate::dicomweb::{Auth, ClientOptions, DicomWebError, SyncOptions};
use crate::pacs_sink::{Destination, PacsSink};
use crate::pseudonym::Privacy;
use std::time::Duration;

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
    /// A DICOMweb service.
    DicomWeb(DicomWebInput),
    /// A PACS over DIMSE (C-FIND and C-GET).
    Dimse(DimseInput),
}

/// A DIMSE input: the PACS's application entity and how politely to ask it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DimseInput {
    /// `AET@HOST:PORT` of the PACS.
    pub address: String,
    /// This client's AE title.
    pub calling_aet: String,
    /// Associations (studies fetched) at once.
    pub concurrency: usize,
    /// Seconds to connect, and for each read or write on an association.
    pub timeout_s: u64,
    /// A StudyDate range (`YYYYMMDD-YYYYMMDD`, either end open), if any.
    pub study_dates: Option<String>,
    /// Further attempts after an association fails.
    pub retries: u32,
}

impl DimseInput {
    pub fn new(address: &str) -> DimseInput {
        let defaults = crate::dimse::SyncOptions::default();
        DimseInput {
            address: address.to_string(),
            calling_aet: defaults.calling_aet,
            concurrency: defaults.concurrency,
            timeout_s: defaults.timeout.as_secs(),
            study_dates: None,
            retries: defaults.retries,
        }
    }

    pub fn sync_options(&self) -> crate::dimse::SyncOptions {
        crate::dimse::SyncOptions {
            calling_aet: self.calling_aet.clone(),
            concurrency: self.concurrency,
            timeout: Duration::from_secs(self.timeout_s),
            study_dates: self.study_dates.clone(),
            retries: self.retries,
        }
    }
}

/// The fetch options of every DIMSE input, by root (what `ExtractOptions` takes).
pub fn dimse_options(
    inputs: &[Input],
) -> std::collections::BTreeMap<String, crate::dimse::SyncOptions> {
    inputs
        .iter()
        .filter_map(|input| match input {
            Input::Dimse(dimse) => Some((input.root().display().to_string(), dimse.sync_options())),
            _ => None,
        })
        .collect()
}

/// A DICOMweb input: the service and how politely to ask it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DicomWebInput {
    /// The service's base URL, e.g. `http://127.0.0.1:8042/dicom-web`.
    pub url: String,
    /// The prefix of the credential variables: `{auth_env}_USER` and `{auth_env}_PASSWORD`
    /// (HTTP basic) or `{auth_env}_TOKEN` (bearer). Credentials never go in the file.
    pub auth_env: String,
    /// Studies fetched at once.
    pub concurrency: usize,
    /// Seconds one request may take.
    pub timeout_s: u64,
    /// Further attempts after a failure that may pass.
    pub retries: u32,
    /// A QIDO StudyDate range (`YYYYMMDD-YYYYMMDD`, either end open), if any.
    pub study_dates: Option<String>,
}

impl DicomWebInput {
    pub fn new(url: &str) -> DicomWebInput {
        let defaults = SyncOptions::default();
        DicomWebInput {
            url: url.to_string(),
            auth_env: DEFAULT_AUTH_ENV.to_string(),
            concurrency: defaults.concurrency,
            timeout_s: defaults.client.timeout.as_secs(),
            retries: defaults.client.retries,
            study_dates: None,
        }
    }

    /// The fetch options, with the credentials read from the environment now.
    pub fn sync_options(&self) -> Result<SyncOptions, DicomWebError> {
        let defaults = SyncOptions::default();
        Ok(SyncOptions {
            auth: Auth::from_env(&self.auth_env)?,
            client: ClientOptions {
                timeout: Duration::from_secs(self.timeout_s),
                retries: self.retries,
                ..defaults.client
            },
            concurrency: self.concurrency,
            study_dates: self.study_dates.clone(),
        })
    }
}

/// The fetch options of every DICOMweb input, by root (what `ExtractOptions` takes);
/// credentials are read from the environment now.
pub fn dicomweb_options(
    inputs: &[Input],
) -> Result<std::collections::BTreeMap<String, SyncOptions>, DicomWebError> {
    let mut options = std::collections::BTreeMap::new();
    for input in inputs {
        if let Input::DicomWeb(web) = input {
            options.insert(input.root().display().to_string(), web.sync_options()?);
        }
    }
    Ok(options)
}

/// The credential variables' prefix when the configuration names none.
pub const DEFAULT_AUTH_ENV: &str = "ONCOREAD_DICOMWEB";

impl Input {
    /// From the command line: `dicomweb:URL`, `dimse:AET@HOST:PORT` or a path.
    pub fn from_argument(argument: &Path) -> Input {
        let text = argument.to_str();
        if let Some(url) = text.and_then(|a| a.strip_prefix(crate::dicomweb::SCHEME)) {
            Input::DicomWeb(DicomWebInput::new(url))
        } else if let Some(address) = text.and_then(|a| a.strip_prefix(crate::dimse::SCHEME)) {
            Input::Dimse(DimseInput::new(address))
        } else {
            Input::Folder(argument.to_path_buf())
        }
    }

    /// The root the index and `extract` know it by.
    pub fn root(&self) -> PathBuf {
        match self {
            Input::Folder(path) => path.clone(),
            Input::DicomWeb(web) => {
                PathBuf::from(format!("{}{}", crate::dicomweb::SCHEME, web.url))
            }
            Input::Dimse(dimse) => {
                PathBuf::from(format!("{}{}", crate::dimse::SCHEME, dimse.address))
            }
        }
    }
}

/// The output formats the run writes besides `timeline.json` and `run.json`.
pub const KNOWN_FORMATS: &[&str] = &["json", "csv", "html", "sdtm", "dicom-sr", "key-images"];

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
    /// `output.key_image_ct_window = [width, level]`: the CT window of key images (HU);
    /// `None`: the report's default (soft tissue, 400/40).
    pub key_image_ct_window: Option<[f64; 2]>,
    /// `[output.pacs]`: where the DICOM outputs are sent back, if anywhere.
    pub pacs: Option<PacsSink>,
    pub criteria: CriteriaSettings,
    /// `[readers]`: double reads compared and adjudicated (`None`: no reader review).
    pub readers: Option<oncoread_criteria::adjudication::ReaderRules>,
    /// `[protocols.NAME]`: named criteria configurations (protocol versions, amendments).
    pub protocols: Vec<crate::reader_settings::Protocol>,
    /// `[limits]`: what one report may cost to read (defaults: [`Limits::default`]).
    pub limits: Limits,
    /// `[privacy]`: pseudonymization of the outputs (off by default).
    pub privacy: Privacy,
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
                    let address = take_string(&mut source, "dimse", &key, file)?;
                    let input = match (path, url, address) {
                        (Some(path), None, None) => Input::Folder(resolve(&path)),
                        (None, Some(url), None) => {
                            Input::DicomWeb(dicomweb_input(&url, &mut source, &key, file)?)
                        }
                        (None, None, Some(address)) => {
                            Input::Dimse(dimse_input(&address, &mut source, &key, file)?)
                        }
                        _ => {
                            reject_unknown(&source, &key, file)?;
                            return Err(key_error(
                                &key,
                                "needs one of `path` (a folder), `dicomweb` (a service URL) \
                                 or `dimse` (AET@HOST:PORT)"
                                    .into(),
                            ));
                        }
                    };
                    reject_unknown(&source, &key, file)?;
                    inputs.push(input);
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
        let key_image_ct_window = match output.remove("key_image_ct_window") {
            None => None,
            Some(value) => Some(ct_window(&value).ok_or_else(|| {
                key_error(
                    "output.key_image_ct_window",
                    "expected [width, level] in HU, width at least 1, e.g. [400, 40]".into(),
                )
            })?),
        };
        let pacs = match output.remove("pacs") {
            None => None,
            Some(toml::Value::Table(mut table)) => {
                let sink = pacs_sink(&mut table, file)?;
                reject_unknown(&table, "output.pacs", file)?;
                Some(sink)
            }
            Some(other) => {
                return Err(key_error(
                    "output.pacs",
                    format!("expected a table, found {}", other.type_str()),
                ))
            }
        };
        reject_unknown(&output, "output", file)?;
        // The sink sends what this run writes: without the SR output, dicom-sr/ would hold
        // an earlier run's results, and those would go to the PACS as if current.
        if pacs.is_some() && !formats.iter().any(|f| f == "dicom-sr") {
            return Err(key_error(
                "output.pacs",
                "sends the DICOM SR output: add \"dicom-sr\" to output.formats".into(),
            ));
        }

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
        let limits = take_limits(&mut table, file)?;
        let readers = crate::reader_settings::take_readers(&mut table, file)?;
        let protocols = crate::reader_settings::take_protocols(&mut table, &criteria, file)?;
        let privacy = take_privacy(&mut table, file)?;
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
            key_image_ct_window,
            pacs,
            criteria,
            readers,
            protocols,
            limits,
            privacy,
        })
    }
}

/// `[privacy]`: `pseudonymize = true|false`, `key_env = "NAME"` (the variable that holds
/// the key; the key itself never goes in the file), `shift_dates = true|false`.
fn take_privacy(table: &mut toml::Table, file: &str) -> Result<Privacy, SettingsError> {
    let mut privacy = Privacy::default();
    let mut section = take_table(table, "privacy", file)?;
    let key_error = |key: &str, message: String| SettingsError::Key {
        file: file.to_string(),
        key: dotted("privacy", key),
        message,
    };
    for (key, flag) in [
        ("pseudonymize", &mut privacy.pseudonymize),
        ("shift_dates", &mut privacy.shift_dates),
    ] {
        match section.remove(key) {
            None => {}
            Some(toml::Value::Boolean(b)) => *flag = b,
            Some(other) => {
                return Err(key_error(
                    key,
                    format!("expected true or false, found {}", other.type_str()),
                ))
            }
        }
    }
    if let Some(name) = take_string(&mut section, "key_env", "privacy", file)? {
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(key_error(
                "key_env",
                // The value is not echoed: it may be the key itself, put there by mistake.
                "expected an environment variable name (letters, digits, _), the variable \
                 that holds the key, never the key itself"
                    .into(),
            ));
        }
        privacy.key_env = name;
    }
    reject_unknown(&section, "privacy", file)?;
    Ok(privacy)
}

/// The keys of a DICOMweb `[[input]]` besides its URL.
fn dicomweb_input(
    url: &str,
    source: &mut toml::Table,
    key: &str,
    file: &str,
) -> Result<DicomWebInput, SettingsError> {
    let key_error = |name: &str, message: String| SettingsError::Key {
        file: file.to_string(),
        key: dotted(key, name),
        message,
    };
    if !url.starts_with("http://") {
        return Err(key_error(
            "dicomweb",
            format!("{url:?}: expected an http:// URL (this build has no TLS; put a TLS proxy on loopback in front of an https service)"),
        ));
    }
    let mut input = DicomWebInput::new(url);
    if let Some(prefix) = take_string(source, "auth_env", key, file)? {
        if !prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(key_error(
                "auth_env",
                format!("{prefix:?} is not a variable name prefix"),
            ));
        }
        input.auth_env = prefix;
    }
    let bounded = |name: &str, value: Option<i64>, max: i64| match value {
        None => Ok(None),
        Some(n) if (1..=max).contains(&n) => Ok(Some(n)),
        Some(n) => Err(key_error(name, format!("expected 1 to {max}, found {n}"))),
    };
    if let Some(n) = bounded(
        "concurrency",
        take_integer(source, "concurrency", key, file)?,
        64,
    )? {
        input.concurrency = n as usize;
    }
    if let Some(n) = bounded(
        "timeout_s",
        take_integer(source, "timeout_s", key, file)?,
        3600,
    )? {
        input.timeout_s = n as u64;
    }
    match take_integer(source, "retries", key, file)? {
        None => {}
        Some(n) if (0..=10).contains(&n) => input.retries = n as u32,
        Some(n) => return Err(key_error("retries", format!("expected 0 to 10, found {n}"))),
    }
    input.study_dates = take_study_dates(source, key, file)?;
    Ok(input)
}

/// `study_dates` of a PACS input: `YYYYMMDD`, `YYYYMMDD-YYYYMMDD`, `YYYYMMDD-` or
/// `-YYYYMMDD` (a DICOM date range, the same for QIDO and C-FIND).
fn take_study_dates(
    source: &mut toml::Table,
    key: &str,
    file: &str,
) -> Result<Option<String>, SettingsError> {
    let Some(range) = take_string(source, "study_dates", key, file)? else {
        return Ok(None);
    };
    let valid_end =
        |d: &str| d.is_empty() || (d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()));
    let valid = match range.split_once('-') {
        Some((from, to)) => valid_end(from) && valid_end(to) && !(from.is_empty() && to.is_empty()),
        None => range.len() == 8 && valid_end(&range),
    };
    if !valid {
        return Err(SettingsError::Key {
            file: file.to_string(),
            key: dotted(key, "study_dates"),
            message: format!(
                "{range:?}: expected YYYYMMDD, YYYYMMDD-YYYYMMDD, YYYYMMDD- or -YYYYMMDD"
            ),
        });
    }
    Ok(Some(range))
}

/// The keys of a DIMSE `[[input]]` besides its address.
fn dimse_input(
    address: &str,
    source: &mut toml::Table,
    key: &str,
    file: &str,
) -> Result<DimseInput, SettingsError> {
    let key_error = |name: &str, message: String| SettingsError::Key {
        file: file.to_string(),
        key: dotted(key, name),
        message,
    };
    crate::dimse::Peer::parse(address).map_err(|e| key_error("dimse", e.to_string()))?;
    let mut input = DimseInput::new(address);
    if let Some(aet) = take_string(source, "calling_aet", key, file)? {
        if !crate::dimse::is_ae_title(&aet) {
            return Err(key_error(
                "calling_aet",
                format!("{aet:?}: 1 to 16 printable ASCII characters, no backslash"),
            ));
        }
        input.calling_aet = aet;
    }
    let bounded = |name: &str, value: Option<i64>, max: i64| match value {
        None => Ok(None),
        Some(n) if (1..=max).contains(&n) => Ok(Some(n)),
        Some(n) => Err(key_error(name, format!("expected 1 to {max}, found {n}"))),
    };
    if let Some(n) = bounded(
        "concurrency",
        take_integer(source, "concurrency", key, file)?,
        64,
    )? {
        input.concurrency = n as usize;
    }
    if let Some(n) = bounded(
        "timeout_s",
        take_integer(source, "timeout_s", key, file)?,
        3600,
    )? {
        input.timeout_s = n as u64;
    }
    match take_integer(source, "retries", key, file)? {
        None => {}
        Some(n) if (0..=10).contains(&n) => input.retries = n as u32,
        Some(n) => return Err(key_error("retries", format!("expected 0 to 10, found {n}"))),
    }
    input.study_dates = take_study_dates(source, key, file)?;
    Ok(input)
}

/// The `[output.pacs]` table: `dicomweb = "URL"` (with `auth_env`) or `dimse =
/// "AET@HOST:PORT"` (with `calling_aet`), and `key_images`, `timeout_s`, `retries`.
fn pacs_sink(table: &mut toml::Table, file: &str) -> Result<PacsSink, SettingsError> {
    const WITHIN: &str = "output.pacs";
    let key_error = |name: &str, message: String| SettingsError::Key {
        file: file.to_string(),
        key: dotted(WITHIN, name),
        message,
    };
    let url = take_string(table, "dicomweb", WITHIN, file)?;
    let address = take_string(table, "dimse", WITHIN, file)?;
    let destination = match (url, address) {
        (Some(url), None) => {
            if !url.starts_with("http://") {
                return Err(key_error(
                    "dicomweb",
                    format!("{url:?}: expected an http:// URL (this build has no TLS; put a TLS proxy on loopback in front of an https service)"),
                ));
            }
            let auth_env = take_string(table, "auth_env", WITHIN, file)?
                .unwrap_or_else(|| DEFAULT_AUTH_ENV.to_string());
            if !auth_env
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                return Err(key_error(
                    "auth_env",
                    format!("{auth_env:?} is not a variable name prefix"),
                ));
            }
            Destination::DicomWeb { url, auth_env }
        }
        (None, Some(address)) => {
            crate::dimse::Peer::parse(&address).map_err(|e| key_error("dimse", e.to_string()))?;
            let calling_aet = take_string(table, "calling_aet", WITHIN, file)?
                .unwrap_or_else(|| crate::dimse::DEFAULT_CALLING_AET.to_string());
            if !crate::dimse::is_ae_title(&calling_aet) {
                return Err(key_error(
                    "calling_aet",
                    format!("{calling_aet:?}: 1 to 16 printable ASCII characters, no backslash"),
                ));
            }
            Destination::Dimse {
                address,
                calling_aet,
            }
        }
        _ => {
            return Err(SettingsError::Key {
                file: file.to_string(),
                key: WITHIN.to_string(),
                message: "needs one of `dicomweb` (a service URL, STOW-RS) or `dimse` \
                          (AET@HOST:PORT, C-STORE)"
                    .into(),
            })
        }
    };
    let mut sink = PacsSink::new(destination);
    match table.remove("key_images") {
        None => {}
        Some(toml::Value::Boolean(b)) => sink.key_images = b,
        Some(other) => {
            return Err(key_error(
                "key_images",
                format!("expected true or false, found {}", other.type_str()),
            ))
        }
    }
    match take_integer(table, "timeout_s", WITHIN, file)? {
        None => {}
        Some(n) if (1..=3600).contains(&n) => sink.timeout_s = n as u64,
        Some(n) => {
            return Err(key_error(
                "timeout_s",
                format!("expected 1 to 3600, found {n}"),
            ))
        }
    }
    match take_integer(table, "retries", WITHIN, file)? {
        None => {}
        Some(n) if (0..=10).contains(&n) => sink.retries = n as u32,
        Some(n) => return Err(key_error("retries", format!("expected 0 to 10, found {n}"))),
    }
    Ok(sink)
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

pub(crate) fn parse_table(text: &str, file: &str) -> Result<toml::Table, SettingsError> {
    text.parse()
        .map_err(|e: toml::de::Error| SettingsError::Toml {
            file: file.to_string(),
            message: e.message().to_string(),
        })
}

pub(crate) fn criteria_settings(
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

/// The `[limits]` table; a key not given keeps its default.
fn take_limits(table: &mut toml::Table, file: &str) -> Result<Limits, SettingsError> {
    let mut section = take_table(table, "limits", file)?;
    let mut limits = Limits::default();
    // Nesting above this risks the tree parser's recursion reaching the end of a reader
    // thread's stack, which would abort the run instead of refusing one file.
    const MAX_NESTING_ALLOWED: i64 = 1024;
    let mut positive = |key: &str, max: i64| -> Result<Option<i64>, SettingsError> {
        match take_integer(&mut section, key, "limits", file)? {
            None => Ok(None),
            Some(n) if (1..=max).contains(&n) => Ok(Some(n)),
            Some(n) => Err(SettingsError::Key {
                file: file.to_string(),
                key: dotted("limits", key),
                message: format!("expected 1 to {max}, found {n}"),
            }),
        }
    };
    if let Some(n) = positive("max_sr_file_bytes", i64::MAX)? {
        limits.max_sr_file_bytes = n.unsigned_abs();
    }
    if let Some(n) = positive("max_element_bytes", i64::MAX)? {
        limits.max_element_bytes = n.unsigned_abs();
    }
    if let Some(n) = positive("max_sr_nesting", MAX_NESTING_ALLOWED)? {
        limits.max_sr_nesting = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(n) = positive("max_sr_content_items", i64::MAX)? {
        limits.max_sr_content_items = usize::try_from(n).unwrap_or(usize::MAX);
    }
    reject_unknown(&section, "limits", file)?;
    Ok(limits)
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

pub(crate) fn take_string(
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

pub(crate) fn take_integer(
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

pub(crate) fn reject_unknown(
    table: &toml::Table,
    within: &str,
    file: &str,
) -> Result<(), SettingsError> {
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

/// `[width, level]`, integers or floats, width ≥ 1 (the VOI LINEAR function needs it).
fn ct_window(value: &toml::Value) -> Option<[f64; 2]> {
    let number = |v: &toml::Value| match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) if f.is_finite() => Some(*f),
        _ => None,
    };
    match value.as_array()?.as_slice() {
        [width, level] => Some([number(width)?, number(level)?]).filter(|[w, _]| *w >= 1.0),
        _ => None,
    }
}

pub(crate) fn string_list(value: &toml::Value) -> Option<Vec<String>> {
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

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn a_full_file_resolves_paths_from_its_folder() -> TestResult {
        let text = r#"
            [[input]]
            path = "fixtures/sample"
            [[input]]
            path = "/archive/trial"
            [[input]]
            dicomweb = "http://127.0.0.1:8042/dicom-web"
            auth_env = "PACS_A"
            concurrency = 2
            study_dates = "20240101-"
            [[input]]
            dimse = "PACS@10.0.0.5:104"
            calling_aet = "CORELAB"
            concurrency = 2
            timeout_s = 30
            study_dates = "-20241231"
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
        let s = PipelineSettings::parse(text, "conf/pipeline.toml", Path::new("conf"))?;
        assert_eq!(
            s.inputs,
            vec![
                Input::Folder(PathBuf::from("conf/fixtures/sample")),
                Input::Folder(PathBuf::from("/archive/trial")),
                Input::DicomWeb(DicomWebInput {
                    url: "http://127.0.0.1:8042/dicom-web".into(),
                    auth_env: "PACS_A".into(),
                    concurrency: 2,
                    timeout_s: 60,
                    retries: 3,
                    study_dates: Some("20240101-".into()),
                }),
                Input::Dimse(DimseInput {
                    address: "PACS@10.0.0.5:104".into(),
                    calling_aet: "CORELAB".into(),
                    concurrency: 2,
                    timeout_s: 30,
                    study_dates: Some("-20241231".into()),
                    retries: 3,
                }),
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
        Ok(())
    }

    #[test]
    fn output_pacs_names_a_stow_or_a_c_store_destination() -> TestResult {
        let s = PipelineSettings::parse(
            "[output]\nformats = [\"dicom-sr\"]\n\
             [output.pacs]\ndicomweb = \"http://127.0.0.1:8042/dicom-web\"\nauth_env = \"SINK\"\n\
             key_images = false\nretries = 1\ntimeout_s = 5",
            "pipeline.toml",
            Path::new(""),
        )?;
        assert_eq!(
            s.pacs,
            Some(PacsSink {
                destination: Destination::DicomWeb {
                    url: "http://127.0.0.1:8042/dicom-web".into(),
                    auth_env: "SINK".into()
                },
                key_images: false,
                timeout_s: 5,
                retries: 1,
            })
        );
        let s = PipelineSettings::parse(
            "[output.pacs]\ndimse = \"PACS@10.0.0.5:104\"",
            "pipeline.toml",
            Path::new(""),
        )?;
        assert_eq!(
            s.pacs,
            Some(PacsSink {
                destination: Destination::Dimse {
                    address: "PACS@10.0.0.5:104".into(),
                    calling_aet: "ONCOREAD".into()
                },
                key_images: true,
                timeout_s: 60,
                retries: 3,
            })
        );
        assert_eq!(
            PipelineSettings::parse("", "pipeline.toml", Path::new(""))?.pacs,
            None
        );
        for (text, expected) in [
            (
                "[output.pacs]\n",
                "pipeline.toml: output.pacs: needs one of",
            ),
            (
                "[output.pacs]\ndimse = \"P@h:1\"\nauth_env = \"X\"",
                "output.pacs.auth_env: unknown key",
            ),
            (
                "[output.pacs]\ndicomweb = \"http://x\"\nretries = 11",
                "output.pacs.retries: expected 0 to 10",
            ),
            ("[output.pacs]\ndimse = \"P@h\"", "output.pacs.dimse"),
            ("[output]\npacs = 1", "output.pacs: expected a table"),
            (
                "[output]\nformats = [\"json\"]\n[output.pacs]\ndimse = \"P@h:1\"",
                "output.pacs: sends the DICOM SR output: add \"dicom-sr\" to output.formats",
            ),
        ] {
            let error = PipelineSettings::parse(text, "pipeline.toml", Path::new(""))
                .err()
                .ok_or(format!("{text:?} should be rejected"))?
                .to_string();
            assert!(error.contains(expected), "{text}: {error}");
        }
        Ok(())
    }

    #[test]
    fn defaults_when_tables_are_missing() -> TestResult {
        let s = PipelineSettings::parse("", "pipeline.toml", Path::new(""))?;
        assert!(s.inputs.is_empty());
        assert_eq!(s.out, PathBuf::from("out"));
        assert_eq!(s.index, PathBuf::from(".oncoread/index.sqlite"));
        assert_eq!(s.threads, None);
        assert_eq!(
            s.formats,
            vec!["json", "csv", "html", "sdtm", "dicom-sr", "key-images"]
        );
        assert!(!s.reproducible);
        assert_eq!(s.key_image_ct_window, None);
        assert_eq!(s.limits, Limits::default());
        Ok(())
    }

    /// The commented `[limits]` block of the repository's pipeline.toml states the
    /// defaults: uncommented, it must parse to exactly `Limits::default()`.
    #[test]
    fn the_documented_limits_are_the_defaults() -> TestResult {
        let documented: String = include_str!("../../../pipeline.toml")
            .lines()
            .skip_while(|line| *line != "# [limits]")
            .take_while(|line| line.starts_with("# "))
            .map(|line| format!("{}\n", &line[2..]))
            .collect();
        assert!(documented.contains("max_sr_content_items"), "{documented}");
        let s = PipelineSettings::parse(&documented, "pipeline.toml", Path::new(""))?;
        assert_eq!(s.limits, Limits::default());
        Ok(())
    }

    #[test]
    fn limits_keys_set_what_they_name_and_the_rest_keep_their_defaults() -> TestResult {
        let text = "[limits]\nmax_sr_content_items = 2000000\nmax_sr_nesting = 64\n";
        let s = PipelineSettings::parse(text, "pipeline.toml", Path::new(""))?;
        assert_eq!(s.limits.max_sr_content_items, 2_000_000);
        assert_eq!(s.limits.max_sr_nesting, 64);
        // The documented defaults (README, pipeline.toml): 256 MiB and 64 MiB.
        assert_eq!(s.limits.max_sr_file_bytes, 268_435_456);
        assert_eq!(s.limits.max_element_bytes, 67_108_864);
        for (text, expected) in [
            (
                "[limits]\nmax_sr_nesting = 5000",
                "pipeline.toml: limits.max_sr_nesting: expected 1 to 1024, found 5000",
            ),
            (
                "[limits]\nmax_sr_content_items = 0",
                "pipeline.toml: limits.max_sr_content_items: expected 1 to",
            ),
            (
                "[limits]\nmax_element_bytes = \"64M\"",
                "pipeline.toml: limits.max_element_bytes: expected an integer, found string",
            ),
            (
                "[limits]\nmax_items = 5",
                "pipeline.toml: limits.max_items: unknown key",
            ),
        ] {
            let error = PipelineSettings::parse(text, "pipeline.toml", Path::new(""))
                .err()
                .ok_or(format!("{text:?} should be rejected"))?
                .to_string();
            assert!(error.starts_with(expected), "{text}: {error}");
        }
        Ok(())
    }

    #[test]
    fn key_image_ct_window_is_width_then_level() -> TestResult {
        let text = "[output]\nkey_image_ct_window = [1500, -600.5]";
        let s = PipelineSettings::parse(text, "pipeline.toml", Path::new(""))?;
        assert_eq!(s.key_image_ct_window, Some([1500.0, -600.5]));
        for bad in ["[400]", "[0, 40]", "[\"400\", 40]", "400"] {
            let text = format!("[output]\nkey_image_ct_window = {bad}");
            let error = PipelineSettings::parse(&text, "pipeline.toml", Path::new(""))
                .err()
                .ok_or(format!("{text:?} should be rejected"))?
                .to_string();
            assert!(
                error.starts_with(
                    "pipeline.toml: output.key_image_ct_window: expected [width, level]"
                ),
                "{bad}: {error}"
            );
        }
        Ok(())
    }

    #[test]
    fn unknown_and_mistyped_keys_name_the_key() -> TestResult {
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
                "input[0]: needs one of",
            ),
            ("[[input]]\ndicomweb = \"https://x\"", "no TLS"),
            (
                "[[input]]\ndicomweb = \"http://x\"\nconcurrency = 0",
                "input[0].concurrency: expected 1 to 64",
            ),
            (
                "[[input]]\ndicomweb = \"http://x\"\nstudy_dates = \"2024\"",
                "input[0].study_dates",
            ),
            (
                "[[input]]\ndicomweb = \"http://x\"\nauth_env = \"A-B\"",
                "input[0].auth_env",
            ),
            (
                "[[input]]\ndimse = \"PACS@host\"",
                "input[0].dimse: \"PACS@host\": expected AET@HOST:PORT",
            ),
            (
                "[[input]]\ndimse = \"PACS@h:104\"\ncalling_aet = \"A_TITLE_LONGER_THAN_16\"",
                "input[0].calling_aet",
            ),
            (
                "[[input]]\ndimse = \"PACS@h:104\"\nretries = 11",
                "input[0].retries: expected 0 to 10",
            ),
            (
                "[[input]]\ndimse = \"PACS@h:104\"\npath = \"a\"",
                "input[0]: needs one of",
            ),
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
                .err()
                .ok_or(format!("{text:?} should be rejected"))?
                .to_string();
            assert!(error.contains(expected), "{text:?}: {error}");
        }
        Ok(())
    }

    #[test]
    fn privacy_names_the_key_variable_and_rejects_a_key_in_its_place() -> TestResult {
        let s = PipelineSettings::parse(
            "[privacy]\npseudonymize = true\nkey_env = \"TRIAL_KEY\"\nshift_dates = true\n",
            "p.toml",
            Path::new(""),
        )?;
        assert_eq!(
            s.privacy,
            Privacy {
                pseudonymize: true,
                key_env: "TRIAL_KEY".into(),
                shift_dates: true,
            }
        );
        let off = PipelineSettings::parse("", "p.toml", Path::new(""))?;
        assert!(!off.privacy.pseudonymize);
        assert_eq!(off.privacy.key_env, "ONCOREAD_PSEUDONYM_KEY");
        let error = PipelineSettings::parse(
            "[privacy]\nkey_env = \"s3cret key!\"\n",
            "p.toml",
            Path::new(""),
        )
        .err()
        .ok_or("a key_env that is no environment variable name should be rejected")?
        .to_string();
        assert!(error.starts_with("p.toml: privacy.key_env:"), "{error}");
        let error = PipelineSettings::parse("[privacy]\nkey = \"x\"\n", "p.toml", Path::new(""))
            .err()
            .ok_or("a key written in the settings file should be rejected")?
            .to_string();
        assert_eq!(error, "p.toml: privacy.key: unknown key");
        Ok(())
    }
}
