//! The reader-workflow tables of `pipeline.toml`: `[readers]` (double reads, the
//! adjudication triggers of the charter, the adjudicator) and `[protocols.NAME]` (named
//! criteria configurations, e.g. the protocol and its amendments).
//!
//! ```toml
//! [readers]
//! criterion = "recist1.1"          # the criterion the triggers compare
//! adjudicator = "Adjudicator^Ann"  # the third reader, as the timeline names them
//! # primary = "Reader^One"         # accepted when no trigger fires (default: first by name)
//! progression_window_days = 28     # concordance: dates further apart are discordant
//! [readers.adjudicate_when]
//! bor_differs = true
//! progression_days_apart = 28      # or false
//! progression_in_one_read = true
//!
//! [protocols."amendment 2".recist] # criteria keys over [criteria]
//! confirm_min_days = 56
//! ```

use std::path::Path;

use oncoread_criteria::adjudication::{ReaderRules, Triggers};
use oncoread_criteria::Criterion;

use crate::settings::{
    criteria_settings, parse_table, reject_unknown, take_integer, take_string, CriteriaSettings,
    SettingsError,
};

/// A named criteria configuration: `[criteria]` with the protocol's keys over it.
#[derive(Debug, Clone)]
pub struct Protocol {
    pub name: String,
    /// The effective criteria (the protocol's `enabled`, else `[criteria]`'s).
    pub criteria: CriteriaSettings,
}

/// Removes and reads `[readers]` from a parsed file (`None` when absent).
pub fn take_readers(
    table: &mut toml::Table,
    file: &str,
) -> Result<Option<ReaderRules>, SettingsError> {
    let key_error = |key: &str, message: String| SettingsError::Key {
        file: file.to_string(),
        key: key.to_string(),
        message,
    };
    let mut readers = match table.remove("readers") {
        None => return Ok(None),
        Some(toml::Value::Table(readers)) => readers,
        Some(other) => {
            return Err(key_error(
                "readers",
                format!("expected a table, found {}", other.type_str()),
            ))
        }
    };
    let mut rules = ReaderRules::default();
    if let Some(name) = take_string(&mut readers, "criterion", "readers", file)? {
        rules.criterion = Criterion::from_name(&name)
            .filter(|c| Criterion::IMPLEMENTED.contains(c))
            .ok_or_else(|| key_error("readers.criterion", format!("unknown criterion {name:?}")))?;
    }
    rules.adjudicator = take_string(&mut readers, "adjudicator", "readers", file)?;
    rules.primary = take_string(&mut readers, "primary", "readers", file)?;
    if let Some(days) = take_integer(&mut readers, "progression_window_days", "readers", file)? {
        rules.progression_window_days =
            non_negative(days).map_err(|m| key_error("readers.progression_window_days", m))?;
    }
    match readers.remove("adjudicate_when") {
        None => {}
        Some(toml::Value::Table(mut when)) => {
            rules.triggers = triggers(&mut when, file)?;
            reject_unknown(&when, "readers.adjudicate_when", file)?;
        }
        Some(other) => {
            return Err(key_error(
                "readers.adjudicate_when",
                format!("expected a table, found {}", other.type_str()),
            ))
        }
    }
    reject_unknown(&readers, "readers", file)?;
    Ok(Some(rules))
}

fn triggers(when: &mut toml::Table, file: &str) -> Result<Triggers, SettingsError> {
    const WITHIN: &str = "readers.adjudicate_when";
    let key_error = |key: &str, message: String| SettingsError::Key {
        file: file.to_string(),
        key: format!("{WITHIN}.{key}"),
        message,
    };
    let mut triggers = Triggers::default();
    let boolean = |when: &mut toml::Table, key: &str| match when.remove(key) {
        None => Ok(None),
        Some(toml::Value::Boolean(b)) => Ok(Some(b)),
        Some(other) => Err(key_error(
            key,
            format!("expected true or false, found {}", other.type_str()),
        )),
    };
    if let Some(on) = boolean(when, "bor_differs")? {
        triggers.bor_differs = on;
    }
    if let Some(on) = boolean(when, "progression_in_one_read")? {
        triggers.progression_in_one_read = on;
    }
    match when.remove("progression_days_apart") {
        None => {}
        Some(toml::Value::Boolean(false)) => triggers.progression_days_apart = None,
        Some(toml::Value::Integer(days)) => {
            triggers.progression_days_apart =
                Some(non_negative(days).map_err(|m| key_error("progression_days_apart", m))?)
        }
        Some(other) => {
            return Err(key_error(
                "progression_days_apart",
                format!(
                    "expected a number of days or false, found {}",
                    other.type_str()
                ),
            ))
        }
    }
    Ok(triggers)
}

fn non_negative(days: i64) -> Result<i64, String> {
    if days >= 0 {
        Ok(days)
    } else {
        Err(format!("expected a number of days ≥ 0, found {days}"))
    }
}

/// Removes and reads `[protocols.NAME]`: each table holds criteria keys (as `[criteria]`
/// does) applied over `base`.
pub fn take_protocols(
    table: &mut toml::Table,
    base: &CriteriaSettings,
    file: &str,
) -> Result<Vec<Protocol>, SettingsError> {
    let protocols = match table.remove("protocols") {
        None => return Ok(Vec::new()),
        Some(toml::Value::Table(protocols)) => protocols,
        Some(other) => {
            return Err(SettingsError::Key {
                file: file.to_string(),
                key: "protocols".into(),
                message: format!(
                    "expected a table of named tables, found {}",
                    other.type_str()
                ),
            })
        }
    };
    let mut named = Vec::new();
    for (name, keys) in protocols {
        let toml::Value::Table(keys) = keys else {
            return Err(SettingsError::Key {
                file: file.to_string(),
                key: format!("protocols.{name}"),
                message: "expected a table of criteria keys".into(),
            });
        };
        // Checked as a [criteria] table of its own, then laid over the base one.
        let own = criteria_settings(keys, file).map_err(|error| match error {
            SettingsError::Key { file, key, message } => SettingsError::Key {
                file,
                key: format!("protocols.{name}.{}", key.trim_start_matches("criteria.")),
                message,
            },
            other => other,
        })?;
        let mut criteria = base.clone();
        for (key, value) in &own.keys_set {
            criteria
                .config
                .set(key, value)
                .map_err(|e| SettingsError::Key {
                    file: file.to_string(),
                    key: format!("protocols.{name}.{key}"),
                    message: e.to_string(),
                })?;
            criteria.keys_set.push((key.clone(), value.clone()));
        }
        if own.enabled.is_some() {
            criteria.enabled = own.enabled;
        }
        named.push(Protocol { name, criteria });
    }
    Ok(named)
}

/// The `[readers]` table of a config file given to `oncoread assess --config` (`None`
/// when the file has none).
pub fn load_reader_rules(path: &Path) -> Result<Option<ReaderRules>, SettingsError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|cause| SettingsError::Read {
        file: file.clone(),
        cause,
    })?;
    let mut table = parse_table(&text, &file)?;
    take_readers(&mut table, &file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::PipelineSettings;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn readers_and_protocols_are_read_with_their_defaults() -> TestResult {
        let text = r#"
            [criteria]
            enabled = ["recist1.1", "irecist"]
            [criteria.recist]
            pd_abs_mm = 4.0
            [readers]
            adjudicator = "Adj^Ann"
            [readers.adjudicate_when]
            progression_days_apart = false
            [protocols."protocol v1"]
            [protocols."amendment 2".recist]
            confirm_min_days = 56
        "#;
        let s = PipelineSettings::parse(text, "pipeline.toml", Path::new(""))?;
        let readers = s.readers.ok_or("the [readers] table")?;
        assert_eq!(readers.adjudicator.as_deref(), Some("Adj^Ann"));
        assert_eq!(readers.criterion, Criterion::Recist11);
        assert_eq!(readers.progression_window_days, 28);
        assert!(readers.triggers.bor_differs);
        assert_eq!(readers.triggers.progression_days_apart, None);
        let names: Vec<&str> = s.protocols.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["amendment 2", "protocol v1"]);
        let amendment = s.protocols[0].criteria.config.effective();
        let v1 = s.protocols[1].criteria.config.effective();
        assert_eq!(amendment["recist.confirm_min_days"], serde_json::json!(56));
        assert_eq!(v1["recist.confirm_min_days"], serde_json::json!(28));
        // Both keep the base table's own key and enabled list.
        assert_eq!(amendment["recist.pd_abs_mm"], serde_json::json!(4.0));
        assert_eq!(
            s.protocols[0].criteria.enabled.as_deref(),
            Some("recist1.1,irecist")
        );
        Ok(())
    }

    #[test]
    fn mistakes_name_the_key() -> TestResult {
        let cases = [
            ("[readers]\ncolour = 1", "readers.colour: unknown key"),
            ("[readers]\ncriterion = \"who\"", "readers.criterion"),
            (
                "[readers.adjudicate_when]\nbor_differs = 1",
                "readers.adjudicate_when.bor_differs",
            ),
            (
                "[readers.adjudicate_when]\nprogression_days_apart = -1",
                "readers.adjudicate_when.progression_days_apart",
            ),
            (
                "[protocols.v2.recist]\nconfirm_min_dayz = 3",
                "protocols.v2.recist.confirm_min_dayz",
            ),
            ("[protocols]\nv2 = 1", "protocols.v2"),
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
}
