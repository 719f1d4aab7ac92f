//! C-STORE (PS3.4 B.2) as an SCU: instances sent on one association, each answered by
//! the PACS with a C-STORE-RSP before the next goes (no asynchronous operations
//! window is negotiated, so one outstanding request at a time).

use std::time::Duration;

use super::association::{Association, Proposal};
use super::find::{decode, encode, refused};
use super::messages::{self, C_STORE_RSP, STATUS_SUCCESS};
use super::{DimseError, Peer};

/// One instance to send: its identity and its data set as encoded in the file (without
/// the file meta).
pub struct Outgoing<'a> {
    pub sop_class_uid: &'a str,
    pub sop_instance_uid: &'a str,
    pub transfer_syntax_uid: &'a str,
    pub data_set: &'a [u8],
}

/// Sends `instances` on one association. `outcomes[n]` is set for each instance the PACS
/// answered (stored, or refused with its reason); an `Err` is the association failing,
/// and the instances still `None` were not confirmed (send them again: by their UIDs, a
/// second copy replaces the first).
pub fn store(
    peer: &Peer,
    calling_aet: &str,
    timeout: Duration,
    instances: &[Outgoing<'_>],
    outcomes: &mut [Option<Result<(), String>>],
) -> Result<(), DimseError> {
    let mut classes: Vec<&str> = instances.iter().map(|i| i.sop_class_uid).collect();
    classes.sort_unstable();
    classes.dedup();
    let mut association = Association::open(
        peer,
        calling_aet,
        timeout,
        &Proposal {
            scu: &classes,
            scp: &[],
        },
    )?;
    let name = peer.to_string();
    for (instance, outcome) in instances.iter().zip(outcomes.iter_mut()) {
        if outcome.is_some() {
            continue;
        }
        let Some((context, accepted_ts)) = association.context(instance.sop_class_uid) else {
            *outcome = Some(Err(format!(
                "the PACS accepted no presentation context for SOP class {}",
                instance.sop_class_uid
            )));
            continue;
        };
        let data = match reencode(instance, &accepted_ts) {
            Ok(data) => data,
            Err(reason) => {
                *outcome = Some(Err(reason));
                continue;
            }
        };
        let id = association.next_message_id();
        let command =
            messages::store_request(instance.sop_class_uid, id, instance.sop_instance_uid);
        association.send(context, &command, Some(&data))?;
        let answer = association.receive()?;
        let command = &answer.command;
        if command.command_field() != Some(C_STORE_RSP)
            || command.message_id_being_responded_to() != Some(id)
        {
            return Err(DimseError::Protocol(format!(
                "{name}: expected the C-STORE-RSP of message {id}"
            )));
        }
        let status = command
            .status()
            .ok_or_else(|| DimseError::Protocol(format!("{name}: C-STORE-RSP without a status")))?;
        *outcome = Some(if is_stored(status) {
            Ok(())
        } else {
            Err(refused(&name, "C-STORE", status, command.error_comment()).to_string())
        });
    }
    association.release();
    Ok(())
}

/// Success, or a warning (PS3.4 B.2.3: B000H coercion of data elements, B007H data set
/// does not match SOP class, B006H elements discarded): the instance was stored.
fn is_stored(status: u16) -> bool {
    status == STATUS_SUCCESS || status & 0xF000 == 0xB000
}

/// The data set in the accepted transfer syntax: as it is when the file's own syntax was
/// accepted, else converted between the two uncompressed little-endian syntaxes.
fn reencode(instance: &Outgoing<'_>, accepted_ts: &str) -> Result<Vec<u8>, String> {
    let accepted = accepted_ts.trim_end_matches(['\0', ' ']);
    if accepted == instance.transfer_syntax_uid {
        return Ok(instance.data_set.to_vec());
    }
    let object = decode(instance.data_set, instance.transfer_syntax_uid).map_err(|_| {
        format!(
            "transfer syntax {}: only uncompressed little-endian data sets can be sent over \
             C-STORE",
            instance.transfer_syntax_uid
        )
    })?;
    encode(&object, accepted).map_err(|e| e.to_string())
}
