//! C-FIND (PS3.4 C.4.1) in the Study Root Query/Retrieve Information Model: one query,
//! its identifier encoded in the context's transfer syntax, every pending answer's
//! identifier decoded, until the final status.

use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, Tag, VR};
use dicom_object::InMemDicomObject;
use dicom_transfer_syntax_registry::entries::{
    EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN,
};
use dicom_transfer_syntax_registry::TransferSyntax;

use super::association::Association;
use super::messages::{self, is_pending, C_FIND_RQ, C_FIND_RSP, STATUS_SUCCESS};
use super::DimseError;

/// Study Root Query/Retrieve Information Model – FIND.
pub const FIND_SOP_CLASS: &str = "1.2.840.10008.5.1.4.1.2.2.1";

pub const QUERY_RETRIEVE_LEVEL: Tag = Tag(0x0008, 0x0052);
pub const STUDY_INSTANCE_UID: Tag = Tag(0x0020, 0x000D);
pub const SERIES_INSTANCE_UID: Tag = Tag(0x0020, 0x000E);
pub const SOP_INSTANCE_UID: Tag = Tag(0x0008, 0x0018);
pub const SOP_CLASS_UID: Tag = Tag(0x0008, 0x0016);
pub const MODALITY: Tag = Tag(0x0008, 0x0060);
pub const STUDY_DATE: Tag = Tag(0x0008, 0x0020);
pub const STUDY_RELATED_INSTANCES: Tag = Tag(0x0020, 0x1208);

/// The two transfer syntaxes this client proposes, by UID.
pub fn transfer_syntax(uid: &str) -> Option<TransferSyntax> {
    match uid.trim_end_matches(['\0', ' ']) {
        "1.2.840.10008.1.2.1" => Some(EXPLICIT_VR_LITTLE_ENDIAN.erased()),
        "1.2.840.10008.1.2" => Some(IMPLICIT_VR_LITTLE_ENDIAN.erased()),
        _ => None,
    }
}

/// An identifier: the Query/Retrieve Level and the keys, each `(tag, VR, value)`; an
/// empty value asks the SCP to return the attribute.
pub fn identifier(level: &str, keys: &[(Tag, VR, &str)]) -> InMemDicomObject {
    let mut object = InMemDicomObject::new_empty();
    object.put(DataElement::new(
        QUERY_RETRIEVE_LEVEL,
        VR::CS,
        PrimitiveValue::from(level),
    ));
    for (tag, vr, value) in keys {
        let value = if value.is_empty() {
            PrimitiveValue::Empty
        } else {
            PrimitiveValue::from(*value)
        };
        object.put(DataElement::new(*tag, *vr, value));
    }
    object
}

pub fn encode(object: &InMemDicomObject, transfer_syntax_uid: &str) -> Result<Vec<u8>, DimseError> {
    let ts = transfer_syntax(transfer_syntax_uid).ok_or_else(|| {
        DimseError::Protocol(format!(
            "transfer syntax {transfer_syntax_uid} not proposed"
        ))
    })?;
    let mut bytes = Vec::new();
    object
        .write_dataset_with_ts(&mut bytes, &ts)
        .map_err(|e| DimseError::Protocol(format!("cannot encode an identifier: {e}")))?;
    Ok(bytes)
}

pub fn decode(bytes: &[u8], transfer_syntax_uid: &str) -> Result<InMemDicomObject, DimseError> {
    let ts = transfer_syntax(transfer_syntax_uid).ok_or_else(|| {
        DimseError::Protocol(format!(
            "transfer syntax {transfer_syntax_uid} not proposed"
        ))
    })?;
    InMemDicomObject::read_dataset_with_ts(bytes, &ts)
        .map_err(|e| DimseError::Protocol(format!("unreadable identifier: {e}")))
}

/// Status FE00H, "matching terminated due to cancel": what a PACS that caps its C-FIND
/// answers (Orthanc's LimitFindResults) ends a cropped list with.
pub const STATUS_CANCEL: u16 = 0xFE00;

/// The answers of one C-FIND, and whether the PACS sent them all.
pub struct FindAnswers {
    pub answers: Vec<InMemDicomObject>,
    /// `false` when the PACS cropped the list (status FE00H).
    pub complete: bool,
}

/// Runs one C-FIND and returns every matching identifier; a cropped answer list is an
/// error (see [`find_answers`] to act on it).
pub fn find(
    association: &mut Association,
    peer: &str,
    query: &InMemDicomObject,
) -> Result<Vec<InMemDicomObject>, DimseError> {
    let found = find_answers(association, peer, query)?;
    if !found.complete {
        return Err(DimseError::Refused {
            peer: peer.to_string(),
            operation: "C-FIND",
            reason: format!(
                "the PACS stopped after {} answers (status FE00H: it caps C-FIND results); \
                 raise its limit",
                found.answers.len()
            ),
        });
    }
    Ok(found.answers)
}

/// Runs one C-FIND and returns the identifiers the PACS sent, and whether that was all.
pub fn find_answers(
    association: &mut Association,
    peer: &str,
    query: &InMemDicomObject,
) -> Result<FindAnswers, DimseError> {
    let (context, ts) = association
        .context(FIND_SOP_CLASS)
        .ok_or_else(|| DimseError::Refused {
            peer: peer.to_string(),
            operation: "C-FIND",
            reason: "the PACS accepted no Study Root FIND context".into(),
        })?;
    let id = association.next_message_id();
    let command = messages::request(C_FIND_RQ, FIND_SOP_CLASS, id);
    association.send(context, &command, Some(&encode(query, &ts)?))?;
    let mut answers = Vec::new();
    loop {
        let message = association.receive()?;
        let command = &message.command;
        if command.command_field() != Some(C_FIND_RSP)
            || command.message_id_being_responded_to() != Some(id)
        {
            return Err(DimseError::Protocol(format!(
                "{peer}: expected the C-FIND-RSP of message {id}"
            )));
        }
        let status = command
            .status()
            .ok_or_else(|| DimseError::Protocol(format!("{peer}: C-FIND-RSP without a status")))?;
        if is_pending(status) {
            if let Some(data) = &message.data {
                answers.push(decode(data, &ts)?);
            }
        } else if status == STATUS_SUCCESS || status == STATUS_CANCEL {
            return Ok(FindAnswers {
                answers,
                complete: status == STATUS_SUCCESS,
            });
        } else {
            return Err(refused(peer, "C-FIND", status, command.error_comment()));
        }
    }
}

pub fn refused(
    peer: &str,
    operation: &'static str,
    status: u16,
    comment: Option<String>,
) -> DimseError {
    DimseError::Refused {
        peer: peer.to_string(),
        operation,
        reason: match comment {
            Some(comment) => format!("status {status:04X}H: {comment}"),
            None => format!("status {status:04X}H"),
        },
    }
}

/// The trimmed text of an attribute of an identifier.
pub fn text(object: &InMemDicomObject, tag: Tag) -> Option<String> {
    let value = object.get(tag)?.to_str().ok()?;
    let value = value.trim_matches([' ', '\0']);
    (!value.is_empty()).then(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn identifiers_round_trip_in_both_transfer_syntaxes() -> TestResult {
        let query = identifier(
            "SERIES",
            &[
                (STUDY_INSTANCE_UID, VR::UI, "1.2.3"),
                (SERIES_INSTANCE_UID, VR::UI, ""),
                (MODALITY, VR::CS, ""),
            ],
        );
        for ts in ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"] {
            let bytes = encode(&query, ts)?;
            let back = decode(&bytes, ts)?;
            assert_eq!(text(&back, QUERY_RETRIEVE_LEVEL).as_deref(), Some("SERIES"));
            assert_eq!(text(&back, STUDY_INSTANCE_UID).as_deref(), Some("1.2.3"));
            assert!(back.get(MODALITY).is_some(), "empty return keys are sent");
            assert_eq!(text(&back, MODALITY), None);
        }
        // Implicit VR LE: (0008,0052) first, 4-byte length, "SERIES".
        let bytes = encode(&query, "1.2.840.10008.1.2")?;
        assert_eq!(&bytes[..14], b"\x08\x00\x52\x00\x06\x00\x00\x00SERIES");
        assert!(encode(&query, "1.2.840.10008.1.2.4.50").is_err());
        Ok(())
    }
}
