//! Errors that stop the assessment of a document: each names where it happened
//! (JSON path, or subject / timepoint / field) so a user can fix the input in one go.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InputError {
    /// The document itself does not follow the schema (unknown field, wrong type, bad JSON).
    #[error("{}{message}", at_path(path))]
    Document { path: String, message: String },
    /// A subject's content breaks a rule the engine cannot assess around.
    #[error(
        "subject {subject}{}, field {field}: {message}",
        at_timepoint(timepoint)
    )]
    Subject {
        subject: String,
        timepoint: Option<String>,
        field: String,
        message: String,
    },
}

fn at_path(path: &str) -> String {
    if path.is_empty() || path == "." {
        String::new()
    } else {
        format!("at {path}: ")
    }
}

fn at_timepoint(timepoint: &Option<String>) -> String {
    match timepoint {
        Some(id) => format!(", timepoint {id}"),
        None => String::new(),
    }
}

impl InputError {
    pub fn document(path: &str, message: &str) -> Self {
        InputError::Document {
            path: path.to_string(),
            message: message.to_string(),
        }
    }

    pub fn subject(subject: &str, timepoint: Option<&str>, field: &str, message: String) -> Self {
        InputError::Subject {
            subject: subject.to_string(),
            timepoint: timepoint.map(str::to_string),
            field: field.to_string(),
            message,
        }
    }
}

/// A configuration key or value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("unknown config key `{0}` (see the criteria spec for the keys)")]
    UnknownKey(String),
    #[error("config key `{key}`: {message}")]
    BadValue { key: String, message: String },
    #[error("unknown criterion `{0}`; known: recist1.1 irecist irrc irrecist imrecist rano irano rano2 mrecist choi percist all")]
    UnknownCriterion(String),
    #[error("criterion `{0}` is not implemented yet in this version of oncoread")]
    NotImplemented(String),
}
