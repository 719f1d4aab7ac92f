//! C-GET (PS3.4 C.4.3) in the Study Root model: the PACS answers with C-STORE
//! sub-operations on the same association, each answered here with a C-STORE-RSP, then
//! with C-GET-RSPs until the final status.

use dicom_core::VR;
use dicom_object::meta::FileMetaTableBuilder;

use super::association::Association;
use super::find::{
    encode, identifier, refused, SERIES_INSTANCE_UID, SOP_INSTANCE_UID, STUDY_INSTANCE_UID,
};
use super::messages::{self, is_pending, C_GET_RQ, C_GET_RSP, C_STORE_RQ, STATUS_SUCCESS};
use super::DimseError;

/// Study Root Query/Retrieve Information Model – GET.
pub const GET_SOP_CLASS: &str = "1.2.840.10008.5.1.4.1.2.2.3";

/// The SR storage SOP classes (PS3.4 B.5) this client takes the SCP role for.
pub const SR_STORAGE_CLASSES: &[&str] = &[
    "1.2.840.10008.5.1.4.1.1.88.11", // Basic Text SR
    "1.2.840.10008.5.1.4.1.1.88.22", // Enhanced SR
    "1.2.840.10008.5.1.4.1.1.88.33", // Comprehensive SR
    "1.2.840.10008.5.1.4.1.1.88.34", // Comprehensive 3D SR
    "1.2.840.10008.5.1.4.1.1.88.35", // Extensible SR
];

/// C-STORE-RSP status "Processing failure" (PS3.4 GG.4-1 / B.2.3: A700H refused, out of
/// resources; 0110H processing failure).
const STORE_PROCESSING_FAILURE: u16 = 0x0110;

/// Implementation Class UID written into the cache files' meta (a UUID-derived 2.25 UID of
/// this project's own).
const IMPLEMENTATION_CLASS_UID: &str = "2.25.26277008253057775492785323064474056436";

/// One instance received through a C-STORE sub-operation, as a Part 10 file.
pub struct Received {
    pub sop_instance_uid: String,
    pub file: Vec<u8>,
}

/// Retrieves one instance; `store` keeps each received instance (its error message is
/// the C-STORE failure's). Returns how many instances came.
pub fn get_instance(
    association: &mut Association,
    peer: &str,
    study: &str,
    series: &str,
    sop: &str,
    mut store: impl FnMut(Received) -> Result<(), String>,
) -> Result<usize, DimseError> {
    let (context, ts) = association
        .context(GET_SOP_CLASS)
        .ok_or_else(|| DimseError::Refused {
            peer: peer.to_string(),
            operation: "C-GET",
            reason: "the PACS accepted no Study Root GET context".into(),
        })?;
    let query = identifier(
        "IMAGE",
        &[
            (STUDY_INSTANCE_UID, VR::UI, study),
            (SERIES_INSTANCE_UID, VR::UI, series),
            (SOP_INSTANCE_UID, VR::UI, sop),
        ],
    );
    let id = association.next_message_id();
    let command = messages::request(C_GET_RQ, GET_SOP_CLASS, id);
    association.send(context, &command, Some(&encode(&query, &ts)?))?;
    let mut received = 0;
    loop {
        let message = association.receive()?;
        let command = &message.command;
        match command.command_field() {
            Some(C_STORE_RQ) => {
                let store_id = command.message_id().ok_or_else(|| {
                    DimseError::Protocol(format!("{peer}: C-STORE-RQ without a message ID"))
                })?;
                let class = command.affected_sop_class_uid().unwrap_or_default();
                let instance = command.affected_sop_instance_uid().unwrap_or_default();
                let (_, store_ts) = association
                    .context_by_id(message.context_id)
                    .unwrap_or_default();
                let outcome = match message.data {
                    Some(data) => part10(&class, &instance, &store_ts, &data).and_then(|file| {
                        store(Received {
                            sop_instance_uid: instance.clone(),
                            file,
                        })
                    }),
                    None => Err("C-STORE-RQ without a data set".to_string()),
                };
                let status = match outcome {
                    Ok(()) => {
                        received += 1;
                        STATUS_SUCCESS
                    }
                    Err(_) => STORE_PROCESSING_FAILURE,
                };
                let answer = messages::store_response(&class, store_id, status, &instance);
                association.send(message.context_id, &answer, None)?;
                if let Err(reason) = outcome {
                    return Err(DimseError::Refused {
                        peer: peer.to_string(),
                        operation: "C-GET",
                        reason: format!("instance {instance} could not be kept: {reason}"),
                    });
                }
            }
            Some(C_GET_RSP) if command.message_id_being_responded_to() == Some(id) => {
                let status = command.status().ok_or_else(|| {
                    DimseError::Protocol(format!("{peer}: C-GET-RSP without a status"))
                })?;
                if is_pending(status) {
                    continue;
                }
                // Success, or a warning (Bxxx: some sub-operations failed): the caller
                // checks that what it asked for came.
                if status == STATUS_SUCCESS || status & 0xF000 == 0xB000 {
                    return Ok(received);
                }
                return Err(refused(peer, "C-GET", status, command.error_comment()));
            }
            _ => {
                return Err(DimseError::Protocol(format!(
                    "{peer}: expected a C-STORE-RQ or the C-GET-RSP of message {id}"
                )))
            }
        }
    }
}

/// A received data set as a Part 10 file: preamble, `DICM`, file meta (Explicit VR LE),
/// then the data set bytes as they came, in the context's transfer syntax.
fn part10(
    sop_class: &str,
    sop_instance: &str,
    transfer_syntax: &str,
    data: &[u8],
) -> Result<Vec<u8>, String> {
    let meta = FileMetaTableBuilder::new()
        .media_storage_sop_class_uid(sop_class)
        .media_storage_sop_instance_uid(sop_instance)
        .transfer_syntax(transfer_syntax)
        .implementation_class_uid(IMPLEMENTATION_CLASS_UID)
        .implementation_version_name("ONCOREAD")
        .build()
        .map_err(|e| format!("file meta: {e}"))?;
    let mut file = vec![0u8; 128];
    file.extend_from_slice(b"DICM");
    meta.write(&mut file)
        .map_err(|e| format!("file meta: {e}"))?;
    file.extend_from_slice(data);
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oncoread_dicom::header::read_header_from_bytes;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn a_received_data_set_becomes_a_readable_part10_file() -> TestResult {
        // An SR data set in Implicit VR LE: SOP Class UID and SOP Instance UID only.
        let mut data = Vec::new();
        for (element, value) in [
            (0x0016_u16, "1.2.840.10008.5.1.4.1.1.88.33\0"),
            (0x0018, "1.2.3.4\0"),
        ] {
            data.extend_from_slice(&0x0008_u16.to_le_bytes());
            data.extend_from_slice(&element.to_le_bytes());
            data.extend_from_slice(&(value.len() as u32).to_le_bytes());
            data.extend_from_slice(value.as_bytes());
        }
        let file = part10(
            "1.2.840.10008.5.1.4.1.1.88.33",
            "1.2.3.4",
            "1.2.840.10008.1.2",
            &data,
        )?;
        assert_eq!(&file[128..132], b"DICM");
        let record = read_header_from_bytes(&file)?;
        assert_eq!(record.sop_instance_uid.as_deref(), Some("1.2.3.4"));
        assert_eq!(
            record.transfer_syntax_uid.as_deref(),
            Some("1.2.840.10008.1.2")
        );
        Ok(())
    }
}
