//! One SDTM domain as a table, and its two spellings: CDISC Dataset-JSON v1.1 (the
//! top-level metadata, `columns`, then `rows` as arrays in column order) and CSV (the
//! report crate's RFC 4180 writer, a header row of the variable names).
//!
//! Missing values: `null` for numeric variables, `""` for character variables (what a SAS
//! XPT round trip gives, and what Dataset-JSON v1.1 allows for character data).

use crate::csv::Table;
use crate::text::number;
use crate::ReportError;

/// The Dataset-JSON `dataType` of a variable (SDTM has only character and numeric; the
/// numerics here are counts and days, or measurements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    String,
    Integer,
    Double,
}

impl DataType {
    fn name(self) -> &'static str {
        match self {
            DataType::String => "string",
            DataType::Integer => "integer",
            DataType::Double => "double",
        }
    }
}

/// One variable of a domain.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub label: &'static str,
    pub data_type: DataType,
    /// Position among the domain's natural keys (1-based), as Define-XML's KeySequence.
    pub key: Option<u32>,
}

/// A character variable.
pub const fn text(name: &'static str, label: &'static str) -> Column {
    Column {
        name,
        label,
        data_type: DataType::String,
        key: None,
    }
}

/// A character variable that is part of the domain's natural key.
pub const fn key(name: &'static str, label: &'static str, position: u32) -> Column {
    Column {
        name,
        label,
        data_type: DataType::String,
        key: Some(position),
    }
}

/// An integer variable (`--SEQ`, `VISITNUM`, `--DY`).
pub const fn integer(name: &'static str, label: &'static str, key: Option<u32>) -> Column {
    Column {
        name,
        label,
        data_type: DataType::Integer,
        key,
    }
}

/// A floating-point variable (`--STRESN`).
pub const fn double(name: &'static str, label: &'static str) -> Column {
    Column {
        name,
        label,
        data_type: DataType::Double,
        key: None,
    }
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    Num(f64),
    Null,
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::Text(text.to_string())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Value::Text(text)
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Int(value)
    }
}

impl From<Option<i64>> for Value {
    fn from(value: Option<i64>) -> Self {
        value.map_or(Value::Null, Value::Int)
    }
}

impl From<f64> for Value {
    fn from(value: f64) -> Self {
        Value::Num(value)
    }
}

/// A row as (variable, value) pairs; variables not named are missing.
pub type Row = Vec<(&'static str, Value)>;

/// What every file of one run shares in its top-level metadata.
pub struct FileHeader<'a> {
    /// `datasetJSONCreationDateTime` (ISO 8601).
    pub created: &'a str,
    pub study_id: &'a str,
    /// The oncoread version (`sourceSystem.version`).
    pub version: &'a str,
}

/// One domain: its name, label, variables and rows in output order.
pub struct Dataset {
    pub name: &'static str,
    pub label: &'static str,
    pub columns: &'static [Column],
    rows: Vec<Vec<Value>>,
}

impl Dataset {
    pub fn new(name: &'static str, label: &'static str, columns: &'static [Column]) -> Self {
        Dataset {
            name,
            label,
            columns,
            rows: Vec::new(),
        }
    }

    /// Adds a row. Naming a variable the domain does not have is a bug of the domain
    /// module, reported as an error rather than dropped.
    pub fn push(&mut self, row: Row) -> Result<(), ReportError> {
        let mut cells = vec![Value::Null; self.columns.len()];
        for (name, value) in row {
            let position = self.columns.iter().position(|c| c.name == name).ok_or(
                ReportError::SdtmVariable {
                    domain: self.name,
                    variable: name,
                },
            )?;
            cells[position] = value;
        }
        for (cell, column) in cells.iter_mut().zip(self.columns) {
            if *cell == Value::Null && column.data_type == DataType::String {
                *cell = Value::Text(String::new());
            }
        }
        self.rows.push(cells);
        Ok(())
    }

    /// The longest value of a character variable (at least 1), as Dataset-JSON `length`.
    fn length(&self, position: usize) -> usize {
        self.rows
            .iter()
            .map(|row| match &row[position] {
                Value::Text(text) => text.chars().count(),
                _ => 0,
            })
            .max()
            .unwrap_or(0)
            .max(1)
    }

    /// The Dataset-JSON v1.1 document: metadata first, one line per column and per row.
    pub fn to_json(&self, header: &FileHeader<'_>) -> Result<String, ReportError> {
        let q = |text: &str| serde_json::to_string(text);
        let domain = self.name;
        let mut out = String::from("{\n");
        let mut field = |key: &str, value: String| {
            out.push_str(&format!("  \"{key}\": {value},\n"));
        };
        field("datasetJSONCreationDateTime", q(header.created)?);
        field("datasetJSONVersion", q("1.1.0")?);
        field(
            "fileOID",
            q(&format!("oncoread.{}.{domain}", header.study_id))?,
        );
        field("originator", q("oncoread")?);
        field(
            "sourceSystem",
            format!(
                "{{\"name\": \"oncoread\", \"version\": {}}}",
                q(header.version)?
            ),
        );
        field("studyOID", q(header.study_id)?);
        field("itemGroupOID", q(&format!("IG.{domain}"))?);
        field("records", self.rows.len().to_string());
        field("name", q(domain)?);
        field("label", q(self.label)?);
        out.push_str("  \"columns\": [\n");
        for (position, column) in self.columns.iter().enumerate() {
            out.push_str(&format!(
                "    {{\"itemOID\": {}, \"name\": {}, \"label\": {}, \"dataType\": \"{}\"",
                q(&format!("IT.{domain}.{}", column.name))?,
                q(column.name)?,
                q(column.label)?,
                column.data_type.name()
            ));
            if column.data_type == DataType::String {
                out.push_str(&format!(", \"length\": {}", self.length(position)));
            }
            if let Some(key) = column.key {
                out.push_str(&format!(", \"keySequence\": {key}"));
            }
            out.push('}');
            out.push_str(if position + 1 < self.columns.len() {
                ",\n"
            } else {
                "\n"
            });
        }
        out.push_str("  ],\n  \"rows\": [");
        for (i, row) in self.rows.iter().enumerate() {
            out.push_str(if i == 0 { "\n    [" } else { ",\n    [" });
            for (j, cell) in row.iter().enumerate() {
                if j > 0 {
                    out.push_str(", ");
                }
                out.push_str(&match cell {
                    Value::Text(text) => q(text)?,
                    Value::Int(value) => value.to_string(),
                    Value::Num(value) => serde_json::to_string(value)?,
                    Value::Null => "null".to_string(),
                });
            }
            out.push(']');
        }
        out.push_str(if self.rows.is_empty() {
            "]\n}\n"
        } else {
            "\n  ]\n}\n"
        });
        Ok(out)
    }

    /// The same rows as CSV, numbers spelled as in the other CSV tables.
    pub fn to_csv(&self) -> String {
        let names: Vec<&str> = self.columns.iter().map(|c| c.name).collect();
        let mut table = Table::new(&names);
        for row in &self.rows {
            let cells: Vec<String> = row
                .iter()
                .map(|cell| match cell {
                    Value::Text(text) => text.clone(),
                    Value::Int(value) => value.to_string(),
                    Value::Num(value) => number(*value),
                    Value::Null => String::new(),
                })
                .collect();
            table.record(cells.iter().map(String::as_str));
        }
        table.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    const COLUMNS: [Column; 3] = [
        key("USUBJID", "Unique Subject Identifier", 1),
        integer("XXSEQ", "Sequence Number", Some(2)),
        double("XXSTRESN", "Numeric Result"),
    ];

    fn header() -> FileHeader<'static> {
        FileHeader {
            created: "2024-01-01T00:00:00Z",
            study_id: "S1",
            version: "0.1.0",
        }
    }

    #[test]
    fn rows_follow_the_columns_and_missing_values_are_typed() -> TestResult {
        let mut data = Dataset::new("XX", "Example", &COLUMNS);
        data.push(vec![("XXSEQ", 1.into()), ("USUBJID", "S1-001".into())])?;
        data.push(vec![("XXSTRESN", 12.5.into())])?;
        let json = data.to_json(&header())?;
        assert!(json.contains("\n    [\"S1-001\", 1, null],\n    [\"\", null, 12.5]\n  ]\n}\n"));
        assert!(json.contains("\"name\": \"USUBJID\", \"label\": \"Unique Subject Identifier\", \"dataType\": \"string\", \"length\": 6, \"keySequence\": 1}"));
        assert!(json.contains("\"records\": 2,"));
        let parsed: serde_json::Value = serde_json::from_str(&json)?;
        assert_eq!(parsed["fileOID"], "oncoread.S1.XX");
        assert_eq!(
            data.to_csv(),
            "USUBJID,XXSEQ,XXSTRESN\r\nS1-001,1,\r\n,,12.5\r\n"
        );
        Ok(())
    }

    #[test]
    fn an_unknown_variable_is_an_error() -> TestResult {
        let mut data = Dataset::new("XX", "Example", &COLUMNS);
        let error = data
            .push(vec![("YYSEQ", 1.into())])
            .err()
            .ok_or("a variable the domain lacks should be rejected")?;
        assert_eq!(error.to_string(), "SDTM XX has no variable YYSEQ");
        Ok(())
    }

    #[test]
    fn an_empty_domain_is_valid_json() -> TestResult {
        let data = Dataset::new("XX", "Example", &COLUMNS);
        let parsed: serde_json::Value = serde_json::from_str(&data.to_json(&header())?)?;
        assert_eq!(parsed["rows"], serde_json::json!([]));
        assert_eq!(parsed["records"], 0);
        Ok(())
    }
}
